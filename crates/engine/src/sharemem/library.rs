//! Finding and loading the ShareMem library (crates/sharemem-dll) with
//! `libloading` (dlopen / LoadLibraryW), and its C ABI as Rust calls.

use std::path::{Path, PathBuf};

use super::ShareMemError;

/// The library's file name on this OS.
pub const LIBRARY_FILE: &str = if cfg!(windows) {
    "memlab_sharemem.dll"
} else if cfg!(target_os = "macos") {
    "libmemlab_sharemem.dylib"
} else {
    "libmemlab_sharemem.so"
};

/// An environment variable naming the library's path, searched instead of
/// the folders next to memlab.
pub const LIBRARY_ENV: &str = "MEMLAB_SHAREMEM_LIBRARY";

/// The library's ABI version this memlab speaks (crates/sharemem-dll's
/// `SM_ABI_VERSION`).
pub const ABI_VERSION: u32 = 2;
/// `sm_take_string`'s answer for a pointer the library's own manager never
/// gave out (the library's `SM_NOT_MINE`).
pub const LIBRARY_NOT_MINE: i32 = 3;

/// The library's counters (its `SmCounters`, field for field).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LibraryCounters {
    /// Blocks its own manager gave out.
    pub own_allocs: u64,
    /// Blocks its own manager took back.
    pub own_frees: u64,
    /// Bytes (headers included) of its own manager's live blocks.
    pub own_live_bytes: u64,
    /// Blocks it got from the program's manager.
    pub shared_allocs: u64,
    /// Blocks it gave back to the program's manager.
    pub shared_frees: u64,
    /// 1 while the program's manager is its manager.
    pub shared_manager: u32,
}

type GetMem = unsafe extern "C" fn(usize) -> *mut u8;
type FreeMem = unsafe extern "C" fn(*mut u8) -> i32;
type AllocMemCount = unsafe extern "C" fn() -> u64;

/// The places searched for the library, in order: `$MEMLAB_SHAREMEM_LIBRARY`
/// alone if set (and not empty); else the `deps` folder beside `exe`, then
/// beside `exe`.
/// Cargo builds the library, as memlab's dependency, into
/// `target/<profile>/deps/` beside `target/<profile>/memlab`, and that copy
/// is rebuilt with memlab; the one beside the exe (copied up by cargo when
/// the library itself is built, or by whoever installs memlab elsewhere)
/// may be older, so it comes second.
pub fn search_path(exe: &Path) -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os(LIBRARY_ENV).filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(path)];
    }
    let dir = exe.parent().unwrap_or(Path::new("."));
    vec![dir.join("deps").join(LIBRARY_FILE), dir.join(LIBRARY_FILE)]
}

/// The library's path for the program at `exe` (see [`search_path`]).
pub fn locate(exe: &Path) -> Result<PathBuf, ShareMemError> {
    let searched = search_path(exe);
    if let Some(found) = searched.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    // Something there that is not a file is named as such, not as missing.
    match searched.iter().find(|p| std::fs::metadata(p).is_ok()) {
        Some(odd) => Err(ShareMemError::NotAFile { path: odd.clone() }),
        None => Err(ShareMemError::LibraryNotFound { searched }),
    }
}

/// The loaded library and its functions.
pub struct Library {
    path: PathBuf,
    make_string: unsafe extern "C" fn(*const u8, usize) -> *mut u8,
    free_string: unsafe extern "C" fn(*mut u8) -> i32,
    take_string: unsafe extern "C" fn(*mut u8) -> i32,
    set_memory_manager:
        extern "C" fn(Option<GetMem>, Option<FreeMem>, Option<AllocMemCount>) -> i32,
    alloc_mem_count: extern "C" fn() -> u64,
    counters: unsafe extern "C" fn(*mut LibraryCounters),
    arena_range: unsafe extern "C" fn(*mut usize, *mut usize),
    /// Last, so that the functions above never outlive it.
    _library: libloading::Library,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.path).finish()
    }
}

