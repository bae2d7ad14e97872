//! Memory managers for memlab: a switchable global allocator ([`Dispatcher`]),
//! a private heap ([`PrivateHeap`]), mimalloc in an arena of its own
//! ([`MimallocArena`]), and benchmarks over them ([`bench`](mod@bench), [`sweep`]).
//!
//! # Installing the dispatcher
//! The library owns the one process-wide instance, [`DISPATCHER`], so any
//! code can reach it through [`dispatcher()`] to switch managers or read
//! counters. A binary makes it *the* global allocator with the zero-sized
//! forwarder (Rust wants `#[global_allocator]` on a static whose type
//! implements `GlobalAlloc`; a reference to a static in another crate is not
//! such a type, hence the forwarder):
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: memlab_engine::alloc::GlobalDispatcher = memlab_engine::alloc::GlobalDispatcher;
//! ```
//!
//! Without that line everything still works, but only allocations made
//! explicitly through the dispatcher are routed and counted (the benchmarks
//! do that, see [`bench::run`]); [`is_installed`] tells which case applies.

mod arena;
pub mod bench;
pub mod book;
mod counters;
mod dispatcher;
mod heap;
pub mod isolated;
mod kind;
pub mod measure;
pub mod messages;
pub mod sweep;
pub mod sysinfo;

use std::alloc::{GlobalAlloc, Layout};

pub use arena::{DEFAULT_ARENA_SIZE, MimallocArena};
pub use counters::{ManagerCounters, Snapshot};
pub use dispatcher::Dispatcher;
pub use heap::{DEFAULT_HEAP_MAX, HeapStatus, PrivateHeap};
pub use kind::{ManagerKind, UnknownManager};

/// Version of the `talc` crate (keep in sync with Cargo.toml; tests/it/alloc_versions.rs checks).
pub const TALC_VERSION: &str = "5.1.1";
/// Version of the `libmimalloc-sys` crate, which builds the mimalloc C
/// library memlab calls (keep in sync with Cargo.toml; tests/it/alloc_versions.rs checks).
pub const LIBMIMALLOC_SYS_VERSION: &str = "0.1.49";

/// The process-wide dispatcher (1 GiB private heap, 1 GiB mimalloc arena,
/// default manager active).
pub static DISPATCHER: Dispatcher = Dispatcher::new();

/// The process-wide dispatcher.
#[inline]
pub fn dispatcher() -> &'static Dispatcher {
    &DISPATCHER
}

/// Zero-sized `GlobalAlloc` that forwards to [`DISPATCHER`]; put it in the
/// binary's `#[global_allocator]` static.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalDispatcher;

// SAFETY: pure forwarding to a correct GlobalAlloc.
unsafe impl GlobalAlloc for GlobalDispatcher {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { DISPATCHER.alloc(layout) }
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { DISPATCHER.alloc_zeroed(layout) }
    }
    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: forwarded caller contract.
        unsafe { DISPATCHER.dealloc(p, layout) }
    }
    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded caller contract.
        unsafe { DISPATCHER.realloc(p, layout, new_size) }
    }
}

/// An address range that memlab's memory managers reserved, named for the
/// address-space map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OwnRegion {
    /// What it is, e.g. "private heap (talc)".
    pub name: &'static str,
    /// First address.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}

/// The ranges the process-wide dispatcher's managers reserved so far.
pub fn own_regions() -> Vec<OwnRegion> {
    let mut out = Vec::new();
    if let Some((start, len)) = DISPATCHER.heap().reservation() {
        out.push(OwnRegion {
            name: "private heap (talc)",
            start,
            len,
        });
    }
    if let Some((start, len)) = DISPATCHER.mimalloc_arena().reservation() {
        out.push(OwnRegion {
            name: "mimalloc arena",
            start,
            len,
        });
    }
    out
}

/// Is [`GlobalDispatcher`] the process's global allocator? (Allocates one
/// byte through `Box` and looks whether the dispatcher counted it.)
pub fn is_installed() -> bool {
    let total = |s: Snapshot| {
        s.default.total_allocations + s.heap.total_allocations + s.mimalloc.total_allocations
    };
    let before = total(DISPATCHER.snapshot());
    let b = std::hint::black_box(Box::new(1u8));
    let after = total(DISPATCHER.snapshot());
    drop(b);
    after > before
}
