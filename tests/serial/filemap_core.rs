//! The file-mapping engine on real files: the size rules, views at offsets,
//! the unaligned-offset lesson, closed things refused, exclusive and shared
//! opening, a file shortened by another process (`truncate`), read-only
//! files and the change stamp.

#![cfg(target_os = "linux")]

use crate::common;
use common::InDir;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use memlab_engine::filemap::{
    Access, Disposition, FileMapError, FileMapSession, MappingState, OpenRequest, RawCall,
    ReadOnlyWhy, Sharing, granularity,
};

fn open(path: &Path) -> FileMapSession {
    FileMapSession::open(path, OpenRequest::default())
        .expect("open")
        .0
}

fn page() -> u64 {
    granularity()
}

#[test]
fn mapping_sizes_follow_the_book() {
    let _alone = common::alone();
    let dir = common::temp_dir("sizes");
    let path = dir.file("f.bin");
    let (mut s, opened) = FileMapSession::open(&path, OpenRequest::default()).unwrap();
    assert!(opened.created);
    assert_eq!(opened.len, 0);

    // Size 0 on an empty file: the error Windows gives too.
    assert!(matches!(
        s.create_mapping(0),
        Err(FileMapError::EmptyFile { path: p }) if p == path
    ));
    assert_eq!(s.mapping(), MappingState::None);

    // Larger than the file: the file grows first, sizes before and after.
    let made = s.create_mapping(3 * page()).unwrap();
    assert_eq!(
        (made.size, made.file_len_before, made.file_len_after),
        (3 * page(), 0, 3 * page())
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * page());
    assert!(matches!(
        s.create_mapping(0),
        Err(FileMapError::MappingOpen { size }) if size == 3 * page()
    ));
    s.close_mapping().unwrap();
    drop(s);

    // 0 = the file's size.
    let mut s = open(&path);
    let made = s.create_mapping(0).unwrap();
    assert_eq!((made.size, made.file_len_after), (3 * page(), 3 * page()));
    s.close_mapping().unwrap();
    drop(s);

    // Smaller: only that part is mapped; the file keeps its size.
    let mut s = open(&path);
    let made = s.create_mapping(100).unwrap();
    assert_eq!(
        (made.size, made.file_len_before, made.file_len_after),
        (100, 3 * page(), 3 * page())
    );
    assert!(matches!(
        s.map_view(0, 101),
        Err(FileMapError::ViewOutOfRange {
            mapping_size: 100,
            ..
        })
    ));
    let whole = s.map_view(0, 0).unwrap();
    assert_eq!(whole.len, 100, "length 0 maps to the end of the mapping");
    assert!(matches!(
        s.map_view(100, 0),
        Err(FileMapError::ViewOutOfRange { .. })
    ));
}

#[test]
fn views_at_offsets_see_the_same_bytes_as_each_other_and_the_file() {
    let _alone = common::alone();
    let dir = common::temp_dir("views");
    let path = dir.file("f.bin");
    let mut s = open(&path);
    s.create_mapping(4 * page()).unwrap();
    let whole = s.map_view(0, 0).unwrap();
    let second_page = s.map_view(page(), page()).unwrap();
    assert_ne!(whole.address, second_page.address);

    let text = "샘플입니다 ! through the second view";
    s.write_view(second_page.view, 10, text.as_bytes()).unwrap();
    let mut seen = vec![0; text.len()];
    s.read_view(whole.view, page() + 10, &mut seen).unwrap();
    assert_eq!(
        seen,
        text.as_bytes(),
        "the other view sees the write at once"
    );
    let mut read = vec![0; text.len()];
    assert_eq!(s.read_file(page() + 10, &mut read).unwrap(), text.len());
    assert_eq!(read, text.as_bytes(), "an ordinary read sees it too");

    // By file offset: the first view that holds the bytes.
    let w = s.write_at_file_offset(3 * page() + 5, b"xyz").unwrap();
    assert_eq!(
        (w.view, w.at, w.file_offset),
        (whole.view, 3 * page() + 5, 3 * page() + 5)
    );
    assert!(matches!(
        s.write_at_file_offset(4 * page() - 1, b"ab"),
        Err(FileMapError::NoViewAt { .. })
    ));
    assert!(matches!(
        s.read_view(second_page.view, page() - 1, &mut [0; 2]),
        Err(FileMapError::OutsideView { .. })
    ));

    // An unaligned offset: memmap2 rounds down, the raw call says EINVAL.
    let odd = s.map_view(page() + 10, 100).unwrap();
    let note = odd.unaligned.expect("an unaligned view carries the note");
    assert_eq!(note.mapped_from, page());
    assert_eq!(note.granularity, page());
    assert_eq!(
        note.raw_mmap,
        RawCall::Failed {
            errno: libc::EINVAL
        }
    );
    assert_eq!(odd.address % page() as usize, 10);
    let mut head = vec![0; 12];
    s.read_view(odd.view, 0, &mut head).unwrap();
    assert_eq!(
        head,
        &text.as_bytes()[..12],
        "the view starts at the asked byte"
    );
    assert!(second_page.unaligned.is_none());
}

