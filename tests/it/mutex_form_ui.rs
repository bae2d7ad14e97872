//! The mutex lab driven through its UI (egui_kittest): for each kind of
//! lock, a child really takes it and dies by SIGKILL, and the window's next
//! wait gets what that lock can give (acquired, told the owner died, or
//! stuck until reset); a live holder makes another window time out; waits
//! never freeze the window; in English and Korean.

#![cfg(target_os = "linux")]

use crate::common;
use common::Cleanup;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memlab::forms::Lab;
use memlab::forms::mutex::MutexLab;
use memlab_engine::i18n::Lang;

use common::ui::{lab_harness, shown_texts, shows, text_containing};
use common::{BIN, mutex_object_path, run, unique};

fn lab(name: &str, lang: Lang) -> Harness<'static, MutexLab> {
    lab_harness(
        MutexLab::with_name(name, Some(PathBuf::from(BIN))),
        lang,
        [1000.0, 900.0],
    )
}

/// A frame that waited for a lock would last the whole wait: the tests
/// whose lock is held or stuck set the form's longest wait (10 s, see
/// [`longest_wait`]), so that a frame is caught waiting by a bound of half
/// of it, far above what a loaded machine adds to a frame (milliseconds).
const WAITING_FRAME: Duration = Duration::from_secs(5);

/// Sets the form's wait for a lock to its longest, 10 s, as a user would.
fn longest_wait(h: &mut Harness<'_, MutexLab>) {
    common::ui::type_into(h, "Timeout (ms)", "10000");
    h.key_press(egui::Key::Enter);
    h.step();
    assert_eq!(h.state().timeout_ms, 10_000);
}

