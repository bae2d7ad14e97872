//! Real memlab windows under a private X server, as the window tests drive
//! them: a home of the test's own, the windows as xdotool, xwininfo and
//! `_NET_FRAME_EXTENTS` see them, waiting for them to settle, tiles, and
//! closing them like their close button. And a mount namespace with a
//! `/dev/shm` of the test's own ([`private_shm`]), so that its windows'
//! roster is theirs alone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memlab_engine::desktop::placement::{self, Rect};

use super::xvfb::Xvfb;

/// Gives the calling thread, and every thread and process it starts from
/// now on, a mount namespace of its own with an empty `/dev/shm` (a tmpfs,
/// 1777 like the real one) and an empty `/run/user`: the memlab windows a
/// test opens then have a roster (`memlab-windows.<uid>`) and objects of
/// their own, which the test may damage, count and check for litter
/// without touching any other memlab of the account (other tests, other
/// people's runs). Needs root (CI runs as root); the namespace goes when
/// the test's thread and the processes it started have ended.
pub fn private_shm() {
    assert!(
        super::is_root(),
        "this test needs root for a /dev/shm of its own (unshare -m): run it as root, as CI does"
    );
    let mount = |target: &std::ffi::CStr,
                 fstype: Option<&std::ffi::CStr>,
                 flags,
                 data: Option<&std::ffi::CStr>| {
        // SAFETY: C strings and null pointers, as mount(2) takes them.
        let rc = unsafe {
            libc::mount(
                fstype.map_or(std::ptr::null(), |_| c"tmpfs".as_ptr()),
                target.as_ptr(),
                fstype.map_or(std::ptr::null(), |f| f.as_ptr()),
                flags,
                data.map_or(std::ptr::null(), |d| d.as_ptr().cast()),
            )
        };
        assert_eq!(
            rc,
            0,
            "mount {target:?}: {}",
            std::io::Error::last_os_error()
        );
    };
    // SAFETY: unshare has no memory preconditions; it changes this thread's
    // mount namespace (and file system attributes) only.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNS) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNS): {}",
        std::io::Error::last_os_error()
    );
    mount(c"/", None, libc::MS_REC | libc::MS_PRIVATE, None);
    mount(c"/dev/shm", Some(c"tmpfs"), 0, Some(c"mode=1777,size=64m"));
    if Path::new("/run/user").is_dir() {
        mount(c"/run/user", Some(c"tmpfs"), 0, Some(c"mode=755,size=1m"));
    }
}

/// The names in this test's `/dev/shm` (see [`private_shm`]).
pub fn shm_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Waits (at most `timeout`) until `done` says so; panics naming `what`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
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