#[test]
fn closed_views_mappings_and_files_are_refused_clearly() {
    let _alone = common::alone();
    let dir = common::temp_dir("closed");
    let path = dir.file("f.bin");
    let mut s = open(&path);
    assert!(matches!(s.map_view(0, 1), Err(FileMapError::NoMapping)));
    s.create_mapping(2 * page()).unwrap();
    let a = s.map_view(0, page()).unwrap();
    let b = s.map_view(page(), page()).unwrap();

    s.unmap_view(a.view).unwrap();
    assert!(matches!(
        s.read_view(a.view, 0, &mut [0; 1]),
        Err(FileMapError::ViewClosed { view }) if view == a.view
    ));
    assert!(matches!(
        s.unmap_view(a.view),
        Err(FileMapError::ViewClosed { .. })
    ));
    assert!(matches!(
        s.flush_view(99),
        Err(FileMapError::NoSuchView { view: 99 })
    ));

    assert!(matches!(
        s.set_end_of_file(10),
        Err(FileMapError::StillMapped {
            views: 1,
            mapping_open: true
        })
    ));

    // After CloseHandle(mapping) the views work, new ones are refused.
    s.close_mapping().unwrap();
    assert!(matches!(s.map_view(0, 1), Err(FileMapError::MappingClosed)));
    assert!(matches!(
        s.close_mapping(),
        Err(FileMapError::MappingClosed)
    ));
    s.write_view(b.view, 0, b"still here").unwrap();

    // After CloseHandle(file) too; operations on the handle are refused,
    // while the file itself stays open (the views keep it), so an ordinary
    // read still compares with the view.
    s.close_file().unwrap();
    assert!(!s.is_file_open());
    assert!(s.file_still_open());
    let mut back = [0; 10];
    s.read_view(b.view, 0, &mut back).unwrap();
    assert_eq!(&back, b"still here");
    let mut read = [0; 10];
    assert_eq!(s.read_file(b.offset, &mut read).unwrap(), 10);
    assert_eq!(&read, b"still here");
    assert_eq!(
        s.file_len().unwrap(),
        std::fs::metadata(&path).unwrap().len()
    );
    assert!(matches!(s.create_mapping(0), Err(FileMapError::FileClosed)));
    assert!(matches!(
        s.set_end_of_file(0),
        Err(FileMapError::FileClosed)
    ));
    assert!(matches!(s.close_file(), Err(FileMapError::FileClosed)));

    // The file stays locked while a view maps it, as on Windows.
    assert!(matches!(
        FileMapSession::open(&path, OpenRequest::default()),
        Err(FileMapError::InUse { .. })
    ));
    s.unmap_view(b.view).unwrap();
    // The last view gone, the file is closed for good.
    assert!(matches!(
        s.read_file(0, &mut back),
        Err(FileMapError::FileClosed)
    ));
    drop(s);

    // Nothing mapped: SetEndOfFile works, either way.
    let mut s = open(&path);
    let mut head = [0; 10];
    s.read_file(page(), &mut head).unwrap();
    assert_eq!(
        &head, b"still here",
        "the bytes written through the view are in the file"
    );
    let eof = s.set_end_of_file(10).unwrap();
    assert_eq!((eof.before, eof.after), (2 * page(), 10));
    let eof = s.set_end_of_file(5000).unwrap();
    assert_eq!((eof.before, eof.after), (10, 5000));
    s.read_file(page(), &mut head).unwrap();
    assert_eq!(head, [0; 10], "cut at 10 bytes, then grown: zeros");
}

