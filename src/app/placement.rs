//! This window's place on the screen: restored at start under its number
//! and pulled back inside the screen if it is off it, remembered when it
//! closes, and moved to its tile when the windows are asked to arrange
//! themselves (each window moves itself: no window can move another
//! process's window on Wayland, and a window manager may refuse it on X11),
//! after which it answers whether it got there.
//!
//! It runs in eframe's `App::logic`, which runs also while the window is
//! hidden behind another (then no `ui` pass runs): a covered window moves
//! as soon as it is asked, not when it is raised.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui;

use crate::forms::widgets::StoppingThreads;
use memlab_engine::desktop::instances::{Arrangement, Outcome, WindowInstance};
use memlab_engine::desktop::placement::{self, Rect};
use memlab_engine::desktop::settings::{SettingsStore, WindowGeometry};
use memlab_engine::os::Doorbell;

use memlab_engine::desktop::placement::MAX_INNER;

/// The longest a window's watcher sleeps between looks at the table: a
/// request to arrange or word of changed settings wakes it (on Linux, a
/// futex on the table's count of changes); this is for what nothing
/// announces (its own entry or the table's magic damaged by someone).
const LIVENESS: Duration = Duration::from_secs(1);
/// How long a window keeps correcting its place (window managers move and
/// decorate a new window in several steps) before it answers that the
/// window system keeps it elsewhere.
const SETTLE_FOR: Duration = Duration::from_secs(6);
/// How long a window stays at its place before it answers that it is there.
const STAYED_FOR: Duration = Duration::from_millis(600);
/// How long after opening a window checks that it is inside the screen.
const CHECK_INSIDE_FOR: Duration = Duration::from_secs(3);
/// Pixels of difference still taken as "in place".
const SLACK: i64 = 2;
/// Window managers that let no X11 window choose its place, by the name
/// they give (`_NET_WM_NAME`): weston's window manager for XWayland places
/// X11 windows itself and leaves their X positions where they were mapped,
/// which is not where they show, so a window could neither move nor tell
/// where it is. (GNOME's Mutter and KDE's KWin move X11 windows as asked.)
const KEEPS_PLACES: [&str; 1] = ["Weston WM"];

/// A place to be in, until the window is there.
struct Target {
    arrangement: Option<Arrangement>,
    /// The window's outer rectangle to reach, once known (pixels).
    outer: Option<Rect>,
    since: Instant,
    last_try: Option<Instant>,
    /// When the window was first seen there.
    there_since: Option<Instant>,
}

/// The placement side of a window.
pub(super) struct WindowPlace {
    /// Holds the window's slot (the watcher thread polls through it too).
    instance: Arc<Mutex<WindowInstance>>,
    number: usize,
    arrived: Arc<Mutex<Option<Arrangement>>>,
    /// Another window changed the shared settings.
    settings_changed: Arc<AtomicBool>,
    _watcher: StoppingThreads,
    /// Rung when the window closes, to end the watcher's sleep.
    bell: Arc<Doorbell>,
    target: Option<Target>,
    /// When the window opened (its place is checked for a while after).
    opened: Instant,
    /// The window manager lets no window choose its place (asked once).
    manager_keeps_places: Option<bool>,
    /// The work area seen when it opened.
    opening_area: Option<Option<Rect>>,
    /// Where the window is now (pixels), and where it was last saved.
    now: Option<WindowGeometry>,
    saved: Option<WindowGeometry>,
    /// Points per pixel of the last pass, and the frame in which it last
    /// changed: in every pass of the frame a zoom takes effect (the first
    /// one, and Ctrl +/-), the window's rectangles are still in points of
    /// the old zoom (egui-winit measured them before the pass applied it;
    /// a frame can run a second pass on the same input), so they are not
    /// read.
    last_ppp: Option<f32>,
    zoom_frame: Option<u64>,
}

impl Drop for WindowPlace {
    /// Stops the watcher now: it may be asleep until the next change.
    fn drop(&mut self) {
        self._watcher.stop().raise();
        self.bell.ring();
    }
}

