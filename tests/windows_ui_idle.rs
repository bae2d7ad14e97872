//! An idle window's UI thread sleeps under wine (issue 18: an idle window
//! costs next to nothing), run under wine by
//! `.ci/windows/test --test windows_ui_idle`.
//!
//! wine 8.0's defect, and the way memlab goes around it
//! (`memlab_engine::os::wine_paint`): when wine hands out the `WM_PAINT` of
//! an internal paint (`RedrawWindow(.., RDW_INTERNALPAINT)`, winit's way of
//! asking for a frame), it does not take that paint off the thread's
//! queue, whose `QS_PAINT` then stays set for good; winit's wait
//! (`MsgWaitForMultipleObjectsEx(.., QS_ALLINPUT, MWMO_INPUTAVAILABLE)`)
//! then returns at once, for ever, and the UI thread spins. The defect's
//! tests assert wine's behaviour and are meant to fail the day a wine
//! without it runs them (then the workaround can go); on Windows they fail
//! too, saying so: Windows counts the paint right.
//!
//! Wake-ups are counted as in `tests/windows_live_idle.rs`: wine's threads
//! are Linux threads and wine shows Linux's /proc on `Z:`, where a thread's
//! `voluntary_ctxt_switches` says how often it went to sleep.
//!
//! No libtest harness: the bare eframe window has to run on a process's
//! main thread (winit's rule), so this binary is also that window's
//! program (`--bare-window`). Every wait for a state has a generous
//! deadline; nothing sleeps and then asserts a state.

#[cfg(windows)]
mod wine;

