//! The allocator (cargo feature `alloc`): `Vec`, `String` and `Box` for
//! actors, over Wasm linear memory grown with `memory.grow`. Freed memory is
//! reused, so an actor that allocates per request (a filter plugin, paint's
//! undo history) stays the size of its largest working set.
//!
//! Two tiers, both simple enough to check by reading:
//!
//! - **Small blocks** (up to [`MAX_SMALL`] bytes): eleven power-of-two size
//!   classes, 16 B to 16 KiB. A class carves 64 KiB slabs into blocks and
//!   keeps freed blocks on its own list. Blocks are aligned to their size,
//!   since slabs are page-aligned.
//! - **Large blocks**: whole 64 KiB pages. Free page runs sit on one list,
//!   sorted by address and merged with their neighbours when freed; a
//!   request takes the first run that fits (first fit) and splits it.
//!   When none fits, memory grows — by less if the last free run ends where
//!   memory ends.
//!
//! Slabs never go back to the page runs: a class keeps what it once needed.
//! Alignments above a page are refused (null).
//!
//! On the host (`cargo test`) the same [`Heap`] runs over a test arena; on
//! wasm32 [`WasmHeap`] is the `#[global_allocator]`.

use core::alloc::Layout;
use core::ptr;

/// Bytes of a Wasm page: the unit memory grows by.
pub const PAGE: usize = 64 * 1024;
/// The largest small block: bigger requests take whole pages.
pub const MAX_SMALL: usize = 16 * 1024;
const MIN_SMALL_SHIFT: u32 = 4; // 16 bytes: room for a free-list link on wasm64 too
const CLASSES: usize = 11; // 2^4 ..= 2^14

/// Where new pages come from.
pub trait Pages {
    /// Grows memory by `count` pages; the address of the first new page, or
    /// `None` if memory cannot grow.
    fn grow(&mut self, count: usize) -> Option<usize>;
    /// One past the last byte of memory.
    fn end(&self) -> usize;
}

/// A free page run; it lives in its own first bytes.
struct Run {
    pages: usize,
    next: *mut Run,
}

/// The allocator's state over a source of pages. Not thread-safe: one per
/// actor (a Wasm actor is single-threaded).
pub struct Heap<P: Pages> {
    pages: P,
    /// Free small blocks per class; each block's first word links the next.
    classes: [*mut u8; CLASSES],
    /// Free page runs, sorted by address.
    runs: *mut Run,
}

impl<P: Pages> Heap<P> {
    /// An empty heap that takes pages from `pages` as it needs them.
    pub const fn new(pages: P) -> Heap<P> {
        Heap { pages, classes: [ptr::null_mut(); CLASSES], runs: ptr::null_mut() }
    }

