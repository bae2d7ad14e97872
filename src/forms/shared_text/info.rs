//! The shared text form's info panel: the mapping's facts and its bytes.

use eframe::egui;

use crate::core::clock::format_unix_ms;
use crate::core::shared_text::{Backing, CHAR_LEN, SharedInfo};
use crate::i18n::{Lang, Localized};

pub(super) fn info_panel(ui: &mut egui::Ui, info: Option<&SharedInfo>, lang: Lang) {
    let Some(info) = info else {
        ui.weak(lang.pick("No mapping attached", "연결된 매핑 없음"));
        return;
    };
    egui::Grid::new("shared-info")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |key: &str, value: String| {
                ui.label(key);
                ui.add(egui::Label::new(egui::RichText::new(value).monospace()).wrap());
                ui.end_row();
            };
            row(lang.pick("Name", "이름"), info.name.clone());
            let kind = match info.backing {
                Backing::Memory { .. } => lang.pick("POSIX shared memory", "POSIX 공유 메모리"),
                Backing::File { .. } => lang.pick("file", "파일"),
            };
            let os_object = format!(
                "{kind} {} ({} uid {})",
                info.path.display(),
                lang.pick("owner", "소유자"),
                info.uid
            );
            row(lang.pick("OS object", "OS 객체"), os_object);
            row(
                lang.pick("Size", "크기"),
                format!(
                    "{} {} ({CHAR_LEN} + 1 {})",
                    info.size,
                    lang.pick("bytes", "바이트"),
                    lang.pick("bytes of text, twice", "바이트 문자열 버퍼 2개")
                ),
            );
            let attached = info
                .attached
                .iter()
                .map(|a| {
                    let pid = a.pid.map_or("?".into(), |p| p.to_string());
                    let me = if a.index + 1 == info.this_instance {
                        lang.pick(" (this)", " (이 창)")
                    } else {
                        ""
                    };
                    format!("#{} PID {pid}{me}", a.index + 1)
                })
                .collect::<Vec<_>>()
                .join(", ");
            row(lang.pick("Attached now", "연결된 인스턴스"), attached);
            row(
                lang.pick("This instance", "이 인스턴스"),
                format!("#{} ({})", info.this_instance, info.origin.localized(lang)),
            );
            row(
                lang.pick("Change counter", "변경 횟수"),
                info.change_counter.to_string(),
            );
            let writer = match (info.last_writer_pid, info.last_write_unix_ms) {
                (Some(pid), Some(ms)) => format!("PID {pid}, {}", format_unix_ms(ms)),
                _ => "-".into(),
            };
            row(lang.pick("Last writer", "마지막으로 쓴 프로세스"), writer);
            row(lang.pick("Lock", "잠금"), info.lock.localized(lang));
            if let Some(problem) = &info.problem {
                row(lang.pick("Problem", "문제"), problem.localized(lang));
            }
        });
    ui.add_space(4.0);
    egui::CollapsingHeader::new(lang.pick("Bytes (hex)", "바이트 (16진수)"))
        .default_open(false)
        .show(ui, |ui| {
            ui.monospace(hex_dump(&info.bytes));
        });
}

/// Offset, 16 bytes in hex, and their printable ASCII, per row.
fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:04x}  {:<47}  {ascii}", row * 16, hex.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
