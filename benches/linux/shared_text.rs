//! The `shared_text` benchmark's body (Linux only, for now: docs/windows.md).

use std::collections::BTreeMap;
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

/// This machine's floor for any wake-up: a process asleep on a socket,
/// woken by another process's write after a pause long enough for the CPUs
/// to go idle (as between a class's saves). Half a round trip, so one
/// wake. On a virtual machine an idle virtual CPU is woken by the host:
/// here that took about 140 µs, against 9 µs with a core busy, and the
/// watch's latency on an idle machine follows it.
fn wake_floor() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let (mut here, mut there) = UnixStream::pair().expect("a socket pair");
    // SAFETY: only this thread runs now (the bench's first step), and the
    // child uses nothing but its socket, read, write and _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        drop(here);
        let mut byte = [0u8];
        while there.read_exact(&mut byte).is_ok() && there.write_all(&byte).is_ok() {}
        // SAFETY: ends the forked child without running the parent's exit code.
        unsafe { libc::_exit(0) };
    }
    drop(there);
    let mut samples = Vec::new();
    let mut byte = [0u8];
    for _ in 0..300 {
        std::thread::sleep(Duration::from_millis(5));
        let t = Instant::now();
        here.write_all(&[1]).unwrap();
        here.read_exact(&mut byte).unwrap();
        samples.push(t.elapsed() / 2);
    }
    drop(here);
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    report(
        &format!(
            "this machine's floor: a process woken through a socket after 5 ms asleep (load {:.2})",
            load_average()
        ),
        samples,
    );
}

/// From a save to every one of `count` `watch` processes printing it.
fn watch_latency(count: usize) {
    let name = name(&format!("watch{count}"));
    let shared = SharedText::open(&name).expect("open");
    let (tx, rx) = mpsc::channel();
    let mut watchers = Vec::new();
    for index in 0..count {
        let mut watcher = Command::new(BIN)
            .args(["shared", "--name", &name, "watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start memlab watch");
        let stdout = watcher.stdout.take().unwrap();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((index, line, Instant::now())).is_err() {
                    break;
                }
            }
        });
        watchers.push(watcher);
    }
    for _ in 0..count {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("first value");
    }
    let mut samples = Vec::new();
    for i in 0..300 {
        let text = format!("value {i}");
        let sent = Instant::now();
        shared.save(&text).unwrap();
        let mut seen = vec![false; count];
        let mut last = sent;
        while seen.iter().any(|s| !s) {
            let (index, line, at) = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("watch saw it");
            if line == text {
                seen[index] = true;
                last = last.max(at);
            }
        }
        samples.push(last - sent);
        // Let the watchers fall asleep again: the wake is what is measured.
        std::thread::sleep(Duration::from_millis(7));
    }
    for mut watcher in watchers {
        let _ = watcher.kill();
        let _ = watcher.wait();
    }
    let who = if count == 1 {
        "another process's watch".to_owned()
    } else {
        format!("every one of {count} watch processes")
    };
    report(&format!("save seen by {who}"), samples);
}

/// Voluntary context switches of each of `pid`'s threads, by thread name
/// (threads of one name summed): their wake-ups.
fn wake_ups_by_thread(pid: u32) -> BTreeMap<String, u64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for status in tasks.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("status")).ok())
    {
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
        };
        if let (Some(name), Some(Ok(count))) = (
            field("Name:"),
            field("voluntary_ctxt_switches:").map(str::parse::<u64>),
        ) {
            *by_name.entry(name.to_owned()).or_default() += count;
        }
    }
    by_name
}

/// The 1-minute load average (`/proc/loadavg`): CPU figures are said only
/// to mean something under [`QUIET_LOAD`] on this 2-core machine.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The load under which a CPU figure is taken as measured (above it, other
/// processes' work shows in the scheduler's accounting and the caches).
const QUIET_LOAD: f64 = 1.5;

/// Wake-ups per second and CPU of the processes `pids` over `window`, the
/// wake-ups per second of their threads by name, and the load average at
/// the end.
fn idle_cost(pids: &[u32], window: Duration) -> IdleCost {
    let threads = |pids: &[u32]| {
        let mut all = BTreeMap::<String, u64>::new();
        for &pid in pids {
            for (name, count) in wake_ups_by_thread(pid) {
                *all.entry(name).or_default() += count;
            }
        }
        all
    };
    let before = threads(pids);
    let cpu: Duration = pids.iter().filter_map(|&p| cpu_time(p)).sum();
    std::thread::sleep(window);
    let after = threads(pids);
    let cpu = pids.iter().filter_map(|&p| cpu_time(p)).sum::<Duration>() - cpu;
    let per_second = |n: u64| n as f64 / window.as_secs_f64();
    let by_thread: Vec<(String, f64)> = after
        .iter()
        .map(|(name, &n)| {
            let was = before.get(name).copied().unwrap_or(0);
            (name.clone(), per_second(n.saturating_sub(was)))
        })
        .filter(|(_, rate)| *rate > 0.0)
        .collect();
    IdleCost {
        wakes: by_thread.iter().map(|(_, rate)| rate).sum(),
        cpu: cpu.as_secs_f64() / window.as_secs_f64() * 100.0,
        by_thread,
        load: load_average(),
    }
}

struct IdleCost {
    /// Wake-ups per second, all threads.
    wakes: f64,
    /// Per cent of a core.
    cpu: f64,
    /// Wake-ups per second by thread name.
    by_thread: Vec<(String, f64)>,
    load: f64,
}

