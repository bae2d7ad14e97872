//! The `window` benchmark's body (Linux only, for now: docs/windows.md).

#[path = "../../tests/common/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memlab_engine::desktop::placement::{self, Rect};
use xvfb::Xvfb;

const BIN: &str = env!("CARGO_BIN_EXE_memlab");

fn home(tag: &str) -> PathBuf {
    home_with(tag, "")
}

/// A home whose saved labs also hold `more` (RON fields of the labs).
fn home_with(tag: &str, more: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("memlab-bench-window-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join(".local/share/memlab");
    std::fs::create_dir_all(&data).unwrap();
    // A mapping of the benchmark's own (eframe's storage of the labs).
    let labs = format!(
        "(shared:(name:\"bench-window-{}\",live:false){more})",
        std::process::id()
    );
    std::fs::write(data.join("labs.ron"), format!("{{\"app\":{labs:?}}}")).unwrap();
    dir
}

fn memlab(x: &Xvfb, home: &Path, args: &[&str]) -> Command {
    let mut command = x.command(BIN);
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn output(command: &mut Command) -> String {
    let out = command.output().expect("run an X tool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The visible windows of process `pid` (any memlab's if `None`).
fn visible(x: &Xvfb, pid: Option<u32>) -> Vec<String> {
    let mut search = x.command("xdotool");
    search.args(["search", "--onlyvisible"]);
    match pid {
        Some(pid) => search.args(["--pid", &pid.to_string()]),
        None => search.args(["--name", "^memlab"]),
    };
    output(&mut search)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// CPU time of a process (user + system), from /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let hz = rustix::param::clock_ticks_per_second();
    Some(Duration::from_millis(ticks * 1000 / hz))
}

/// Resident memory of a process, in MB (10^6 bytes).
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb * 1024.0 / 1e6)
}

/// Closes like the close button (SIGTERM) and reaps.
fn close(children: &mut [Child], pids: &[u32]) {
    for &pid in pids {
        if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for &pid in pids {
        while Path::new(&format!("/proc/{pid}/cmdline")).exists()
            && std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One window on `lab`: first frame, resident memory, idle CPU.
fn one_lab(x: &Xvfb, lab: &str) {
    one_lab_with(x, lab, lab, "");
}

/// One window on `lab` with `more` in its saved labs, reported as `what`.
fn one_lab_with(x: &Xvfb, lab: &str, what: &str, more: &str) {
    let home = home_with(lab, more);
    let started = Instant::now();
    let mut child = memlab(x, &home, &["--lab", lab])
        .spawn()
        .expect("start memlab");
    let pid = child.id();
    let first_frame = loop {
        if !visible(x, Some(pid)).is_empty() {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no window");
        std::thread::sleep(Duration::from_millis(5));
    };
    // Let it settle (the shared text attaches, the samplers fill).
    std::thread::sleep(Duration::from_secs(4));
    let rss = rss_mb(pid).unwrap_or(f64::NAN);
    let window = Duration::from_secs(10);
    let before = cpu_time(pid).unwrap_or_default();
    std::thread::sleep(window);
    let used = cpu_time(pid).unwrap_or_default().saturating_sub(before);
    println!(
        "{what:>16}: first frame {:>5.0} ms, resident {rss:>5.1} MB, idle CPU {:>4.2} % ({used:?} in {window:?})",
        first_frame.as_secs_f64() * 1e3,
        used.as_secs_f64() / window.as_secs_f64() * 100.0,
    );
    close(std::slice::from_mut(&mut child), &[pid]);
    let _ = std::fs::remove_dir_all(home);
}

/// `memlab --instances 4` until four windows sit still on their tiles.
fn four_instances(x: &Xvfb) {
    let home = home("four");
    let screen = Rect::new(0, 0, x.size.0, x.size.1);
    let mut tiles: Vec<Rect> = (0..4).map(|r| placement::tile(screen, r, 4)).collect();
    tiles.sort_by_key(|t| (t.y, t.x));
    let started = Instant::now();
    let mut launcher = memlab(x, &home, &["--instances", "4"])
        .spawn()
        .expect("start memlab");
    let (settled, ids) = loop {
        let ids = visible(x, None);
        let mut frames: Vec<Rect> = ids.iter().filter_map(|id| x.geometry(id)?.frame).collect();
        frames.sort_by_key(|f| (f.y, f.x));
        if frames == tiles {
            break (started.elapsed(), ids);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not tiled: {frames:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let pids: Vec<u32> = ids
        .iter()
        .filter_map(|id| {
            output(x.command("xdotool").args(["getwindowpid", id]))
                .trim()
                .parse()
                .ok()
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    // The roster read behind every list of windows (the gate, one
    // F_OFD_GETLK per held slot and per free gap, one pread).
    let reads = 10_000u32;
    let t = Instant::now();
    for _ in 0..reads {
        memlab_engine::desktop::instances::open_windows().expect("the roster");
    }
    let per_read = t.elapsed() / reads;
    // `memlab arrange` until every window has answered (they are on their
    // tiles already, so none moves).
    let mut arranges: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let status = memlab(x, &home, &["arrange"]).status().expect("arrange");
            assert!(status.success(), "memlab arrange: {status}");
            t.elapsed()
        })
        .collect();
    arranges.sort();
    println!(
        "roster read (open windows of the account): {:.1} µs; memlab arrange with four windows answering: median {:.2} s",
        per_read.as_secs_f64() * 1e6,
        arranges[2].as_secs_f64()
    );
    let rss: Vec<String> = pids
        .iter()
        .map(|&p| format!("{:.1}", rss_mb(p).unwrap_or(f64::NAN)))
        .collect();
    println!(
        "--instances 4: four windows on their tiles after {:.2} s; resident {} MB",
        settled.as_secs_f64(),
        rss.join(" / ")
    );
    close(std::slice::from_mut(&mut launcher), &pids);
    let _ = std::fs::remove_dir_all(home);
}

pub fn main() {
    // `cargo test` runs bench targets only with --benches; skip the long run
    // when invoked by the test harness with its arguments.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // The mutex lab's lock outlives its windows on purpose: remove it
    // afterwards if this run made it.
    let lock = memlab_engine::os::shm_object::objects_folder().join(
        memlab_engine::mutex::object_file_name(memlab_engine::mutex::DEFAULT_NAME),
    );
    let lock_was_there = lock.exists();
    let x = Xvfb::with_window_manager(1920, 1080);
    println!("memlab window, release build, Xvfb 1920x1080 + openbox, Mesa software OpenGL");
    // `LABS=page-lab,shared` measures only those labs (and not the four
    // instances).
    let only = std::env::var("LABS").ok();
    let wanted = |lab: &str| only.as_ref().is_none_or(|l| l.split(',').any(|w| w == lab));
    for lab in memlab::app::lab_ids() {
        let lab = lab.to_string();
        if wanted(&lab) {
            one_lab(&x, &lab);
        }
    }
    // The address-space map refreshing every second (target: 2 %).
    if wanted("address-map") {
        one_lab_with(
            &x,
            "address-map",
            "map, every 1 s",
            ",address_map:(every_second:true)",
        );
    }
    if only.is_none() {
        four_instances(&x);
    }
    if !lock_was_there {
        let _ = memlab_engine::mutex::remove_unused(memlab_engine::mutex::DEFAULT_NAME);
    }
}
