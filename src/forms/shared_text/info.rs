//! The shared text form's info panel: the mapping's facts and its bytes.
//! Attached instances are named by the numbers in their windows' titles,
//! this display's windows first; the hex view marks what each byte is for.

use eframe::egui::{self, Color32, RichText, TextFormat, text::LayoutJob};

use crate::forms::widgets::{code, facts, wide};
use memlab_engine::desktop::instances::OpenWindow;
use memlab_engine::i18n::{Lang, Localized};
use memlab_engine::os::clock::format_unix_ms;
use memlab_engine::os::slots::MAX_SLOTS;
use memlab_engine::shared_text::{
    Attached, ByteRole, CHAR_LEN, HEADER_LEN, MAPPING_SIZE, ObjectKind, SharedInfo, active_index,
    byte_role, byte_role_start,
};

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
    // This window's display, as the roster lists it (none without a window).
    let display = window_of(windows, info.pid)
        .map(|w| w.display.name.clone())
        .unwrap_or_default();
    let mono = |text: String| code(text);
    let kind = match info.kind {
        ObjectKind::PosixShm => lang.pick("POSIX shared memory", "POSIX 공유 메모리"),
        ObjectKind::File => lang.pick("file", "파일"),
        ObjectKind::FileMapping => {
            lang.pick("file mapping (paging file)", "파일 매핑 (페이징 파일)")
        }
    };
    let os_object = match info.uid {
        Some(uid) => format!(
            "{kind} {} ({} uid {uid})",
            info.path.display(),
            lang.pick("owner", "소유자"),
        ),
        None => format!("{kind} {}", info.path.display()),
    };
    // The number in this window's title; the mapping's own slot if the
    // process has no window (a test harness).
    let this = match window_of(windows, info.pid) {
        Some(w) => format!("#{} ({})", w.number, info.origin.localized(lang)),
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
        (
            lang.pick("Size", "크기"),
            RichText::new(size_sentence(info.size, lang)),
        ),
        (
            lang.pick("Attached now", "연결된 인스턴스"),
            mono(attached_list(info, windows, &display, lang)),
        ),
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
            let active = active_index(&info.bytes);
            for (role, text) in legend(active, lang) {
                ui.add(egui::Label::new(RichText::new(text).color(role_color(ui, role))).wrap());
            }
            ui.add_space(4.0);
            let job = hex_dump(ui, &info.bytes, active);
            wide(ui, "shared-hex", |ui| ui.label(job));
        });
}

/// The open window of process `pid`, if it is one.
fn window_of(windows: &[OpenWindow], pid: u32) -> Option<&OpenWindow> {
    windows.iter().find(|w| w.pid == Some(pid))
}

/// The object's size, and what its bytes are, in words a student follows.
pub(super) fn size_sentence(size: u64, lang: Lang) -> String {
    let pids = MAPPING_SIZE - byte_role_start(ByteRole::SlotPids);
    match lang {
        Lang::En => format!(
            "{size} bytes: a {HEADER_LEN}-byte header, then two text buffers of {} bytes each \
             ({CHAR_LEN} bytes of text and the NUL byte that ends it; a save writes the buffer \
             not in use, then switches the active index to it, so a reader never sees half a \
             save), then the PIDs of up to {MAX_SLOTS} instances ({pids} bytes)",
            CHAR_LEN + 1
        ),
        Lang::Ko => format!(
            "{size}바이트: {HEADER_LEN}바이트 머리글, {}바이트짜리 문자열 버퍼 두 개(문자 \
             {CHAR_LEN}바이트 + 끝을 나타내는 NUL 1바이트. 저장은 쓰이지 않는 버퍼에 쓴 뒤 \
             활성 버퍼 번호를 그쪽으로 바꾸므로, 읽는 쪽은 반쯤 저장된 문자열을 보지 않습니다), \
             인스턴스 최대 {MAX_SLOTS}개의 PID({pids}바이트)",
            CHAR_LEN + 1
        ),
    }
}