#[test]
fn exclusive_and_shared_opening() {
    let _alone = common::alone();
    let dir = common::temp_dir("sharing");
    let path = dir.file("f.bin");
    let shared = OpenRequest {
        sharing: Sharing::Shared,
        ..OpenRequest::default()
    };
    let first = open(&path);
    match FileMapSession::open(&path, shared) {
        Err(FileMapError::InUse {
            holder: Some(holder),
            holder_shares: false,
            ..
        }) => assert_eq!(holder.pid, std::process::id()),
        other => panic!("expected in use, got {other:?}"),
    }
    drop(first);

    let (mut a, _) = FileMapSession::open(&path, shared).unwrap();
    let (mut b, _) = FileMapSession::open(&path, shared).unwrap();
    assert!(matches!(
        FileMapSession::open(&path, OpenRequest::default()),
        Err(FileMapError::InUse {
            holder_shares: true,
            ..
        })
    ));

    // Sharing on purpose: a write in one is seen in the other, and the
    // change stamp moves for the other to notice.
    a.create_mapping(page()).unwrap();
    b.create_mapping(0).unwrap();
    let va = a.map_view(0, 0).unwrap();
    let vb = b.map_view(0, 0).unwrap();
    let before = b.change_stamp().expect("a change stamp");
    a.write_view(va.view, 0, b"from a").unwrap();
    let after = b.change_stamp().unwrap();
    assert_ne!(before, after, "b sees that someone wrote");
    let mut seen = [0; 6];
    b.read_view(vb.view, 0, &mut seen).unwrap();
    assert_eq!(&seen, b"from a");
    a.write_view(va.view, 0, b"again!").unwrap();
    assert_ne!(b.change_stamp().unwrap(), after);

    // The last one to leave removes the stamp object.
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
    let uid = memlab_engine::os::shm_object::euid();
    let ours = || {
        std::fs::read_dir("/dev/shm")
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.starts_with(&format!("memlab-filemap.{uid}."))
                            && name.ends_with(&format!("-{ino}"))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(ours(), 1);
    drop(a);
    assert_eq!(ours(), 1, "b still uses it");
    drop(b);
    assert_eq!(ours(), 0, "a stamp object was left behind in /dev/shm");
}

#[test]
fn a_file_shortened_by_another_process_is_reported_not_sigbus() {
    let _alone = common::alone();
    let dir = common::temp_dir("shortened");
    let path = dir.file("f.bin");
    let mut s = open(&path);
    s.create_mapping(3 * page()).unwrap();
    let v = s.map_view(0, 0).unwrap();
    s.write_view(v.view, 0, b"kept").unwrap();
    s.write_view(v.view, 2 * page(), b"lost").unwrap();

    let status = Command::new("truncate")
        .args(["-s", "100"])
        .arg(&path)
        .status()
        .expect("run truncate");
    assert!(status.success());

    let shortened = |e: FileMapError| match e {
        FileMapError::FileShortened { file_len, .. } => file_len,
        other => panic!("expected FileShortened, got {other:?}"),
    };
    let mut buf = [0; 4];
    assert_eq!(
        shortened(s.read_view(v.view, 2 * page(), &mut buf).unwrap_err()),
        100
    );
    assert_eq!(
        shortened(s.write_view(v.view, page(), b"x").unwrap_err()),
        100
    );
    assert_eq!(shortened(s.flush_view(v.view).unwrap_err()), 100);
    let message = s
        .read_view(v.view, 0, &mut [0; 200])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("the file was shortened to 100 bytes by someone else"),
        "{message}"
    );
    // What is still there reads fine.
    assert_eq!(s.backed_len(v.view).unwrap(), 100);
    s.read_view(v.view, 0, &mut buf).unwrap();
    assert_eq!(&buf, b"kept");
}

