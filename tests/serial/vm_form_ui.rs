//! The virtual-memory labs driven through their UI (egui_kittest): the page
//! lab reserves, commits and touches real pages of this test process, the
//! address-space map finds them, system information shows the page size;
//! in English and Korean, and at small sizes and zooms.

use crate::common;

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use memlab::forms::Lab;
use memlab::forms::vm::address_map::AddressMapForm;
use memlab::forms::vm::page_lab::PageLabForm;
use memlab::forms::vm::system_info::SystemInfoForm;
use memlab_engine::i18n::Lang;
use memlab_engine::vm::maps::Owner;
use memlab_engine::vm::pages::{PageLab, PageState, ReservationId};

use common::ui::{lab_harness_zoomed, shows, type_number, wait_until};

fn page_lab(lang: Lang) -> Harness<'static, PageLabForm> {
    lab_harness_zoomed(PageLabForm::default(), lang, [1200.0, 1400.0], 1.0)
}

/// Steps until the worker answered everything.
fn settle<L: Lab>(h: &mut Harness<'_, L>) {
    wait_until(h, "the lab to settle", |h| h.state().settled());
    h.step();
}

/// The states of reservation `id`'s pages, as the form shows them.
fn states(h: &Harness<'_, PageLabForm>, id: ReservationId) -> Vec<PageState> {
    h.state()
        .view_pages()
        .and_then(|v| v.into_iter().find(|(r, _)| *r == id))
        .map(|(_, states)| states)
        .unwrap_or_default()
}

/// Reserves `pages` pages with the form's own field and button.
fn reserve(h: &mut Harness<'_, PageLabForm>, pages: &str, button: &str) -> ReservationId {
    let before = h.state().selected();
    type_number(
        h,
        if button == "Reserve" {
            "Pages to reserve"
        } else {
            "예약할 페이지 수"
        },
        pages,
    );
    h.get_by_label(button).click();
    wait_until(h, "the new reservation", |h| {
        h.state().settled() && h.state().selected() != before
    });
    h.state().selected().expect("the new reservation is shown")
}

/// Clicks at `pos` (points) as a user would.
fn click_at<S>(h: &mut Harness<'_, S>, pos: egui::Pos2) {
    h.hover_at(pos);
    h.drag_at(pos);
    h.drop_at(pos);
    h.step();
}

#[test]
fn reserve_click_a_cell_commit_and_its_facts_change() {
    let _alone = common::alone();
    let mut h = page_lab(Lang::En);
    settle(&mut h);
    let id = reserve(&mut h, "256", "Reserve");
    assert_eq!(states(&h, id), vec![PageState::Reserved; 256]);
    assert!(
        shows(&h, "reserve 256 pages: "),
        "the log names the reservation"
    );
    assert!(
        shows(&h, "mmap(NULL, len, PROT_NONE"),
        "with what it became"
    );

    // A click on the first row's last cell picks that page alone.
    let grid = h.get_by_label("Page grid").rect();
    click_at(&mut h, grid.right_top() + egui::vec2(-2.0, 2.0));
    settle(&mut h);
    let page: usize = h
        .get_by_label("From page")
        .value()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (page + 1).is_power_of_two() && page >= 7,
        "the row's last page: {page}"
    );
    assert_eq!(h.get_by_label("Page count").value().as_deref(), Some("1"));
    assert!(
        shows(&h, &format!("{page} ({id})")),
        "the facts are of page {page}"
    );
    assert!(shows(&h, "MEM_RESERVE (reserved)"));
    assert!(shows(&h, "PAGE_NOACCESS (no access, PROT_NONE)"));

    h.get_by_label("Commit").click();
    wait_until(&mut h, "the committed page's facts", |h| {
        h.state().settled() && shows(h, "MEM_COMMIT (committed)")
    });
    let committed: Vec<usize> = states(&h, id)
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == PageState::Committed)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(committed, vec![page]);
    assert!(shows(
        &h,
        "PAGE_READWRITE (read-write, PROT_READ|PROT_WRITE)"
    ));
    assert!(shows(&h, "in RAM: no"), "committed, not touched yet");

    // Touching the page brings it into RAM, and the facts say so.
    h.get_by_label("Write a byte").click();
    wait_until(&mut h, "the touched page", |h| {
        h.state().settled() && shows(h, "in RAM: yes")
    });
    assert!(shows(&h, "wrote 42 to 1 pages"));

    // A drag from there to the next row's last cell picks the pages between.
    let grid = h.get_by_label("Page grid").rect();
    let from = grid.right_top() + egui::vec2(-2.0, 2.0);
    let row_height = grid.height() / (256 / (page + 1)) as f32;
    let to = from + egui::vec2(0.0, row_height);
    h.drag_at(from);
    h.step();
    h.hover_at(to);
    h.step();
    h.drop_at(to);
    h.step();
    assert_eq!(
        h.get_by_label("Page count").value().as_deref(),
        Some((page + 2).to_string().as_str()),
        "a row and one page"
    );
    h.check_accessibility();
}

