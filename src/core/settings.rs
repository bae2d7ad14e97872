//! What memlab remembers besides the labs' own state: the settings every
//! window shares (language, zoom, the selected lab, the presenter's text
//! size) in one small file, and each window's place on the screen in a file
//! of its own, named by its number, so that windows reopen side by side
//! instead of on top of each other.
//!
//! Files are replaced whole (written aside, then renamed), so a reader never
//! sees half a file, whichever window writes.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::placement::Rect;
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
        source: serde_json::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

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
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SettingsError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| SettingsError::Parse {
            path: path.to_path_buf(),
            line: source.line(),
            column: source.column(),
            source,
        })
}

/// Writes beside the file, then renames over it.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), SettingsError> {
    let failed = |source| SettingsError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let text = serde_json::to_string_pretty(value)
        .map_err(io::Error::other)
        .map_err(failed)?;
    let aside = path.with_extension(format!("json.{}.tmp", std::process::id()));
    std::fs::write(&aside, text)
        .and_then(|()| std::fs::rename(&aside, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&aside);
        })
        .map_err(failed)
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
}
