//! The file-mapping lab driven through its UI (egui_kittest): each step a
//! button on a real file; two views of the same bytes, typed into, seen in
//! each other and in an ordinary read of the file; closed things refused; a
//! file shortened by someone else; another process's writes appearing live;
//! in English and Korean.

#![cfg(target_os = "linux")]

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use memlab::forms::Lab;
use memlab::forms::filemap::FileMapLab;
use memlab_engine::i18n::Lang;

use common::ui::{lab_harness, lab_harness_zoomed, shown_texts, shows, type_into};
use common::{run, stderr, unique};

/// A folder of this test's own; removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("memlab-{}", unique(tag)));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lab(path: &Path, lang: Lang) -> Harness<'static, FileMapLab> {
    lab_harness(FileMapLab::with_path(path), lang, [1100.0, 1600.0])
}

/// The `n`th view's go-to field: moves its cursor to `offset` and gives its
/// grid the keyboard.
fn go_to<S>(h: &mut Harness<'_, S>, label: &str, n: usize, offset: &str) {
    h.get_all_by_label(label).nth(n).unwrap().focus();
    h.step();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_all_by_label(label).nth(n).unwrap().type_text(offset);
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
}

/// Sends typed text to whatever has the keyboard (a grid, after `go_to`).
fn type_keys<S>(h: &mut Harness<'_, S>, text: &str) {
    h.get_all_by_role(Role::Grid)
        .next()
        .unwrap()
        .type_text(text);
    h.step();
    h.step();
}

/// The text of the `n`th view's grid (its rows in sight).
fn grid<S>(h: &Harness<'_, S>, n: usize) -> String {
    h.query_all_by_role(Role::Grid)
        .nth(n)
        .and_then(|g| g.accesskit_node().label())
        .unwrap_or_default()
}

/// Steps until `done` holds (20 s at most); on a timeout, fails with every
/// text shown.
fn wait_until<S>(h: &mut Harness<'_, S>, what: &str, done: impl Fn(&Harness<'_, S>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        if done(h) {
            return;
        }
        if Instant::now() > deadline {
            let texts = shown_texts(h);
            panic!("timed out waiting for {what}; shown: {texts:#?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn click<S>(h: &mut Harness<'_, S>, label: &str) {
    h.get_by_label(label).click();
    h.step();
}

/// Create, a 64 KiB mapping, views at 0 (8 KiB) and 4096 (4 KiB).
fn two_views(h: &mut Harness<'_, FileMapLab>) {
    click(h, "Create");
    wait_until(h, "the file", |h| shows(h, "CreateFile: "));
    type_into(h, "Mapping size", "64K");
    click(h, "Create mapping");
    wait_until(h, "the mapping", |h| {
        shows(
            h,
            "CreateFileMapping: mapping of 65536 bytes (asked 65536); file 0 -> 65536 bytes",
        )
    });
    for (offset, len) in [("0", "8K"), ("4096", "4096")] {
        type_into(h, "View offset", offset);
        type_into(h, "Length", len);
        click(h, "Map view");
    }
    wait_until(h, "two views", |h| {
        h.query_all_by_role(Role::Grid).count() == 2
    });
    assert!(shows(
        h,
        "MapViewOfFile: view #2 at offset 4096, 4096 bytes"
    ));
}

#[test]
fn two_views_of_the_same_bytes_change_together_and_match_the_file() {
    let folder = Folder::new("fm-views");
    let path = folder.file("two.bin");
    let mut h = lab(&path, Lang::En);
    two_views(&mut h);
    assert!(shows(
        &h,
        "file 65536 bytes · mapping 65536 bytes, open · views mapped: 2"
    ));

    // Type hex into view #2 at its first byte (file offset 4096).
    go_to(&mut h, "Go to offset", 1, "0");
    assert!(shows(&h, "cursor: view offset 0x0, file offset 0x1000"));
    type_keys(&mut h, "48656c6c6f");
    assert!(
        grid(&h, 1).contains("00001000 48 65 6c 6c 6f 00"),
        "{}",
        grid(&h, 1)
    );
    // View #1 sees the same bytes at its offset 0x1000, and so does pread.
    go_to(&mut h, "Go to offset", 0, "0x1000");
    let one = grid(&h, 0);
    assert!(one.contains("00001000 48 65 6c 6c 6f 00"), "{one}");
    assert!(one.contains("Hello...........| Hello..........."), "{one}");
    assert_eq!(&std::fs::read(&path).unwrap()[4096..4101], b"Hello");
    assert!(shows(
        &h,
        "the same 128 bytes by an ordinary file read (pread): equal"
    ));

    // Text typed into view #1 reaches view #2 at once.
    h.get_all_by_label("Text").next().unwrap().click();
    h.step();
    go_to(&mut h, "Go to offset", 0, "0x1005");
    type_keys(&mut h, ", 세계");
    // The text column decodes UTF-8: Hangul shows as Hangul, not dots.
    assert!(grid(&h, 1).contains("Hello, 세계"), "{}", grid(&h, 1));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[4096..4096 + 13], "Hello, 세계".as_bytes());

    // FlushViewOfFile, timed.
    h.get_all_by_label("Flush").nth(1).unwrap().click();
    wait_until(&mut h, "the flush", |h| {
        shows(
            h,
            "FlushViewOfFile: view #2: 4096 bytes written to the file in",
        )
    });
    assert!(shows(&h, "last flush: 4096 bytes in"));
    h.state_mut().shutdown();
}

/// The lab in a window of `size` points, scrolling vertically.
fn lab_sized(path: &Path, lang: Lang, size: [f32; 2]) -> Harness<'static, FileMapLab> {
    lab_harness(FileMapLab::with_path(path), lang, size)
}