#[test]
fn refused_operations_are_messages_and_memlab_lives_on() {
    let _alone = common::alone();
    let mut h = page_lab(Lang::En);
    settle(&mut h);
    let id = reserve(&mut h, "16", "Reserve");
    // A range outside the reservation.
    type_number(&mut h, "From page", "10");
    type_number(&mut h, "Page count", "10");
    h.get_by_label("Commit").click();
    settle(&mut h);
    assert!(shows(
        &h,
        &format!("pages 10..20 are outside reservation {id}, which has pages 0..16")
    ));
    // Protecting a reserved page.
    type_number(&mut h, "Page count", "2");
    h.get_by_label("Protect as").click();
    settle(&mut h);
    assert!(shows(
        &h,
        &format!("page 10 of {id} is reserved, not committed")
    ));
    // Writing a reserved page: an access violation, as a message.
    h.get_by_label("Write a byte").click();
    settle(&mut h);
    assert!(
        shows(&h, "access violation writing"),
        "{:?}",
        h.state().log_lines()
    );
    // The real thing, in a child process.
    h.get_by_label("Touch in a child process").click();
    wait_until(&mut h, "the child's death", |h| {
        shows(h, "the child process died of SIGSEGV (11); memlab lives on")
    });
    // Zero pages cannot be reserved: the field says why and keeps 1.
    type_number(&mut h, "Pages to reserve", "0");
    assert!(shows(
        &h,
        "a reservation has 1 to 65536 pages; clamped to 1 (typed 0)"
    ));
    assert_eq!(h.state().controls.reserve_pages, 1);
    // Committing a released reservation.
    h.get_by_label("Release").click();
    settle(&mut h);
    assert_eq!(
        states(&h, id),
        vec![PageState::Free; 16],
        "released pages are free"
    );
    assert!(shows(&h, &format!("{id} · released")));
    h.get_by_label("Commit").click();
    settle(&mut h);
    assert!(shows(
        &h,
        &format!("reservation {id} was released; its pages are free")
    ));
    h.get_by_label("Forget released").click();
    settle(&mut h);
    assert!(!shows(&h, &format!("{id} · released")));
}

/// RLIMIT_MEMLOCK lowered for the test process; put back on drop.
struct LowerLockLimit(libc::rlimit);

impl LowerLockLimit {
    fn to(bytes: u64) -> Self {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let new = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: getrlimit and setrlimit with valid pointers to rlimit values.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut old), 0);
            let new = libc::rlimit {
                rlim_max: old.rlim_max,
                ..new
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_MEMLOCK, &new), 0);
        }
        Self(old)
    }
}

impl Drop for LowerLockLimit {
    fn drop(&mut self) {
        // SAFETY: setrlimit with a valid pointer to the limit read before.
        unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &self.0) };
    }
}

/// Drops CAP_IPC_LOCK from this thread's effective capabilities, so that
/// root is held to RLIMIT_MEMLOCK as a student is. Capabilities belong to a
/// thread (the raw capset call changes only the caller's), and a thread
/// started from this one inherits them: the page lab's worker will be.
fn drop_ipc_lock_on_this_thread() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const CAP_IPC_LOCK: u32 = 14;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with a version-3 header and two data structs,
    // as the kernel expects; pid 0 is the calling thread.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !(1 << CAP_IPC_LOCK);
        assert_eq!(libc::syscall(libc::SYS_capset, &header, data.as_ptr()), 0);
    }
}

#[test]
fn locking_past_the_lock_limit_shows_the_limit() {
    let _alone = common::alone();
    let _limit = LowerLockLimit::to(64 << 10);
    drop_ipc_lock_on_this_thread();
    let mut h = page_lab(Lang::En);
    settle(&mut h);
    let id = reserve(&mut h, "64", "Reserve");
    h.get_by_label("All pages").click();
    h.step();
    h.get_by_label("Commit").click();
    settle(&mut h);
    h.get_by_label("Lock").click();
    settle(&mut h);
    assert!(
        shows(
            &h,
            "mlock refused 262144 bytes (ENOMEM): the lock limit RLIMIT_MEMLOCK is 65536 bytes"
        ),
        "{:?}",
        h.state().log_lines()
    );
    // A smaller range fits, and the grid shows it locked.
    type_number(&mut h, "Page count", "4");
    h.get_by_label("Lock").click();
    settle(&mut h);
    let last = h.state().log_lines().pop().unwrap();
    assert!(
        last.ends_with(&format!("] lock, pages 0..4 of {id}: done")),
        "{last}"
    );
}