    /// A block for `layout`, or null when memory is exhausted or the
    /// alignment is above a page.
    ///
    /// # Safety
    /// The heap's pages must be memory nobody else uses.
    pub unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        match small_class(layout) {
            Some(class) => self.alloc_small(class),
            None if layout.align() <= PAGE => self.alloc_pages(pages_for(layout.size())),
            None => ptr::null_mut(),
        }
    }

    /// Frees a block from [`Heap::alloc`] with the same `layout`.
    ///
    /// # Safety
    /// `block` came from this heap's `alloc(layout)` and is not used again.
    pub unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        match small_class(layout) {
            Some(class) => {
                (block as *mut *mut u8).write(self.classes[class]);
                self.classes[class] = block;
            }
            None => self.free_pages(block as usize, pages_for(layout.size())),
        }
    }

    unsafe fn alloc_small(&mut self, class: usize) -> *mut u8 {
        if self.classes[class].is_null() {
            let slab = self.alloc_pages(1);
            if slab.is_null() {
                return slab;
            }
            // Thread the slab's blocks onto the class list, first block first.
            let size = class_size(class);
            let mut next = ptr::null_mut();
            let mut offset = PAGE;
            while offset >= size {
                offset -= size;
                let block = slab.add(offset);
                (block as *mut *mut u8).write(next);
                next = block;
            }
            self.classes[class] = next;
        }
        let block = self.classes[class];
        self.classes[class] = (block as *mut *mut u8).read();
        block
    }

    /// `count` contiguous pages: the first free run that fits, else new memory.
    unsafe fn alloc_pages(&mut self, count: usize) -> *mut u8 {
        if count == 0 {
            return ptr::null_mut(); // a size so large the page count overflowed
        }
        let mut link: *mut *mut Run = &mut self.runs;
        while !(*link).is_null() {
            let run = *link;
            if (*run).pages >= count {
                let rest = (*run).pages - count;
                if rest == 0 {
                    *link = (*run).next;
                } else {
                    // Keep the tail free; the head is the block.
                    let tail = (run as usize + count * PAGE) as *mut Run;
                    tail.write(Run { pages: rest, next: (*run).next });
                    *link = tail;
                }
                return run as *mut u8;
            }
            link = &mut (*run).next;
        }
        // Nothing fits. If the last run ends where memory does, grow it.
        let last = self.last_run();
        if !last.is_null() && ends_at(last, self.pages.end()) {
            if self.pages.grow(count - (*last).pages).is_none() {
                return ptr::null_mut();
            }
            self.unlink(last);
            return last as *mut u8;
        }
        match self.pages.grow(count) {
            Some(address) => address as *mut u8,
            None => ptr::null_mut(),
        }
    }

    /// Puts `count` pages at `address` back, merged with free neighbours.
    unsafe fn free_pages(&mut self, address: usize, count: usize) {
        // The free runs just below and just above the block.
        let mut before: *mut Run = ptr::null_mut();
        let mut after = self.runs;
        while !after.is_null() && (after as usize) < address {
            before = after;
            after = (*after).next;
        }
        let run = address as *mut Run;
        run.write(Run { pages: count, next: after });
        if !after.is_null() && ends_at(run, after as usize) {
            (*run).pages += (*after).pages;
            (*run).next = (*after).next;
        }
        if before.is_null() {
            self.runs = run;
        } else if ends_at(before, address) {
            (*before).pages += (*run).pages;
            (*before).next = (*run).next;
        } else {
            (*before).next = run;
        }
    }

    unsafe fn last_run(&self) -> *mut Run {
        let mut run = self.runs;
        while !run.is_null() && !(*run).next.is_null() {
            run = (*run).next;
        }
        run
    }

    unsafe fn unlink(&mut self, target: *mut Run) {
        let mut link: *mut *mut Run = &mut self.runs;
        while *link != target {
            link = &mut (**link).next;
        }
        *link = (*target).next;
    }

    /// Free pages on the run list (for tests and diagnostics).
    pub fn free_page_count(&self) -> usize {
        let mut total = 0;
        let mut run = self.runs;
        while !run.is_null() {
            // SAFETY: the list only holds runs this heap wrote.
            unsafe {
                total += (*run).pages;
                run = (*run).next;
            }
        }
        total
    }
}

/// True when `run` ends exactly at `address`.
unsafe fn ends_at(run: *const Run, address: usize) -> bool {
    run as usize + (*run).pages * PAGE == address
}

/// The size class of a small request, or `None` for a page-sized one.
fn small_class(layout: Layout) -> Option<usize> {
    let need = layout.size().max(layout.align());
    if need > MAX_SMALL {
        return None;
    }
    let size = need.max(1 << MIN_SMALL_SHIFT).next_power_of_two();
    Some((size.trailing_zeros() - MIN_SMALL_SHIFT) as usize)
}

fn class_size(class: usize) -> usize {
    1 << (class as u32 + MIN_SMALL_SHIFT)
}