#[test]
fn after_closehandle_of_the_file_the_views_still_match_the_file() {
    let folder = Folder::new("fm-closefile");
    let path = folder.file("closefile.bin");
    let mut h = lab(&path, Lang::En);
    two_views(&mut h);
    click(&mut h, "Close mapping");
    wait_until(&mut h, "the close", |h| {
        shows(h, "CloseHandle(mapping): the mapping is closed")
    });
    click(&mut h, "Close file");
    wait_until(&mut h, "the file handle closed", |h| {
        shows(h, "CloseHandle(file): the file handle is closed")
    });
    for _ in 0..3 {
        h.step();
    }
    // Both views still read the file, which still holds its 64 KiB.
    assert_eq!(
        h.query_all_by_label_contains("equal to the view (one page cache)")
            .count(),
        2
    );
    assert!(!shows(&h, "missing from the file"));
    assert!(!shows(&h, "the file was closed"));
    assert!(shows(
        &h,
        "file handle closed, the views keep the file open: 65536 bytes"
    ));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 65536);
    h.state_mut().shutdown();
}

#[test]
fn go_to_offset_puts_the_row_at_the_top() {
    let folder = Folder::new("fm-goto");
    let path = folder.file("goto.bin");
    let mut h = lab(&path, Lang::En);
    two_views(&mut h);
    go_to(&mut h, "Go to offset", 0, "0x1000");
    let rows = grid(&h, 0);
    let first = rows.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("00001000 "), "{rows}");
    assert!(shows(&h, "cursor: view offset 0x1000"));
    h.state_mut().shutdown();
}

#[test]
fn the_steps_are_numbered_in_the_books_order() {
    let folder = Folder::new("fm-order");
    let path = folder.file("order.bin");
    let mut h = lab(&path, Lang::En);
    h.step();
    let titles = [
        "1. CreateFile",
        "2. CreateFileMapping",
        "3. MapViewOfFile",
        "4. FlushViewOfFile and 5. UnmapViewOfFile",
        "6. CloseHandle(mapping)",
        "7. SetFilePointer + SetEndOfFile",
        "8. CloseHandle(file)",
    ];
    let tops: Vec<f32> = titles
        .iter()
        .map(|t| h.get_by_label_contains(t).rect().top())
        .collect();
    assert!(
        tops.windows(2).all(|w| w[0] < w[1]),
        "{titles:?} at {tops:?}"
    );
    // SetEndOfFile needs the file's handle: its button comes before Close file.
    let button = |label: &str| h.get_by_label(label).rect().top();
    assert!(button("Close mapping") < button("Set end of file"));
    assert!(button("Set end of file") < button("Close file"));
    // The log names each step by its number too.
    click(&mut h, "Create");
    wait_until(&mut h, "the file", |h| shows(h, "1. CreateFile: "));
    h.state_mut().shutdown();
}