/// Whom an attached instance is, and where it sorts: this display's
/// windows first by number, then other displays' windows, then processes
/// without a window, then slots whose PID the kernel does not confirm.
fn attached_entry(
    a: &Attached,
    info: &SharedInfo,
    windows: &[OpenWindow],
    display: &str,
    lang: Lang,
) -> ((u8, usize), String) {
    let me = if a.index + 1 == info.this_instance {
        lang.pick(" (this)", " (이 창)")
    } else {
        ""
    };
    match (a.pid, a.pid.and_then(|pid| window_of(windows, pid))) {
        (Some(pid), Some(w)) if w.display.name == display => {
            ((0, w.number), format!("#{} PID {pid}{me}", w.number))
        }
        (Some(pid), Some(w)) => (
            (1, w.number),
            format!(
                "#{} PID {pid} {}{me}",
                w.number,
                lang.pick("(another display)", "(다른 디스플레이)")
            ),
        ),
        (Some(pid), None) => (
            (2, a.index),
            format!("PID {pid} {}{me}", lang.pick("(no window)", "(창 없음)")),
        ),
        (None, _) => {
            let slot = a.index + 1;
            let text = match (a.claimed_pid, lang) {
                (Some(pid), Lang::En) => {
                    format!("slot {slot}: the header names PID {pid} (not confirmed){me}")
                }
                (Some(pid), Lang::Ko) => {
                    format!("자리 {slot}: 헤더에 적힌 PID {pid} (확인되지 않음){me}")
                }
                (None, Lang::En) => format!("slot {slot}: PID unknown{me}"),
                (None, Lang::Ko) => format!("자리 {slot}: PID 모름{me}"),
            };
            ((3, a.index), text)
        }
    }
}

/// The attached instances, in the order of [`attached_entry`].
pub(super) fn attached_list(
    info: &SharedInfo,
    windows: &[OpenWindow],
    display: &str,
    lang: Lang,
) -> String {
    let mut entries: Vec<((u8, usize), String)> = info
        .attached
        .iter()
        .map(|a| attached_entry(a, info, windows, display, lang))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Colours of the byte roles: mid-tones that read on light and dark
/// backgrounds; the buffer not in use is dimmer than the one shown.
fn role_color(ui: &egui::Ui, role: Shown) -> Color32 {
    match role {
        Shown::Role(ByteRole::Header) => Color32::from_rgb(0x3b, 0x82, 0xc4),
        Shown::Role(ByteRole::ActiveIndex) => Color32::from_rgb(0xe6, 0x6b, 0x00),
        Shown::ActiveText => Color32::from_rgb(0x2c, 0xa0, 0x2c),
        Shown::Role(ByteRole::Text(_)) => Color32::from_rgb(0x6f, 0x8f, 0x6f),
        Shown::Role(ByteRole::SlotPids) => Color32::from_rgb(0x9b, 0x59, 0xb6),
        Shown::Role(ByteRole::Unused) | Shown::Offset => ui.visuals().weak_text_color(),
    }
}

/// How a byte is shown: its role, the active text buffer standing out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Role(ByteRole),
    ActiveText,
    Offset,
}

fn shown(offset: usize, active: Option<usize>) -> Shown {
    match byte_role(offset) {
        ByteRole::Text(i) if Some(i) == active => Shown::ActiveText,
        role => Shown::Role(role),
    }
}

