//! Live on Windows costs nothing while nothing changes (issue 18), under
//! wine by `.ci/windows/test --test windows_live_idle`: the shared text
//! form's monitor and `memlab.exe shared watch` sleep on their `Changed`
//! event and their bell's event together, and look by themselves once a
//! second. Yet nothing shows late: a save, a hold taken and given back, an
//! instance arriving and leaving in other processes set the event, so a
//! form that looks by itself only once an hour shows each of them.
//!
//! Wake-ups are counted as Linux counts them: wine's threads are Linux
//! threads, and wine shows Linux's /proc on its drive `Z:`, where each
//! thread's `voluntary_ctxt_switches` says how often it went to sleep (one
//! wait is about two under wine: the request to wineserver and the wait
//! itself). These tests need wine for that (they say so, and fail, on a
//! Windows without it). Every wait for a state has a generous deadline;
//! nothing sleeps and then asserts a state.
#![cfg(windows)]

mod wine;
use wine::{Killed, Retrying, memlab, next_line, proc_dir, unique};

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::shared_text::SharedTextForm;
use memlab_engine::i18n::Lang;
use memlab_engine::shared_text::{SAMPLE_TEXT, SharedText};

/// How long the idle threads are watched.
const IDLE: Duration = Duration::from_secs(10);
/// Generous for a loaded 2-core machine under wine.
const DEADLINE: Duration = Duration::from_secs(60);
/// The forms that must be woken look by themselves only this often.
const HOUR: Duration = Duration::from_secs(3600);

/// This process's /proc entry (wine resolves `Z:\proc\self` in
/// wineserver, not here): the process with a thread of a name of its own,
/// started here for the look.
fn own_proc_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // Linux keeps 15 bytes of a thread's name.
    let mark = format!("mark{nanos:09}{:02}", std::process::id() % 100);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (named_tx, named_rx) = mpsc::channel();
    let marker = std::thread::Builder::new()
        .name(mark.clone())
        .spawn(move || {
            named_tx.send(()).unwrap();
            let _ = done_rx.recv();
        })
        .unwrap();
    named_rx.recv().unwrap();
    let found = std::fs::read_dir(proc_dir()).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|dir| threads(dir).values().any(|(name, _)| *name == mark))
    });
    drop(done_tx);
    marker.join().unwrap();
    found.unwrap_or_else(|| panic!("no Linux process has the thread {mark:?}"))
}

/// The threads of the Linux process `dir` (a /proc entry): name and
/// voluntary context switches, by thread id.
fn threads(dir: &Path) -> BTreeMap<String, (String, u64)> {
    let Ok(tasks) = std::fs::read_dir(dir.join("task")) else {
        return BTreeMap::new();
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let tid = task.file_name().to_string_lossy().into_owned();
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            Some((
                tid,
                (
                    field("Name:")?,
                    field("voluntary_ctxt_switches:")?.parse().ok()?,
                ),
            ))
        })
        .collect()
}

/// How often the threads of `dir` whose name starts with `name` (all for
/// "") went to sleep while [`IDLE`] passed, summed over those that lived
/// throughout.
fn woke_while_idle(dir: &Path, name: &str) -> u64 {
    let before = threads(dir);
    let start = Instant::now();
    while start.elapsed() < IDLE {
        std::thread::sleep(IDLE - start.elapsed());
    }
    let after = threads(dir);
    before
        .iter()
        .filter(|(_, (n, _))| n.starts_with(name))
        .filter_map(|(tid, (_, was))| Some(after.get(tid)?.1.saturating_sub(*was)))
        .sum()
}

/// The tests that run a form in this process, one at a time: the idle
/// one counts this process's monitor threads.
static FORMS: Mutex<()> = Mutex::new(());

fn form(name: &str, every: Duration) -> Harness<'static, SharedTextForm> {
    let mut form = SharedTextForm::with_name(name).checking_every(every);
    form.live = true;
    Harness::builder()
        .with_size([900.0, 800.0])
        .with_context_setup(memlab::fonts::install)
        .build_ui_state(
            move |ui, form: &mut SharedTextForm| form.ui(ui, Lang::En),
            form,
        )
}

fn wait_until(
    harness: &mut Harness<'_, SharedTextForm>,
    what: &str,
    done: impl Fn(&Harness<'_, SharedTextForm>) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn shows(harness: &Harness<'_, SharedTextForm>, part: &str) -> bool {
    harness.query_all_by_label_contains(part).next().is_some()
}

fn text_of(harness: &Harness<'_, SharedTextForm>, label: &str) -> String {
    harness.get_by_label(label).value().unwrap_or_default()
}

/// A form in Live mode that nothing wakes: its monitor looks once a
/// second (two context switches under wine), where it refreshed the info
/// four times a second, each refresh trying all 64 slots' mutexes (about
/// 485 context switches a second, measured under wine). Twice the new
/// figure is allowed, for a loaded machine; the old one is 120 times over.
#[test]
fn an_idle_live_form_s_monitor_hardly_wakes() {
    let _alone = FORMS.lock().unwrap_or_else(|e| e.into_inner());
    let proc = own_proc_dir();
    let name = unique("idle-form");
    let mut one = form(&name, Duration::from_secs(1));
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE_TEXT
    });
    let me = format!("PID {} (", std::process::id());
    wait_until(&mut one, "the info panel", |h| shows(h, &me));
    let monitor = "shared-text mon";
    assert!(
        threads(&proc).values().any(|(n, _)| n.starts_with(monitor)),
        "no thread named {monitor:?} in {:?}",
        threads(&proc)
    );
    let woke = woke_while_idle(&proc, monitor);
    eprintln!("in {IDLE:?}: the monitor went to sleep {woke} times");
    let most = 4 * IDLE.as_secs();
    assert!(
        woke <= most,
        "an idle Live form's monitor went to sleep {woke} times in {IDLE:?}"
    );
    // Still following: a save shows.
    let other = SharedText::open(&name).unwrap();
    other.save("after the quiet").unwrap();
    wait_until(&mut one, "the save after the quiet", |h| {
        text_of(h, "Text") == "after the quiet"
    });
    one.state_mut().shutdown();
}