#[test]
fn the_log_stays_on_the_newest_step() {
    let folder = Folder::new("fm-log");
    let path = folder.file("log.bin");
    // A narrow Korean window at zoom 1.5: lines wrap and overflow the log's
    // box; tall enough that the box itself is in sight.
    let mut h = lab_harness_zoomed(FileMapLab::with_path(&path), Lang::Ko, [400.0, 1100.0], 1.5);
    click(&mut h, "만들기");
    wait_until(&mut h, "the file", |h| shows(h, "1. CreateFile: "));
    // The log's lines of step 2 (not the "working" line above the log).
    let lines = |h: &Harness<'_, FileMapLab>| {
        h.query_all_by_label_contains("2. CreateFileMapping: ")
            .filter(|n| {
                !n.accesskit_node()
                    .label()
                    .unwrap_or_default()
                    .contains("작업 중")
            })
            .count()
    };
    for n in 1..=8 {
        click(&mut h, "매핑 만들기");
        wait_until(&mut h, "the step", |h| h.state().settled() && lines(h) == n);
        // What the window shows once it stops drawing: frames only come when
        // something asks for them (here, as in a real window).
        let _ = h.try_run();
        // The newest line is in sight inside the log's box.
        let newest = h
            .query_all_by_label_contains("2. CreateFileMapping: ")
            .last()
            .unwrap()
            .rect();
        let shown: std::collections::HashMap<u64, egui::Rect> = h.ctx.viewport(|v| {
            v.prev_pass
                .widgets
                .layers()
                .flat_map(|(_, r)| r.iter().map(|w| (w.id.value(), w.interact_rect)))
                .collect()
        });
        let last = h
            .query_all_by_label_contains("2. CreateFileMapping: ")
            .last()
            .unwrap();
        let visible = shown
            .get(&last.accesskit_node().locate().0.0)
            .map_or(egui::Rect::NOTHING, |v| v.intersect(newest));
        assert!(
            visible.height() >= newest.height() - 1.0,
            "step {n}: the newest line {newest:?} shows {visible:?}"
        );
    }
    h.state_mut().shutdown();
}

/// One notch of a mouse wheel, down.
fn wheel_down<S>(h: &mut Harness<'_, S>, at: egui::Pos2) {
    h.hover_at(at);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -60.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    h.step();
    h.step();
}

#[test]
fn the_wheel_over_a_view_scrolls_the_page_until_the_view_is_clicked() {
    let folder = Folder::new("fm-wheel");
    let path = folder.file("wheel.bin");
    // The grid ends below the window: the page has room to scroll.
    let mut h = lab_sized(&path, Lang::En, [900.0, 800.0]);
    click(&mut h, "Create");
    wait_until(&mut h, "the file", |h| shows(h, "CreateFile: "));
    type_into(&mut h, "Mapping size", "64K");
    click(&mut h, "Create mapping");
    click(&mut h, "Map view");
    wait_until(&mut h, "the view", |h| {
        h.query_all_by_role(Role::Grid).count() == 1
    });
    // Turn the wheel over the grid.
    let grid_rect = |h: &Harness<'_, FileMapLab>| h.get_by_role(Role::Grid).rect();
    let before = grid_rect(&h);
    let first_row =
        |h: &Harness<'_, FileMapLab>| grid(h, 0).lines().nth(1).unwrap_or_default().to_owned();
    let rows_before = first_row(&h);
    wheel_down(&mut h, before.center());
    let after = h.get_by_role(Role::Grid).rect();
    assert!(
        after.top() < before.top(),
        "the page scrolled: {before:?} -> {after:?}"
    );
    assert_eq!(first_row(&h), rows_before, "the view's rows stayed");
    // Clicked, the view takes the wheel.
    let at = grid_rect(&h).center();
    h.get_by_role(Role::Grid).click();
    h.step();
    let page = grid_rect(&h);
    wheel_down(&mut h, at);
    assert_ne!(first_row(&h), rows_before, "the view scrolled its rows");
    assert_eq!(grid_rect(&h), page, "the page stayed");
    h.state_mut().shutdown();
}