/// What the colours of the hex view mean, with the bytes each covers.
fn legend(active: Option<usize>, lang: Lang) -> Vec<(Shown, String)> {
    let range = |role| {
        let start = byte_role_start(role);
        let end = (start..MAPPING_SIZE)
            .find(|&o| byte_role(o) != role)
            .unwrap_or(MAPPING_SIZE);
        (start, end - 1)
    };
    let mut rows = Vec::new();
    let s = 0;
    let ko = lang == Lang::Ko;
    rows.push((
        Shown::Role(ByteRole::Header),
        if ko {
            format!(
                "머리글, {s}~{}바이트: 매직 번호, 구조 버전, 용량, 변경 횟수, 시각, 잡은/마지막으로 쓴/만든 프로세스의 PID",
                HEADER_LEN - 1
            )
        } else {
            format!(
                "header, bytes {s}-{}: magic number, layout version, capacity, change counter, times, the PIDs of the lock's holder, the last writer and the creator",
                HEADER_LEN - 1
            )
        },
    ));
    let (s, e) = range(ByteRole::ActiveIndex);
    rows.push((
        Shown::Role(ByteRole::ActiveIndex),
        match (active, ko) {
            (Some(i), false) => {
                format!("active index, bytes {s}-{e}: {i}, so loads read text buffer {i}")
            }
            (Some(i), true) => {
                format!("활성 버퍼 번호, {s}~{e}바이트: {i}. 불러오기는 문자열 버퍼 {i}을 읽습니다")
            }
            (None, false) => format!("active index, bytes {s}-{e}: not 0 or 1 (corrupt)"),
            (None, true) => format!("활성 버퍼 번호, {s}~{e}바이트: 0도 1도 아님 (손상)"),
        },
    ));
    for i in 0..2 {
        let (s, e) = range(ByteRole::Text(i));
        let is_active = Some(i) == active;
        let role = if is_active {
            Shown::ActiveText
        } else {
            Shown::Role(ByteRole::Text(i))
        };
        let text = match (is_active, ko) {
            (true, false) => format!(
                "text buffer {i}, bytes {s}-{e} (in use): {CHAR_LEN} bytes of text and the NUL that ends it"
            ),
            (false, false) => format!(
                "text buffer {i}, bytes {s}-{e} (not in use): the next save writes here, then switches the active index"
            ),
            (true, true) => format!(
                "문자열 버퍼 {i}, {s}~{e}바이트 (쓰는 중): 문자 {CHAR_LEN}바이트와 끝을 나타내는 NUL"
            ),
            (false, true) => format!(
                "문자열 버퍼 {i}, {s}~{e}바이트 (쉬는 중): 다음 저장이 여기에 쓴 뒤 활성 버퍼 번호를 바꿉니다"
            ),
        };
        rows.push((role, text));
    }
    let (s, e) = range(ByteRole::SlotPids);
    rows.push((
        Shown::Role(ByteRole::SlotPids),
        if ko {
            format!("연결된 인스턴스의 PID, {s}~{e}바이트: 자리 {MAX_SLOTS}개에 4바이트씩")
        } else {
            format!(
                "PIDs of the attached instances, bytes {s}-{e}: 4 bytes for each of {MAX_SLOTS} slots"
            )
        },
    ));
    rows
}