#[test]
fn the_page_lab_speaks_korean() {
    let _alone = common::alone();
    let mut h = page_lab(Lang::Ko);
    settle(&mut h);
    let id = reserve(&mut h, "8", "예약");
    type_number(&mut h, "시작 페이지", "6");
    type_number(&mut h, "페이지 수", "4");
    h.get_by_label("커밋").click();
    settle(&mut h);
    assert!(shows(
        &h,
        &format!("6..10번 페이지는 예약 {id}의 범위(0..8)를 벗어납니다")
    ));
    type_number(&mut h, "페이지 수", "2");
    h.get_by_label("커밋").click();
    settle(&mut h);
    assert!(shows(&h, "MEM_COMMIT (커밋됨)"));
    assert!(shows(&h, "비용 (실시간)"));
    h.get_by_label("자식 프로세스에서 접근").click();
    settle(&mut h);
    assert!(shows(&h, "자식 프로세스"), "{:?}", h.state().log_lines());
}

#[test]
fn the_map_finds_the_page_labs_reservation_after_a_refresh() {
    let _alone = common::alone();
    let mut map = lab_harness_zoomed(AddressMapForm::default(), Lang::En, [1200.0, 1400.0], 1.0);
    settle(&mut map);
    assert_eq!(map.state().refreshes(), 1);
    let mut lab = page_lab(Lang::En);
    settle(&mut lab);
    let id = reserve(&mut lab, "64", "Reserve");

    map.get_by_label("Refresh").click();
    wait_until(&mut map, "the second refresh", |h| {
        h.state().settled() && h.state().refreshes() == 2
    });
    map.step();
    let name = format!("page lab reservation {id} (64 pages)");
    let snapshot = map.state().snapshot().unwrap();
    let region = snapshot
        .regions
        .iter()
        .find(|r| r.owner == Some(Owner::PageLab { id, pages: 64 }))
        .expect("the map names the page lab's reservation");
    // At least the reservation: Linux merges it with a neighbouring mapping
    // of the same flags (another test's reservation, in this process).
    assert!(region.size >= 64 * 4096.max(region::page::size()) as u64);
    assert!(shows(&map, "Between refresh 1 and 2"));
    assert!(shows(&map, &name), "the changes list it as appeared");

    // memlab's objects only: a short table, the reservation in it.
    map.get_by_label("memlab's objects only").click();
    map.step();
    map.step();
    assert_eq!(
        map.query_all_by_label(&name).count(),
        1,
        "a row of the table"
    );
    assert!(shows(&map, "Totals per type"));
    assert!(shows(&map, "Largest free block:"));

    // Released in the lab, gone from the map on the next refresh.
    lab.get_by_label("Release").click();
    settle(&mut lab);
    map.get_by_label("Refresh").click();
    wait_until(&mut map, "the third refresh", |h| {
        h.state().settled() && h.state().refreshes() == 3
    });
    let snapshot = map.state().snapshot().unwrap();
    assert!(
        !snapshot
            .regions
            .iter()
            .any(|r| r.owner == Some(Owner::PageLab { id, pages: 64 }))
    );
    map.check_accessibility();
}