/// Steps until `done` holds (60 s at most), checking that no frame waits
/// for a lock; on a timeout, fails with every text shown.
fn wait_until<S>(h: &mut Harness<'_, S>, what: &str, done: impl Fn(&Harness<'_, S>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let frame = Instant::now();
        h.step();
        let took = frame.elapsed();
        assert!(
            took < WAITING_FRAME,
            "a frame took {took:?}: the window waited for a lock"
        );
        if done(h) {
            return;
        }
        if Instant::now() > deadline {
            let texts = shown_texts(h);
            panic!("timed out waiting for {what}; shown: {texts:#?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn click<S>(h: &mut Harness<'_, S>, label: &str) {
    h.get_by_label(label).click();
    h.step();
}

/// Picks the kind of lock.
fn pick<S>(h: &mut Harness<'_, S>, label: &str) {
    h.get_by_role_and_label(Role::RadioButton, label).click();
    h.step();
}

/// Crashes a holder of the chosen lock in a child; its PID.
fn crash(h: &mut Harness<'_, MutexLab>, button: &str, killed: &str) -> u32 {
    click(h, button);
    wait_until(h, "the crashed holder", |h| shows(h, killed));
    let line = text_containing(h, killed);
    line.split("PID ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no PID in {line:?}"))
}

const KILLED: &str = "was killed by signal 9 (SIGKILL)";

#[test]
fn the_file_lock_is_acquired_after_its_holder_is_killed_but_cannot_tell() {
    let name = unique("mxui-file");
    let _cleanup = Cleanup(name.clone());
    let mut h = lab(&name, Lang::En);
    pick(&mut h, "memlab's file lock");
    crash(&mut h, "Crash while holding", KILLED);
    click(&mut h, "Take (LockMap)");
    wait_until(&mut h, "the lock", |h| {
        shows(h, "acquired memlab's file lock after")
    });
    let line = text_containing(&h, "WaitForSingleObject: acquired");
    assert!(
        !line.contains("previous owner"),
        "a file lock cannot tell: {line}"
    );
    // ...yet the dead holder's half move is there, and nobody was told.
    assert!(
        line.contains("the guarded data is half-written (A 900 + B 0 = 900, not 1000), and this lock did not say so"),
        "{line}"
    );
    wait_until(&mut h, "the state", |h| {
        shows(h, "State: held by this instance")
    });
    click(&mut h, "Release (UnlockMap)");
    wait_until(&mut h, "the release", |h| {
        shows(h, "ReleaseMutex: released memlab's file lock")
    });
    h.state_mut().shutdown();
}

#[test]
fn the_robust_mutex_is_acquired_and_names_the_dead_owner() {
    let name = unique("mxui-robust");
    let _cleanup = Cleanup(name.clone());
    let mut h = lab(&name, Lang::En);
    pick(&mut h, "the robust pthread mutex");
    let pid = crash(&mut h, "Crash while holding", KILLED);
    wait_until(&mut h, "the abandoned state", |h| {
        shows(h, &format!("State: abandoned: PID {pid} died holding it"))
    });
    wait_until(&mut h, "the data the dead holder left", |h| {
        shows(
            h,
            "Guarded data: A 900 + B 0 = 900, not 1000: half-written (a move was begun and not finished)",
        )
    });
    click(&mut h, "Take (LockMap)");
    let told = format!("the previous owner (PID {pid}) died holding it (WAIT_ABANDONED)");
    wait_until(&mut h, "the lock, with the dead owner", |h| shows(h, &told));
    let line = text_containing(&h, &told);
    assert!(
        line.contains("the guarded data was half-written (A 900 + B 0 = 900, not 1000): memlab undid the dead holder's half move"),
        "{line}"
    );
    // Rolled back, then this holder's own move: whole again.
    wait_until(&mut h, "the data after the move", |h| {
        shows(h, "Guarded data: A 900 + B 100 = 1000")
    });
    h.state_mut().shutdown();
}

#[test]
fn raw_syncs_mutex_is_stuck_until_reset_and_the_window_never_waits() {
    let name = unique("mxui-raw");
    let _cleanup = Cleanup(name.clone());
    let mut h = lab(&name, Lang::En);
    longest_wait(&mut h);
    pick(&mut h, "raw_sync's mutex");
    let pid = crash(&mut h, "Crash while holding", KILLED);
    click(&mut h, "Take (LockMap)");
    wait_until(&mut h, "the wait shown while it lasts", |h| {
        shows(h, "WaitForSingleObject: waiting")
    });
    let stuck = format!("PID {pid} died holding it: only a reset frees it");
    wait_until(&mut h, "stuck", |h| shows(h, &stuck));
    assert!(shows(
        &h,
        "Stuck: its holder died and this lock cannot tell anyone"
    ));
    wait_until(&mut h, "the state", |h| {
        shows(h, &format!("State: stuck: PID {pid} died holding it"))
    });
    click(&mut h, "Reset");
    wait_until(&mut h, "the reset", |h| {
        shows(
            h,
            &format!(
                "re-initialised (its holder PID {pid} was dead); the guarded data was half-written (A 900 + B 0 = 900): put right (A 1000 + B 0 = 1000)"
            ),
        )
    });
    click(&mut h, "Take (LockMap)");
    wait_until(&mut h, "the lock after the reset", |h| {
        shows(h, "WaitForSingleObject: acquired raw_sync's mutex after")
    });
    assert!(!shows(&h, "Stuck: its holder died"));
    h.state_mut().shutdown();
}

#[test]
fn a_live_holder_makes_another_window_time_out_and_names_it() {
    let name = unique("mxui-live");
    let _cleanup = Cleanup(name.clone());
    // This process as a memlab window (on a display no real window has):
    // the holder is named by its window's number.
    use memlab_engine::desktop::instances::{Role, WindowDisplay, WindowInstance};
    let window =
        WindowInstance::join(&WindowDisplay::x11(unique("display")), Role::Window).unwrap();
    let number = window.number();
    let mut one = lab(&name, Lang::En);
    let mut two = lab(&name, Lang::En);
    longest_wait(&mut two);
    click(&mut one, "Take (LockMap)");
    wait_until(&mut one, "the lock", |h| {
        shows(h, "acquired memlab's file lock")
    });
    click(&mut two, "Take (LockMap)");
    let me = std::process::id();
    wait_until(&mut two, "the timeout", |h| {
        shows(h, "timed out after 10") && shows(h, &format!("held by window #{number} (PID {me})"))
    });
    // Reset refuses while a live process holds it.
    pick(&mut two, "the robust pthread mutex");
    click(&mut two, "Take (LockMap)");
    wait_until(&mut two, "the robust lock", |h| {
        shows(h, "acquired the robust pthread mutex")
    });
    pick(&mut one, "the robust pthread mutex");
    click(&mut one, "Reset");
    wait_until(&mut one, "the refusal", |h| {
        shows(
            h,
            &format!(
                "cannot reset the robust pthread mutex: window #{number} (PID {me}) is running and holds it"
            ),
        )
    });
    one.state_mut().shutdown();
    two.state_mut().shutdown();
    drop(window);
}

#[test]
fn the_lesson_reads_in_korean() {
    let name = unique("mxui-ko");
    let _cleanup = Cleanup(name.clone());
    let mut h = lab(&name, Lang::Ko);
    pick(&mut h, "견고한(robust) pthread 뮤텍스");
    let pid = crash(&mut h, "잡은 채 죽기", "신호 9 (SIGKILL) 때문에 죽었습니다");
    wait_until(&mut h, "the half-written data in Korean", |h| {
        shows(
            h,
            "지키는 데이터: A계좌 900 + B계좌 0 = 900, 1000이 아님: 반쯤 쓰임",
        )
    });
    click(&mut h, "잡기 (LockMap)");
    let told = format!("이전 소유자가 잡은 채 죽었습니다 (죽은 소유자: PID {pid}, WAIT_ABANDONED)");
    wait_until(&mut h, "the lock in Korean", |h| shows(h, &told));
    assert!(text_containing(&h, &told).contains("절반짜리 이체를 되돌렸습니다"));
    wait_until(&mut h, "the state in Korean", |h| {
        shows(h, "상태: 이 인스턴스가 잡고 있음")
    });
    click(&mut h, "놓기 (UnlockMap)");
    wait_until(&mut h, "the release in Korean", |h| {
        shows(h, "ReleaseMutex: 놓음 (견고한(robust) pthread 뮤텍스)")
    });
    h.state_mut().shutdown();
}

/// Every error of the lab reads in the window's language: in the Korean
/// window, a lock whose object someone truncated is "손상됨" on the state
/// line (which once showed the engine's English sentence: the watcher
/// flattened the error to a String) and in the failed take's log line.
#[test]
fn a_corrupt_lock_is_told_in_korean() {
    let name = unique("mxui-ko-broken");
    let _cleanup = Cleanup(name.clone());
    // The lock's object exists (a status makes it); then someone truncates it.
    let status = run(&["mutex", "--kind", "file", "--name", &name, "status"]);
    assert!(status.status.success(), "{status:?}");
    std::fs::File::options()
        .write(true)
        .open(mutex_object_path(&name))
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut h = lab(&name, Lang::Ko);
    click(&mut h, "잡기 (LockMap)");
    let state = "상태: 손상됨: 객체 크기 0바이트: 잠금 블록에 필요한 4096바이트보다 작습니다";
    wait_until(&mut h, "the corrupt state in Korean", |h| shows(h, state));
    wait_until(&mut h, "the failed take in Korean", |h| {
        shows(h, &format!("손상된 잠금 \"{name}\""))
    });
    let english: Vec<String> = shown_texts(&h)
        .into_iter()
        .filter(|t| {
            ["corrupt", "smaller than", "State:"]
                .iter()
                .any(|w| t.contains(w))
        })
        .collect();
    assert!(
        english.is_empty(),
        "English in the Korean window: {english:?}"
    );
    h.state_mut().shutdown();
}

#[test]
fn a_wait_out_of_range_is_clamped_and_the_form_says_why() {
    let name = unique("mxui-wait");
    let _cleanup = Cleanup(name.clone());
    let mut h = lab(&name, Lang::En);
    h.step();
    common::ui::type_into(&mut h, "Timeout (ms)", "60000");
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert_eq!(h.state().timeout_ms, 10_000);
    assert!(
        shows(
            &h,
            "the wait is 0 to 10000 ms; clamped to 10000 (typed 60000)"
        ),
        "the note says why"
    );
    h.state_mut().shutdown();
}
