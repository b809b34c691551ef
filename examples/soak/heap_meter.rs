//! How many bytes the program holds on its heap right now: a global allocator that hands
//! every request to the system's (`std::alloc::System`, glibc's `malloc` here) and keeps a
//! running count of the bytes allocated and not yet freed.
//!
//! Why the soak wants it beside RSS: RSS is what the kernel sees — pages the process has
//! touched and not given back — and an allocator keeps freed memory for reuse, in pieces it
//! cannot return while a live block sits among them. So RSS can climb with no leak at all.
//! The heap's live bytes are what the program itself holds: a leak grows both, the
//! allocator's keeping only RSS. When RSS rises, this says which.
//!
//! It counts the soak's own process too (the same executable), but the figure the report
//! shows is the server's, read through `GET /soak/figures`. The cost is one relaxed atomic
//! addition per allocation and per free; the soak is not a benchmark.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counted.
pub struct HeapMeter;

#[global_allocator]
static METER: HeapMeter = HeapMeter;

/// Bytes allocated and not yet freed, in this process.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

// SAFETY: every call is passed to `System` unchanged, with the caller's own guarantees;
// the counting touches no memory it is given.
unsafe impl GlobalAlloc for HeapMeter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc(layout);
        if !block.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc_zeroed(layout);
        if !block.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        System.dealloc(block, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(block, layout, new_size);
        if !moved.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_block_shows_while_held_and_goes_when_freed() {
        // Other tests allocate on other threads meanwhile: look for a change far larger.
        let before = live_bytes();
        let block = vec![7u8; 64 << 20];
        assert!(live_bytes() >= before + (60 << 20));
        drop(block);
        assert!(live_bytes() < before + (32 << 20));
    }
}