#[test]
fn the_map_refreshes_every_second_when_asked() {
    let _alone = common::alone();
    let mut map = lab_harness_zoomed(AddressMapForm::default(), Lang::Ko, [1000.0, 1000.0], 1.0);
    settle(&mut map);
    assert!(shows(&map, "유형별 합계"));
    map.get_by_label("1초마다").click();
    let start = std::time::Instant::now();
    wait_until(&mut map, "another refresh", |h| h.state().refreshes() >= 2);
    // A reservation made now shows up without a click.
    let mut lab = PageLab::new();
    let id = lab.reserve(32).unwrap();
    let name = format!("페이지 실험실의 예약 {id} (32페이지)");
    wait_until(&mut map, "the reservation in the changes", |h| {
        shows(h, &name)
    });
    assert!(
        map.state().refreshes() >= 3,
        "found by a refresh of its own"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert!(shows(&map, "번 사이"), "the diff of two refreshes");
}

#[test]
fn the_map_shows_another_process_picked_from_its_list() {
    let _alone = common::alone();
    let name = common::unique("vm-form-other");
    // The holder's object is removed whatever happens (a stale one is
    // recovered and removed by `info`, the last to leave).
    let _cleanup = common::Cleanup(name.clone());
    let holder = common::Running::shared(&name, &["hold", "--seconds", "30"]);
    let line = holder.line(Duration::from_secs(20)).expect("holder holds");
    assert!(line.starts_with("holding"), "{line}");
    let mut map = lab_harness_zoomed(AddressMapForm::default(), Lang::En, [1200.0, 1400.0], 1.0);
    settle(&mut map);
    assert_eq!(map.state().target_pid(), std::process::id());
    let picker = |h: &Harness<'_, AddressMapForm>| {
        let node = h.get_by_label("Process");
        let node = node.accesskit_node();
        format!("{:?} {:?}", node.value(), node.label())
    };
    assert!(
        picker(&map).contains("memlab itself (PID"),
        "{}",
        picker(&map)
    );
    // The picker lists the account's processes; pick the holder.
    map.get_by_label("Process").click();
    // The list opens (and fades in) over a few frames.
    map.run();
    let entry = format!("PID {} memlab", holder.pid());
    // A long list scrolls: bring the entry into sight first.
    map.get_by_label(&entry).scroll_to_me();
    map.run();
    map.get_by_label(&entry).click();
    wait_until(&mut map, "the other process's map", |h| {
        h.state().settled() && h.state().snapshot().is_some_and(|s| s.pid == holder.pid())
    });
    map.step();
    assert!(shows(&map, &format!("shared text mapping \"{name}\"")));
    assert!(shows(&map, "another process's address space"));
    assert!(
        picker(&map).contains(&format!("PID {} memlab", holder.pid())),
        "{}",
        picker(&map)
    );
    drop(holder);
    // Ended: the next refresh says so, and memlab lives on.
    map.get_by_label("Refresh").click();
    wait_until(&mut map, "the process gone", |h| {
        shows(
            h,
            &format!("there is no process {}", h.state().target_pid()),
        )
    });
    map.state_mut().shutdown();
}

#[test]
fn system_information_shows_the_page_size_in_both_languages() {
    let _alone = common::alone();
    let page = region::page::size();
    for (lang, text) in [(Lang::En, "bytes"), (Lang::Ko, "바이트")] {
        let mut h = lab_harness_zoomed(SystemInfoForm::default(), lang, [1000.0, 900.0], 1.0);
        settle(&mut h);
        assert_eq!(h.state().facts().unwrap().page_size, page);
        assert!(shows(&h, &format!("{page} {text}")), "{lang:?}");
        assert!(shows(&h, "SYSTEM_INFO.dwPageSize"));
        assert!(shows(&h, "/proc/meminfo Committed_AS"));
    }
}

/// Buttons, checkboxes, radios and number fields inside `width` and not on
/// top of one another.
fn controls_fit<S>(h: &Harness<'_, S>, width: f32, what: &str) {
    let roles = [
        Role::Button,
        Role::CheckBox,
        Role::RadioButton,
        Role::SpinButton,
        Role::TextInput,
    ];
    let rects: Vec<(String, egui::Rect)> = roles
        .iter()
        .flat_map(|&role| h.query_all_by_role(role))
        .map(|n| (format!("{n:?}"), n.rect()))
        .collect();
    assert!(!rects.is_empty(), "{what}: no controls");
    for (label, r) in &rects {
        assert!(
            r.min.x >= -0.5 && r.max.x <= width + 0.5,
            "{what}: {label:?} at {r:?} leaves {width}"
        );
    }
    for (i, (a, ra)) in rects.iter().enumerate() {
        for (b, rb) in &rects[i + 1..] {
            let overlap = ra.intersect(*rb);
            assert!(
                overlap.width() <= 0.5 || overlap.height() <= 0.5,
                "{what}: {a:?} {ra:?} is on {b:?} {rb:?}"
            );
        }
    }
}

#[test]
fn the_labs_fit_small_windows_at_every_zoom_in_both_languages() {
    let _alone = common::alone();
    for zoom in [1.0, 1.5, 2.0] {
        for lang in [Lang::En, Lang::Ko] {
            let size = [480.0 / zoom, 360.0 / zoom];
            let what = format!("{lang:?} at zoom {zoom}");
            let mut lab = PageLabForm::default();
            lab.demo();
            let mut h = lab_harness_zoomed(lab, lang, size, zoom);
            settle(&mut h);
            controls_fit(&h, size[0], &format!("page lab, {what}"));
            let mut map = AddressMapForm::default();
            map.demo();
            let mut h = lab_harness_zoomed(map, lang, size, zoom);
            settle(&mut h);
            controls_fit(&h, size[0], &format!("map, {what}"));
            let mut h = lab_harness_zoomed(SystemInfoForm::default(), lang, size, zoom);
            settle(&mut h);
            controls_fit(&h, size[0], &format!("system information, {what}"));
        }
    }
}
