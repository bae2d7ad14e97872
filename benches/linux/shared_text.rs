//! The `shared_text` benchmark's body (Linux only, for now: docs/windows.md).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use memlab_engine::shared_text::SharedText;

#[path = "../../tests/common/xvfb.rs"]
#[allow(dead_code)]
mod xvfb;
use xvfb::Xvfb;

const BIN: &str = env!("CARGO_BIN_EXE_memlab");

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{what}: n={} mean={mean:?} p50={:?} p99={:?} max={:?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

fn name(tag: &str) -> String {
    format!("bench-{tag}-{}", std::process::id())
}

fn uncontended_load() {
    let shared = SharedText::open(&name("load")).expect("open");
    shared.save("벤치마크 benchmark").unwrap();
    for _ in 0..10_000 {
        std::hint::black_box(shared.load().unwrap());
    }
    let n = 200_000;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(shared.load().unwrap());
    }
    let per = start.elapsed() / n;
    println!("uncontended lock + read (load), batch of {n}: {per:?} per load");
    let samples = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(shared.load().unwrap());
            t.elapsed()
        })
        .collect();
    report("uncontended lock + read (load), timed one by one", samples);
}

/// The lock's hand-over, which the tests do not time (they would race the
/// scheduler): from the holder's release to a waiting `acquire` returning,
/// and how far past its timeout a refused `acquire` returns.
fn lock_hand_over() {
    use memlab_engine::os::timed_lock::{AcquireError, FileLock};
    use std::sync::Arc;
    let path = std::env::temp_dir().join(name("hand-over"));
    let holder = FileLock::open(&path).expect("lock file");
    let waiter = Arc::new(FileLock::open(&path).expect("lock file"));
    let mut samples = Vec::new();
    for _ in 0..200 {
        let held = holder.acquire(Duration::from_secs(5)).expect("holder");
        let (tx, rx) = mpsc::channel();
        let w = Arc::clone(&waiter);
        let thread = std::thread::spawn(move || {
            tx.send(()).unwrap();
            let _g = w.acquire(Duration::from_secs(60)).expect("waiter");
            Instant::now()
        });
        rx.recv().unwrap();
        // Let the waiter reach its back-off (up to 1 ms between attempts).
        std::thread::sleep(Duration::from_millis(20));
        let released = Instant::now();
        drop(held);
        samples.push(thread.join().unwrap() - released);
    }
    report("lock hand-over: release to a waiting acquire", samples);
    let held = holder.acquire(Duration::from_secs(5)).expect("holder");
    let mut late = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        match waiter.acquire(Duration::from_millis(50)) {
            Err(AcquireError::TimedOut(_)) => late.push(t.elapsed() - Duration::from_millis(50)),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
    drop(held);
    report("lock timeout of 50 ms: returned this much late", late);
    let _ = std::fs::remove_file(path);
}

fn watch_latency() {
    let name = name("watch");
    let shared = SharedText::open(&name).expect("open");
    let mut watcher = Command::new(BIN)
        .args(["shared", "--name", &name, "watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start memlab watch");
    let (tx, rx) = mpsc::channel();
    let stdout = watcher.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((line, Instant::now())).is_err() {
                break;
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("first value");
    let mut samples = Vec::new();
    for i in 0..300 {
        let text = format!("value {i}");
        let sent = Instant::now();
        shared.save(&text).unwrap();
        loop {
            let (line, at) = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("watch saw it");
            if line == text {
                samples.push(at - sent);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(7));
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    report("save seen by another process's watch", samples);
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

fn idle_window_cpu() {
    let Some(x) = Xvfb::try_start() else {
        println!("idle window CPU: not measured (no Xvfb; run .ci/test once to install it)");
        return;
    };
    let home = std::env::temp_dir().join(format!("memlab-bench-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut app = Command::new(BIN)
        .env("DISPLAY", &x.display)
        .env("HOME", &home)
        .env_remove("WAYLAND_DISPLAY")
        .spawn()
        .expect("start memlab");
    std::thread::sleep(Duration::from_secs(4));
    let window = Duration::from_secs(10);
    let before = cpu_time(app.id());
    std::thread::sleep(window);
    let after = cpu_time(app.id());
    if let (Some(before), Some(after)) = (before, after) {
        let used = after - before;
        println!(
            "idle window (shared text form open, Live off): {used:?} CPU in {window:?} = {:.2} %",
            used.as_secs_f64() / window.as_secs_f64() * 100.0
        );
    }
    // SIGTERM closes the window like its close button, so it detaches and
    // removes its objects; SIGKILL only if it does not end in time.
    // The child is not reaped yet: the PID is still its.
    if let Some(pid) = rustix::process::Pid::from_raw(app.id() as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = app.kill();
    let _ = app.wait();
    let _ = std::fs::remove_dir_all(home);
}

pub fn main() {
    // `cargo test` runs bench targets only with --benches; skip the long run
    // when invoked by the test harness with its arguments.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    uncontended_load();
    lock_hand_over();
    watch_latency();
    idle_window_cpu();
}
