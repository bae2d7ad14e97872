//! Pictures of what is on the screen, for the docs and the tests: a
//! window's pixels or the whole X screen (every window on it), saved as PNG
//! files.

use std::path::{Path, PathBuf};

#[cfg(target_os = "linux")]
use super::placement::x11::ScreenError;
use crate::error::{ErrorKind, HasKind};

/// Why a picture could not be taken or saved.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    /// The X server could not give the screen's pixels.
    #[cfg(target_os = "linux")]
    #[error(transparent)]
    Screen(#[from] ScreenError),
    #[error("capturing the whole screen needs X11 (Linux)")]
    NoScreenCapture,
}

impl HasKind for PictureError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Write { source, .. } => match source {
                image::ImageError::IoError(e)
                    if e.kind() == std::io::ErrorKind::StorageFull
                        || e.kind() == std::io::ErrorKind::FileTooLarge =>
                {
                    ErrorKind::NoSpace
                }
                _ => ErrorKind::Os,
            },
            #[cfg(target_os = "linux")]
            Self::Screen(e) => e.kind(),
            Self::NoScreenCapture => ErrorKind::Unsupported,
        }
    }
}

/// Writes `size` RGBA pixels as a PNG.
pub fn save_png(out: &Path, size: [usize; 2], rgba: &[u8]) -> Result<(), PictureError> {
    image::save_buffer(
        out,
        rgba,
        size[0] as u32,
        size[1] as u32,
        image::ExtendedColorType::Rgba8,
    )
    .map_err(|source| PictureError::Write {
        path: out.to_path_buf(),
        source,
    })
}

/// Saves the whole X screen as a PNG.
#[cfg(target_os = "linux")]
pub fn capture_screen(out: &Path) -> Result<(), PictureError> {
    let image = super::placement::x11::capture_screen()?;
    save_png(
        out,
        [image.width as usize, image.height as usize],
        &image.rgba,
    )
}

/// Saves the whole X screen (every window on it) as a PNG.
#[cfg(not(target_os = "linux"))]
pub fn capture_screen(_out: &Path) -> Result<(), PictureError> {
    Err(PictureError::NoScreenCapture)
}