/// `memlab.exe shared watch` idle: one wait a second, as before (it waited
/// on its event already), now on its bell's event as well.
#[test]
fn an_idle_watch_hardly_wakes() {
    let name = unique("idle-watch");
    let mut child = memlab()
        .args(["shared", "--name", &name, "watch"])
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe shared watch");
    let lines = wine::lines_of(child.stdout.take().expect("piped"));
    let _watch = Killed(child);
    assert_eq!(next_line(&lines, "the first value"), SAMPLE_TEXT);
    let dir = wine::linux_processes_with(&[&name])
        .into_iter()
        .next()
        .expect("the watch's Linux process");
    let woke = woke_while_idle(&dir, "");
    eprintln!("in {IDLE:?}: the watch's threads went to sleep {woke} times");
    assert!(
        woke <= 4 * IDLE.as_secs(),
        "an idle watch went to sleep {woke} times in {IDLE:?}"
    );
    let keeper = SharedText::open(&name).unwrap();
    keeper.save("still watching").unwrap();
    assert_eq!(next_line(&lines, "the save"), "still watching");
}

/// A watch whose output is read for one line, then closed: it ends by
/// itself (properly: it leaves its slot) at its next print.
fn watch_read_once(name: &str) -> (Killed, u32) {
    let mut child = memlab()
        .args(["shared", "--name", name, "watch", "--check-every", "3600"])
        .stdout(Stdio::piped())
        .spawn_retrying()
        .expect("memlab.exe shared watch");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
        // The pipe's reading end closes here.
    });
    let first = rx.recv_timeout(DEADLINE).expect("the watch's first line");
    assert!(!first.is_empty(), "the watch ended at once");
    let pid = child.id();
    (Killed(child), pid)
}

/// The info panel and Live show what other processes do at once, though
/// the form looks by itself only once an hour: a save, a hold taken and
/// given back, an instance arriving and leaving.
#[test]
fn a_form_that_looks_once_an_hour_shows_others_at_once() {
    let _alone = FORMS.lock().unwrap_or_else(|e| e.into_inner());
    let name = unique("woken");
    let mut one = form(&name, HOUR);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE_TEXT
    });
    let me = format!("PID {} (", std::process::id());
    wait_until(&mut one, "the info panel", |h| shows(h, &me));

    // Saves by other processes.
    for round in 0..2 {
        let text = format!("창 밖에서 {round}");
        let saved = memlab()
            .args(["shared", "--name", &name, "save", &text])
            .output_retrying()
            .expect("memlab.exe shared save");
        assert!(saved.status.success(), "{saved:?}");
        wait_until(&mut one, "the other process's save", |h| {
            text_of(h, "Text") == text
        });
    }

    // An instance arrives (another process), then leaves properly.
    let (mut watch, pid) = watch_read_once(&name);
    let other = format!("PID {pid} (no window)");
    wait_until(&mut one, "the arrival in the panel", |h| shows(h, &other));
    // Its next print finds its output closed: it ends, and leaves.
    let keeper = SharedText::open(&name).unwrap();
    keeper.save("a print to fail").unwrap();
    let deadline = Instant::now() + DEADLINE;
    while watch.0.try_wait().expect("the watch's state").is_none() {
        assert!(Instant::now() < deadline, "the watch did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_until(&mut one, "the departure in the panel", |h| {
        !shows(h, &other)
    });

    // A hold taken, then given back.
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (held_tx, held_rx) = mpsc::channel();
        let holder = s.spawn(|| {
            keeper
                .hold(HOUR, &stop, move || held_tx.send(()).unwrap())
                .unwrap()
        });
        held_rx.recv_timeout(DEADLINE).expect("the hold taken");
        let held = format!("held by PID {}", std::process::id());
        wait_until(&mut one, "the hold in the panel", |h| shows(h, &held));
        stop.store(true, Ordering::Relaxed);
        holder.join().unwrap();
        wait_until(&mut one, "the lock free in the panel", |h| {
            !shows(h, &held) && shows(h, "free")
        });
    });
    one.state_mut().shutdown();
}

/// Closing the form ends its monitor's wait at once, though it would look
/// by itself only once an hour: the bell's event is waited on with the
/// `Changed` event. Its instance then leaves (another one sees it gone);
/// a monitor still asleep would keep it attached for the hour.
#[test]
fn closing_a_form_that_looks_once_an_hour_detaches_it_at_once() {
    let _alone = FORMS.lock().unwrap_or_else(|e| e.into_inner());
    let name = unique("close");
    let keeper = SharedText::open(&name).unwrap();
    let mut one = form(&name, HOUR);
    wait_until(&mut one, "the sample string", |h| {
        text_of(h, "Text") == SAMPLE_TEXT
    });
    let attached = || keeper.info().unwrap().attached.len();
    assert_eq!(attached(), 2);
    one.state_mut().shutdown();
    let deadline = Instant::now() + DEADLINE;
    while attached() != 1 {
        assert!(Instant::now() < deadline, "the closed form stayed attached");
        keeper.wait_for_change(keeper.change_counter().unwrap(), Duration::from_secs(1));
    }
}