#[test]
fn closed_things_are_refused_by_name_and_the_end_of_file_is_set_last() {
    let folder = Folder::new("fm-closed");
    let path = folder.file("closed.bin");
    let mut h = lab(&path, Lang::En);
    two_views(&mut h);

    // An unaligned offset: memmap2 rounds down, the raw mmap fails.
    type_into(&mut h, "View offset", "100");
    type_into(&mut h, "Length", "100");
    click(&mut h, "Map view");
    wait_until(&mut h, "the unaligned view", |h| {
        shows(h, "offset 100 is not a multiple of the granularity")
    });
    assert!(shows(&h, "memmap2 silently mapped from 0 (rounded down)"));
    assert!(shows(
        &h,
        "the raw mmap call with offset 100 fails: Invalid argument"
    ));

    h.get_all_by_label("Unmap").next().unwrap().click();
    wait_until(&mut h, "the unmap", |h| {
        shows(h, "UnmapViewOfFile: view #1 unmapped")
    });
    h.get_all_by_label("Flush").next().unwrap().click();
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "FlushViewOfFile: view #1 was unmapped")
    });
    type_into(&mut h, "New end of file", "100");
    click(&mut h, "Set end of file");
    wait_until(&mut h, "the refusal", |h| {
        shows(
            h,
            "SetFilePointer + SetEndOfFile: 2 view(s) still mapped and the mapping still open",
        )
    });
    click(&mut h, "Close mapping");
    wait_until(&mut h, "the close", |h| {
        shows(h, "CloseHandle(mapping): the mapping is closed")
    });
    click(&mut h, "Map view");
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "MapViewOfFile: the mapping was closed")
    });
    // Views #2 and #3 (#1's panel stays, unmapped, for its refusals).
    h.get_all_by_label("Unmap").nth(1).unwrap().click();
    wait_until(&mut h, "view #2 unmapped", |h| {
        shows(h, "UnmapViewOfFile: view #2 unmapped")
    });
    h.get_all_by_label("Unmap").nth(2).unwrap().click();
    wait_until(&mut h, "every view unmapped", |h| {
        shows(h, "views mapped: 0")
    });
    click(&mut h, "Set end of file");
    wait_until(&mut h, "the new end", |h| {
        shows(
            h,
            "SetFilePointer + SetEndOfFile: file size 65536 -> 100 bytes",
        )
    });
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);
    click(&mut h, "Close file");
    wait_until(&mut h, "the close", |h| {
        shows(h, "CloseHandle(file): the file is closed")
    });
    click(&mut h, "Create mapping");
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "CreateFileMapping: the file was closed: open it again")
    });
    type_into(&mut h, "Mapping size", "12Q");
    click(&mut h, "Create mapping");
    wait_until(&mut h, "the bad size", |h| {
        shows(h, "\"12Q\" is not a byte count")
    });
}

#[test]
fn a_file_shortened_by_someone_else_is_reported_and_survived() {
    let folder = Folder::new("fm-short");
    let path = folder.file("short.bin");
    let mut h = lab(&path, Lang::En);
    two_views(&mut h);
    go_to(&mut h, "Go to offset", 0, "0x1000");
    // Someone else cuts the file to 4100 bytes.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(4100)
        .unwrap();
    wait_until(&mut h, "the notice", |h| {
        shows(
            h,
            "the file was shortened to 4100 bytes by someone else: bytes 4100..8192 are gone",
        )
    });
    let one = grid(&h, 0);
    assert!(one.contains("00001000 00 00 00 00 -- --"), "{one}");
    // Typing into the lost part is refused, not a SIGBUS.
    go_to(&mut h, "Go to offset", 1, "0x10");
    type_keys(&mut h, "41");
    wait_until(&mut h, "the refusal", |h| {
        shows(h, "the file was shortened to 4100 bytes by someone else")
            && shows(h, "writing through the view: ")
    });
    h.get_all_by_label("Flush").next().unwrap().click();
    wait_until(&mut h, "the flush refused", |h| {
        shows(h, "FlushViewOfFile: the file was shortened to 4100 bytes")
    });
}

