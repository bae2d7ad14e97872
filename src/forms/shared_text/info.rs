//! The shared text form's info panel: the mapping's facts and its bytes.
//! Attached instances are named by the numbers in their windows' titles.

use eframe::egui::{self, RichText};

use crate::core::clock::format_unix_ms;
use crate::core::instances::OpenWindow;
use crate::core::shared_text::{Backing, CHAR_LEN, SharedInfo};
use crate::forms::widgets::{facts, wide};
use crate::i18n::{Lang, Localized};

pub(super) fn info_panel(
    ui: &mut egui::Ui,
    info: Option<&SharedInfo>,
    windows: &[OpenWindow],
    lang: Lang,
) {
    let Some(info) = info else {
        ui.weak(lang.pick("No mapping attached", "연결된 매핑 없음"));
        return;
    };
    let window_of = |pid: Option<u32>| {
        windows
            .iter()
            .find(|w| w.pid.is_some() && w.pid == pid)
            .map(|w| w.number)
    };
    let mono = |text: String| RichText::new(text).monospace();
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
    let size = format!(
        "{} {} ({CHAR_LEN} + 1 {})",
        info.size,
        lang.pick("bytes", "바이트"),
        lang.pick("bytes of text, twice", "바이트 문자열 버퍼 2개")
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
            match window_of(a.pid) {
                Some(n) => format!("#{n} PID {pid}{me}"),
                None => format!("PID {pid} {}{me}", lang.pick("(no window)", "(창 없음)")),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    // The number in this window's title; the mapping's own slot if the
    // process has no window (a test harness).
    let this = match window_of(Some(info.pid)) {
        Some(n) => format!("#{n} ({})", info.origin.localized(lang)),
        None => format!(
            "{} {} ({})",
            lang.pick("slot", "자리"),
            info.this_instance,
            info.origin.localized(lang)
        ),
    };
    let writer = match (info.last_writer_pid, info.last_write_unix_ms) {
        (Some(pid), Some(ms)) => format!("PID {pid}, {}", format_unix_ms(ms)),
        _ => "-".into(),
    };
    let mut rows = vec![
        (lang.pick("Name", "이름"), mono(info.name.clone())),
        (lang.pick("OS object", "OS 객체"), mono(os_object)),
        (lang.pick("Size", "크기"), mono(size)),
        (lang.pick("Attached now", "연결된 인스턴스"), mono(attached)),
        (lang.pick("This instance", "이 인스턴스"), mono(this)),
        (
            lang.pick("Change counter", "변경 횟수"),
            mono(info.change_counter.to_string()),
        ),
        (
            lang.pick("Last writer", "마지막으로 쓴 프로세스"),
            mono(writer),
        ),
        (lang.pick("Lock", "잠금"), mono(info.lock.localized(lang))),
    ];
    if let Some(problem) = &info.problem {
        rows.push((lang.pick("Problem", "문제"), mono(problem.localized(lang))));
    }
    facts(ui, "shared-info", rows);
    ui.add_space(4.0);
    egui::CollapsingHeader::new(lang.pick("Bytes (hex)", "바이트 (16진수)"))
        .default_open(false)
        .show(ui, |ui| {
            wide(ui, "shared-hex", |ui| ui.monospace(hex_dump(&info.bytes)));
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