/// Offset, 16 bytes in hex and their printable ASCII, per row, each byte
/// in the colour of what it is for.
fn hex_dump(ui: &egui::Ui, bytes: &[u8], active: Option<usize>) -> LayoutJob {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let format = |color| TextFormat::simple(font.clone(), color);
    let mut job = LayoutJob::default();
    for (row, chunk) in bytes.chunks(16).enumerate() {
        if row > 0 {
            job.append("\n", 0.0, format(role_color(ui, Shown::Offset)));
        }
        let base = row * 16;
        job.append(
            &format!("{base:04x}  "),
            0.0,
            format(role_color(ui, Shown::Offset)),
        );
        for (i, b) in chunk.iter().enumerate() {
            let color = role_color(ui, shown(base + i, active));
            let sep = if i + 1 < chunk.len() { " " } else { "" };
            job.append(&format!("{b:02x}{sep}"), 0.0, format(color));
        }
        let pad = (16 - chunk.len()) * 3 + 2;
        job.append(&" ".repeat(pad), 0.0, format(role_color(ui, Shown::Offset)));
        for (i, &b) in chunk.iter().enumerate() {
            let c = if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            };
            let color = role_color(ui, shown(base + i, active));
            job.append(&c.to_string(), 0.0, format(color));
        }
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_engine::desktop::instances::WindowDisplay;
    use memlab_engine::i18n::testing::assert_korean;
    use memlab_engine::shared_text::{Backing, LockState, Origin};

    fn attached(index: usize, pid: Option<u32>, claimed_pid: Option<u32>) -> Attached {
        Attached {
            index,
            pid,
            claimed_pid,
        }
    }

    fn info(attached: Vec<Attached>) -> SharedInfo {
        SharedInfo {
            name: "SampleMMF".into(),
            backing: Backing::memory("SampleMMF"),
            kind: ObjectKind::PosixShm,
            os_object: String::new(),
            path: "/dev/shm/memlab.0.SampleMMF".into(),
            size: MAPPING_SIZE as u64,
            capacity: CHAR_LEN,
            this_instance: 1,
            pid: 10,
            uid: Some(0),
            attached,
            origin: Origin::Joined,
            change_counter: 1,
            last_writer_pid: None,
            last_write_unix_ms: None,
            lock: LockState::Free,
            problem: None,
            removed: false,
            bytes: Vec::new(),
        }
    }

    fn window(number: usize, pid: u32, display: &str) -> OpenWindow {
        OpenWindow::new(number, Some(pid), WindowDisplay::x11(display))
    }

    #[test]
    fn this_displays_windows_come_first_in_order_and_claims_last() {
        let info = info(vec![
            attached(0, Some(10), None),
            attached(1, Some(11), None),
            attached(2, Some(12), None),
            attached(3, None, Some(1)),
            attached(4, Some(13), None),
        ]);
        let windows = [
            window(1, 13, ":9"),
            window(2, 10, ":9"),
            window(3, 11, ":7"),
        ];
        assert_eq!(
            attached_list(&info, &windows, ":9", Lang::En),
            "#1 PID 13, #2 PID 10 (this), #3 PID 11 (another display), PID 12 (no window), \
             slot 4: the header names PID 1 (not confirmed)"
        );
        assert_eq!(
            attached_list(&info, &windows, ":9", Lang::Ko),
            "#1 PID 13, #2 PID 10 (이 창), #3 PID 11 (다른 디스플레이), PID 12 (창 없음), \
             자리 4: 헤더에 적힌 PID 1 (확인되지 않음)"
        );
    }

    #[test]
    fn the_bytes_are_explained_in_both_languages() {
        let en = size_sentence(520, Lang::En);
        assert!(
            en.starts_with("520 bytes: a 56-byte header, then two text buffers of 101 bytes each (100 bytes of text and the NUL byte that ends it;"),
            "{en}"
        );
        assert!(
            en.ends_with("then the PIDs of up to 64 instances (256 bytes)"),
            "{en}"
        );
        assert_korean(&size_sentence(520, Lang::Ko));
        for active in [Some(0), Some(1), None] {
            let rows = legend(active, Lang::En);
            assert_eq!(rows.len(), 5);
            assert!(rows[0].1.starts_with("header, bytes 0-55"), "{}", rows[0].1);
            assert!(
                rows[1].1.starts_with("active index, bytes 48-51"),
                "{}",
                rows[1].1
            );
            assert!(
                rows[2].1.starts_with("text buffer 0, bytes 56-156"),
                "{}",
                rows[2].1
            );
            assert!(
                rows[3].1.starts_with("text buffer 1, bytes 157-257"),
                "{}",
                rows[3].1
            );
            assert!(
                rows[4]
                    .1
                    .starts_with("PIDs of the attached instances, bytes 264-519")
            );
            for (_, text) in legend(active, Lang::Ko) {
                assert_korean(&text);
            }
        }
        let rows = legend(Some(1), Lang::En);
        assert!(rows[1].1.ends_with(": 1, so loads read text buffer 1"));
        assert_eq!(rows[3].0, Shown::ActiveText);
        assert!(rows[3].1.contains("(in use)") && rows[2].1.contains("(not in use)"));
    }
}
