//! What memlab remembers besides the labs' own state: the settings every
//! window shares (language, zoom, the selected lab, the presenter's text
//! size) in one small file, and each window's place on the screen in a file
//! of its own, named by its number, so that windows reopen side by side
//! instead of on top of each other.
//!
//! Files are replaced whole (written aside, then renamed), so a reader never
//! sees half a file, whichever window writes. They are read as what they
//! claim to be or not at all: opened without following a link and without
//! waiting (a FIFO), and read only if the descriptor is a regular file of a
//! sane size; anything else (a link to `/dev/zero`, a FIFO, a device, a
//! huge file) is "not memlab's settings", left alone until a setting
//! changes and the file is replaced by a regular one.
//!
//! The labs' own state (`labs.ron`) is kept here too, as eframe kept it
//! (RON: `{"app": "<the labs as RON>"}`), because eframe's storage reads
//! its file whole, following links and waiting on a FIFO, and writes it
//! through a link (`std::fs::File::create`, eframe 0.37
//! `native/file_storage.rs`).

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::placement::Rect;
use crate::error::{ErrorKind, HasKind};
use crate::i18n::Lang;

/// Zoom factors a window accepts (egui's Ctrl +/- steps stay inside).
pub const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.5..=3.0;

/// Settings shared by every window of the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedSettings {
    /// None until the user picks one: then the system locale decides.
    pub lang: Option<Lang>,
    /// egui's zoom factor (Ctrl +/-/0).
    pub zoom: f32,
    /// The id of the lab shown.
    pub lab: String,
    /// The presenter's text size, on top of the zoom.
    pub text_size: TextSize,
}

impl Default for SharedSettings {
    fn default() -> Self {
        Self {
            lang: None,
            zoom: 1.0,
            lab: String::new(),
            text_size: TextSize::Normal,
        }
    }
}

impl SharedSettings {
    /// The zoom, within [`ZOOM_RANGE`] (1.0 if it is not a number).
    pub fn zoom(&self) -> f32 {
        if self.zoom.is_finite() {
            self.zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end())
        } else {
            1.0
        }
    }
}

/// How large the text is, for a room: the font sizes only, where zoom
/// scales everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TextSize {
    /// egui's sizes (body text 12.5 points).
    #[default]
    Normal,
    Large,
    Larger,
}

impl TextSize {
    pub const ALL: [TextSize; 3] = [Self::Normal, Self::Large, Self::Larger];

    /// Factor on every font size.
    pub fn scale(self) -> f32 {
        match self {
            Self::Normal => 1.0,
            Self::Large => 1.25,
            Self::Larger => 1.5,
        }
    }
}

/// Where a window was: its frame's top-left corner, its inner size and its
/// frame's size (decorations included), in physical pixels, and the
/// display's pixels per point at the time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub frame_width: u32,
    #[serde(default)]
    pub frame_height: u32,
    pub scale: f32,
}

impl WindowGeometry {
    /// The frame: position and outer size (pixels).
    pub fn frame(&self) -> Rect {
        Rect::new(
            self.x,
            self.y,
            self.frame_width.max(self.width),
            self.frame_height.max(self.height),
        )
    }

    /// The same decorations around `frame`: the inner size that fits it.
    pub fn inner_for(&self, frame: Rect) -> (u32, u32) {
        let own = self.frame();
        (
            frame.width.saturating_sub(own.width - self.width),
            frame.height.saturating_sub(own.height - self.height),
        )
    }
}

/// The largest settings or window file read (they hold a few fields).
pub const MAX_SETTINGS_BYTES: u64 = 64 * 1024;
/// The largest labs file read (the labs' fields and results).
pub const MAX_LABS_BYTES: u64 = 16 * 1024 * 1024;

/// What was found under a settings file's name instead of a regular file
/// of a sane size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAFile {
    Symlink,
    Directory,
    Fifo,
    Socket,
    Device,
    TooLarge { size: u64, max: u64 },
}

impl std::fmt::Display for NotAFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Symlink => write!(f, "a symbolic link"),
            Self::Directory => write!(f, "a folder"),
            Self::Fifo => write!(f, "a FIFO"),
            Self::Socket => write!(f, "a socket"),
            Self::Device => write!(f, "a device"),
            Self::TooLarge { size, max } => {
                write!(
                    f,
                    "{size} bytes, more than the {max} a settings file may have"
                )
            }
        }
    }
}

