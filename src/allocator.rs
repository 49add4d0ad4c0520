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
//!
//! Before [`bulk`], a block of 2 MiB or more is not glibc's but a mapping of its own, in
//! 2 MiB pages where the kernel gives them ([`huge`]). A refresh of a few notes makes a few
//! such blocks (tantivy's 4 MB term table and two ~3 MB document queues) and writes each
//! whole right away: in 4 KiB pages that was ~3,000 page faults, at ~2 µs each on this kind
//! of VM; in 2 MiB pages it is a dozen.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mimalloc::MiMalloc;

/// Set once, never cleared: from then on new blocks come from mimalloc.
static BULK: AtomicBool = AtomicBool::new(false);

/// The address range of the arena [`bulk`] reserves for mimalloc: start, then length (0
/// when there is none). Set before [`BULK`], never changed after.
static ARENA_START: AtomicUsize = AtomicUsize::new(0);
static ARENA_LEN: AtomicUsize = AtomicUsize::new(0);

/// The arena [`bulk`] reserves: mimalloc's own default (`arena_reserve`, 1 GiB of address
/// space, committed as it is used). An index run of MDN peaks near 220 MB.
const ARENA_BYTES: usize = 1 << 30;

extern "C" {
    /// Whether `p` was allocated by mimalloc (false for any other pointer, and before
    /// mimalloc has started).
    fn mi_is_in_heap_region(p: *const c_void) -> bool;
    /// Reserves `size` bytes of address space as an arena of mimalloc's (0 on success).
    fn mi_reserve_os_memory_ex(
        size: usize,
        commit: bool,
        allow_large: bool,
        exclusive: bool,
        arena_id: *mut *mut c_void,
    ) -> i32;
    /// The start and size of an arena.
    fn mi_arena_area(arena_id: *mut c_void, size: *mut usize) -> *mut c_void;
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
            reserve_arena();
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

/// Before the system allocator's first block: every thread shares glibc's main arena,
/// instead of making one of its own per thread. A thread's own arena grows a page at a time,
/// one `mprotect` each (the main arena grows 128 KiB at a time): in an in-place refresh on
/// MDN, tantivy's threads made ~360 of them, and ~500 more page faults. Those threads
/// allocate little on this path (mimalloc serves the many-threaded runs).
fn one_arena() {
    static SET: AtomicBool = AtomicBool::new(false);
    if !SET.load(Ordering::Relaxed) {
        SET.store(true, Ordering::Relaxed);
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets a malloc parameter (it allocates nothing of ours).
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// Reserves mimalloc's first arena before its first block, and records where it lies: every
/// block freed after [`bulk`] is asked whether it is mimalloc's, and a block in that range
/// is, without a look in mimalloc's page map (12M blocks an MDN index run; the look was
/// ~2% of the run's instructions). Nothing else can ever be mapped there: mimalloc never
/// unmaps an arena while the process lives; it gives pages back with
/// `madvise(MADV_DONTNEED)` (`_mi_prim_decommit` in `src/prim/unix/prim.c`, the purge of
/// `_mi_os_purge_ex` in `src/os.c`), which keeps the range mapped, and unmaps arenas only
/// in `mi_arenas_unsafe_destroy` (`src/arena.c`), at exit with `destroy_on_exit`, off by
/// default and never set here. When the reservation fails, every block is looked up.
/// SAFETY: mimalloc is started (`_mi_auto_process_init`), and no thread sees [`BULK`] yet.
unsafe fn reserve_arena() {
    let mut id: *mut c_void = std::ptr::null_mut();
    // Committed as mimalloc commits its own arenas where memory is overcommitted (Linux):
    // pages are backed when first touched, not before.
    if mi_reserve_os_memory_ex(ARENA_BYTES, true, false, false, &mut id) != 0 {
        return;
    }
    let mut len = 0;
    let start = mi_arena_area(id, &mut len);
    if !start.is_null() {
        ARENA_START.store(start as usize, Ordering::Relaxed);
        ARENA_LEN.store(len, Ordering::Relaxed);
    }
}

/// Whether `ptr` is a block of mimalloc's: in the arena [`bulk`] reserved, or else as
/// mimalloc's page map says (system blocks, `huge` mappings and mimalloc's later arenas all
/// lie outside that range).
fn from_mimalloc(ptr: *mut u8) -> bool {
    if !BULK.load(Ordering::Acquire) {
        return false;
    }
    let offset = (ptr as usize).wrapping_sub(ARENA_START.load(Ordering::Relaxed));
    // SAFETY: `mi_is_in_heap_region` only reads mimalloc's page map, started by `bulk`
    // before the flag was set.
    offset < ARENA_LEN.load(Ordering::Relaxed) || unsafe { mi_is_in_heap_region(ptr.cast()) }
}

// SAFETY: every block is allocated by one of three correct allocators and freed or
// reallocated by the same one: mimalloc's are told apart by `from_mimalloc`; of the others,
// those of `huge::FROM` bytes or more are `huge`'s (no block that size is made by the
// system's: `realloc` moves a block whose size crosses that line).
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if BULK.load(Ordering::Acquire) {
            MiMalloc.alloc(layout)
        } else if huge::holds(layout.size()) {
            huge::alloc(layout)
        } else {
            one_arena();
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if BULK.load(Ordering::Acquire) {
            MiMalloc.alloc_zeroed(layout)
        } else if huge::holds(layout.size()) {
            // A fresh mapping reads as zeros.
            huge::alloc(layout)
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if from_mimalloc(ptr) {
            MiMalloc.dealloc(ptr, layout)
        } else if huge::holds(layout.size()) {
            huge::free(ptr, layout)
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if from_mimalloc(ptr) {
            return MiMalloc.realloc(ptr, layout, new_size);
        }
        match (huge::holds(layout.size()), huge::holds(new_size)) {
            (false, false) => System.realloc(ptr, layout, new_size),
            (true, true) => huge::realloc(ptr, layout, new_size),
            // Across the line: a new block from whichever allocator makes it now.
            _ => {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

/// Blocks of 2 MiB or more made before [`bulk`]: each a mapping of its own, aligned to
/// 2 MiB and marked for transparent huge pages (`MADV_HUGEPAGE`; this kernel setting is
/// often `madvise`), so the kernel backs it with 2 MiB pages: one page fault per 2 MiB
/// instead of one per 4 KiB. Blocks this big are few, and written whole soon after they
/// are made (tantivy's tables and queues); below this size, glibc's blocks stay cheaper
/// when only a part of one is touched (tantivy's 1 MiB arena pages). Elsewhere than
/// Linux, these are the system allocator's.
mod huge {
    use std::alloc::Layout;
    #[cfg(not(target_os = "linux"))]
    use std::alloc::{GlobalAlloc, System};

    /// The smallest block mapped on its own: a huge page.
    pub const FROM: usize = PAGE;

    /// The size of a huge page: what a block's mapping is aligned to and rounded up to.
    pub const PAGE: usize = 2 << 20;

    /// Whether a block of `size` bytes is one of these.
    pub fn holds(size: usize) -> bool {
        size >= FROM
    }

    /// The bytes mapped for a block of `size`: whole huge pages.
    #[cfg(target_os = "linux")]
    fn span(size: usize) -> usize {
        size.next_multiple_of(PAGE)
    }

    /// A fresh block (zeroed), at least 2 MiB-aligned; null when there is no memory.
    /// SAFETY: `layout.size()` is at least [`FROM`].
    #[cfg(target_os = "linux")]
    pub unsafe fn alloc(layout: Layout) -> *mut u8 {
        let Some(len) = layout.size().checked_next_multiple_of(PAGE) else {
            return std::ptr::null_mut();
        };
        let align = layout.align().max(PAGE);
        // The kernel aligns an anonymous mapping of whole huge pages to a huge page itself
        // (Linux 6.7 on); when it does not, a wider one is mapped and trimmed.
        let mut at = map(len);
        if !at.is_null() && !(at as usize).is_multiple_of(align) {
            libc::munmap(at.cast(), len);
            at = map_aligned(len, align);
        }
        if !at.is_null() {
            // Only a hint: without huge pages the block is as good as glibc's.
            libc::madvise(at.cast(), len, libc::MADV_HUGEPAGE);
        }
        at
    }

    /// `mmap` of `len` fresh bytes; null when it fails.
    #[cfg(target_os = "linux")]
    unsafe fn map(len: usize) -> *mut u8 {
        let at = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if at == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            at.cast()
        }
    }

    /// `len` fresh bytes at a multiple of `align` (a power of two, at least a page): a
    /// mapping `align` wider, with what lies outside cut off.
    #[cfg(target_os = "linux")]
    unsafe fn map_aligned(len: usize, align: usize) -> *mut u8 {
        let Some(wide) = len.checked_add(align) else {
            return std::ptr::null_mut();
        };
        let at = map(wide);
        if at.is_null() {
            return at;
        }
        let start = (at as usize).next_multiple_of(align);
        let head = start - at as usize;
        if head > 0 {
            libc::munmap(at.cast(), head);
        }
        if wide - head > len {
            libc::munmap((start + len) as *mut libc::c_void, wide - head - len);
        }
        start as *mut u8
    }

    /// Unmaps a block of `layout` made by [`alloc`] or [`realloc`].
    #[cfg(target_os = "linux")]
    pub unsafe fn free(ptr: *mut u8, layout: Layout) {
        libc::munmap(ptr.cast(), span(layout.size()));
    }

    /// The block `ptr` (of `layout`) grown or shrunk to `new_size` (both at least
    /// [`FROM`]): in place when it spans as many huge pages, else moved by the kernel
    /// (`mremap`, no copy) or, for an alignment above a page, copied to a new block.
    #[cfg(target_os = "linux")]
    pub unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old, Some(new)) = (span(layout.size()), new_size.checked_next_multiple_of(PAGE))
        else {
            return std::ptr::null_mut();
        };
        if old == new {
            return ptr;
        }
        if layout.align() <= 4096 {
            let at = libc::mremap(ptr.cast(), old, new, libc::MREMAP_MAYMOVE);
            return if at == libc::MAP_FAILED {
                std::ptr::null_mut()
            } else {
                at.cast()
            };
        }
        let moved = alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !moved.is_null() {
            std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
            free(ptr, layout);
        }
        moved
    }

    #[cfg(not(target_os = "linux"))]
    pub unsafe fn alloc(layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    #[cfg(not(target_os = "linux"))]
    pub unsafe fn free(ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    #[cfg(not(target_os = "linux"))]
    pub unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        System.realloc(ptr, layout, new_size)
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
            // mimalloc's blocks are in the arena `bulk` reserved; the system's are not.
            let (start, len) = (
                ARENA_START.load(Ordering::Relaxed),
                ARENA_LEN.load(Ordering::Relaxed),
            );
            assert!(len >= ARENA_BYTES / 2, "{len}");
            let in_arena = |p: *mut u8| (p as usize).wrapping_sub(start) < len;
            assert!(!in_arena(before));
            let system = System.alloc(layout);
            assert!(!from_mimalloc(system) && !in_arena(system));
            System.dealloc(system, layout);
            let after = Allocator.alloc(layout);
            let zeroed = Allocator.alloc_zeroed(big);
            assert!(from_mimalloc(after) && from_mimalloc(zeroed));
            assert!(in_arena(after) && in_arena(zeroed));
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

    /// Writes `len` bytes of a pattern that depends on `seed` and the offset.
    unsafe fn fill(at: *mut u8, len: usize, seed: u8) {
        for i in (0..len).step_by(4093) {
            *at.add(i) = seed ^ (i / 4093) as u8;
        }
    }

    /// Whether the first `len` bytes hold what [`fill`] wrote.
    unsafe fn holds(at: *const u8, len: usize, seed: u8) -> bool {
        (0..len)
            .step_by(4093)
            .all(|i| *at.add(i) == seed ^ (i / 4093) as u8)
    }

    #[test]
    fn big_blocks_are_whole_aligned_mappings_that_keep_their_bytes_when_resized() {
        const MIB: usize = 1 << 20;
        let layout = Layout::from_size_align(3 * MIB, 8).unwrap();
        // SAFETY: each block is written within its size and freed once, with its layout.
        unsafe {
            let a = huge::alloc(layout);
            assert!(!a.is_null());
            #[cfg(target_os = "linux")]
            assert_eq!(a as usize % huge::PAGE, 0);
            assert!((0..3 * MIB).step_by(4096).all(|i| *a.add(i) == 0));
            fill(a, 3 * MIB, 1);
            // Still two huge pages: the same block.
            let b = huge::realloc(a, layout, 3 * MIB + MIB / 2);
            #[cfg(target_os = "linux")]
            assert_eq!(a, b);
            let c = huge::realloc(
                b,
                Layout::from_size_align(3 * MIB + MIB / 2, 8).unwrap(),
                9 * MIB,
            );
            assert!(holds(c, 3 * MIB, 1));
            fill(c, 9 * MIB, 2);
            let d = huge::realloc(c, Layout::from_size_align(9 * MIB, 8).unwrap(), 2 * MIB);
            assert!(holds(d, 2 * MIB, 2));
            huge::free(d, Layout::from_size_align(2 * MIB, 8).unwrap());
            // An alignment above a huge page, kept when the block moves.
            let wide = Layout::from_size_align(2 * MIB, 8 * MIB).unwrap();
            let e = huge::alloc(wide);
            assert_eq!(e as usize % (8 * MIB), 0);
            fill(e, 2 * MIB, 3);
            let f = huge::realloc(e, wide, 5 * MIB);
            assert_eq!(f as usize % (8 * MIB), 0);
            assert!(holds(f, 2 * MIB, 3));
            huge::free(f, Layout::from_size_align(5 * MIB, 8 * MIB).unwrap());
        }
    }

    #[test]
    fn a_block_resized_across_the_big_block_line_keeps_its_bytes() {
        const MIB: usize = 1 << 20;
        // SAFETY: each block is written within its size and freed once, with its layout.
        unsafe {
            let small = Layout::from_size_align(MIB, 16).unwrap();
            let a = Allocator.alloc(small);
            fill(a, MIB, 4);
            let b = Allocator.realloc(a, small, 5 * MIB);
            assert!(holds(b, MIB, 4));
            fill(b, 5 * MIB, 5);
            let big = Layout::from_size_align(5 * MIB, 16).unwrap();
            let c = Allocator.realloc(b, big, MIB / 2);
            assert!(holds(c, MIB / 2, 5));
            Allocator.dealloc(c, Layout::from_size_align(MIB / 2, 16).unwrap());
            let z = Allocator.alloc_zeroed(big);
            assert!((0..5 * MIB).step_by(4096).all(|i| *z.add(i) == 0));
            Allocator.dealloc(z, big);
        }
    }
}
