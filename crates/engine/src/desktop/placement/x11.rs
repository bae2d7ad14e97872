//! What the X server says about the screen: the work area (the screen less
//! panels and docks, `_NET_WORKAREA` of the window manager) on one monitor
//! (RandR), and a capture of the whole screen for the docs' pictures.

use x11rb::connection::Connection;
use x11rb::errors::{ConnectError, ConnectionError, ReplyError};
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, ImageFormat, ImageOrder, Window};
use x11rb::rust_connection::RustConnection;

use super::Rect;
use crate::error::{ErrorKind, HasKind};

/// Why the X server could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("no X display (DISPLAY is not set)")]
    NoDisplay,
    #[error("cannot connect to the X display {display:?}: {source}")]
    Connect {
        display: String,
        #[source]
        source: ConnectError,
    },
    #[error("the X server did not answer: {0}")]
    Connection(#[from] ConnectionError),
    #[error("the X server refused a request: {0}")]
    Reply(#[from] ReplyError),
    #[error(
        "the screen's pixels are {bits_per_pixel} bits at depth {depth}: only 24/32-bit colour is captured"
    )]
    PixelFormat { depth: u8, bits_per_pixel: u8 },
}

impl HasKind for ScreenError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NoDisplay | Self::Connect { .. } => ErrorKind::Unavailable,
            Self::Connection(_) | Self::Reply(_) => ErrorKind::Os,
            Self::PixelFormat { .. } => ErrorKind::Unsupported,
        }
    }
}

/// A screen capture: `width × height` RGBA pixels, row by row.
pub struct ScreenImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

struct Screen {
    conn: RustConnection,
    root: Window,
    size: Rect,
}

fn connect() -> Result<Screen, ScreenError> {
    let display = std::env::var("DISPLAY")
        .ok()
        .filter(|d| !d.is_empty())
        .ok_or(ScreenError::NoDisplay)?;
    let (conn, screen) = x11rb::connect(Some(&display))
        .map_err(|source| ScreenError::Connect { display, source })?;
    let root_screen = &conn.setup().roots[screen];
    let (root, width, height) = (
        root_screen.root,
        root_screen.width_in_pixels,
        root_screen.height_in_pixels,
    );
    Ok(Screen {
        conn,
        root,
        size: Rect::new(0, 0, u32::from(width), u32::from(height)),
    })
}

/// The work area of the monitor that holds the point `near` (the pointer's
/// monitor when `None`): the window manager's `_NET_WORKAREA` for the
/// current desktop, cut to that monitor. Without a window manager, the
/// monitor itself; a point on no monitor, the first one.
pub fn work_area(near: Option<(i32, i32)>) -> Result<Rect, ScreenError> {
    let screen = connect()?;
    let conn = &screen.conn;
    let near = match near {
        Some(point) => point,
        None => {
            let pointer = conn.query_pointer(screen.root)?.reply()?;
            (i32::from(pointer.root_x), i32::from(pointer.root_y))
        }
    };
    let all = monitors(&screen);
    let monitor = all
        .iter()
        .find(|m| m.contains_point(near.0, near.1))
        .or(all.first())
        .copied()
        .unwrap_or(screen.size);
    on_desktop(&screen, monitor)
}

/// The work area of the monitor that holds `point`, or `None` if no
/// monitor of the screen does (the point is off the screen).
pub fn work_area_at(point: (i32, i32)) -> Result<Option<Rect>, ScreenError> {
    let screen = connect()?;
    let monitor = monitors(&screen)
        .into_iter()
        .find(|m| m.contains_point(point.0, point.1));
    monitor.map(|m| on_desktop(&screen, m)).transpose()
}

/// `monitor` less the panels and docks of the current desktop.
fn on_desktop(screen: &Screen, monitor: Rect) -> Result<Rect, ScreenError> {
    let desktop_area = net_work_area(screen)?.unwrap_or(screen.size);
    Ok(desktop_area.intersection(&monitor).unwrap_or(monitor))
}

