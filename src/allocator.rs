//! The allocator of the `gloss` binary: the system's for queries, mimalloc for index runs.
//!
//! A query is a short process, and mimalloc's start-up (its page map, arenas and free
//! lists, faulted in page by page) was ~0.3 ms of a 3-5 ms search on the shipped notes. An
//! index run allocates a small string per token, where mimalloc saves ~15% of the run's CPU
//! over glibc's malloc. Both figures are in BENCHMARKS.md. So [`Allocator`] hands out the
//! system's memory until [`bulk`] is called (the index run does, before its first note),
//! and mimalloc's after. Each block goes back to the allocator that made it: mimalloc
//! tells its own blocks apart with `mi_is_in_heap_region`, a lookup in its page map.
//! mimalloc's process constructor is compiled out (`.cargo/config.toml`), so a query never
//! starts it: [`bulk`] runs what the constructor would have run, then allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// Set once, never cleared: from then on new blocks come from mimalloc.
static BULK: AtomicBool = AtomicBool::new(false);

extern "C" {
    /// Whether `p` was allocated by mimalloc (false for any other pointer, and before
    /// mimalloc has started).
    fn mi_is_in_heap_region(p: *const c_void) -> bool;
}

/// The global allocator of the binary (`#[global_allocator]` in `main.rs`). Used as the
/// allocator of another program, [`bulk`] is what turns mimalloc on; without it, this is
/// the system allocator.
pub struct Allocator;

/// Allocations from now on come from mimalloc: call before allocation-heavy work (an index
/// run). Has no effect when [`Allocator`] is not the global allocator.
pub fn bulk() {
    if !BULK.load(Ordering::Acquire) {
        // mimalloc starts on its first allocation; started here, before any thread can
        // see the flag, every `mi_is_in_heap_region` after it reads an initialised map.
        // SAFETY: a valid non-zero layout, freed right away by the allocator that made it.
        unsafe {
            #[cfg(mimalloc_no_attach)]
            _mi_auto_process_init();
            let layout = Layout::new::<u64>();
            MiMalloc.dealloc(MiMalloc.alloc(layout), layout);
        }
        BULK.store(true, Ordering::Release);
    }
}

#[cfg(mimalloc_no_attach)]
extern "C" {
    /// What mimalloc's process constructor runs (mimalloc's `src/init.c`), when that
    /// constructor is compiled out (build.rs, `.cargo/config.toml`). A first allocation
    /// alone starts a degraded mimalloc: it still counts as "preloading", so it makes no
    /// arenas, never purges, ignores `MIMALLOC_*` and frees no thread's heap at its exit.
    /// Measured on MDN `gloss index --rebuild`: 150k page faults instead of 58-60k and
    /// 1.31 s of system time instead of 0.90-1.00 (release, 4 runs, interleaved).
    fn _mi_auto_process_init();
}

/// Whether `ptr` is a block of mimalloc's.
fn from_mimalloc(ptr: *mut u8) -> bool {
    // SAFETY: `mi_is_in_heap_region` only reads mimalloc's page map, started by `bulk`
    // before the flag was set.
    BULK.load(Ordering::Acquire) && unsafe { mi_is_in_heap_region(ptr.cast()) }
}

// SAFETY: every block is allocated by one of two correct allocators and freed or
// reallocated by the same one (`from_mimalloc`).
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if BULK.load(Ordering::Acquire) {
            MiMalloc.alloc(layout)
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if BULK.load(Ordering::Acquire) {
            MiMalloc.alloc_zeroed(layout)
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if from_mimalloc(ptr) {
            MiMalloc.dealloc(ptr, layout)
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if from_mimalloc(ptr) {
            MiMalloc.realloc(ptr, layout, new_size)
        } else {
            System.realloc(ptr, layout, new_size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_go_back_to_the_allocator_that_made_them() {
        let layout = Layout::from_size_align(100, 8).unwrap();
        let big = Layout::from_size_align(1 << 20, 64).unwrap();
        // SAFETY: each block is written within its layout and freed once.
        unsafe {
            let before = Allocator.alloc(layout);
            before.write_bytes(1, 100);
            let before = Allocator.realloc(before, layout, 200);
            bulk();
            assert!(!from_mimalloc(before), "a system block is not mimalloc's");
            let after = Allocator.alloc(layout);
            let zeroed = Allocator.alloc_zeroed(big);
            assert!(from_mimalloc(after) && from_mimalloc(zeroed));
            assert_eq!(*zeroed.add((1 << 20) - 1), 0);
            after.write_bytes(2, 100);
            let after = Allocator.realloc(after, layout, 5000);
            assert!(from_mimalloc(after));
            assert_eq!(*after.add(99), 2);
            let before = Allocator.realloc(before, Layout::from_size_align(200, 8).unwrap(), 300);
            assert!(!from_mimalloc(before));
            assert_eq!(*before.add(99), 1);
            Allocator.dealloc(before, Layout::from_size_align(300, 8).unwrap());
            Allocator.dealloc(after, Layout::from_size_align(5000, 8).unwrap());
            Allocator.dealloc(zeroed, big);
        }
    }
}
