//! Live numbers without a live CPU bill. A lab that shows numbers that keep
//! changing asks for its next repaint through [`LiveRefresh`]: at most a few
//! times a second, and less often when a frame is expensive (software
//! OpenGL on a large window costs ~10 ms of CPU a frame), so that redrawing
//! never costs more than its budget of one core.

use std::time::{Duration, Instant};

use eframe::egui;

use memlab_engine::os::clock::process_cpu_time;

/// Schedules the repaints of a live display.
pub struct LiveRefresh {
    min_period: Duration,
    max_period: Duration,
    /// Share of one core the redraws may use (0.015 = 1.5 %).
    budget: f64,
    last: Option<(Instant, Duration)>,
    period: Duration,
}

impl LiveRefresh {
    /// Repaints every `min_period` at most, and as rarely as needed to stay
    /// within `budget` of one core (up to 5 s apart).
    pub fn new(min_period: Duration, budget: f64) -> Self {
        Self {
            min_period,
            max_period: Duration::from_secs(5),
            budget,
            last: None,
            period: min_period,
        }
    }

    /// The time between repaints now.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Call on every frame the live display is shown: asks egui for the
    /// next repaint.
    pub fn schedule(&mut self, ctx: &egui::Context) {
        ctx.request_repaint_after(self.next_period());
    }

    /// The time until the next refresh, from what the process used since the
    /// last call: for a display whose refreshes come from elsewhere (a worker
    /// that repaints when it has something new), call once per refresh.
    pub fn next_period(&mut self) -> Duration {
        let now = (Instant::now(), process_cpu_time());
        // Only between frames of this display: after a pause (the lab was
        // hidden) the CPU used meanwhile says nothing about a frame.
        if let Some((at, cpu)) = self.last
            && now.0 > at
            && now.0 - at <= self.period * 2
        {
            // What the process used since the last frame: mostly that frame.
            let used = now.1.saturating_sub(cpu).as_secs_f64();
            let wanted = Duration::from_secs_f64(used / self.budget);
            self.period = wanted.clamp(self.min_period, self.max_period);
        }
        self.last = Some(now);
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expensive_frame_spaces_the_next_repaints_out() {
        let ctx = egui::Context::default();
        let mut refresh = LiveRefresh::new(Duration::from_millis(250), 0.015);
        refresh.schedule(&ctx);
        assert_eq!(refresh.period(), Duration::from_millis(250));
        // A frame that costs 30 ms of CPU: at 1.5 %, the next one comes 2 s later.
        let start = process_cpu_time();
        let mut x = 0u64;
        while process_cpu_time() - start < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        refresh.schedule(&ctx);
        assert!(
            refresh.period() >= Duration::from_millis(1500),
            "{:?}",
            refresh.period()
        );
        assert!(refresh.period() <= Duration::from_secs(5));
    }
}
