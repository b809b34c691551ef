//! Ctrl-C and `kill`: turning SIGINT and SIGTERM into a graceful shutdown, with std alone.
//!
//! std has no signal API, and a signal handler may do almost nothing safely (POSIX allows
//! only async-signal-safe calls in one). So we do not install a handler at all. Instead the
//! main thread *blocks* SIGINT and SIGTERM before starting any other thread — new threads
//! inherit the mask, so no thread will be interrupted — and one thread waits for them with
//! `sigwait(3)`, which returns a pending signal as an ordinary function result. That thread
//! can then call [`ShutdownHandle::shutdown`] like any other code. A second Ctrl-C exits
//! at once, for when a shutdown hangs.
//!
//! The four functions come from the C library std already links; we declare them
//! ourselves rather than add the `libc` crate. Linux only (its `sigset_t` layout and
//! constants); elsewhere Ctrl-C simply ends the process.

use crate::http::ShutdownHandle;

/// Makes SIGINT and SIGTERM shut `handle`'s server down gracefully. Call it from `main`
/// before any other thread is started, or those threads may still receive the signal.
pub fn shutdown_on_signal(handle: ShutdownHandle) {
    #[cfg(target_os = "linux")]
    linux::shutdown_on_signal(handle);
    #[cfg(not(target_os = "linux"))]
    drop(handle);
}

#[cfg(target_os = "linux")]
mod linux {
    use super::ShutdownHandle;

    /// glibc's and musl's `sigset_t`: 1024 bits.
    #[repr(C)]
    struct SigSet([u64; 16]);

    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    const SIG_BLOCK: i32 = 0;

    extern "C" {
        fn sigemptyset(set: *mut SigSet) -> i32;
        fn sigaddset(set: *mut SigSet, signum: i32) -> i32;
        fn pthread_sigmask(how: i32, set: *const SigSet, old: *mut SigSet) -> i32;
        fn sigwait(set: *const SigSet, sig: *mut i32) -> i32;
    }

    fn termination_signals() -> SigSet {
        let mut set = SigSet([0; 16]);
        // SAFETY: `set` is a valid, writable sigset_t-sized buffer for the whole call.
        unsafe {
            sigemptyset(&mut set);
            sigaddset(&mut set, SIGINT);
            sigaddset(&mut set, SIGTERM);
        }
        set
    }

    pub(super) fn shutdown_on_signal(handle: ShutdownHandle) {
        let set = termination_signals();
        // SAFETY: `set` is initialised above; a null `old` is allowed by POSIX.
        let blocked = unsafe { pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut()) };
        if blocked != 0 {
            crate::log!("cannot block SIGINT/SIGTERM (error {blocked}): Ctrl-C will not shut down gracefully");
            return;
        }
        let waiter = std::thread::Builder::new()
            .name("threadio-signals".into())
            .stack_size(64 * 1024)
            .spawn(move || wait_for_signals(&handle));
        if let Err(e) = waiter {
            crate::log!("cannot start the signal thread: {e}");
        }
    }

    fn wait_for_signals(handle: &ShutdownHandle) {
        let set = termination_signals();
        let mut signal = 0;
        loop {
            // SAFETY: both pointers are valid for the call; sigwait writes one i32.
            if unsafe { sigwait(&set, &mut signal) } != 0 {
                continue;
            }
            if handle.is_shutting_down() {
                crate::log!("second signal: exiting now");
                std::process::exit(130);
            }
            crate::log!("signal {signal}: shutting down gracefully (again to force)");
            handle.shutdown();
        }
    }
}
