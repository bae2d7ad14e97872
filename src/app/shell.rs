//! The shell drawn in every window: a bar with the lab picker and the
//! Window menu (new window, arrange, text size, zoom, language), the list of
//! labs when the window is wide, and the selected lab with its help above
//! it, scrolling vertically.

use std::time::{Duration, Instant};

use eframe::egui;
use serde::{Deserialize, Serialize};

use crate::forms::alloc::bench::AllocBenchForm;
use crate::forms::alloc::memory_managers::MemoryManagersPanel;
use crate::forms::filemap::FileMapLab;
use crate::forms::global::GlobalLabForm;
use crate::forms::heap::HeapLabForm;
use crate::forms::mutex::MutexLab;
use crate::forms::shared_text::SharedTextForm;
use crate::forms::sharemem::ShareMemLab;
use crate::forms::vm::address_map::AddressMapForm;
use crate::forms::vm::page_lab::PageLabForm;
use crate::forms::vm::system_info::SystemInfoForm;
use crate::forms::widgets::{Level, Status, lab_help, show_status};
use crate::forms::{Lab, LabHelp};
use crate::lab_id::LabId;
use memlab_engine::desktop::settings::{SharedSettings, TextSize, ZOOM_RANGE};
use memlab_engine::i18n::Lang;

/// From this width (in points) on, the labs are listed on the left;
/// below it a drop-down in the bar picks them.
const WIDE: f32 = 760.0;
/// Zoom steps of the menu's − and + (egui's own Ctrl +/- steps are 10 %).
const ZOOM_STEP: f32 = 0.25;
/// How long a notice that only informs ("Started a new window") stays under
/// the bar. Warnings and errors stay until the next action: another menu
/// item, or a lab picked.
pub const NOTICE_LASTS: Duration = Duration::from_secs(8);

/// What the user asked of the window from the menu; the window does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellAction {
    NewWindow,
    Arrange,
}

/// The labs, their remembered state, and the settings every window shares.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemlabApp {
    shared: SharedTextForm,
    alloc_bench: AllocBenchForm,
    memory_managers: MemoryManagersPanel,
    system_info: SystemInfoForm,
    global: GlobalLabForm,
    page_lab: PageLabForm,
    address_map: AddressMapForm,
    heap: HeapLabForm,
    filemap: FileMapLab,
    mutex: MutexLab,
    #[serde(skip)]
    sharemem: ShareMemLab,
    /// Kept in the shared settings file, not with the labs.
    #[serde(skip)]
    settings: SharedSettings,
    #[serde(skip)]
    actions: Vec<ShellAction>,
    /// What came of the last menu action, and since when it shows.
    #[serde(skip)]
    notice: Option<(Status, Instant)>,
    #[serde(skip)]
    content: Option<ContentExtent>,
    /// Where to scroll the lab to on the next frame.
    #[serde(skip)]
    scroll_to: Option<f32>,
}

/// Where the shell's parts went in the last frame (for the layout tests):
/// the lab's content against the part of the window it is seen in, and the
/// top bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContentExtent {
    /// What the lab's content took (it may be taller than `visible`: the
    /// lab scrolls vertically, but never wider).
    pub used: egui::Rect,
    /// The lab's area on the screen, less its scroll bar.
    pub visible: egui::Rect,
    pub bar: egui::Rect,
}

impl MemlabApp {
    /// A shell whose shared text lab uses the mapping `name`, whose mutex
    /// lab the lock `name` and whose file-mapping lab [`Self::scratch_file`]
    /// (tests give each their own, and remove the lock's object, which
    /// outlives its last user on purpose, and the file).
    pub fn with_mapping(name: &str) -> Self {
        Self {
            shared: SharedTextForm::with_name(name),
            mutex: MutexLab::with_name(name, None),
            filemap: FileMapLab::with_path(&Self::scratch_file(name)),
            ..Self::default()
        }
    }

