//! Where windows go: the tiles of a work area for windows side by side, and
//! a window pulled back inside the screen. Plain geometry in physical
//! pixels; `x11` asks the X server for the work area and the monitors,
//! `windows` asks Windows (`MonitorFromPoint` + `GetMonitorInfoW`).

#[cfg(windows)]
mod windows;
#[cfg(target_os = "linux")]
pub mod x11;

use serde::{Deserialize, Serialize};

/// The smallest window, in pixels: four fit on 1024×768 with a window
/// manager's frame (openbox adds 25 pixels of height).
pub const MIN_INNER: [f32; 2] = [480.0, 340.0];
/// A new window's size: half of a 1920×1080 screen's width.
pub const DEFAULT_INNER: [f32; 2] = [960.0, 600.0];
/// The largest window restored or asked for, in pixels (larger ones are a
/// damaged file, not a screen).
pub const MAX_INNER: f32 = 8192.0;

/// A rectangle in physical pixels (x to the right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// One past the last column.
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    /// One past the last row.
    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    /// True if `other` lies wholly inside this one.
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// True if the two share at least one pixel.
    pub fn overlaps(&self, other: &Rect) -> bool {
        i64::from(self.x) < other.right()
            && i64::from(other.x) < self.right()
            && i64::from(self.y) < other.bottom()
            && i64::from(other.y) < self.bottom()
    }

    /// True if the point lies inside.
    pub fn contains_point(&self, x: i32, y: i32) -> bool {
        x >= self.x && y >= self.y && i64::from(x) < self.right() && i64::from(y) < self.bottom()
    }

    /// The part both share, if any.
    pub fn intersection(&self, other: &Rect) -> Option<Rect> {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        (right > i64::from(x) && bottom > i64::from(y)).then(|| {
            Rect::new(
                x,
                y,
                (right - i64::from(x)) as u32,
                (bottom - i64::from(y)) as u32,
            )
        })
    }
}

/// Columns and rows for `count` windows: 2 side by side, 3 and 4 as a 2×2
/// grid, more in the most even grid (as many columns as rows, or one more).
pub fn grid(count: usize) -> (usize, usize) {
    match count {
        0 | 1 => (1, 1),
        2 => (2, 1),
        3 | 4 => (2, 2),
        n => {
            let cols = n.isqrt() + usize::from(n.isqrt().pow(2) < n);
            (cols, n.div_ceil(cols))
        }
    }
}

/// The tile of window `rank` (0-based, row by row) of `count` windows in
/// `area`. Tiles share edges and never overlap; together they fill the
/// grid's cells exactly.
pub fn tile(area: Rect, rank: usize, count: usize) -> Rect {
    let (cols, rows) = grid(count);
    let (col, row) = (rank % cols, (rank / cols).min(rows - 1));
    let cut = |start: i32, len: u32, parts: usize, i: usize| {
        let at = |k: usize| start as i64 + i64::from(len) * k as i64 / parts as i64;
        (at(i) as i32, (at(i + 1) - at(i)) as u32)
    };
    let (x, width) = cut(area.x, area.width, cols, col);
    let (y, height) = cut(area.y, area.height, rows, row);
    Rect::new(x, y, width, height)
}

/// `window` moved (and shrunk if it must be) to lie inside `area`, keeping
/// as much of its position as it can; unchanged if it is inside already.
pub fn pull_inside(window: Rect, area: Rect) -> Rect {
    let width = window.width.min(area.width);
    let height = window.height.min(area.height);
    let clamp = |pos: i32, len: u32, start: i32, room: u32| {
        let last = i64::from(start) + i64::from(room) - i64::from(len);
        i64::from(pos).clamp(i64::from(start), last) as i32
    };
    Rect::new(
        clamp(window.x, width, area.x, area.width),
        clamp(window.y, height, area.y, area.height),
        width,
        height,
    )
}

/// The work area of the pointer's monitor, if the window system says.
pub fn pointer_work_area() -> Option<Rect> {
    work_area(None)
}