impl Library {
    /// Loads the library at `path` and checks its ABI version.
    pub fn load(path: &Path) -> Result<Self, ShareMemError> {
        let load_error = |e: libloading::Error| ShareMemError::Load {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // SAFETY: the library is memlab's own (crates/sharemem-dll): its
        // initialisers are Rust's and do nothing unsound.
        let library = unsafe { libloading::Library::new(path) }.map_err(load_error)?;
        // SAFETY: sm_abi_version has this type in every version of the library.
        let abi_version: extern "C" fn() -> u32 =
            unsafe { symbol(&library, path, b"sm_abi_version\0") }?;
        let found = abi_version();
        if found != ABI_VERSION {
            return Err(ShareMemError::AbiVersion {
                path: path.to_path_buf(),
                found,
                expected: ABI_VERSION,
            });
        }
        // SAFETY: each symbol has this type in crates/sharemem-dll of this
        // ABI version (checked above); the pointers are kept only as long
        // as `library` (same struct, dropped last).
        unsafe {
            Ok(Self {
                path: path.to_path_buf(),
                make_string: symbol(&library, path, b"sm_make_string\0")?,
                free_string: symbol(&library, path, b"sm_free_string\0")?,
                take_string: symbol(&library, path, b"sm_take_string\0")?,
                set_memory_manager: symbol(&library, path, b"sm_set_memory_manager\0")?,
                alloc_mem_count: symbol(&library, path, b"sm_alloc_mem_count\0")?,
                counters: symbol(&library, path, b"sm_counters\0")?,
                arena_range: symbol(&library, path, b"sm_arena_range\0")?,
                _library: library,
            })
        }
    }

    /// Where it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A NUL-terminated copy of `text` from the library's current manager.
    pub fn make_string(&self, text: &str) -> Result<*mut u8, ShareMemError> {
        // SAFETY: `text` has `text.len()` readable bytes.
        let p = unsafe { (self.make_string)(text.as_ptr(), text.len()) };
        if p.is_null() {
            Err(ShareMemError::NoRoom {
                bytes: text.len() + 1,
            })
        } else {
            Ok(p)
        }
    }

    /// The library frees `p` with its current manager (0 when freed).
    ///
    /// # Safety
    /// `p` came from [`make_string`](Self::make_string) under the library's
    /// current manager and is not freed.
    pub unsafe fn free_string(&self, p: *mut u8) -> i32 {
        // SAFETY: the caller's contract.
        unsafe { (self.free_string)(p) }
    }

    /// The library frees `p`, a string the program made, with its current
    /// manager: 0 when freed, [`LIBRARY_NOT_MINE`] when its own manager
    /// refused it untouched.
    ///
    /// # Safety
    /// `p` is a live block of the program's manager, not freed.
    pub unsafe fn take_string(&self, p: *mut u8) -> i32 {
        // SAFETY: the caller's contract; the library's own manager touches
        // nothing outside its arena.
        unsafe { (self.take_string)(p) }
    }

    /// Hands the library the program's manager (`Some`), or gives it its
    /// own back (`None`): ShareMem's SetMemoryManager.
    pub fn set_memory_manager(
        &self,
        manager: Option<(GetMem, FreeMem, AllocMemCount)>,
    ) -> Result<(), ShareMemError> {
        let code = match manager {
            Some((get, free, count)) => {
                (self.set_memory_manager)(Some(get), Some(free), Some(count))
            }
            None => (self.set_memory_manager)(None, None, None),
        };
        match code {
            0 => Ok(()),
            _ => Err(ShareMemError::ManagerInUse {
                shared: manager.is_some(),
            }),
        }
    }

    /// The live blocks of the library's current manager (its AllocMemCount).
    pub fn alloc_mem_count(&self) -> u64 {
        (self.alloc_mem_count)()
    }

    /// The library's counters.
    pub fn counters(&self) -> LibraryCounters {
        let mut out = LibraryCounters::default();
        // SAFETY: `out` is a writable SmCounters (same layout).
        unsafe { (self.counters)(&mut out) };
        out
    }

    /// The library's own arena: first address and length.
    pub fn arena(&self) -> (usize, usize) {
        let (mut start, mut len) = (0, 0);
        // SAFETY: two writable usizes.
        unsafe { (self.arena_range)(&mut start, &mut len) };
        (start, len)
    }
}

/// The function `name` (NUL-terminated) of `library`, as a `T`.
///
/// # Safety
/// `T` is the function's type in the library, and the value is used only
/// while `library` is loaded.
unsafe fn symbol<T: Copy>(
    library: &libloading::Library,
    path: &Path,
    name: &[u8],
) -> Result<T, ShareMemError> {
    // SAFETY: the caller's contract.
    let symbol = unsafe { library.get::<T>(name) }.map_err(|_| ShareMemError::MissingSymbol {
        path: path.to_path_buf(),
        symbol: String::from_utf8_lossy(name.strip_suffix(b"\0").unwrap_or(name)).into_owned(),
    })?;
    Ok(*symbol)
}
