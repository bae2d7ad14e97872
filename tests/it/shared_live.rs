//! Live without polling (issue 18): a save wakes the watchers (a futex on
//! the change counter), so a save reaches `watch` and the window's Live
//! mode at once, and an idle watcher hardly ever wakes. Counts of wake-ups
//! are voluntary context switches from /proc, counted over a window of
//! time: an event count, not a wall-clock bound. The figures themselves
//! (latency, wake-ups per second, CPU) are `cargo bench --bench shared_text`'s.

use crate::common;

use std::time::{Duration, Instant};

use common::desk::{memlab_on, tempdir, wait_for};
use common::xvfb::Xvfb;
use common::{Running, SAMPLE, cleanup, shared, unique};

const WAIT: Duration = Duration::from_secs(30);
/// How long an idle watcher is watched.
const IDLE: Duration = Duration::from_secs(5);

/// The threads of process `pid`: (name, voluntary context switches, state).
fn threads(pid: u32) -> Vec<(String, u64, char)> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.ok()?.path().join("status")).ok()?;
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_owned())
            };
            Some((
                field("Name:")?,
                field("voluntary_ctxt_switches:")?.parse().ok()?,
                field("State:")?.chars().next()?,
            ))
        })
        .collect()
}

/// Voluntary context switches of `pid`'s threads whose name starts with
/// `name` (all of them for ""), summed.
fn switches(pid: u32, name: &str) -> u64 {
    threads(pid)
        .iter()
        .filter(|(n, _, _)| n.starts_with(name))
        .map(|(_, count, _)| count)
        .sum()
}

/// Waits until every thread of `pid` sleeps (the watch in its wait).
fn all_asleep(pid: u32) {
    wait_for("the watch asleep", WAIT, || {
        let threads = threads(pid);
        !threads.is_empty() && threads.iter().all(|(_, _, state)| *state == 'S')
    });
}

/// A watch that looks by itself only once an hour still prints another
/// process's save: the save woke it.
#[test]
fn a_save_from_another_process_wakes_a_sleeping_watch() {
    let name = unique("live-wake");
    let watcher = Running::shared(&name, &["watch", "--check-every", "3600"]);
    watcher.expect_line(SAMPLE, WAIT);
    all_asleep(watcher.pid());
    let saved = shared(&name, &["save", "깨워요 wake up"]);
    assert!(saved.status.success(), "{saved:?}");
    watcher.expect_line("깨워요 wake up", WAIT);
    // And again: each save wakes it.
    all_asleep(watcher.pid());
    let saved = shared(&name, &["save", "again"]);
    assert!(saved.status.success(), "{saved:?}");
    watcher.expect_line("again", WAIT);
    drop(watcher);
    cleanup(&name);
}

/// SIGTERM ends a sleeping `watch` at once, detached, its object removed
/// (it is the only instance), though it would look by itself only once an
/// hour: the signal handler rings the bell the watch sleeps on. (Before, the
/// kernel restarted the futex wait after the handler, and the watch ended
/// only at its next look: here an hour, past the deadline.)
#[test]
fn sigterm_ends_a_sleeping_watch_at_once_and_it_leaves_nothing() {
    let name = unique("live-sigterm");
    let mut watcher = Running::shared(&name, &["watch", "--check-every", "3600"]);
    watcher.expect_line(SAMPLE, WAIT);
    all_asleep(watcher.pid());
    watcher.signal(libc::SIGTERM);
    assert!(watcher.wait(WAIT).success());
    assert!(
        !common::object_path(&name).exists(),
        "the last instance to leave removes the object"
    );
    cleanup(&name);
}

/// An idle `watch` wakes about once a second (its checks), not every 2 ms
/// as the polling watch did (about 2 500 times in 5 s).
#[test]
fn an_idle_watch_hardly_wakes() {
    let name = unique("live-idle");
    let mut watcher = Running::shared(&name, &["watch"]);
    watcher.expect_line(SAMPLE, WAIT);
    all_asleep(watcher.pid());
    let before = switches(watcher.pid(), "");
    let start = Instant::now();
    while start.elapsed() < IDLE {
        std::thread::sleep(IDLE - start.elapsed());
    }
    let woke = switches(watcher.pid(), "") - before;
    assert!(woke < 30, "an idle watch woke {woke} times in {IDLE:?}");
    // Still watching, and still ends on SIGTERM.
    let saved = shared(&name, &["save", "after the quiet"]);
    assert!(saved.status.success(), "{saved:?}");
    watcher.expect_line("after the quiet", WAIT);
    watcher.signal(libc::SIGTERM);
    assert!(watcher.wait(WAIT).success());
}

