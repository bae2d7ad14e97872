//! region 4.0.1's defect on Windows that memlab designs around: the first
//! `region::page::size()` (and so the first `region::alloc`) boxes the
//! system's `SYSTEM_INFO` through the *global allocator*. memlab's private
//! heap and mimalloc arena reserve their ranges with region under their own
//! lock; were that the first call while the same manager is the global
//! allocator, the box would come back to it and the process would hang on
//! that lock (it did: `tests/alloc_global_exact.rs` hung under wine). So
//! `Dispatcher::set_active` asks region the page size before each switch,
//! while the manager still active serves the box.
//!
//! As in `tests/it/crate_defects/`: the `crate_*` test asserts the DEFECT's
//! behaviour and is meant to fail the day region stops allocating there;
//! then revisit `set_active`'s comment. No libtest harness (its threads
//! would allocate too): one thread, exact counts. Run under wine by
//! `.ci/windows/test`; on Linux region reads the page size with sysconf and
//! allocates nothing, so this file is Windows-only.

#[cfg(windows)]
mod on_windows {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

    /// The system allocator, counting every allocation.
    pub struct Counting;

    pub static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

    // SAFETY: every call is forwarded to `System` unchanged.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, SeqCst);
            // SAFETY: the caller's contract, passed on.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
            // SAFETY: the caller's contract, passed on.
            unsafe { System.dealloc(p, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    pub fn crate_first_page_size_allocates_through_the_global_allocator() {
        let before = ALLOCATIONS.load(SeqCst);
        let page = region::page::size();
        let first = ALLOCATIONS.load(SeqCst) - before;
        let before = ALLOCATIONS.load(SeqCst);
        assert_eq!(region::page::size(), page);
        let again = ALLOCATIONS.load(SeqCst) - before;
        assert_eq!(page, 4096);
        assert_eq!(
            (first, again),
            (1, 0),
            "region's first page size should box SYSTEM_INFO once, then nothing"
        );
    }
}

fn main() {
    #[cfg(windows)]
    {
        on_windows::crate_first_page_size_allocates_through_the_global_allocator();
        println!("test crate_first_page_size_allocates_through_the_global_allocator ... ok");
    }
    #[cfg(not(windows))]
    println!(
        "test crate_first_page_size_allocates_through_the_global_allocator ... ignored, Windows only"
    );
}
