//! memlab's real window under Xvfb: it opens, says which instance it is, and
//! renders the shared text form (the README's screenshot command).

mod common;

use common::xvfb::Xvfb;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("memlab did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn screenshot_command_renders_the_shared_text_form() {
    let x = Xvfb::start();
    let home = tempdir("home");
    let out = home.join("shot.png");
    let mut child = Command::new(common::BIN)
        .args([
            "screenshot",
            "--out",
            out.to_str().unwrap(),
            "--lab",
            "shared",
            "--lang",
            "ko",
        ])
        .env("DISPLAY", &x.display)
        .env("HOME", &home)
        .env_remove("WAYLAND_DISPLAY")
        .spawn()
        .unwrap();
    let status = wait_with_timeout(&mut child, Duration::from_secs(60));
    assert!(status.success(), "screenshot exited with {status}");
    let image = image::open(&out).expect("a PNG").to_rgba8();
    assert_eq!((image.width(), image.height()), (980, 640));
    // Light theme: mostly light pixels, and text in dark ones.
    let dark = image
        .pixels()
        .filter(|p| u32::from(p.0[0]) + u32::from(p.0[1]) + u32::from(p.0[2]) < 3 * 128)
        .count();
    let total = (image.width() * image.height()) as usize;
    assert!(
        dark > total / 200,
        "too few dark pixels ({dark}): nothing rendered?"
    );
    assert!(
        dark < total / 4,
        "mostly dark ({dark} of {total}): not the light UI"
    );
}

#[test]
fn window_title_names_the_app_instance_and_pid() {
    let x = Xvfb::start();
    let home = tempdir("title");
    let mut child = Command::new(common::BIN)
        .env("DISPLAY", &x.display)
        .env("HOME", &home)
        .env_remove("WAYLAND_DISPLAY")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let want = format!("PID {}", child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let title = loop {
        let out = Command::new("xdotool")
            .args(["search", "--name", "memlab", "getwindowname", "%@"])
            .env("DISPLAY", &x.display)
            .output()
            .expect("xdotool is needed for the window tests: run .ci/test, which installs it");
        let names = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(line) = names.lines().find(|l| l.contains(&want)) {
            break line.to_owned();
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            panic!("memlab exited ({status}) before its window showed: {err}");
        }
        assert!(
            Instant::now() < deadline,
            "no window titled with {want}; saw {names:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(title.starts_with("memlab — instance "), "{title}");
    // SIGTERM closes it like its close button: a clean exit.
    common::kill(child.id(), libc::SIGTERM);
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert!(status.success(), "memlab exited with {status} on SIGTERM");
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("memlab-window-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