/// Pages holding `size` bytes (at least one); 0 if the count overflows.
fn pages_for(size: usize) -> usize {
    match size.checked_add(PAGE - 1) {
        Some(rounded) => (rounded / PAGE).max(1),
        None => 0,
    }
}

/// Pages from the actor's own linear memory (memory 0).
#[cfg(target_arch = "wasm32")]
pub struct LinearMemory;

#[cfg(target_arch = "wasm32")]
impl Pages for LinearMemory {
    fn grow(&mut self, count: usize) -> Option<usize> {
        let previous = core::arch::wasm32::memory_grow(0, count);
        if previous == usize::MAX {
            None
        } else {
            Some(previous * PAGE)
        }
    }

    fn end(&self) -> usize {
        core::arch::wasm32::memory_size(0) * PAGE
    }
}

/// The global allocator of a Wasm actor: a [`Heap`] over its linear memory.
#[cfg(target_arch = "wasm32")]
pub struct WasmHeap(core::cell::UnsafeCell<Heap<LinearMemory>>);

// SAFETY: wasm32-unknown-unknown actors are single-threaded (no threads, no
// shared memory), so the heap is never used from two threads at once.
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for WasmHeap {}

#[cfg(target_arch = "wasm32")]
impl WasmHeap {
    /// An empty heap.
    pub const fn new() -> WasmHeap {
        WasmHeap(core::cell::UnsafeCell::new(Heap::new(LinearMemory)))
    }
}

#[cfg(target_arch = "wasm32")]
unsafe impl core::alloc::GlobalAlloc for WasmHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).alloc(layout)
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        (*self.0.get()).dealloc(block, layout)
    }
}