/// A folder of the test's own under the temporary folder, removed when the
/// test ends, failed or not.
pub struct Scratch(pub PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The windows of a test that failed may still run with this home,
        // and would write into it again as they close: close them first.
        let home = format!("HOME={}", self.0.display());
        let users: Vec<u32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == home.as_bytes()))
            })
            .collect();
        for &pid in &users {
            super::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while users.iter().any(|&pid| !is_zombie(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(tag: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("memlab-window-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A home of its own whose saved labs' state names a mapping of its own,
/// so that the test's windows share nothing with other memlabs.
pub fn home_with_mapping(tag: &str) -> (Scratch, String) {
    let home = tempdir(tag);
    let mapping = super::unique(tag);
    let data = home.join(".local/share/memlab");
    std::fs::create_dir_all(&data).unwrap();
    // labs.ron (as eframe's storage kept it): RON of key → RON value; "app" holds the labs.
    let labs = format!("(shared:(name:{mapping:?},live:false))");
    std::fs::write(data.join("labs.ron"), format!("{{\"app\":{labs:?}}}")).unwrap();
    (home, mapping)
}

/// `memlab ARGS` on `x`'s display with `home`, its output in files there.
pub fn memlab_on(x: &Xvfb, home: &Path, args: &[&str]) -> Command {
    let mut command = x.command(super::BIN);
    let log = |name: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join(name))
            .unwrap()
    };
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(log("stdout.log"))
        .stderr(log("stderr.log"));
    command
}

/// One memlab window as the X server and the window manager see it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: String,
    pub title: String,
    pub pid: u32,
    /// The frame: client area plus the window manager's decorations.
    pub frame: Rect,
}

pub fn output(command: &mut Command) -> String {
    let out = command.output().expect("run an X tool");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every visible memlab window.
pub fn windows(x: &Xvfb) -> Vec<Seen> {
    let ids = output(
        x.command("xdotool")
            .args(["search", "--onlyvisible", "--name", "^memlab"]),
    );
    ids.split_whitespace()
        .filter_map(|id| {
            let title = output(x.command("xdotool").args(["getwindowname", id]));
            let pid = output(x.command("xdotool").args(["getwindowpid", id]))
                .trim()
                .parse()
                .ok()?;
            let place = x.geometry(id)?;
            Some(Seen {
                id: id.to_owned(),
                title: title.trim().to_owned(),
                pid,
                frame: place.frame.unwrap_or(place.client),
            })
        })
        .collect()
}

/// Waits until `count` windows are visible and have not moved for a while.
pub fn settled(x: &Xvfb, count: usize, timeout: Duration) -> Vec<Seen> {
    let deadline = Instant::now() + timeout;
    let mut last: Option<(Vec<Rect>, Instant)> = None;
    loop {
        let mut seen = windows(x);
        seen.sort_by_key(|w| (w.frame.y, w.frame.x));
        let frames: Vec<Rect> = seen.iter().map(|w| w.frame).collect();
        if seen.len() == count {
            match &last {
                Some((before, since)) if *before == frames => {
                    if since.elapsed() > Duration::from_millis(1500) {
                        return seen;
                    }
                }
                _ => last = Some((frames, Instant::now())),
            }
        } else {
            last = None;
        }
        assert!(
            Instant::now() < deadline,
            "{count} settled windows within {timeout:?}; saw {seen:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The frames lie inside the screen and do not overlap.
pub fn assert_side_by_side(x: &Xvfb, seen: &[Seen]) {
    let screen = Rect::new(0, 0, x.size.0, x.size.1);
    for (i, a) in seen.iter().enumerate() {
        assert!(screen.contains(&a.frame), "{a:?} is not inside {screen:?}");
        for b in &seen[i + 1..] {
            assert!(!a.frame.overlaps(&b.frame), "{a:?} overlaps {b:?}");
        }
    }
}

/// True if the frames are the tiles of the whole screen, in some order.
pub fn on_tiles(x: &Xvfb, seen: &[Seen]) -> bool {
    let screen = Rect::new(0, 0, x.size.0, x.size.1);
    let mut frames: Vec<Rect> = seen.iter().map(|w| w.frame).collect();
    frames.sort_by_key(|r| (r.y, r.x));
    let mut tiles: Vec<Rect> = (0..seen.len())
        .map(|rank| placement::tile(screen, rank, seen.len()))
        .collect();
    tiles.sort_by_key(|t| (t.y, t.x));
    let near = |a: i64, b: i64| (a - b).abs() <= 2;
    frames.iter().zip(&tiles).all(|(f, t)| {
        near(f.x.into(), t.x.into())
            && near(f.y.into(), t.y.into())
            && near(f.right(), t.right())
            && near(f.bottom(), t.bottom())
    })
}

/// Waits until `count` windows sit still on the tiles of the screen.
pub fn tiled_within(x: &Xvfb, count: usize, timeout: Duration) -> Vec<Seen> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let seen = settled(x, count, left.max(Duration::from_secs(5)));
        if on_tiles(x, &seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "{count} windows on their tiles within {timeout:?}; saw {seen:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The frames are the tiles of the whole screen (openbox reserves no panel).
pub fn assert_tiled(x: &Xvfb, seen: &[Seen]) {
    assert_side_by_side(x, seen);
    let screen = Rect::new(0, 0, x.size.0, x.size.1);
    let mut tiles: Vec<Rect> = (0..seen.len())
        .map(|rank| placement::tile(screen, rank, seen.len()))
        .collect();
    tiles.sort_by_key(|t| (t.y, t.x));
    for (w, tile) in seen.iter().zip(&tiles) {
        let near = |a: i64, b: i64| (a - b).abs() <= 2;
        assert!(
            near(w.frame.x.into(), tile.x.into())
                && near(w.frame.y.into(), tile.y.into())
                && near(w.frame.right(), tile.right())
                && near(w.frame.bottom(), tile.bottom()),
            "{w:?} is not on its tile {tile:?}"
        );
    }
}

/// Closes windows like their close button would (SIGTERM), and waits.
pub fn close(seen: &[Seen], children: &mut [Child]) {
    for w in seen {
        super::kill(w.pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for w in seen {
        while std::path::Path::new(&format!("/proc/{}", w.pid)).exists() && !is_zombie(w.pid) {
            assert!(Instant::now() < deadline, "{w:?} did not close");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    for child in children {
        let _ = wait_with_timeout(child, Duration::from_secs(10));
    }
}

pub fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Starts `count` plain windows one after another.
pub fn start_by_hand(x: &Xvfb, home: &Path, count: usize) -> Vec<Child> {
    let mut children = Vec::new();
    for n in 1..=count {
        children.push(memlab_on(x, home, &[]).spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        while windows(x).len() < n {
            assert!(Instant::now() < deadline, "window {n} did not show");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    children
}

/// Saves the screen to `name` under the test's home (for a person to look
/// at when the test fails) and returns its pixels.
pub fn capture(x: &Xvfb, home: &Path, name: &str) -> image::RgbaImage {
    let out = home.join(name);
    let status = memlab_on(
        x,
        home,
        &["screenshot", "--screen", "--out", out.to_str().unwrap()],
    )
    .status()
    .unwrap();
    assert!(status.success(), "screenshot --screen: {status}");
    image::open(&out).expect("a PNG").to_rgba8()
}