impl WindowPlace {
    /// Watches the roster for requests to arrange and word of changed
    /// settings, for `instance`'s window (and keeps its entry there whole).
    pub(super) fn new(instance: WindowInstance, ctx: &egui::Context) -> Self {
        let number = instance.number();
        let instance = Arc::new(Mutex::new(instance));
        let arrived = Arc::new(Mutex::new(None));
        let settings_changed = Arc::new(AtomicBool::new(false));
        let mut watcher = StoppingThreads::new();
        let bell = Arc::new(Doorbell::new());
        let table = match instance.lock() {
            Ok(instance) => instance.watcher().map_err(|e| e.to_string()),
            Err(_) => Err("the window's roster entry is poisoned".to_owned()),
        };
        let spawned = table.and_then(|table| {
            let (instance, arrived, changed, ctx, bell) = (
                instance.clone(),
                arrived.clone(),
                settings_changed.clone(),
                ctx.clone(),
                bell.clone(),
            );
            let watched = watcher.spawn("roster watcher", move |stop| {
                while !stop.is_raised() {
                    // Read before looking: a request written while it looks
                    // ends the wait below at once.
                    let (rung, seen) = (bell.rung(), table.changes());
                    if let Ok(Ok(polled)) = instance.lock().map(|mut i| i.poll()) {
                        if let Some(arrangement) = polled.arrangement
                            && let Ok(mut slot) = arrived.lock()
                        {
                            *slot = Some(arrangement);
                        }
                        if polled.settings_changed {
                            changed.store(true, Ordering::Relaxed);
                        }
                        if polled.arrangement.is_some() || polled.settings_changed {
                            ctx.request_repaint();
                        }
                    }
                    if !stop.is_raised() {
                        table.wait(seen, &bell, rung, LIVENESS);
                    }
                }
            });
            watched.map_err(|e| e.to_string())
        });
        if let Err(e) = spawned {
            eprintln!("memlab: cannot watch for arrange requests: {e}");
        }
        Self {
            instance,
            number,
            arrived,
            settings_changed,
            _watcher: watcher,
            bell,
            target: None,
            opened: Instant::now(),
            manager_keeps_places: None,
            opening_area: None,
            now: None,
            saved: None,
            last_ppp: None,
            zoom_frame: None,
        }
    }

    /// Called every frame: notes where the window is, pulls it inside the
    /// screen if it is off it in the first seconds, and moves it to its tile
    /// after a request.
    pub(super) fn frame(&mut self, ctx: &egui::Context) {
        let ppp = ctx.pixels_per_point();
        let frame_nr = ctx.cumulative_frame_nr();
        if self.last_ppp.replace(ppp) != Some(ppp) {
            self.zoom_frame = Some(frame_nr);
        }
        let zoomed = self.zoom_frame == Some(frame_nr);
        let rects = window_rects(ctx).filter(|_| !zoomed);
        let Some((outer, inner, scale)) = rects else {
            if zoomed {
                ctx.request_repaint();
            }
            if self.target.is_some() || self.opened.elapsed() < CHECK_INSIDE_FOR {
                ctx.request_repaint_after(Duration::from_millis(50));
            }
            return;
        };
        self.now = Some(WindowGeometry {
            x: outer.x,
            y: outer.y,
            width: inner.width,
            height: inner.height,
            frame_width: outer.width,
            frame_height: outer.height,
            scale,
        });
        if let Some(arrangement) = self.arrived.lock().ok().and_then(|mut a| a.take()) {
            if let Some(Target {
                arrangement: Some(before),
                ..
            }) = &self.target
            {
                // Superseded before it got there.
                self.answer(before.generation, Outcome::NotMoved);
            }
            self.target = Some(Target {
                arrangement: Some(arrangement),
                outer: None,
                since: Instant::now(),
                last_try: None,
                there_since: None,
            });
        }
        // The window manager frames a new window a moment after it shows:
        // check it for a while, not only on the first frame.
        if self.target.is_none() && self.opened.elapsed() < CHECK_INSIDE_FOR {
            ctx.request_repaint_after(Duration::from_millis(200));
            let area = *self
                .opening_area
                .get_or_insert_with(|| screen_area(ctx, outer));
            if let Some(area) = area
                && !area.contains(&outer)
            {
                self.target = Some(Target {
                    arrangement: None,
                    outer: Some(placement::pull_inside(outer, area)),
                    since: Instant::now(),
                    last_try: None,
                    there_since: None,
                });
            }
        }
        self.pursue(ctx, outer, inner);
    }