#[cfg(windows)]
mod on_windows {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
    use windows_sys::Win32::Graphics::Gdi::{
        RDW_INTERNALPAINT, RDW_INVALIDATE, RDW_NOERASE, RDW_NOFRAME, REDRAW_WINDOW_FLAGS,
        RedrawWindow,
    };
    use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        CreateWindowExW, DefWindowProcW, DestroyWindow, DispatchMessageW, EnumWindows,
        GetQueueStatus, GetWindowThreadProcessId, IsWindowVisible, MSG, MWMO_INPUTAVAILABLE,
        MsgWaitForMultipleObjectsEx, PM_REMOVE, PeekMessageW, QS_ALLINPUT, QS_PAINT,
        RegisterClassW, WM_PAINT, WNDCLASSW, WS_OVERLAPPEDWINDOW, WS_VISIBLE,
    };

    use super::wine::{Killed, linux_processes_with, memlab, unique};

    /// How long an idle thread is watched.
    const IDLE: Duration = Duration::from_secs(10);
    /// A window's start, left out of the count: its first seconds after it
    /// shows draw its first frames (memlab.exe's UI thread: 1356, 187, 167,
    /// 80, then 19-36 a second, measured by hand).
    const WARM_UP: Duration = Duration::from_secs(5);
    /// Generous for a loaded 2-core machine under wine.
    const DEADLINE: Duration = Duration::from_secs(90);
    /// `WAIT_OBJECT_0 + 0` for a wait on no handles: the queue has input.
    const QUEUE_HAS_INPUT: u32 = 0;
    const WAIT_TIMEOUT: u32 = 258;

    /// How often the process's main thread (wine's UI thread: the Linux
    /// thread whose id is the process's) has gone to sleep so far.
    fn main_thread_sleeps(dir: &Path) -> u64 {
        let status = std::fs::read_to_string(
            dir.join("task")
                .join(dir.file_name().unwrap())
                .join("status"),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no voluntary_ctxt_switches in {status}"))
    }

    /// Sleeps of the main thread of `dir` a second, over [`IDLE`] after
    /// [`WARM_UP`].
    fn main_thread_sleeps_per_second(dir: &Path) -> u64 {
        let start = Instant::now();
        while start.elapsed() < WARM_UP {
            std::thread::sleep(WARM_UP - start.elapsed());
        }
        let before = main_thread_sleeps(dir);
        let start = Instant::now();
        while start.elapsed() < IDLE {
            std::thread::sleep(IDLE - start.elapsed());
        }
        (main_thread_sleeps(dir) - before) / IDLE.as_secs()
    }

    /// True once the Windows process `pid` shows a visible top-level window.
    fn shows_a_window(pid: u32) -> bool {
        struct Search {
            pid: u32,
            found: bool,
        }
        unsafe extern "system" fn each(hwnd: HWND, search: LPARAM) -> i32 {
            // SAFETY: the &mut Search passed below, alive during EnumWindows.
            let search = unsafe { &mut *(search as *mut Search) };
            let mut owner = 0u32;
            // SAFETY: a window handle EnumWindows gave and a live u32.
            unsafe { GetWindowThreadProcessId(hwnd, &mut owner) };
            // SAFETY: as above.
            if owner == search.pid && unsafe { IsWindowVisible(hwnd) } != 0 {
                search.found = true;
                return 0;
            }
            1
        }
        let mut search = Search { pid, found: false };
        // SAFETY: the callback only reads the handle and writes `search`.
        unsafe { EnumWindows(Some(each), &mut search as *mut Search as LPARAM) };
        search.found
    }

    fn wait_for_window(pid: u32, what: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !shows_a_window(pid) {
            assert!(
                Instant::now() < deadline,
                "{what} showed no window within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    unsafe extern "system" fn window_procedure(
        hwnd: HWND,
        message: u32,
        wparam: WPARAM,
        lparam: LPARAM,
    ) -> LRESULT {
        // SAFETY: the arguments the system gave, passed on.
        unsafe { DefWindowProcW(hwnd, message, wparam, lparam) }
    }

    /// One `MsgWaitForMultipleObjectsEx(.., 2 s, QS_ALLINPUT,
    /// MWMO_INPUTAVAILABLE)`, as winit waits, then the queue drained.
    #[derive(Debug)]
    struct Wait {
        result: u32,
        waited: Duration,
        /// Messages taken after it (sent ones are handled inside
        /// `PeekMessage` and not counted).
        taken: u32,
    }

    /// What a thread's queue shows after one paint of a window of its own,
    /// asked for with `flags` and handled as winit handles it
    /// (`DefWindowProc`, which validates).
    #[derive(Debug)]
    struct AfterOnePaint {
        paints_handed_out: u32,
        qs_paint_still_set: bool,
        waits: Vec<Wait>,
    }

    /// On a thread of its own: a queue of its own, which nothing else
    /// touches (a lost paint count stays with its thread). Waits up to
    /// `waits` times, stopping at the first that times out (a window just
    /// shown may still get a message or two from the X server).
    fn one_paint(flags: REDRAW_WINDOW_FLAGS, waits: usize) -> AfterOnePaint {
        std::thread::spawn(move || {
            let class: Vec<u16> = "memlab-paint-count\0".encode_utf16().collect();
            // SAFETY: null: this executable, loaded for the process's life.
            let instance = unsafe { GetModuleHandleW(std::ptr::null()) };
            let wc = WNDCLASSW {
                lpfnWndProc: Some(window_procedure),
                hInstance: instance,
                lpszClassName: class.as_ptr(),
                // SAFETY: all-zero is a valid WNDCLASSW (no icon, no cursor...).
                ..unsafe { std::mem::zeroed() }
            };
            // SAFETY: a filled class; registering it twice fails harmlessly.
            unsafe { RegisterClassW(&wc) };
            // SAFETY: a registered class name and plain arguments.
            let hwnd = unsafe {
                CreateWindowExW(
                    0,
                    class.as_ptr(),
                    class.as_ptr(),
                    WS_OVERLAPPEDWINDOW | WS_VISIBLE,
                    0,
                    0,
                    300,
                    200,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    instance,
                    std::ptr::null(),
                )
            };
            assert!(
                !hwnd.is_null(),
                "CreateWindowExW: {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: all-zero is a valid MSG.
            let mut msg: MSG = unsafe { std::mem::zeroed() };
            let drain = |msg: &mut MSG| {
                let (mut paints, mut count) = (0, 0);
                // SAFETY: a live MSG; this thread's queue.
                while unsafe { PeekMessageW(msg, std::ptr::null_mut(), 0, 0, PM_REMOVE) } != 0 {
                    paints += u32::from(msg.message == WM_PAINT);
                    count += 1;
                    // SAFETY: the message just taken.
                    unsafe { DispatchMessageW(msg) };
                    assert!(count < 1000, "the queue does not empty");
                }
                (paints, count)
            };
            // The window's first paint and the rest of its creation.
            drain(&mut msg);
            // SAFETY: a live window of this thread.
            let asked =
                unsafe { RedrawWindow(hwnd, std::ptr::null(), std::ptr::null_mut(), flags) };
            assert_ne!(
                asked,
                0,
                "RedrawWindow: {}",
                std::io::Error::last_os_error()
            );
            let (paints_handed_out, _) = drain(&mut msg);
            // SAFETY: plain call on this thread's queue.
            let qs_paint_still_set = (unsafe { GetQueueStatus(QS_PAINT) } >> 16) & QS_PAINT != 0;
            let mut all = Vec::new();
            for _ in 0..waits {
                let start = Instant::now();
                // SAFETY: no handles; this thread's queue.
                let result = unsafe {
                    MsgWaitForMultipleObjectsEx(
                        0,
                        std::ptr::null(),
                        2000,
                        QS_ALLINPUT,
                        MWMO_INPUTAVAILABLE,
                    )
                };
                let waited = start.elapsed();
                let (_, taken) = drain(&mut msg);
                all.push(Wait {
                    result,
                    waited,
                    taken,
                });
                if result == WAIT_TIMEOUT {
                    break;
                }
            }
            // SAFETY: this thread's window.
            unsafe { DestroyWindow(hwnd) };
            AfterOnePaint {
                paints_handed_out,
                qs_paint_still_set,
                waits: all,
            }
        })
        .join()
        .expect("the painting thread")
    }

    /// wine's defect, in a few lines of Win32: one internal paint, its
    /// `WM_PAINT` taken and handled, and the queue says `QS_PAINT` for
    /// good; the wait winit makes returns at once with nothing to take,
    /// five times in a row. (Windows: `QS_PAINT` clear, the wait sleeps.)
    pub fn wine_keeps_qs_paint_set_after_an_internal_paint() {
        let after = one_paint(RDW_INTERNALPAINT, 5);
        eprintln!("RDW_INTERNALPAINT: {after:?}");
        assert_eq!(after.paints_handed_out, 1, "{after:?}");
        let spun = |w: &Wait| {
            w.result == QUEUE_HAS_INPUT && w.waited < Duration::from_secs(1) && w.taken == 0
        };
        assert!(
            after.qs_paint_still_set && after.waits.len() == 5 && after.waits.iter().all(spun),
            "the defect is gone: after its WM_PAINT, an internal paint leaves the queue clear \
             ({after:?}); memlab_engine::os::wine_paint's workaround can go"
        );
    }

    /// The same paint asked for as memlab's workaround asks for it (an
    /// invalidation of the client area): counted right, the wait sleeps
    /// (2 s of quiet within ten waits).
    pub fn the_same_paint_as_an_invalidation_is_counted_right() {
        let after = one_paint(RDW_INVALIDATE | RDW_NOERASE | RDW_NOFRAME, 10);
        eprintln!("RDW_INVALIDATE: {after:?}");
        assert_eq!(after.paints_handed_out, 1, "{after:?}");
        assert!(
            !after.qs_paint_still_set && after.waits.iter().any(|w| w.result == WAIT_TIMEOUT),
            "an invalidation's paint left the queue busy: {after:?}"
        );
    }

    /// A bare eframe window (this binary, `--bare-window`), idle: its UI
    /// thread's sleeps a second, with or without memlab's workaround.
    fn bare_window_sleeps_per_second(worked_around: bool) -> u64 {
        let mark = unique(if worked_around { "bare-fixed" } else { "bare" });
        let mut args = vec!["--bare-window", mark.as_str()];
        if worked_around {
            args.push("--work-around");
        }
        let child = Command::new(std::env::current_exe().expect("this test's exe"))
            .args(&args)
            .stdout(Stdio::null())
            .spawn()
            .expect("the bare window");
        let pid = child.id();
        let _window = Killed(child);
        wait_for_window(pid, "the bare eframe window");
        let dirs = linux_processes_with(&[&mark]);
        assert_eq!(dirs.len(), 1, "the bare window's Linux process: {dirs:?}");
        main_thread_sleeps_per_second(dirs.first().unwrap())
    }

    /// wine's defect in the smallest eframe program (a window and a label,
    /// the features memlab builds eframe with): its UI thread spins,
    /// memlab or not. Measured 2026-12-06: tens of thousands a second.
    pub fn a_bare_eframe_window_spins_under_wine() {
        let rate = bare_window_sleeps_per_second(false);
        eprintln!("a bare eframe window, idle: its UI thread slept {rate} times a second");
        assert!(
            rate >= 2000,
            "the defect is gone: an idle bare eframe window's UI thread slept only {rate} \
             times a second; memlab_engine::os::wine_paint's workaround can go"
        );
    }

    /// memlab's workaround alone makes the same bare window sleep: 0 times
    /// a second measured after its warm-up (2026-12-06).
    pub fn the_workaround_makes_a_bare_eframe_window_sleep() {
        let rate = bare_window_sleeps_per_second(true);
        eprintln!("a bare eframe window with the workaround: {rate} times a second");
        assert!(
            rate <= 10,
            "an idle bare eframe window with the workaround slept {rate} times a second"
        );
    }

    /// memlab.exe's window, idle on a lab where nothing moves: its UI thread
    /// sleeps 0-30 times a second (at most 2.5 wake-ups, 400 ms apart, of
    /// some ten switches each under wine) where it spun at 68,000-88,000
    /// before. A little over three times the most is allowed, for a loaded
    /// machine.
    pub fn an_idle_memlab_window_s_ui_thread_sleeps() {
        let parts = ["memlab.exe", "--lab", "sysinfo"];
        let before = linux_processes_with(&parts);
        let child = memlab()
            .args(["--lab", "sysinfo"])
            .stdout(Stdio::null())
            .spawn()
            .expect("memlab.exe's window");
        let pid = child.id();
        let _window = Killed(child);
        wait_for_window(pid, "memlab.exe");
        let new: Vec<_> = linux_processes_with(&parts)
            .difference(&before)
            .cloned()
            .collect();
        assert_eq!(new.len(), 1, "memlab.exe's Linux process: {new:?}");
        let rate = main_thread_sleeps_per_second(&new[0]);
        eprintln!("memlab.exe's window, idle: its UI thread slept {rate} times a second");
        assert!(
            rate <= 100,
            "an idle memlab window's UI thread slept {rate} times a second"
        );
    }

    /// The bare window: a label, nothing animated; with `--work-around`,
    /// memlab's workaround first, as memlab.exe's `main` does.
    pub fn bare_window(work_around: bool) {
        if work_around {
            let done = memlab_engine::os::wine_paint::work_around().expect("the workaround");
            assert_eq!(done, memlab_engine::os::wine_paint::Workaround::Installed);
        }
        eframe::run_ui_native(
            "bare eframe window",
            eframe::NativeOptions::default(),
            |ui, _| {
                egui::CentralPanel::default().show(ui, |ui| ui.label("idle"));
            },
        )
        .expect("the bare window runs");
    }
}

#[cfg(windows)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bare-window") {
        on_windows::bare_window(args.iter().any(|a| a == "--work-around"));
        return;
    }
    let tests: [(&str, fn()); 5] = [
        (
            "wine_keeps_qs_paint_set_after_an_internal_paint",
            on_windows::wine_keeps_qs_paint_set_after_an_internal_paint,
        ),
        (
            "the_same_paint_as_an_invalidation_is_counted_right",
            on_windows::the_same_paint_as_an_invalidation_is_counted_right,
        ),
        (
            "a_bare_eframe_window_spins_under_wine",
            on_windows::a_bare_eframe_window_spins_under_wine,
        ),
        (
            "the_workaround_makes_a_bare_eframe_window_sleep",
            on_windows::the_workaround_makes_a_bare_eframe_window_sleep,
        ),
        (
            "an_idle_memlab_window_s_ui_thread_sleeps",
            on_windows::an_idle_memlab_window_s_ui_thread_sleeps,
        ),
    ];
    for (name, test) in tests {
        test();
        println!("test {name} ... ok");
    }
}

#[cfg(not(windows))]
fn main() {
    println!("test windows_ui_idle ... ignored, Windows (under wine) only");
}