#[test]
fn read_only_files_are_refused_for_writing_and_mapped_read_only() {
    let _alone = common::alone();
    let dir = common::temp_dir("readonly");
    let path = dir.file("ro.bin");
    std::fs::write(&path, b"read me").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();

    assert!(matches!(
        FileMapSession::open(&path, OpenRequest::default()),
        Err(FileMapError::ReadOnly {
            why: ReadOnlyWhy::NoWriteBit,
            ..
        })
    ));
    let read_only = OpenRequest {
        access: Access::ReadOnly,
        disposition: Disposition::OpenExisting,
        ..OpenRequest::default()
    };
    let (mut s, _) = FileMapSession::open(&path, read_only).unwrap();
    assert!(matches!(
        s.create_mapping(4096),
        Err(FileMapError::ReadOnlyAccess { .. })
    ));
    s.create_mapping(0).unwrap();
    let v = s.map_view(0, 0).unwrap();
    let mut buf = [0; 7];
    s.read_view(v.view, 0, &mut buf).unwrap();
    assert_eq!(&buf, b"read me");
    assert!(matches!(
        s.write_view(v.view, 0, b"no"),
        Err(FileMapError::ReadOnlyAccess { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"read me");
}

#[test]
fn a_flush_reaches_the_file_for_another_process() {
    let _alone = common::alone();
    let dir = common::temp_dir("flush");
    let path = dir.file("f.bin");
    let mut s = open(&path);
    s.create_mapping(1 << 20).unwrap();
    let v = s.map_view(0, 0).unwrap();
    s.write_view(v.view, 12345, b"flushed to the file").unwrap();
    let flushed = s.flush_view(v.view).unwrap();
    assert_eq!(flushed.bytes, 1 << 20);
    let out = Command::new("dd")
        .arg(format!("if={}", path.display()))
        .args(["bs=1", "skip=12345", "count=19", "status=none"])
        .output()
        .expect("run dd");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "flushed to the file");
}

#[test]
fn bad_paths_are_typed_errors() {
    let _alone = common::alone();
    let dir = common::temp_dir("badpaths");
    let missing = dir.file("no-such-dir").join("f.bin");
    assert!(matches!(
        FileMapSession::open(&missing, OpenRequest::default()),
        Err(FileMapError::NotFound { .. })
    ));
    let existing_only = OpenRequest {
        disposition: Disposition::OpenExisting,
        ..OpenRequest::default()
    };
    assert!(matches!(
        FileMapSession::open(&dir.file("absent"), existing_only),
        Err(FileMapError::NotFound { .. })
    ));
    assert!(!dir.file("absent").exists(), "OpenExisting creates nothing");
    let read_only = OpenRequest {
        access: Access::ReadOnly,
        ..OpenRequest::default()
    };
    assert!(matches!(
        FileMapSession::open(&dir.file("absent"), read_only),
        Err(FileMapError::NotFound { .. })
    ));
    assert!(
        !dir.file("absent").exists(),
        "a read-only open creates nothing"
    );
    assert!(matches!(
        FileMapSession::open(dir.path(), OpenRequest::default()),
        Err(FileMapError::IsADirectory { .. })
    ));
    assert!(matches!(
        FileMapSession::open(Path::new("/dev/null"), OpenRequest::default()),
        Err(FileMapError::NotRegularFile { .. })
    ));
}

#[test]
fn an_instance_sharing_the_file_cannot_cut_it_while_another_maps_it() {
    let _alone = common::alone();
    let dir = common::temp_dir("elsewhere");
    let path = dir.file("shared.bin");
    let shared = OpenRequest {
        sharing: Sharing::Shared,
        ..OpenRequest::default()
    };
    let (mut one, _) = FileMapSession::open(&path, shared).unwrap();
    one.create_mapping(4 * page()).unwrap();
    let (mut two, _) = FileMapSession::open(&path, shared).unwrap();
    // Two open files in one process: two instances, as far as the file knows.
    let refused = two.set_end_of_file(100);
    assert!(
        matches!(&refused, Err(FileMapError::MappedElsewhere { pid: Some(p), .. }) if *p == std::process::id()),
        "{refused:?}"
    );
    let view = one.map_view(0, 0).unwrap();
    one.close_mapping().unwrap();
    assert!(
        matches!(
            two.set_end_of_file(100),
            Err(FileMapError::MappedElsewhere { .. })
        ),
        "a view still maps it"
    );
    one.unmap_view(view.view).unwrap();
    let cut = two.set_end_of_file(100).unwrap();
    assert_eq!((cut.before, cut.after), (4 * page(), 100));
}
