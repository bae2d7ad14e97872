//! The tests' X server serves every client, whenever it arrives. Xvfb by
//! default resets when its last client leaves, and a client that connected
//! meanwhile is dropped: the readiness probe (`xdotool`) leaving just as a
//! memlab window connected made that window exit with "Failed to open
//! connection to X server" (`window::window_title_names_the_app_instance_
//! and_pid`, once, in a parallel run). Clients that come and go in
//! overlapping pairs meet that moment many times over; without `-noreset`
//! about 1 connection in 30 failed here.

use crate::common;

use std::process::Stdio;

use common::xvfb::Xvfb;

/// `xdotool getdisplaygeometry` on `x`, started (not waited for).
fn probe(x: &Xvfb) -> std::process::Child {
    x.command("xdotool")
        .arg("getdisplaygeometry")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xdotool is needed for the window tests: run .ci/test, which installs it")
}

#[test]
fn a_client_arriving_as_the_last_one_leaves_is_served() {
    let x = Xvfb::start();
    let mut failed = Vec::new();
    for round in 0..300 {
        let pair = [probe(&x), probe(&x)];
        for child in pair {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() {
                failed.push(format!(
                    "round {round}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of 600 connections refused: {failed:#?}",
        failed.len()
    );
}