/// Why a settings file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not memlab's settings (line {line}, column {column}); it is left as it is until a setting changes", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{} is not memlab's settings ({found}); it is left as it is until a setting changes", path.display())]
    NotAFile { path: PathBuf, found: NotAFile },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl HasKind for SettingsError {
    fn kind(&self) -> ErrorKind {
        match self {
            // Bytes that are not memlab's settings: left as they are.
            Self::Parse { .. } | Self::NotAFile { .. } => ErrorKind::Corrupt,
            Self::Read { .. } | Self::Write { .. } => ErrorKind::Os,
        }
    }
}

/// Where settings, window places and the labs' state are kept: on Unix
/// `$XDG_DATA_HOME/memlab` (an absolute `XDG_DATA_HOME`), else
/// `~/.local/share/memlab`; on Windows `%APPDATA%\memlab\data`, the folder
/// `eframe::storage_dir("memlab")` names. `None` without a home.
pub fn data_dir() -> Option<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        return absolute("APPDATA").map(|base| base.join("memlab").join("data"));
    }
    absolute("XDG_DATA_HOME")
        .or_else(|| absolute("HOME").map(|h| h.join(".local").join("share")))
        .map(|base| base.join("memlab"))
}

/// The key of the labs' state in `labs.ron` (eframe's `APP_KEY`).
const LABS_KEY: &str = "app";

/// The folder of the settings files.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    dir: PathBuf,
}

impl SettingsStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The shared settings file.
    pub fn shared_path(&self) -> PathBuf {
        self.dir.join("settings.json")
    }

    /// Window `number`'s geometry file.
    pub fn window_path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("window-{number}.json"))
    }

    /// The labs' state file.
    pub fn labs_path(&self) -> PathBuf {
        self.dir.join("labs.ron")
    }

    /// The shared settings (defaults if there is no file yet).
    pub fn load_shared(&self) -> Result<SharedSettings, SettingsError> {
        Ok(read_json(&self.shared_path())?.unwrap_or_default())
    }

    pub fn save_shared(&self, settings: &SharedSettings) -> Result<(), SettingsError> {
        write_json(&self.shared_path(), settings)
    }

    /// Where window `number` was when it last closed, if it ever did.
    pub fn load_window(&self, number: usize) -> Result<Option<WindowGeometry>, SettingsError> {
        read_json(&self.window_path(number))
    }

    pub fn save_window(
        &self,
        number: usize,
        geometry: &WindowGeometry,
    ) -> Result<(), SettingsError> {
        write_json(&self.window_path(number), geometry)
    }

    /// The labs' state as RON, if it was ever saved.
    pub fn load_labs(&self) -> Result<Option<String>, SettingsError> {
        let path = self.labs_path();
        let Some(text) = read_text(&path, MAX_LABS_BYTES)? else {
            return Ok(None);
        };
        let mut entries: HashMap<String, String> =
            ron::from_str(&text).map_err(|e| SettingsError::Parse {
                path: path.clone(),
                line: e.span.start.line,
                column: e.span.start.col,
                source: Box::new(e),
            })?;
        Ok(entries.remove(LABS_KEY))
    }

    /// Keeps the labs' state (`labs`, RON).
    pub fn save_labs(&self, labs: &str) -> Result<(), SettingsError> {
        let path = self.labs_path();
        let entries = HashMap::from([(LABS_KEY.to_owned(), labs.to_owned())]);
        let text = ron::ser::to_string_pretty(&entries, ron::ser::PrettyConfig::default())
            .map_err(|e| SettingsError::Write {
                path: path.clone(),
                source: io::Error::other(e),
            })?;
        write_text(&path, &text)
    }
}

/// The text of the file at `path` if it is a regular file of at most `max`
/// bytes (`None` if there is none); never follows a link, never waits.
fn read_text(path: &Path, max: u64) -> Result<Option<String>, SettingsError> {
    let file = match os::open_regular(path, max) {
        Ok(Some(file)) => file,
        Ok(None) => return Ok(None),
        Err(Refused::NotAFile(found)) => {
            return Err(SettingsError::NotAFile {
                path: path.to_path_buf(),
                found,
            });
        }
        Err(Refused::Io(source)) => {
            return Err(SettingsError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let read_error = |source| SettingsError::Read {
        path: path.to_path_buf(),
        source,
    };
    let not_a_file = |found| SettingsError::NotAFile {
        path: path.to_path_buf(),
        found,
    };
    let mut bytes = Vec::new();
    // One byte more than allowed: a file that grew meanwhile is refused too.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > max {
        return Err(not_a_file(NotAFile::TooLarge {
            size: bytes.len() as u64,
            max,
        }));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..valid];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        SettingsError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            source: Box::new(e.utf8_error()),
        }
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, SettingsError> {
    let Some(text) = read_text(path, MAX_SETTINGS_BYTES)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| SettingsError::Parse {
            path: path.to_path_buf(),
            line: source.line(),
            column: source.column(),
            source: Box::new(source),
        })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), SettingsError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| SettingsError::Write {
        path: path.to_path_buf(),
        source: io::Error::other(e),
    })?;
    write_text(path, &text)
}