    /// True once (and then false until it happens again) when another
    /// window changed the shared settings.
    pub(super) fn take_settings_changed(&self) -> bool {
        self.settings_changed.swap(false, Ordering::Relaxed)
    }

    /// Tells the requester of arrangement `generation` what came of it.
    fn answer(&self, generation: u64, outcome: Outcome) {
        let answered = self
            .instance
            .lock()
            .map(|mut i| i.answer(generation, outcome));
        if let Ok(Err(e)) = answered {
            eprintln!("memlab: cannot answer the request to arrange: {e}");
        }
    }

    /// Moves towards the target until the window is there (or gives up),
    /// then answers the request it came from.
    fn pursue(&mut self, ctx: &egui::Context, outer: Rect, inner: Rect) {
        let Some(target) = &mut self.target else {
            return;
        };
        let generation = target.arrangement.map(|a| a.generation);
        if target.since.elapsed() > SETTLE_FOR {
            self.target = None;
            if let Some(generation) = generation {
                self.answer(generation, Outcome::NotMoved);
            }
            return;
        }
        if target.outer.is_none() {
            let arrangement = target.arrangement.expect("a target has one or the other");
            if *self
                .manager_keeps_places
                .get_or_insert_with(manager_keeps_places)
            {
                self.target = None;
                self.answer(arrangement.generation, Outcome::Refused);
                return;
            }
            let area = match arrangement.area {
                Some(asked) => safe_area(asked, ctx, outer),
                None => screen_area(ctx, outer),
            };
            let Some(area) = area else {
                self.target = None;
                self.answer(arrangement.generation, Outcome::NotMoved);
                return;
            };
            target.outer = Some(placement::tile(area, arrangement.rank, arrangement.count));
        }
        let goal = target.outer.expect("set above");
        if close(outer, goal) {
            // There; keep watching a moment, as the window manager may still
            // decorate or move it (not if it was there before it was asked).
            let there_since = *target.there_since.get_or_insert_with(Instant::now);
            if target.last_try.is_none() || there_since.elapsed() > STAYED_FOR {
                self.target = None;
                if let Some(generation) = generation {
                    self.answer(generation, Outcome::Placed);
                }
            } else {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
            return;
        }
        target.there_since = None;
        let due = target
            .last_try
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(150));
        if due {
            target.last_try = Some(Instant::now());
            move_to(ctx, goal, outer, inner);
        }
        ctx.request_repaint_after(Duration::from_millis(60));
    }

    /// Writes the window's place under its number if it moved since.
    pub(super) fn save(&mut self, store: &SettingsStore) {
        let Some(now) = self.now else { return };
        if self.saved == Some(now) {
            return;
        }
        match store.save_window(self.number, &now) {
            Ok(()) => self.saved = Some(now),
            Err(e) => eprintln!("memlab: {e}"),
        }
    }
}

/// The place saved for window `number`, pulled inside the screen's work
/// area, as the window builder's position and inner size (in points at
/// zoom 1). `on_x11`: the window system lets windows choose their place
/// (on Wayland only the size is taken). Never larger than [`MAX_INNER`]:
/// bytes in a file do not size a window.
pub(super) fn restored(
    store: &SettingsStore,
    number: usize,
    on_x11: bool,
) -> Option<(egui::Pos2, egui::Vec2)> {
    let saved = match store.load_window(number) {
        Ok(saved) => saved?,
        Err(e) => {
            eprintln!("memlab: {e}");
            return None;
        }
    };
    let scale = if saved.scale.is_finite() && (0.25..=8.0).contains(&saved.scale) {
        saved.scale
    } else {
        1.0
    };
    let largest = (MAX_INNER * scale) as u32;
    let mut frame = saved.frame();
    frame.width = frame.width.min(largest);
    frame.height = frame.height.min(largest);
    if on_x11 {
        let center = (
            frame.x.saturating_add((frame.width / 2) as i32),
            frame.y.saturating_add((frame.height / 2) as i32),
        );
        if let Some(area) = placement::work_area_near(center) {
            frame = placement::pull_inside(frame, area);
        }
    }
    let (width, height) = saved.inner_for(frame);
    let size = |pixels: u32| (pixels as f32 / scale).min(MAX_INNER);
    Some((
        egui::pos2(frame.x as f32 / scale, frame.y as f32 / scale),
        egui::vec2(size(width), size(height)),
    ))
}