impl IdleCost {
    /// The CPU figure with the load it was taken at, or why it is not one.
    fn cpu_said(&self) -> String {
        if self.load < QUIET_LOAD {
            format!("CPU {:.2} % of a core (load {:.2})", self.cpu, self.load)
        } else {
            format!(
                "CPU {:.2} % of a core, NOT a measurement: load {:.2} >= {QUIET_LOAD} (other work on the machine)",
                self.cpu, self.load
            )
        }
    }

    fn threads_said(&self) -> String {
        self.by_thread
            .iter()
            .map(|(name, rate)| format!("{name} {rate:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn idle_watch() {
    let name = name("idle-watch");
    let mut watcher = Command::new(BIN)
        .args(["shared", "--name", &name, "watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start memlab watch");
    std::thread::sleep(Duration::from_secs(2));
    let window = Duration::from_secs(10);
    let cost = idle_cost(&[watcher.id()], window);
    println!(
        "idle `memlab shared watch`: {:.1} wake-ups/s (voluntary context switches of its threads), {} over {window:?}",
        cost.wakes,
        cost.cpu_said()
    );
    // SIGTERM ends `watch` as Ctrl+C does: it detaches, and the last to
    // leave removes the object (SIGKILL left one in /dev/shm a run); SIGKILL
    // only if it does not end in time.
    if let Some(pid) = rustix::process::Pid::from_raw(watcher.id() as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while watcher.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
}

/// CPU time of a process's threads, in nanoseconds: the first field of
/// each `/proc/PID/task/TID/schedstat` (the scheduler's own count; the
/// ticks of `/proc/PID/stat` come in 10 ms steps, too coarse for eight
/// idle windows over 10 s). Falls back to those ticks without schedstat.
fn cpu_time(pid: u32) -> Option<Duration> {
    let by_threads: Option<u64> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .map(|task| {
            let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum();
    if let Some(ns) = by_threads {
        return Some(Duration::from_nanos(ns));
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let hz = rustix::param::clock_ticks_per_second();
    Some(Duration::from_millis(ticks * 1000 / hz))
}

/// A home whose saved labs open the shared text on `mapping`, Live or not.
fn home(tag: &str, mapping: &str, live: bool) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!("memlab-bench-home-{tag}-{}", std::process::id()));
    let data = home.join(".local/share/memlab");
    std::fs::create_dir_all(&data).unwrap();
    let labs = format!("(shared:(name:{mapping:?},live:{live}))");
    std::fs::write(data.join("labs.ron"), format!("{{\"app\":{labs:?}}}")).unwrap();
    home
}

/// `count` windows on the shared text lab, one mapping, Live on or off:
/// their wake-ups per second and CPU together once they settled.
fn idle_windows(x: &Xvfb, count: usize, live: bool) {
    let mapping = name(&format!("window{count}-{live}"));
    let home = home(&format!("{count}-{live}"), &mapping, live);
    let mut apps: Vec<_> = (0..count)
        .map(|_| {
            Command::new(BIN)
                .args(["--lab", "shared"])
                .env("DISPLAY", &x.display)
                .env("HOME", &home)
                .env("XDG_DATA_HOME", home.join(".local/share"))
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start memlab")
        })
        .collect();
    // Let them settle (first frames, fonts, the attachment).
    std::thread::sleep(Duration::from_secs(4 + 2 * count as u64));
    let window = Duration::from_secs(10);
    let pids: Vec<u32> = apps.iter().map(|a| a.id()).collect();
    let cost = idle_cost(&pids, window);
    println!(
        "{count} idle window(s), shared text lab, Live {}: {:.1} wake-ups/s together ({:.1} per window; by thread: {}), {} together over {window:?}",
        if live { "on" } else { "off" },
        cost.wakes,
        cost.wakes / count as f64,
        cost.threads_said(),
        cost.cpu_said()
    );
    // SIGTERM closes a window like its close button, so it detaches and
    // removes its objects; SIGKILL only if it does not end in time.
    // The children are not reaped yet: the PIDs are still theirs.
    for app in &apps {
        if let Some(pid) = rustix::process::Pid::from_raw(app.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for app in &mut apps {
        while app.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = app.kill();
        let _ = app.wait();
    }
    let _ = std::fs::remove_dir_all(home);
}

fn idle_window_costs() {
    let Some(x) = Xvfb::try_start() else {
        println!("idle windows: not measured (no Xvfb; run .ci/test once to install it)");
        return;
    };
    idle_windows(&x, 1, false);
    idle_windows(&x, 1, true);
    idle_windows(&x, 8, true);
}

pub fn main() {
    // `cargo test` runs bench targets only with --benches; skip the long run
    // when invoked by the test harness with its arguments.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `SHARED_TEXT_IDLE_ONLY=1` measures only the idle costs (the watch and
    // the windows): the wake-ups are the figure a loaded machine keeps.
    if std::env::var("SHARED_TEXT_IDLE_ONLY").as_deref() != Ok("1") {
        uncontended_load();
        lock_hand_over();
        wake_floor();
        watch_latency(1);
        watch_latency(4);
    }
    println!(
        "load average (1 min) before the idle costs: {:.2}",
        load_average()
    );
    idle_watch();
    // `SHARED_TEXT_WINDOWS=0` leaves out the windows (a minute or two).
    if std::env::var("SHARED_TEXT_WINDOWS").as_deref() != Ok("0") {
        idle_window_costs();
    }
}