/// Writes a new file beside `path` (never through a link planted there),
/// then renames it over `path`, which replaces whatever was there, a link
/// or a FIFO included, without following it.
fn write_text(path: &Path, text: &str) -> Result<(), SettingsError> {
    use std::io::Write;
    let failed = |source| SettingsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let aside = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let create = || os::create_new(&aside);
    let mut file = match create() {
        // Left by a process of this PID that died: ours to replace.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&aside);
            create()
        }
        other => other,
    }
    .map_err(failed)?;
    file.write_all(text.as_bytes())
        .and_then(|()| std::fs::rename(&aside, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&aside);
        })
        .map_err(failed)
}

/// Why a settings file was not opened.
enum Refused {
    NotAFile(NotAFile),
    Io(io::Error),
}

/// Opening and creating settings files without following links.
#[cfg(unix)]
mod os {
    use std::fs::File;
    use std::path::Path;

    use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};

    use super::{NotAFile, Refused};

    /// What `st` is, if not a regular file of at most `max` bytes.
    fn refused(st: &Stat, max: u64) -> Option<NotAFile> {
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile if st.st_size as u64 > max => Some(NotAFile::TooLarge {
                size: st.st_size as u64,
                max,
            }),
            FileType::RegularFile => None,
            FileType::Symlink => Some(NotAFile::Symlink),
            FileType::Directory => Some(NotAFile::Directory),
            FileType::Fifo => Some(NotAFile::Fifo),
            FileType::Socket => Some(NotAFile::Socket),
            _ => Some(NotAFile::Device),
        }
    }

    /// The file at `path` opened for reading if it is a regular file of at
    /// most `max` bytes (`None` if there is none): looked at first without
    /// following a link (opening a device may already do something), then
    /// opened without following one and without waiting (a FIFO), and
    /// checked again on the descriptor, which is what counts.
    pub(super) fn open_regular(path: &Path, max: u64) -> Result<Option<File>, Refused> {
        match rustix::fs::statat(CWD, path, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => {
                if let Some(found) = refused(&st, max) {
                    return Err(Refused::NotAFile(found));
                }
            }
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(Refused::Io(e.into())),
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        let fd = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(rustix::io::Errno::LOOP) => return Err(Refused::NotAFile(NotAFile::Symlink)),
            Err(e) => return Err(Refused::Io(e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Refused::Io(e.into()))?;
        match refused(&st, max) {
            Some(found) => Err(Refused::NotAFile(found)),
            None => Ok(Some(File::from(fd))),
        }
    }

    /// A new file (owner-only) at `path`, never through a link there.
    pub(super) fn create_new(path: &Path) -> std::io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    }
}

/// Opening and creating settings files elsewhere: the same checks on the
/// file's metadata, without the descriptor's second look.
#[cfg(not(unix))]
mod os {
    use std::fs::File;
    use std::path::Path;

    use super::{NotAFile, Refused};

