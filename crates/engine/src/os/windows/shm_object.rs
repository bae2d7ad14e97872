//! Named shared memory on Windows, as the book makes it:
//! `CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size,
//! name)` (memory backed by the paging file), `GetLastError() ==
//! ERROR_ALREADY_EXISTS` telling a joiner from the creator, and
//! `MapViewOfFile`. The object lives while any process holds a handle to
//! it and its name goes with the last handle, so the mapping handle is
//! kept open as long as the view (there is nothing stale to recover).
//!
//! Names: memlab's objects are `Local\memlab.<name>` (the session's
//! namespace: per user, as `/run/user/<uid>` is on Linux); a name given as
//! `Global\<name>` asks for the machine-wide namespace, which needs the
//! privilege `SeCreateGlobalPrivilege`: without it Windows says
//! `ERROR_ACCESS_DENIED`, reported as [`ObjectError::GlobalNeedsPrivilege`].

use std::fmt;
use std::io;

use serde::Serialize;
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE,
    GetLastError, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_ALL_ACCESS, MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile,
    OpenFileMappingW, PAGE_READWRITE, UnmapViewOfFile,
};

use super::OwnedHandle;
use crate::error::{ErrorKind, HasKind};
use crate::i18n::{Lang, Localized};
use crate::os::names::{NameProblem, name_problem};

/// The namespace a named object lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    /// `Local\`: this session's (per user), memlab's default.
    Local,
    /// `Global\`: every session's; creating needs `SeCreateGlobalPrivilege`.
    Global,
}

/// A mapping name as a person gives it (`SampleMMF`, `Local\SampleMMF` or
/// `Global\SampleMMF`), split into its namespace and its own name, which
/// must pass the rule of names (no `\` in it).
pub fn split_name(name: &str) -> Result<(Namespace, &str), NameProblem> {
    let (namespace, own) = if let Some(own) = name.strip_prefix("Global\\") {
        (Namespace::Global, own)
    } else if let Some(own) = name.strip_prefix("Local\\") {
        (Namespace::Local, own)
    } else {
        (Namespace::Local, name)
    };
    match name_problem(own) {
        Some(problem) => Err(problem),
        None => Ok((namespace, own)),
    }
}

/// What is wrong with `name` as a mapping name, if anything: a `Local\`
/// or `Global\` prefix, then a name that passes the one rule of names.
pub fn mapping_name_problem(name: &str) -> Option<NameProblem> {
    split_name(name).err()
}

/// The kernel object's name for memlab's object `own` (a checked name) in
/// `namespace`, with `suffix` for the objects that go with it (`.LockMap`,
/// `.slot.3`): `Local\memlab.SampleMMF.LockMap`.
pub fn object_name(namespace: Namespace, own: &str, suffix: &str) -> String {
    let prefix = match namespace {
        Namespace::Local => "Local",
        Namespace::Global => "Global",
    };
    format!("{prefix}\\memlab.{own}{suffix}")
}

/// What memlab was doing when Windows said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IoOp {
    Create,
    Open,
    Map,
    Lock,
    Inspect,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "creating",
            Self::Open => "opening",
            Self::Map => "mapping a view of",
            Self::Lock => "locking",
            Self::Inspect => "inspecting",
        })
    }
}

/// Why a named object could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error(
        "{name} is in the Global\\ namespace, which needs the privilege SeCreateGlobalPrivilege (administrators and services have it): use a name without Global\\ (memlab's objects are Local\\, per user), or run memlab as an administrator"
    )]
    GlobalNeedsPrivilege { name: String },
    #[error(
        "{name} exists and this account may not open it (another account's or another session's object): memlab never uses it; use another name"
    )]
    Denied { name: String },
    #[error("the name {name} is taken by another kind of object: use another name")]
    NameTaken { name: String },
    #[error("all {max} instance slots of {name} are taken")]
    Full { name: String, max: usize },
    #[error("{op} {name}: {source}")]
    Io {
        op: IoOp,
        name: String,
        #[source]
        source: io::Error,
    },
}

impl HasKind for ObjectError {
    fn kind(&self) -> ErrorKind {
        match self {
            // The name cannot be used here: another one must be chosen.
            Self::GlobalNeedsPrivilege { .. } | Self::Denied { .. } | Self::NameTaken { .. } => {
                ErrorKind::Denied
            }
            Self::Full { .. } => ErrorKind::Busy,
            Self::Io { .. } => ErrorKind::Os,
        }
    }
}