#[test]
fn a_second_instance_is_refused_unless_both_share_and_then_sees_writes_live() {
    let folder = Folder::new("fm-share");
    let path = folder.file("shared.bin");
    let mut one = lab(&path, Lang::En);
    click(&mut one, "Create");
    wait_until(&mut one, "the file", |h| shows(h, "CreateFile: "));
    let mut two = lab(&path, Lang::En);
    click(&mut two, "Create");
    wait_until(&mut two, "the refusal", |h| {
        shows(h, "is in use by") && shows(h, "exclusively (share mode 0)")
    });

    // Both share: this window maps the file, another process writes it.
    for h in [&mut one, &mut two] {
        h.get_by_label("Share with other instances").click();
        h.step();
    }
    click(&mut one, "Create");
    wait_until(&mut one, "reopened, shared", |h| {
        shows(h, "shared with other instances")
    });
    type_into(&mut one, "Mapping size", "16K");
    click(&mut one, "Create mapping");
    wait_until(&mut one, "the mapping", |h| {
        shows(h, "file 0 -> 16384 bytes")
    });
    click(&mut one, "Map view");
    wait_until(&mut one, "a view", |h| {
        h.query_all_by_role(Role::Grid).count() == 1
    });
    let out = run(&[
        "filemap",
        path.to_str().unwrap(),
        "--share",
        "--size",
        "0",
        "--view",
        "0:4096",
        "--write",
        "32",
        "other's write",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    wait_until(&mut one, "the other process's write", |h| {
        grid(h, 0).contains("00000020 6f 74 68 65 72 27 73 20 77 72 69 74 65 00")
            && grid(h, 0).contains("other's write...| other's write...")
    });
    one.state_mut().shutdown();
}

#[test]
fn the_walk_through_reads_in_korean() {
    let folder = Folder::new("fm-ko");
    let path = folder.file("한글.bin");
    let mut h = lab(&path, Lang::Ko);
    click(&mut h, "만들기");
    wait_until(&mut h, "the file", |h| shows(h, "새로 만듦"));
    type_into(&mut h, "매핑 크기", "0");
    click(&mut h, "매핑 만들기");
    wait_until(&mut h, "the empty-file error", |h| {
        shows(h, "빈 파일입니다") && shows(h, "ERROR_FILE_INVALID")
    });
    type_into(&mut h, "매핑 크기", "8K");
    click(&mut h, "매핑 만들기");
    wait_until(&mut h, "the mapping", |h| {
        shows(
            h,
            "8192 바이트 매핑 (요청 8192); 파일 0 -> 8192 바이트: 매핑 크기만큼 늘어남",
        )
    });
    type_into(&mut h, "뷰 오프셋", "100");
    click(&mut h, "뷰 매핑");
    wait_until(&mut h, "the unaligned view", |h| {
        shows(
            h,
            "할당 단위(여기서는 4096 바이트, Windows는 64 KiB)의 배수가 아닙니다",
        )
    });
    assert!(shows(
        &h,
        "보통의 파일 읽기(pread)로 읽은 같은 128 바이트: 뷰와 똑같음"
    ));
    let grid = grid(&h, 0);
    assert!(
        grid.contains("오프셋") && grid.contains("파일 읽기"),
        "{grid}"
    );
    click(&mut h, "파일 닫기");
    wait_until(&mut h, "the close", |h| {
        shows(h, "매핑된 뷰 1개가 해제될 때까지 파일은 열린 채 잠겨 있음")
    });
}

#[test]
fn a_64_mib_view_is_edited_at_its_last_byte() {
    let folder = Folder::new("fm-big");
    let path = folder.file("big.bin");
    let mut h = lab(&path, Lang::En);
    click(&mut h, "Create");
    wait_until(&mut h, "the file", |h| shows(h, "CreateFile: "));
    type_into(&mut h, "Mapping size", "64M");
    click(&mut h, "Create mapping");
    wait_until(&mut h, "the mapping", |h| {
        shows(h, "file 0 -> 67108864 bytes")
    });
    click(&mut h, "Map view");
    wait_until(&mut h, "the view", |h| {
        shows(h, "view #1 at offset 0, 67108864 bytes")
    });
    go_to(&mut h, "Go to offset", 0, "64M");
    assert!(shows(&h, "cursor: view offset 0x3ffffff"));
    type_keys(&mut h, "7a");
    assert!(grid(&h, 0).contains("03fffff0 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 7a"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 64 << 20);
    assert_eq!(bytes[(64 << 20) - 1], 0x7a);
}