/// The window's outer and inner rectangles in pixels, and the display's
/// pixels per point without zoom.
fn window_rects(ctx: &egui::Context) -> Option<(Rect, Rect, f32)> {
    let ppp = ctx.pixels_per_point();
    let (outer, inner, native) = ctx.input(|i| {
        let v = i.viewport();
        (v.outer_rect, v.inner_rect, v.native_pixels_per_point)
    });
    let to_px = |r: egui::Rect| {
        Rect::new(
            (r.min.x * ppp).round() as i32,
            (r.min.y * ppp).round() as i32,
            (r.width() * ppp).round().max(0.0) as u32,
            (r.height() * ppp).round().max(0.0) as u32,
        )
    };
    Some((to_px(outer?), to_px(inner?), native.unwrap_or(1.0)))
}

/// The work area of the window's monitor: the X server's, or else the
/// monitor's size (at the origin) as egui knows it.
fn screen_area(ctx: &egui::Context, outer: Rect) -> Option<Rect> {
    let center = (
        outer.x + (outer.width / 2) as i32,
        outer.y + (outer.height / 2) as i32,
    );
    if let Some(area) = placement::work_area_near(center) {
        return Some(area);
    }
    let ppp = ctx.pixels_per_point();
    let size = ctx.input(|i| i.viewport().monitor_size)?;
    Some(Rect::new(
        0,
        0,
        (size.x * ppp).round() as u32,
        (size.y * ppp).round() as u32,
    ))
}

/// True if the X server's window manager is one of [`KEEPS_PLACES`].
fn manager_keeps_places() -> bool {
    placement::window_manager_name().is_some_and(|name| KEEPS_PLACES.contains(&name.as_str()))
}

/// A requested work area made safe: the part of it on the monitor that
/// holds its centre, or this window's own work area if it lies on no
/// monitor. The roster's bytes are anyone's to write: an area of
/// 40000×60000, or random bytes, must not size a window past its monitor.
fn safe_area(asked: Rect, ctx: &egui::Context, outer: Rect) -> Option<Rect> {
    let own = screen_area(ctx, outer);
    let center = (
        (i64::from(asked.x) + i64::from(asked.width / 2)).clamp(i32::MIN.into(), i32::MAX.into())
            as i32,
        (i64::from(asked.y) + i64::from(asked.height / 2)).clamp(i32::MIN.into(), i32::MAX.into())
            as i32,
    );
    if let Some(monitor) = placement::monitor_work_area_at(center) {
        return asked.intersection(&monitor).or(own);
    }
    own.map(|own| asked.intersection(&own).unwrap_or(own))
}

/// The work area around this window, for a request to arrange.
pub(super) fn area_for_request(ctx: &egui::Context) -> Option<Rect> {
    let (outer, _, _) = window_rects(ctx)?;
    screen_area(ctx, outer)
}

fn close(a: Rect, b: Rect) -> bool {
    let near = |x: i64, y: i64| (x - y).abs() <= SLACK;
    near(a.x.into(), b.x.into())
        && near(a.y.into(), b.y.into())
        && near(a.width.into(), b.width.into())
        && near(a.height.into(), b.height.into())
}

/// Asks for the outer rectangle `goal`: the frame's corner at its corner,
/// the inside less the decorations seen now.
fn move_to(ctx: &egui::Context, goal: Rect, outer: Rect, inner: Rect) {
    let ppp = ctx.pixels_per_point();
    let (maximized, fullscreen) = ctx.input(|i| {
        let v = i.viewport();
        (v.maximized == Some(true), v.fullscreen == Some(true))
    });
    if fullscreen {
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
    }
    if maximized {
        ctx.send_viewport_cmd(egui::ViewportCommand::Maximized(false));
    }
    let extra_w = outer.width.saturating_sub(inner.width);
    let extra_h = outer.height.saturating_sub(inner.height);
    let width = goal.width.saturating_sub(extra_w).max(1);
    let height = goal.height.saturating_sub(extra_h).max(1);
    ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(egui::pos2(
        goal.x as f32 / ppp,
        goal.y as f32 / ppp,
    )));
    ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(egui::vec2(
        width as f32 / ppp,
        height as f32 / ppp,
    )));
}
