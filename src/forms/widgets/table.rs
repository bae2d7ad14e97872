//! Pieces of the labs' tables (egui `Grid`s).

use eframe::egui;

/// A row of column headings, in bold, ending the row.
pub fn header_row(ui: &mut egui::Ui, heads: &[&str]) {
    for head in heads {
        ui.strong(*head);
    }
    ui.end_row();
}
