//! Beside the grid: the live costs (the process's RSS, the system's commit
//! charge, and this reservation's pages counted four ways) and the selected
//! page's VirtualQuery facts, each under its MEMORY_BASIC_INFORMATION name.

use eframe::egui::{self, RichText};

use super::messages::signed_bytes;
use super::worker::{Facts, Report, ReservationView, View};
use crate::forms::widgets::{Level, code, show_line};
use memlab_engine::format::format_bytes;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::vm::pages::{PageState, Protection};

/// Below this width (points) the names stand above their values.
const NARROW: f32 = 260.0;

/// A two-column table that wraps its values: the names in monospace (in
/// body text when Korean: [`code`]), the values in body text, both at the
/// presenter's text size, readable from the back of a room.
fn rows(ui: &mut egui::Ui, id: &str, rows: &[(&str, String)]) {
    // Too narrow for two columns at this text size: each name above its value.
    if ui.available_width() < NARROW {
        for (key, value) in rows {
            ui.label(code(*key));
            ui.add(egui::Label::new(value.as_str()).wrap());
            ui.add_space(2.0);
        }
        return;
    }
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .spacing([8.0, 3.0])
        .show(ui, |ui| {
            for (key, value) in rows {
                ui.label(code(*key));
                ui.add(egui::Label::new(value.as_str()).wrap());
                ui.end_row();
            }
        });
}

/// RSS and the commit charge now, their change in the last operation, and
/// the shown reservation's committed, charged, resident and locked pages.
pub fn costs_panel(
    ui: &mut egui::Ui,
    view: &View,
    shown: Option<&ReservationView>,
    last: Option<&Report>,
    lang: Lang,
) {
    ui.label(RichText::new(lang.pick("Costs, live", "비용 (실시간)")).strong());
    let costs = match &view.costs {
        Ok(c) => *c,
        Err(e) => {
            show_line(ui, Level::Error, e.localized(lang));
            return;
        }
    };
    let moved = last.and_then(|r| r.costs).map(|(before, after)| {
        (
            after.rss as i64 - before.rss as i64,
            after.commit_charge as i64 - before.commit_charge as i64,
        )
    });
    let change = |delta: Option<i64>| match delta {
        Some(d) => format!(
            " ({} {})",
            signed_bytes(d),
            lang.pick("last step", "직전 단계")
        ),
        None => String::new(),
    };
    let charge = match costs.commit_limit {
        Some(limit) => format!(
            "{} {} {}{}",
            format_bytes(costs.commit_charge),
            lang.pick("of", "/ 한도"),
            format_bytes(limit),
            change(moved.map(|m| m.1))
        ),
        None => format!(
            "{}{}",
            format_bytes(costs.commit_charge),
            change(moved.map(|m| m.1))
        ),
    };
    let mut list = vec![
        (
            super::os_text::RSS_ROW.get(lang),
            format!("{}{}", format_bytes(costs.rss), change(moved.map(|m| m.0))),
        ),
        (
            lang.pick("Commit charge (system)", "커밋 양 (시스템)"),
            charge,
        ),
    ];
    if let Some(r) = shown.filter(|r| !r.released) {
        let page = view.page_size as u64;
        let count = |n: usize| format!("{n} ({})", format_bytes(n as u64 * page));
        let committed = r
            .pages
            .iter()
            .filter(|p| p.state == PageState::Committed)
            .count();
        let charged = r.charged.iter().filter(|&&c| c).count();
        let resident = r.resident.iter().filter(|&&c| c).count();
        let locked = r.pages.iter().filter(|p| p.locked).count();
        list.extend([
            (
                lang.pick("committed pages", "커밋된 페이지"),
                count(committed),
            ),
            (
                lang.pick("charged by the kernel", "커널이 커밋 양에 넣은 페이지"),
                count(charged),
            ),
            (super::os_text::RESIDENT_COUNT.get(lang), count(resident)),
            (lang.pick("locked", "잠긴 페이지"), count(locked)),
        ]);
    }
    rows(ui, "page-lab-costs", &list);
    if let Some(e) = &view.map_error {
        show_line(ui, Level::Warn, e.localized(lang));
    }
}

fn state_win32(state: PageState) -> &'static str {
    match state {
        PageState::Free => "MEM_FREE",
        PageState::Reserved => "MEM_RESERVE",
        PageState::Committed => "MEM_COMMIT",
    }
}

fn yes_no(b: bool, lang: Lang) -> String {
    if b {
        lang.pick("yes", "예")
    } else {
        lang.pick("no", "아니요")
    }
    .into()
}

/// VirtualQuery of the selected page, and the kernel's mapping around it.
pub fn facts_panel(ui: &mut egui::Ui, facts: Option<&Facts>, lang: Lang) {
    ui.label(
        RichText::new(lang.pick(
            "VirtualQuery of the selected page",
            "선택한 페이지의 VirtualQuery",
        ))
        .strong(),
    );
    let Some(facts) = facts else {
        ui.weak(lang.pick("Click a page of the grid.", "격자에서 페이지를 클릭하세요."));
        return;
    };
    let q = match &facts.query {
        Ok(q) => q,
        Err(e) => {
            show_line(ui, Level::Warn, e.localized(lang));
            return;
        }
    };
    let protection = if q.state == PageState::Committed {
        q.protection
    } else {
        Protection::NoAccess
    };
    let mut list = vec![
        ("Page", format!("{} ({})", q.page, q.id)),
        ("BaseAddress", format!("{:#x}", q.base_address)),
        ("AllocationBase", format!("{:#x}", q.allocation_base)),
        ("AllocationProtect", "PAGE_NOACCESS".to_owned()),
        (
            "RegionSize",
            format!(
                "{} ({} {})",
                format_bytes(q.region_size as u64),
                q.region_pages,
                lang.pick("pages alike from here", "페이지가 여기서부터 같음")
            ),
        ),
        (
            "State",
            format!("{} ({})", state_win32(q.state), q.state.localized(lang)),
        ),
        (
            "Protect",
            format!(
                "{} ({}, {})",
                protection.win32(),
                protection.localized(lang),
                super::os_text::protection_here(protection)
            ),
        ),
        ("Type", "MEM_PRIVATE".to_owned()),
        ("VirtualLock", yes_no(q.locked, lang)),
        (
            super::os_text::RESIDENT_CALL,
            format!(
                "{}: {}",
                lang.pick("in RAM", "RAM에 있음"),
                yes_no(q.resident, lang)
            ),
        ),
    ];
    if let Some(k) = &facts.kernel {
        list.push((
            super::os_text::KERNEL_ROW,
            match lang {
                Lang::En => k.smaps_line(),
                Lang::Ko => format!(
                    "{:#x}-{:#x} {}, RAM {}, 잠김 {}, {}",
                    k.start,
                    k.end(),
                    k.protection,
                    format_bytes(k.resident),
                    format_bytes(k.locked),
                    if k.charged {
                        super::os_text::CHARGED_KO
                    } else {
                        "커밋 양에 없음"
                    }
                ),
            },
        ));
    }
    rows(ui, "page-lab-facts", &list);
}