    pub(super) fn open_regular(path: &Path, max: u64) -> Result<Option<File>, Refused> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Refused::Io(e)),
        };
        let kind = meta.file_type();
        let found = if kind.is_symlink() {
            Some(NotAFile::Symlink)
        } else if kind.is_dir() {
            Some(NotAFile::Directory)
        } else if !kind.is_file() {
            Some(NotAFile::Device)
        } else if meta.len() > max {
            Some(NotAFile::TooLarge {
                size: meta.len(),
                max,
            })
        } else {
            None
        };
        match found {
            Some(found) => Err(Refused::NotAFile(found)),
            None => File::open(path).map(Some).map_err(Refused::Io),
        }
    }

    pub(super) fn create_new(path: &Path) -> std::io::Result<File> {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store(tag: &str) -> (SettingsStore, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("memlab-unit-settings-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (SettingsStore::new(&dir), dir)
    }

    #[test]
    fn shared_settings_and_window_places_round_trip() {
        let (store, dir) = temp_store("round-trip");
        assert_eq!(store.load_shared().unwrap(), SharedSettings::default());
        assert_eq!(store.load_window(1).unwrap(), None);
        let settings = SharedSettings {
            lang: Some(Lang::Ko),
            zoom: 1.5,
            lab: "alloc-bench".into(),
            text_size: TextSize::Larger,
        };
        store.save_shared(&settings).unwrap();
        assert_eq!(store.load_shared().unwrap(), settings);
        let one = WindowGeometry {
            x: 0,
            y: 0,
            width: 958,
            height: 515,
            frame_width: 960,
            frame_height: 540,
            scale: 1.0,
        };
        assert_eq!(one.frame(), Rect::new(0, 0, 960, 540));
        assert_eq!(one.inner_for(Rect::new(0, 0, 512, 384)), (510, 359));
        let two = WindowGeometry { x: 960, ..one };
        store.save_window(1, &one).unwrap();
        store.save_window(2, &two).unwrap();
        assert_eq!(store.load_window(1).unwrap(), Some(one));
        assert_eq!(store.load_window(2).unwrap(), Some(two));
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_reported_with_its_place_and_left_alone() {
        let (store, dir) = temp_store("damaged");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(store.shared_path(), "{\n  \"zoom\": oops\n}").unwrap();
        match store.load_shared() {
            Err(SettingsError::Parse { line, path, .. }) => {
                assert_eq!((line, path), (2, store.shared_path()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(store.shared_path()).unwrap(),
            "{\n  \"zoom\": oops\n}"
        );
        // Unknown and missing fields are fine: older and newer memlabs share it.
        std::fs::write(store.shared_path(), r#"{"zoom": 9.0, "future": 1}"#).unwrap();
        let loaded = store.load_shared().unwrap();
        assert_eq!((loaded.zoom(), loaded.lab.as_str()), (3.0, ""));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Settings, window and labs files that are a link to /dev/zero, a
    /// FIFO, a folder or a huge file are "not memlab's settings": refused
    /// at once (no read of /dev/zero's endless bytes, no wait on the FIFO),
    /// and replaced by a regular file, the link's target untouched, when a
    /// setting is written.
    #[test]
    #[cfg(unix)]
    fn what_is_not_a_regular_file_of_sane_size_is_not_read() {
        let (store, dir) = temp_store("hostile");
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        let fifo = |path: &Path| {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                path,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap();
        };
        type Make<'a> = &'a dyn Fn(&Path);
        let cases: [(&str, Make, NotAFile); 5] = [
            (
                "zero",
                &|p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
                NotAFile::Symlink,
            ),
            (
                "link",
                &|p| std::os::unix::fs::symlink(&target, p).unwrap(),
                NotAFile::Symlink,
            ),
            ("fifo", &fifo, NotAFile::Fifo),
            (
                "folder",
                &|p| std::fs::create_dir(p).unwrap(),
                NotAFile::Directory,
            ),
            (
                "huge",
                &|p| {
                    let f = std::fs::File::create(p).unwrap();
                    f.set_len(MAX_LABS_BYTES + 1).unwrap();
                },
                NotAFile::TooLarge {
                    size: MAX_LABS_BYTES + 1,
                    max: MAX_LABS_BYTES,
                },
            ),
        ];
        for (tag, make, found) in cases {
            for path in [store.shared_path(), store.window_path(3), store.labs_path()] {
                make(&path);
                let refused = match path.extension().and_then(|e| e.to_str()) {
                    Some("ron") => store.load_labs().map(|_| ()),
                    _ if path == store.shared_path() => store.load_shared().map(|_| ()),
                    _ => store.load_window(3).map(|_| ()),
                };
                let expected = match found {
                    NotAFile::TooLarge { size, .. }
                        if path.extension().is_some_and(|e| e == "json") =>
                    {
                        NotAFile::TooLarge {
                            size,
                            max: MAX_SETTINGS_BYTES,
                        }
                    }
                    other => other,
                };
                match refused {
                    Err(SettingsError::NotAFile { path: p, found: f }) => {
                        assert_eq!((p, f), (path.clone(), expected), "{tag}")
                    }
                    other => panic!("{tag} {}: {other:?}", path.display()),
                }
                if found == NotAFile::Directory {
                    std::fs::remove_dir(&path).unwrap();
                    continue;
                }
                // Written: a regular file takes its place.
                let place = WindowGeometry {
                    x: 0,
                    y: 0,
                    width: 500,
                    height: 400,
                    frame_width: 0,
                    frame_height: 0,
                    scale: 1.0,
                };
                match path.extension().and_then(|e| e.to_str()) {
                    Some("ron") => store.save_labs("(x: 1)").unwrap(),
                    _ if path == store.shared_path() => {
                        store.save_shared(&SharedSettings::default()).unwrap()
                    }
                    _ => store.save_window(3, &place).unwrap(),
                }
                let meta = std::fs::symlink_metadata(&path).unwrap();
                assert!(meta.file_type().is_file(), "{tag} {}", path.display());
                std::fs::remove_file(&path).unwrap();
            }
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        store.save_labs("(shared: (name: \"x\"))").unwrap();
        assert_eq!(
            store.load_labs().unwrap().as_deref(),
            Some("(shared: (name: \"x\"))")
        );
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