/// The error for a failed call on the object `name`: the refusals Windows
/// documents, named; anything else as the OS said it.
pub fn object_error(op: IoOp, name: &str, source: io::Error) -> ObjectError {
    let name = name.to_owned();
    match source.raw_os_error().map(|code| code as u32) {
        Some(ERROR_ACCESS_DENIED) if name.starts_with("Global\\") => {
            ObjectError::GlobalNeedsPrivilege { name }
        }
        Some(ERROR_ACCESS_DENIED) => ObjectError::Denied { name },
        // A mutex asked for under a mapping's name, or the reverse.
        Some(ERROR_INVALID_HANDLE) => ObjectError::NameTaken { name },
        _ => ObjectError::Io { op, name, source },
    }
}

/// A named mapping of the paging file and this process's view of it; the
/// handle stays open as long as the view, so the name lives as long.
#[derive(Debug)]
pub struct NamedMapping {
    /// Open as long as the view: the object's name lives with its handles.
    _handle: OwnedHandle,
    view: *mut u8,
    len: usize,
    name: String,
    created: bool,
}

// SAFETY: the view is plain shared memory, valid until drop; every access
// goes through `read`/`write`, which copy bytes and hold no reference.
unsafe impl Send for NamedMapping {}
// SAFETY: as above: concurrent copies are what shared memory is for (the
// callers serialise what must be, with a mutex).
unsafe impl Sync for NamedMapping {}

impl NamedMapping {
    /// `CreateFileMappingW(INVALID_HANDLE_VALUE, ..., PAGE_READWRITE, 0,
    /// len, name)` and a view of `len` bytes. A mapping that already exists
    /// is opened (`ERROR_ALREADY_EXISTS`: see [`created`](Self::created))
    /// with the size its creator gave it; one smaller than `len` fails to map.
    pub fn create_or_open(name: &str, len: usize) -> Result<Self, ObjectError> {
        let wide = super::wide(name);
        let size = u64::try_from(len).expect("usize fits u64");
        // SAFETY: INVALID_HANDLE_VALUE asks for paging-file memory; no
        // attributes; a NUL-terminated name that outlives the call.
        let handle = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (size >> 32) as u32,
                size as u32,
                wide.as_ptr(),
            )
        };
        // SAFETY: plain call, right after the one whose result it explains.
        let existed = !handle.is_null() && unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
        let handle = OwnedHandle::new(handle).map_err(|e| object_error(IoOp::Create, name, e))?;
        Self::map(handle, name, len, !existed)
    }

    /// `OpenFileMappingW`: the mapping if some process holds it.
    pub fn open_existing(name: &str, len: usize) -> Result<Option<Self>, ObjectError> {
        let wide = super::wide(name);
        // SAFETY: a NUL-terminated name that outlives the call.
        let handle = unsafe { OpenFileMappingW(FILE_MAP_ALL_ACCESS, 0, wide.as_ptr()) };
        match OwnedHandle::new(handle) {
            Ok(handle) => Self::map(handle, name, len, false).map(Some),
            Err(e) if e.raw_os_error() == Some(ERROR_FILE_NOT_FOUND as i32) => Ok(None),
            Err(e) => Err(object_error(IoOp::Open, name, e)),
        }
    }

    fn map(
        handle: OwnedHandle,
        name: &str,
        len: usize,
        created: bool,
    ) -> Result<Self, ObjectError> {
        // SAFETY: a live mapping handle; the view is checked below.
        let view = unsafe { MapViewOfFile(handle.raw(), FILE_MAP_ALL_ACCESS, 0, 0, len) };
        if view.Value.is_null() {
            return Err(object_error(IoOp::Map, name, io::Error::last_os_error()));
        }
        Ok(Self {
            _handle: handle,
            view: view.Value.cast(),
            len,
            name: name.into(),
            created,
        })
    }

    /// True if this process made the object (`GetLastError()` was not
    /// `ERROR_ALREADY_EXISTS`).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The kernel object's name, e.g. `Local\memlab.SampleMMF`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The view's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a view has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `buf.len()` bytes from offset `at` of the view.
    pub fn read(&self, at: usize, buf: &mut [u8]) {
        assert!(at + buf.len() <= self.len, "read past the view");
        // SAFETY: inside the view (asserted), which no Rust reference
        // points into; a section's pages cannot vanish while it is mapped.
        unsafe { std::ptr::copy_nonoverlapping(self.view.add(at), buf.as_mut_ptr(), buf.len()) };
    }

    /// Copies `bytes` into the view at offset `at`.
    pub fn write(&self, at: usize, bytes: &[u8]) {
        assert!(at + bytes.len() <= self.len, "write past the view");
        // SAFETY: as for `read`; the view is mapped read-write.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.view.add(at), bytes.len()) };
    }

    /// The view's address (for the address-space map).
    pub fn address(&self) -> usize {
        self.view as usize
    }
}