/// The work area of the monitor at `point` (in pixels), if the window
/// system says.
pub fn work_area_near(point: (i32, i32)) -> Option<Rect> {
    work_area(Some(point))
}

/// The work area of the monitor that holds `point`; None if no monitor
/// does, or the window system does not say.
pub fn monitor_work_area_at(point: (i32, i32)) -> Option<Rect> {
    #[cfg(target_os = "linux")]
    {
        x11::work_area_at(point).ok().flatten()
    }
    #[cfg(windows)]
    {
        windows::work_area_at(point)
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = point;
        None
    }
}

/// The window manager's name (`_NET_WM_NAME` on X11), if there is one that
/// says.
pub fn window_manager_name() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        x11::window_manager().ok().flatten()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(target_os = "linux")]
fn work_area(near: Option<(i32, i32)>) -> Option<Rect> {
    x11::work_area(near).ok()
}

#[cfg(windows)]
fn work_area(near: Option<(i32, i32)>) -> Option<Rect> {
    windows::work_area(near)
}

#[cfg(not(any(target_os = "linux", windows)))]
fn work_area(_near: Option<(i32, i32)>) -> Option<Rect> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_follow_the_issue() {
        assert_eq!(grid(1), (1, 1));
        assert_eq!(grid(2), (2, 1));
        assert_eq!(grid(3), (2, 2));
        assert_eq!(grid(4), (2, 2));
        assert_eq!(grid(5), (3, 2));
        assert_eq!(grid(6), (3, 2));
        assert_eq!(grid(7), (3, 3));
        assert_eq!(grid(9), (3, 3));
        assert_eq!(grid(10), (4, 3));
        assert_eq!(grid(16), (4, 4));
    }

    #[test]
    fn tiles_fill_the_area_without_overlap() {
        for area in [
            Rect::new(0, 0, 1920, 1080),
            Rect::new(0, 0, 1024, 768),
            Rect::new(70, 28, 1211, 771),
            Rect::new(-1280, 0, 1280, 800),
        ] {
            for count in 1..=12 {
                let tiles: Vec<Rect> = (0..count).map(|r| tile(area, r, count)).collect();
                for (i, a) in tiles.iter().enumerate() {
                    assert!(area.contains(a), "{a:?} outside {area:?}");
                    for b in &tiles[i + 1..] {
                        assert!(!a.overlaps(b), "{a:?} and {b:?} overlap ({count})");
                    }
                }
                let (cols, rows) = grid(count);
                let cells: u64 = (0..cols * rows)
                    .map(|r| {
                        let t = tile(area, r, cols * rows);
                        u64::from(t.width) * u64::from(t.height)
                    })
                    .sum();
                assert_eq!(cells, u64::from(area.width) * u64::from(area.height));
            }
        }
        assert_eq!(
            tile(Rect::new(0, 0, 1024, 768), 3, 4),
            Rect::new(512, 384, 512, 384)
        );
        assert_eq!(
            tile(Rect::new(0, 0, 1920, 1080), 1, 2),
            Rect::new(960, 0, 960, 1080)
        );
    }

    #[test]
    fn a_window_off_the_screen_is_pulled_back_inside() {
        let small = Rect::new(0, 0, 1024, 768);
        // Saved on 1920×1080, right half: 90 pixels left on 1024×768.
        let saved = Rect::new(934, 400, 980, 640);
        let pulled = pull_inside(saved, small);
        assert!(small.contains(&pulled));
        assert_eq!(pulled, Rect::new(44, 128, 980, 640));
        // Larger than the screen: shrunk to it.
        assert_eq!(
            pull_inside(Rect::new(-5000, 10, 4000, 3000), small),
            Rect::new(0, 0, 1024, 768)
        );
        // Inside already: unchanged.
        let inside = Rect::new(10, 20, 300, 200);
        assert_eq!(pull_inside(inside, small), inside);
        assert_eq!(
            small.intersection(&Rect::new(1000, 700, 100, 100)),
            Some(Rect::new(1000, 700, 24, 68))
        );
        assert_eq!(small.intersection(&Rect::new(1024, 0, 10, 10)), None);
    }
}