// Not in a std program (feature `std`): std's allocator (wasi-libc's
// malloc) serves it, and a second `#[global_allocator]` would not link.
#[cfg(all(target_arch = "wasm32", not(test), not(feature = "std")))]
#[global_allocator]
static HEAP: WasmHeap = WasmHeap::new();

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Pages from a fixed, page-aligned arena, like a small linear memory.
    struct Arena {
        _memory: Vec<u8>,
        base: usize,
        used: usize,
        limit: usize,
    }

    impl Arena {
        fn new(limit: usize) -> Arena {
            let memory = std::vec![0u8; (limit + 1) * PAGE];
            let base = (memory.as_ptr() as usize + PAGE - 1) / PAGE * PAGE;
            Arena { _memory: memory, base, used: 0, limit }
        }
    }

    impl Pages for Arena {
        fn grow(&mut self, count: usize) -> Option<usize> {
            if self.used + count > self.limit {
                return None;
            }
            let address = self.base + self.used * PAGE;
            self.used += count;
            Some(address)
        }

        fn end(&self) -> usize {
            self.base + self.used * PAGE
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn classes() {
        assert_eq!(small_class(layout(1, 1)), Some(0));
        assert_eq!(small_class(layout(16, 8)), Some(0));
        assert_eq!(small_class(layout(17, 1)), Some(1));
        assert_eq!(small_class(layout(8, 64)), Some(2));
        assert_eq!(small_class(layout(MAX_SMALL, 4)), Some(CLASSES - 1));
        assert_eq!(small_class(layout(MAX_SMALL + 1, 4)), None);
        assert_eq!(pages_for(1), 1);
        assert_eq!(pages_for(PAGE + 1), 2);
        assert_eq!(pages_for(usize::MAX), 0);
    }

    #[test]
    fn small_blocks_are_reused_and_aligned() {
        let mut heap = Heap::new(Arena::new(4));
        unsafe {
            let a = heap.alloc(layout(24, 8));
            let b = heap.alloc(layout(24, 8));
            assert_eq!(b as usize - a as usize, 32);
            assert_eq!(a as usize % 32, 0);
            heap.dealloc(a, layout(24, 8));
            assert_eq!(heap.alloc(layout(30, 4)), a, "a freed block of the class comes back first");
            let wide = heap.alloc(layout(100, 128));
            assert_eq!(wide as usize % 128, 0);
            assert_eq!(heap.pages.used, 2, "one slab per class used");
        }
    }

    #[test]
    fn page_runs_split_merge_and_grow_in_place() {
        let mut heap = Heap::new(Arena::new(16));
        unsafe {
            let a = heap.alloc(layout(3 * PAGE, 8));
            let b = heap.alloc(layout(PAGE, 8));
            let c = heap.alloc(layout(2 * PAGE, 8));
            assert_eq!(heap.pages.used, 6);
            heap.dealloc(a, layout(3 * PAGE, 8));
            heap.dealloc(c, layout(2 * PAGE, 8));
            assert_eq!(heap.free_page_count(), 5);
            // First fit splits a's run.
            let d = heap.alloc(layout(PAGE + 1, 8));
            assert_eq!(d, a);
            assert_eq!(heap.free_page_count(), 3);
            // Freeing b merges a's tail, b and c into one run of 4.
            heap.dealloc(b, layout(PAGE, 8));
            let e = heap.alloc(layout(4 * PAGE, 8));
            assert_eq!(e as usize, a as usize + 2 * PAGE);
            assert_eq!(heap.pages.used, 6, "no growth: the merged run fit");
            heap.dealloc(e, layout(4 * PAGE, 8));
            // The last run ends at memory's end: 6 pages need only 2 more.
            let f = heap.alloc(layout(6 * PAGE, 8));
            assert_eq!(f as usize, a as usize + 2 * PAGE);
            assert_eq!(heap.pages.used, 8);
        }
    }

    #[test]
    fn exhaustion_and_huge_alignment_are_null() {
        let mut heap = Heap::new(Arena::new(2));
        unsafe {
            assert!(heap.alloc(layout(3 * PAGE, 8)).is_null());
            assert!(heap.alloc(layout(8, 2 * PAGE)).is_null());
            assert!(!heap.alloc(layout(2 * PAGE, PAGE)).is_null());
            assert!(heap.alloc(layout(8, 8)).is_null(), "no page left for a slab");
        }
    }

    /// Random allocations and frees never overlap, keep their contents, and
    /// memory stops growing once the working set is reached.
    #[test]
    fn random_workload() {
        let mut heap = Heap::new(Arena::new(256));
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut seed = 0x2545_f491_u32;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut peak_after_warmup = 0;
        for round in 0..4000 {
            let roll = rand();
            if live.len() < 40 && roll % 3 != 0 {
                let size = match roll % 4 {
                    0 => 1 + (rand() as usize % 64),
                    1 => 1 + (rand() as usize % 4000),
                    2 => 1 + (rand() as usize % 40_000),
                    _ => 1 + (rand() as usize % 300_000),
                };
                let l = layout(size, 1 << (rand() % 5));
                let p = unsafe { heap.alloc(l) };
                assert!(!p.is_null(), "round {}", round);
                assert_eq!(p as usize % l.align(), 0);
                let tag = rand() as u8;
                unsafe { ptr::write_bytes(p, tag, size) };
                for &(q, ql, _) in &live {
                    let (a0, a1, b0, b1) = (p as usize, p as usize + size, q as usize, q as usize + ql.size());
                    assert!(a1 <= b0 || b1 <= a0, "overlap");
                }
                live.push((p, l, tag));
            } else if !live.is_empty() {
                let (p, l, tag) = live.swap_remove(rand() as usize % live.len());
                let bytes = unsafe { core::slice::from_raw_parts(p, l.size()) };
                assert!(bytes.iter().all(|&b| b == tag), "contents kept");
                unsafe { heap.dealloc(p, l) };
            }
            if round == 2000 {
                peak_after_warmup = heap.pages.used;
            }
        }
        assert!(heap.pages.used <= peak_after_warmup + 40, "memory is reused, not leaked");
    }
}