/// The active monitors (RandR), or the whole screen as one if the server
/// has no RandR 1.5.
fn monitors(screen: &Screen) -> Vec<Rect> {
    let whole = || vec![screen.size];
    let Ok(cookie) = screen.conn.randr_get_monitors(screen.root, true) else {
        return whole();
    };
    let Ok(reply) = cookie.reply() else {
        return whole();
    };
    let monitors: Vec<Rect> = reply
        .monitors
        .iter()
        .map(|m| {
            Rect::new(
                i32::from(m.x),
                i32::from(m.y),
                u32::from(m.width),
                u32::from(m.height),
            )
        })
        .filter(|m| m.width > 0 && m.height > 0)
        .collect();
    if monitors.is_empty() {
        whole()
    } else {
        monitors
    }
}

/// `_NET_WORKAREA` of the current desktop, if the window manager sets it.
fn net_work_area(screen: &Screen) -> Result<Option<Rect>, ScreenError> {
    let conn = &screen.conn;
    let atom = |name: &[u8]| -> Result<u32, ScreenError> {
        Ok(conn.intern_atom(true, name)?.reply()?.atom)
    };
    let (work_area, current) = (atom(b"_NET_WORKAREA")?, atom(b"_NET_CURRENT_DESKTOP")?);
    if work_area == x11rb::NONE {
        return Ok(None);
    }
    let cardinals = |property: u32| -> Result<Vec<u32>, ScreenError> {
        let reply = conn
            .get_property(false, screen.root, property, AtomEnum::CARDINAL, 0, 1024)?
            .reply()?;
        Ok(reply.value32().map(Iterator::collect).unwrap_or_default())
    };
    let desktop = if current == x11rb::NONE {
        0
    } else {
        cardinals(current)?.first().copied().unwrap_or(0) as usize
    };
    let areas = cardinals(work_area)?;
    let quad = areas
        .chunks_exact(4)
        .nth(desktop)
        .or_else(|| areas.chunks_exact(4).next());
    Ok(quad
        .map(|q| Rect::new(q[0] as i32, q[1] as i32, q[2], q[3]))
        .filter(|r| r.width > 0 && r.height > 0))
}

/// The window manager's name (`_NET_WM_NAME` of the window named by the
/// root's `_NET_SUPPORTING_WM_CHECK`), if one runs and says.
pub fn window_manager() -> Result<Option<String>, ScreenError> {
    let screen = connect()?;
    let conn = &screen.conn;
    let atom = |name: &[u8]| -> Result<u32, ScreenError> {
        Ok(conn.intern_atom(false, name)?.reply()?.atom)
    };
    let (check, name, utf8) = (
        atom(b"_NET_SUPPORTING_WM_CHECK")?,
        atom(b"_NET_WM_NAME")?,
        atom(b"UTF8_STRING")?,
    );
    let reply = conn
        .get_property(false, screen.root, check, AtomEnum::WINDOW, 0, 1)?
        .reply()?;
    let Some(wm) = reply.value32().and_then(|mut v| v.next()) else {
        return Ok(None);
    };
    let reply = conn.get_property(false, wm, name, utf8, 0, 256)?.reply()?;
    Ok((!reply.value.is_empty()).then(|| String::from_utf8_lossy(&reply.value).into_owned()))
}

/// Every pixel of the screen, as the X server shows it now.
pub fn capture_screen() -> Result<ScreenImage, ScreenError> {
    let screen = connect()?;
    let conn = &screen.conn;
    let (width, height) = (screen.size.width, screen.size.height);
    let reply = conn
        .get_image(
            ImageFormat::Z_PIXMAP,
            screen.root,
            0,
            0,
            width as u16,
            height as u16,
            !0,
        )?
        .reply()?;
    let bits_per_pixel = conn
        .setup()
        .pixmap_formats
        .iter()
        .find(|f| f.depth == reply.depth)
        .map_or(0, |f| f.bits_per_pixel);
    if !(reply.depth == 24 || reply.depth == 32) || bits_per_pixel != 32 {
        return Err(ScreenError::PixelFormat {
            depth: reply.depth,
            bits_per_pixel,
        });
    }
    // 32-bit pixels 0x00RRGGBB, stored in the server's byte order.
    let lsb_first = conn.setup().image_byte_order == ImageOrder::LSB_FIRST;
    let rgba = reply
        .data
        .chunks_exact(4)
        .flat_map(|p| {
            if lsb_first {
                [p[2], p[1], p[0], 255]
            } else {
                [p[1], p[2], p[3], 255]
            }
        })
        .collect();
    Ok(ScreenImage {
        width,
        height,
        rgba,
    })
}