    /// The file-mapping lab's file in a shell made by [`Self::with_mapping`]
    /// (not the user's demo file).
    pub fn scratch_file(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("memlab-{name}.bin"))
    }

    /// The labs, in the order the shell lists them.
    fn labs(&mut self) -> Vec<&mut dyn Lab> {
        vec![
            &mut self.shared,
            &mut self.alloc_bench,
            &mut self.memory_managers,
            &mut self.system_info,
            &mut self.global,
            &mut self.page_lab,
            &mut self.address_map,
            &mut self.heap,
            &mut self.filemap,
            &mut self.mutex,
            &mut self.sharemem,
        ]
    }

    /// Every lab's id, in the shell's order.
    pub fn lab_ids(&mut self) -> Vec<LabId> {
        self.labs().iter().map(|l| l.id()).collect()
    }

    /// Every lab's id and help, in the shell's order.
    pub fn lab_helps(&mut self) -> Vec<(LabId, Option<&'static LabHelp>)> {
        self.labs().iter().map(|l| (l.id(), l.help())).collect()
    }

    pub fn lang(&self) -> Lang {
        self.settings.lang.unwrap_or_else(Lang::from_system)
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.settings.lang = Some(lang);
    }

    pub fn settings(&self) -> &SharedSettings {
        &self.settings
    }

    pub fn set_settings(&mut self, settings: SharedSettings) {
        self.settings = settings;
    }

    /// Shows the lab with this id.
    pub fn select(&mut self, id: LabId) {
        self.settings.lab = id.to_string();
    }

    /// The id of the lab shown: the one the settings name, or the first
    /// lab if they name none this memlab knows (a newer memlab's lab, or
    /// nothing yet).
    pub fn selected_id(&self) -> LabId {
        LabId::from_id(&self.settings.lab).unwrap_or(LabId::all()[0])
    }

    fn selected_lab(&mut self) -> &mut dyn Lab {
        let selected = self.selected_id();
        self.labs()
            .into_iter()
            .find(|l| l.id() == selected)
            .expect("the shell has every lab (a test checks)")
    }

    /// True once the selected lab shows what it will show.
    pub fn settled(&mut self) -> bool {
        self.selected_lab().settled()
    }

    /// Where the lab's content went in the last frame.
    pub fn content_extent(&self) -> Option<ContentExtent> {
        self.content
    }

    /// Scrolls the lab to `offset` points from its top on the next frame
    /// (the layout tests look at every part of a long lab this way).
    pub fn scroll_lab_to(&mut self, offset: f32) {
        self.scroll_to = Some(offset);
    }

    /// Fills the selected lab with example results (see [`Lab::demo`]).
    pub fn demo(&mut self) {
        self.selected_lab().demo();
    }

    /// The menu actions asked for since the last call.
    pub(super) fn take_actions(&mut self) -> Vec<ShellAction> {
        std::mem::take(&mut self.actions)
    }

    /// Shows what came of a menu action under the bar (information for
    /// [`NOTICE_LASTS`], a warning or an error until the next action).
    pub fn set_notice(&mut self, notice: Option<Status>) {
        self.notice = notice.map(|n| (n, Instant::now()));
    }

    /// The notice under the bar, if one shows.
    pub fn notice(&self) -> Option<&Status> {
        self.notice.as_ref().map(|(n, _)| n)
    }

    /// Lets an informing notice go once its time is up.
    fn age_notice(&mut self, ctx: &egui::Context) {
        let Some((notice, since)) = &self.notice else {
            return;
        };
        if notice.level() != Level::Info {
            return;
        }
        match NOTICE_LASTS.checked_sub(since.elapsed()) {
            Some(left) if !left.is_zero() => ctx.request_repaint_after(left),
            _ => self.notice = None,
        }
    }

    /// Draws the whole shell into `ui`.
    pub fn shell_ui(&mut self, ui: &mut egui::Ui) {
        self.apply_style(ui.ctx());
        self.age_notice(ui.ctx());
        self.settings.zoom = ui.ctx().zoom_factor();
        let lang = self.lang();
        let wide = ui.ctx().content_rect().width() >= WIDE;
        let bar = egui::Panel::top("memlab-top").show(ui, |ui| {
            ui.horizontal(|ui| {
                if wide {
                    ui.strong("memlab");
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.window_menu(ui, lang);
                    if wide {
                        self.language_switch(ui);
                    } else {
                        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                            self.lab_picker(ui, lang);
                        });
                    }
                });
            });
            show_status(ui, lang, self.notice());
        });
        let bar = bar.response.rect;
        if wide {
            egui::Panel::left("memlab-labs")
                .resizable(false)
                .show(ui, |ui| {
                    ui.add_space(4.0);
                    ui.label(lang.pick("Labs", "실습"));
                    self.lab_list(ui, lang);
                });
        }
        let shown = self.selected_id();
        egui::CentralPanel::default().show(ui, |ui| {
            // Each lab scrolls on its own: one opens where it was left (at
            // its top at first), never where another lab was scrolled to.
            let mut scroll = egui::ScrollArea::vertical()
                .id_salt(("memlab-lab", shown))
                .auto_shrink([false, false]);
            if let Some(offset) = self.scroll_to.take() {
                scroll = scroll.vertical_scroll_offset(offset);
            }
            let output = scroll.show(ui, |ui| {
                let lab = self.selected_lab();
                if let Some(help) = lab.help() {
                    lab_help(ui, help, lang);
                }
                lab.ui(ui, lang);
                ui.min_rect()
            });
            self.content = Some(ContentExtent {
                used: output.inner,
                visible: output.inner_rect,
                bar,
            });
        });
    }

    /// Every font size scaled by the presenter's text size; solid scroll
    /// bars; a text cursor that does not blink (a blinking one redraws the
    /// window twice a second: ~2 % of a core with software OpenGL). Checked
    /// on the context itself, which may be new (tests).
    fn apply_style(&self, ctx: &egui::Context) {
        let size = self.settings.text_size;
        let base = egui::Style::default().text_styles;
        let body = |styles: &std::collections::BTreeMap<egui::TextStyle, egui::FontId>| {
            styles.get(&egui::TextStyle::Body).map(|f| f.size)
        };
        let style = ctx.global_style();
        let wanted = body(&base).map(|b| b * size.scale());
        if body(&style.text_styles) == wanted
            && !style.spacing.scroll.floating
            && !style.visuals.text_cursor.blink
        {
            return;
        }
        ctx.all_styles_mut(|style| {
            // Scroll bars with room of their own: nothing hides under them.
            style.spacing.scroll = egui::style::ScrollStyle::solid();
            style.visuals.text_cursor.blink = false;
            for (text_style, font) in &mut style.text_styles {
                if let Some(base) = base.get(text_style) {
                    font.size = base.size * size.scale();
                }
            }
        });
    }

    fn pick(&mut self, id: LabId) {
        if self.selected_id() != id {
            // Picking a lab is the next action: the last one's notice goes.
            self.notice = None;
        }
        self.select(id);
    }

    fn lab_list(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let selected = self.selected_id();
        let mut pick = None;
        for lab in self.labs() {
            if ui
                .selectable_label(lab.id() == selected, lab.title(lang))
                .clicked()
            {
                pick = Some(lab.id());
            }
        }
        if let Some(id) = pick {
            self.pick(id);
        }
    }

    /// A drop-down of the labs, for narrow windows.
    fn lab_picker(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let title = self.selected_lab().title(lang);
        // All the room the menu button left.
        let width = ui.available_width().max(80.0);
        let mut pick = None;
        egui::ComboBox::from_id_salt("memlab-lab-picker")
            .selected_text(title)
            .width(width)
            .truncate()
            .show_ui(ui, |ui| {
                let selected = self.selected_id();
                for lab in self.labs() {
                    if ui
                        .selectable_label(lab.id() == selected, lab.title(lang))
                        .clicked()
                    {
                        pick = Some(lab.id());
                    }
                }
            })
            .response
            .on_hover_text(lang.pick("Lab", "실습"));
        if let Some(id) = pick {
            self.pick(id);
        }
    }

    fn language_switch(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        for candidate in [Lang::Ko, Lang::En] {
            if ui
                .selectable_label(lang == candidate, candidate.native_name())
                .clicked()
            {
                self.settings.lang = Some(candidate);
            }
        }
    }

    fn window_menu(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.menu_button(lang.pick("Window", "창"), |ui| {
            if ui
                .button(lang.pick("New window", "새 창"))
                .on_hover_text(lang.pick(
                    "Start another memlab beside this one",
                    "memlab을 하나 더 띄웁니다",
                ))
                .clicked()
            {
                self.actions.push(ShellAction::NewWindow);
                self.notice = None;
                ui.close();
            }
            if ui
                .button(lang.pick("Arrange side by side", "나란히 배치"))
                .on_hover_text(lang.pick(
                    "Tile every memlab window on this screen: 2 side by side, 3 or 4 in a 2×2 grid",
                    "이 화면의 memlab 창을 모두 타일로 놓습니다: 2개는 좌우로, 3~4개는 2×2로",
                ))
                .clicked()
            {
                self.actions.push(ShellAction::Arrange);
                self.notice = None;
                ui.close();
            }
            ui.separator();
            ui.label(lang.pick("Text size", "글자 크기"));
            for size in TextSize::ALL {
                let name = match size {
                    TextSize::Normal => lang.pick("Normal", "보통"),
                    TextSize::Large => lang.pick("Large", "크게"),
                    TextSize::Larger => lang.pick("Larger (projector)", "더 크게 (프로젝터)"),
                };
                ui.radio_value(&mut self.settings.text_size, size, name);
            }
            ui.separator();
            self.zoom_row(ui, lang);
            ui.separator();
            ui.label(lang.pick("Language", "언어"));
            let mut chosen = self.lang();
            for candidate in [Lang::En, Lang::Ko] {
                ui.radio_value(&mut chosen, candidate, candidate.native_name());
            }
            if chosen != self.lang() {
                self.settings.lang = Some(chosen);
            }
        });
    }

    fn zoom_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let zoom = ui.ctx().zoom_factor();
        ui.horizontal(|ui| {
            ui.label(lang.pick("Zoom", "확대"));
            let mut set = None;
            if ui
                .add_enabled(*ZOOM_RANGE.start() < zoom, egui::Button::new("−"))
                .on_hover_text("Ctrl -")
                .clicked()
            {
                set = Some(zoom - ZOOM_STEP);
            }
            if ui
                .button(format!("{:.0} %", zoom * 100.0))
                .on_hover_text(lang.pick("Back to 100 % (Ctrl 0)", "100 %로 (Ctrl 0)"))
                .clicked()
            {
                set = Some(1.0);
            }
            if ui
                .add_enabled(zoom < *ZOOM_RANGE.end(), egui::Button::new("+"))
                .on_hover_text("Ctrl +")
                .clicked()
            {
                set = Some(zoom + ZOOM_STEP);
            }
            if let Some(zoom) = set {
                let zoom = zoom.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
                ui.ctx().set_zoom_factor(zoom);
                self.settings.zoom = zoom;
            }
        });
    }

    /// Releases every lab's OS resources (safe to call more than once).
    pub fn shutdown(&mut self) {
        for lab in self.labs() {
            lab.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shell's list is where a lab is registered: every id once, in
    /// the ids' order, each lab answering to its own id.
    #[test]
    fn the_shell_lists_every_lab_once_in_the_ids_order() {
        let mut app = MemlabApp::default();
        assert_eq!(app.lab_ids(), LabId::all());
        for &id in LabId::all() {
            app.select(id);
            assert_eq!(app.selected_id(), id);
            assert_eq!(app.selected_lab().id(), id);
        }
        app.settings.lab = "a lab of a newer memlab".into();
        assert_eq!(app.selected_id(), LabId::all()[0]);
        for lab in app.labs() {
            lab.shutdown();
        }
    }
}