impl Drop for NamedMapping {
    fn drop(&mut self) {
        // SAFETY: the view this mapping made, unmapped once; the handle
        // closes after it (OwnedHandle's drop).
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.view.cast(),
            })
        };
    }
}

impl Localized for ObjectError {
    fn localized(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Self::GlobalNeedsPrivilege { name } => format!(
                "{name}: Global\\ 이름 공간은 SeCreateGlobalPrivilege 권한(관리자와 서비스에 있음)이 있어야 합니다. \
                 Global\\ 없는 이름을 쓰거나(memlab의 개체는 사용자별 Local\\입니다), memlab을 관리자로 실행하세요"
            ),
            Self::Denied { name } => format!(
                "{name}: 이미 있지만 이 계정은 열 수 없습니다(다른 계정이나 다른 세션의 개체). \
                 memlab은 이 개체를 쓰지 않습니다. 다른 이름을 쓰세요"
            ),
            Self::NameTaken { name } => {
                format!("이름 {name}은(는) 다른 종류의 개체가 쓰고 있습니다. 다른 이름을 쓰세요")
            }
            Self::Full { name, max } => format!("{name}의 인스턴스 자리 {max}개가 모두 찼습니다"),
            Self::Io { op, name, source } => format!(
                "{name}: {} 실패 - {}",
                op.localized(lang),
                source.localized(lang)
            ),
        }
    }
}

impl Localized for IoOp {
    fn localized(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ko => match self {
                Self::Create => "만들기",
                Self::Open => "열기",
                Self::Map => "뷰 매핑",
                Self::Lock => "잠그기",
                Self::Inspect => "살펴보기",
            }
            .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(tag: &str) -> String {
        format!("Local\\memlab-test.{tag}.{}", std::process::id())
    }

    #[test]
    fn the_first_creates_the_second_joins_and_both_see_the_bytes() {
        let name = unique("join");
        let a = NamedMapping::create_or_open(&name, 4096).unwrap();
        assert!(a.created());
        let b = NamedMapping::create_or_open(&name, 4096).unwrap();
        assert!(!b.created(), "ERROR_ALREADY_EXISTS not seen");
        a.write(10, "샘플".as_bytes());
        let mut got = [0u8; 6];
        b.read(10, &mut got);
        assert_eq!(&got, "샘플".as_bytes());
    }

    #[test]
    fn the_name_lives_while_a_handle_does() {
        let name = unique("life");
        assert!(NamedMapping::open_existing(&name, 4096).unwrap().is_none());
        let a = NamedMapping::create_or_open(&name, 4096).unwrap();
        a.write(0, b"kept");
        let b = NamedMapping::open_existing(&name, 4096).unwrap().unwrap();
        drop(a);
        let c = NamedMapping::open_existing(&name, 4096).unwrap().unwrap();
        let mut got = [0u8; 4];
        c.read(0, &mut got);
        assert_eq!(&got, b"kept");
        drop((b, c));
        assert!(NamedMapping::open_existing(&name, 4096).unwrap().is_none());
    }

    #[test]
    fn names_split_into_namespace_and_a_checked_name() {
        assert_eq!(split_name("SampleMMF"), Ok((Namespace::Local, "SampleMMF")));
        assert_eq!(split_name("Local\\A"), Ok((Namespace::Local, "A")));
        assert_eq!(split_name("Global\\A"), Ok((Namespace::Global, "A")));
        assert_eq!(split_name("Local\\a\\b"), Err(NameProblem::Slash));
        assert_eq!(split_name("Session\\1\\x"), Err(NameProblem::Slash));
        assert_eq!(split_name("Local\\"), Err(NameProblem::Empty));
        assert_eq!(
            object_name(Namespace::Local, "SampleMMF", ".LockMap"),
            "Local\\memlab.SampleMMF.LockMap"
        );
    }

    #[test]
    fn a_mutex_name_is_refused_for_a_mapping_by_kind() {
        let name = unique("kind");
        let _mutex = crate::os::named_mutex::NamedMutex::create(&name).unwrap();
        match NamedMapping::create_or_open(&name, 4096) {
            Err(ObjectError::NameTaken { name: n }) => assert_eq!(n, name),
            other => panic!("expected NameTaken, got {other:?}"),
        }
    }
}