/// A window in Live mode: its monitor thread sleeps until something the form
/// shows changes (a save, a hold, an instance arriving or leaving wakes it)
/// and otherwise looks once a second, where it polled every 10 ms (about
/// 500 times in 5 s) and later refreshed the info four times a second (20);
/// the window roster's watcher sleeps until a request to arrange or word of
/// changed settings wakes it, and otherwise looks once a second, where it
/// looked five times a second (25). Each may wake twice a second here (the
/// window's first seconds, a loaded machine). (That Live and the info panel
/// show another process's doings at once is `shared_info_woken`'s.)
#[test]
fn an_idle_live_window_hardly_wakes() {
    let name = unique("live-window");
    let home = tempdir("live-window");
    let data = home.0.join(".local/share/memlab");
    std::fs::create_dir_all(&data).unwrap();
    let labs = format!("(shared:(name:{name:?},live:true))");
    std::fs::write(data.join("labs.ron"), format!("{{\"app\":{labs:?}}}")).unwrap();
    let x = Xvfb::start();
    let mut window = memlab_on(&x, &home.0, &["--lab", "shared"])
        .spawn()
        .expect("memlab");
    let pid = window.id();
    let (monitor, roster) = ("shared-text mon", "roster watcher");
    wait_for("the window's monitor and roster threads", WAIT, || {
        let threads = threads(pid);
        [monitor, roster]
            .iter()
            .all(|t| threads.iter().any(|(n, _, _)| n.starts_with(t)))
    });
    let before = (
        switches(pid, monitor),
        switches(pid, roster),
        switches(pid, ""),
    );
    let start = Instant::now();
    while start.elapsed() < IDLE {
        std::thread::sleep(IDLE - start.elapsed());
    }
    let woke = (
        switches(pid, monitor) - before.0,
        switches(pid, roster) - before.1,
        switches(pid, "") - before.2,
    );
    eprintln!(
        "in {IDLE:?}: monitor {}, roster watcher {}, all threads {}",
        woke.0, woke.1, woke.2
    );
    let most = 2 * IDLE.as_secs();
    assert!(
        woke.0 <= most,
        "an idle Live window's monitor woke {} times in {IDLE:?}",
        woke.0
    );
    assert!(
        woke.1 <= most,
        "an idle window's roster watcher woke {} times in {IDLE:?}",
        woke.1
    );
    let _ = window.kill();
    let _ = window.wait();
    cleanup(&name);
}

/// Savers killed (SIGKILL) while saving as fast as they can, 750 times,
/// while a watch follows: after each kill a load gives the whole string of
/// a completed save (and names the dead holder when the kill came with the
/// lock held), the next saver is never blocked, and the watch printed only
/// whole strings and still follows.
#[test]
fn savers_killed_mid_save_750_times_lose_nothing_and_the_watch_follows() {
    use memlab_engine::shared_text::{SharedText, is_stress_text};
    let name = unique("live-kill");
    // Its object goes whatever happens: the killed savers cannot remove it.
    let _cleanup = common::Cleanup(name.clone());
    let watcher = Running::shared(&name, &["watch"]);
    watcher.expect_line(SAMPLE, WAIT);
    let mine = SharedText::open(&name).unwrap();
    let mut died_holding = 0;
    for round in 0..750 {
        let before = mine.change_counter().unwrap();
        let tag = format!("k{round}");
        let mut saver = common::memlab(&[
            "shared",
            "--name",
            &name,
            "stress",
            "--tag",
            &tag,
            "--saves",
            "1000000000",
            "--loads",
            "0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("memlab shared stress");
        // Until it has saved (this wait is itself woken by its saves).
        let deadline = Instant::now() + WAIT;
        while mine.change_counter() == Some(before) {
            assert!(Instant::now() < deadline, "{round}: the saver never saved");
            mine.wait_for_change(before, Duration::from_secs(1));
        }
        saver.kill().unwrap();
        saver.wait().unwrap();
        let loaded = mine.load().expect("a load after the kill");
        assert!(
            is_stress_text(&loaded.text),
            "{round}: a torn string {:?}",
            loaded.text
        );
        died_holding += usize::from(loaded.recovered_from.is_some());
    }
    assert!(died_holding > 0, "no kill came in the middle of a save");
    mine.save("after 750 kills").unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = watcher
            .line(left)
            .expect("the watch follows after the kills");
        if line == "after 750 kills" {
            break;
        }
        assert!(is_stress_text(&line), "the watch printed {line:?}");
    }
    eprintln!("{died_holding} of 750 savers died holding the lock");
}
