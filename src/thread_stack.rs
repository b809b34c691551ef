//! Giving a thread's unused stack pages back to the kernel while the thread waits.
//!
//! Where it sits: a connection keeps its own thread for hours (NOTES.md chapter 14, memory
//! per connection), and the kernel keeps every page of that thread's stack the thread ever
//! touched, until it exits. An idle Socket.IO connection waits in a read about 7.5 KiB below
//! the top of its stack, but went some 2.5 KiB deeper once, while its `CONNECT` packet set
//! the socket up (a handler, a room, a listener table growing); that page stays resident for the
//! life of the connection although nothing will be there again until the next burst. Ten
//! thousand idle connections keep ten thousand such pages: 40 MB.
//!
//! [`release_unused_pages`] hands them back: `madvise(MADV_DONTNEED)` (Linux `madvise(2)`)
//! on the part of the stack that lies wholly below the caller's frame, less some headroom
//! for the wait the caller is about to make. It is safe because a stack holds nothing below
//! its stack pointer (the x86-64 and AArch64 ABIs let a function use at most a small "red
//! zone" there, and only until it calls another); the next time the thread goes that deep,
//! the kernel hands it fresh zeroed pages, as it did the first time. It costs a few system
//! calls, and more while other threads map memory (NOTES.md chapter 14 measures it), so the
//! callers are moments of rest, not every message (`engineio/websocket.rs` calls it after a
//! session's first message and after each pong).
//!
//! Linux only, with the C library std already links (declared here, as `signal.rs` does,
//! rather than adding the `libc` crate); elsewhere it does nothing.

/// Room kept below the caller's frame for the calls it makes next: an Engine.IO session
/// waiting for its next frame goes about 650 bytes deeper (`WebSocket::recv_timeout`, the
/// read, the C library's `recv`). Pages the thread then touches anyway simply come back.
const HEADROOM: usize = 1024;

/// Returns to the kernel the calling thread's stack pages that lie wholly below its current
/// frame (less [`HEADROOM`]), and the number of bytes of address range advised.
///
/// Call it at a moment when the thread is about to wait; it costs a `mincore(2)` per page
/// given back and one `madvise(2)`.
#[inline(never)]
pub(crate) fn release_unused_pages() -> usize {
    #[cfg(target_os = "linux")]
    {
        let here = std::hint::black_box(0u8);
        linux::release_below(std::ptr::addr_of!(here) as usize - HEADROOM)
    }
    #[cfg(not(target_os = "linux"))]
    0
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::c_void;

    const MADV_DONTNEED: i32 = 4;

    /// How far down the walk looks: a connection thread's stack is 256 KiB or less, and
    /// the pages it touches at its deepest are a handful; this bounds the system calls.
    const MAX_PAGES: usize = 256;

    extern "C" {
        fn madvise(addr: *mut c_void, len: usize, advice: i32) -> i32;
        fn mincore(addr: *mut c_void, len: usize, vec: *mut u8) -> i32;
        fn getpagesize() -> i32;
    }

    /// Where does the part of the stack worth giving back end? Rather than ask the C
    /// library where the stack was mapped (`pthread_getattr_np` allocates, and those small
    /// blocks would stay in this thread's malloc cache for its whole idle life), walk down
    /// from `limit` page by page while the pages are resident (`mincore(2)`). The pages a
    /// thread touched are contiguous (a frame larger than a page is probed page by page, by
    /// Rust and by the C library alike), and the walk stops at the first page that is not:
    /// at the latest the guard page below every thread stack, which is never touched, or
    /// the unmapped gap below the main thread's. A page swapped out only stops it early.
    pub(super) fn release_below(limit: usize) -> usize {
        let page = page_size();
        let end = limit / page * page;
        let mut bottom = end;
        while end - bottom < MAX_PAGES * page && bottom >= page && resident(bottom - page, page) {
            bottom -= page;
        }
        if bottom == end {
            return 0;
        }
        // SAFETY: [bottom, end) are resident pages of this thread's own stack (contiguous
        // with the page holding `limit`, which is below our own frame), so they lie below
        // the stack pointer, where no live value is: the kernel replaces them with zeroed
        // pages when the thread next goes that deep.
        let advised = unsafe { madvise(bottom as *mut c_void, end - bottom, MADV_DONTNEED) };
        if advised == 0 {
            end - bottom
        } else {
            0
        }
    }

    /// Whether the page at `at` is mapped and in memory.
    fn resident(at: usize, page: usize) -> bool {
        let mut vec = 0u8;
        // SAFETY: `at` is page-aligned and the length is one page, so `vec` receives one
        // byte; an unmapped page makes the call fail (ENOMEM), which reads as "not resident".
        let found = unsafe { mincore(at as *mut c_void, page, &mut vec) };
        found == 0 && vec & 1 == 1
    }

    fn page_size() -> usize {
        // The stack's own page size is the one its pages are given back in; 4 KiB on
        // x86-64, and a 16 or 64 KiB kernel on AArch64 only makes us advise less.
        // SAFETY: no arguments, no memory touched.
        usize::try_from(unsafe { getpagesize() }).unwrap_or(4096)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::hint::black_box;

    extern "C" {
        fn mincore(addr: *mut std::ffi::c_void, len: usize, vec: *mut u8) -> i32;
    }

    /// Which pages of `[from, to)` are resident, lowest first.
    fn resident(from: usize, to: usize) -> Vec<bool> {
        let pages = (to - from) / 4096;
        let mut vec = vec![0u8; pages];
        // SAFETY: the range is page-aligned and mapped (our own stack); `vec` has one byte
        // per page.
        let ok = unsafe { mincore(from as *mut _, to - from, vec.as_mut_ptr()) };
        assert_eq!(ok, 0, "mincore failed");
        vec.iter().map(|b| b & 1 == 1).collect()
    }

    /// Goes `depth` frames of 1 KiB deep and returns the lowest address it wrote.
    #[inline(never)]
    fn dig(depth: usize) -> usize {
        let mut frame = [0u8; 1024];
        black_box(&mut frame);
        let here = frame.as_ptr() as usize;
        let below = if depth == 0 { here } else { dig(depth - 1) };
        // Used after the call, so the frame stays (no tail call).
        black_box(&frame);
        below.min(here)
    }

    #[test]
    fn the_pages_a_burst_used_go_back_and_come_back_when_needed_again() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let lowest = dig(64); // 64 KiB below us
                let here = black_box(0u8);
                let own_page = std::ptr::addr_of!(here) as usize / 4096 * 4096;
                let deep = lowest / 4096 * 4096 + 4096;
                assert!(resident(deep, own_page).iter().all(|&r| r), "dug");

                let advised = release_unused_pages();
                assert!(advised >= 60 * 1024, "advised only {advised} bytes");
                // HEADROOM and the release's own frame keep at most the page below ours.
                assert!(
                    resident(deep, own_page - 4096).iter().all(|&r| !r),
                    "the pages below the caller went back"
                );
                assert!(resident(own_page, own_page + 4096)[0], "ours stays");

                // The thread goes on: the same depth again works, on fresh pages.
                assert_eq!(dig(64), lowest);
                assert!(resident(deep, own_page).iter().all(|&r| r), "dug again");
            })
            .expect("spawn")
            .join()
            .expect("the test thread ran");
    }

    #[test]
    fn a_thread_releases_again_at_each_rest() {
        let (first, second) = std::thread::spawn(|| {
            dig(8);
            let first = release_unused_pages();
            dig(8);
            (first, release_unused_pages())
        })
        .join()
        .expect("ran");
        assert!(first > 0 && first == second, "{first} then {second}");
    }
}
