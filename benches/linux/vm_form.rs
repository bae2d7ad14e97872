//! The `vm_form` benchmark's body (Linux only, for now: docs/windows.md).

use std::time::{Duration, Instant};

use egui::{Event, MouseWheelUnit, Pos2, RawInput, Rect, vec2};
use memlab::forms::Lab;
use memlab::forms::vm::page_lab::PageLabForm;
use memlab_engine::i18n::Lang;
use memlab_engine::vm::pages::MAX_PAGES;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn stats(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {what}: p50={:?} p95={:?} max={:?}",
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        samples[samples.len() - 1]
    );
}

/// One window size and zoom: `frames` frames of the page lab.
fn measure(size: [f32; 2], zoom: f32, frames: usize) {
    let ctx = egui::Context::default();
    memlab::fonts::install(&ctx);
    ctx.set_pixels_per_point(zoom);
    let mut form = PageLabForm::default();
    form.demo_with(MAX_PAGES);
    let screen = Rect::from_min_size(Pos2::ZERO, vec2(size[0], size[1]));
    let pointer = Pos2::new(size[0] * 0.35, size[1] * 0.7);
    let mut frame = |events: Vec<Event>| {
        let input = RawInput {
            screen_rect: Some(screen),
            events,
            ..Default::default()
        };
        let t = Instant::now();
        let out = ctx.run_ui(input, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| form.ui(ui, Lang::En));
        });
        let ran = t.elapsed();
        let shapes = out.shapes.len();
        let t = Instant::now();
        let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        let tessellated = t.elapsed();
        let vertices: usize = primitives
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        (ran, tessellated, shapes, vertices, form.settled())
    };
    // The worker takes the demo's lab and sends its first view.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !frame(vec![Event::PointerMoved(pointer)]).4 {
        assert!(Instant::now() < deadline, "the page lab did not settle");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (mut ran, mut tessellated, mut total) = (Vec::new(), Vec::new(), Vec::new());
    let (mut shapes, mut vertices) = (0, 0);
    for i in 0..frames {
        // Down for half the frames, then back up.
        let dy = if i < frames / 2 { -40.0 } else { 40.0 };
        let wheel = Event::MouseWheel {
            unit: MouseWheelUnit::Point,
            delta: vec2(0.0, dy),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        };
        let (r, t, s, v, _) = frame(vec![Event::PointerMoved(pointer), wheel]);
        ran.push(r);
        tessellated.push(t);
        total.push(r + t);
        shapes = shapes.max(s);
        vertices = vertices.max(v);
    }
    println!(
        "page lab, {MAX_PAGES} pages, {}x{} points at zoom {zoom} ({frames} frames, up to {shapes} shapes, {vertices} vertices):",
        size[0], size[1]
    );
    stats("ui (run_ui)", ran);
    stats("tessellate", tessellated);
    stats("frame (both)", total);
    form.shutdown();
}

pub fn main() {
    measure([1920.0, 1080.0], 1.0, 300);
    measure([980.0, 640.0], 1.0, 300);
    measure([960.0, 540.0], 2.0, 300);
}
