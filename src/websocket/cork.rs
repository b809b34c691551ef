//! Holding back a thread's writes while it still has messages to read, so that many frames
//! to one client leave in one `writev` instead of one syscall each.
//!
//! Where it sits: between `connection.rs`, which knows whether more input is already
//! buffered, and `outbox.rs`, which writes. It is what makes a thread-per-connection server
//! batch its writes the way an event loop does, without a writer thread.
//!
//! The problem it solves: a connection's thread that reads a burst of messages — a
//! publisher far ahead, an echo client with many messages in flight — would otherwise
//! write each message's frames as soon as they are sent: one syscall per frame per
//! recipient, which is most of a broadcast's cost (NOTES.md, chapter 14). The rule:
//!
//! 1. When [`WebSocket::recv`](super::WebSocket::recv) returns a message and more bytes
//!    are already in its read buffer, the thread *holds* its writes ([`hold`]) — if that
//!    WebSocket allows it ([`WebSocket::hold_writes`](super::WebSocket::hold_writes): off
//!    by default, on for Engine.IO sessions).
//! 2. While it holds, a send to an outbox that nobody is writing only queues the frame and
//!    notes the outbox here ([`defer`]); the frame is not yet on the wire.
//! 3. Just before the thread would block — on a read with nothing buffered, or when the
//!    WebSocket is dropped or waits for its queue to empty — it writes every held outbox,
//!    each in one `writev` of everything queued ([`release`]).
//!
//! So nothing waits for more than the time the thread takes to handle input that had
//! *already arrived*; a lone message is written at once, as before. A thread that is about
//! to wait on one client's flow control (`Outbox::send_blocking`) releases first, so the
//! frames it holds for others do not wait with it. A broadcast holds too, for its own
//! length ([`batch`]), on any thread: its frame is queued for every recipient first, then
//! the writes are shared between the broadcaster and the flusher thread (`flusher.rs`).
//!
//! The price, and why holding across messages is opt-in: code that sends and then blocks
//! (sleeps, waits on a lock or on another thread) while input is queued behind it keeps
//! what it sent back for as long. Socket.IO handlers should not block, in threadio as in
//! Node, so Engine.IO turns it on (`EngineConfig::hold_writes`); a raw WebSocket's `send`
//! keeps its plain meaning unless its route asks.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::flusher;
use super::outbox::Outbox;

/// The outboxes this thread holds frames in, and the round it is holding in, if it is.
///
/// A round runs from [`hold`] to [`release`], and its number is unique in the process: an
/// outbox remembers the round its frames are held in, so a send from any other round — another
/// thread's, or this thread's next one while the flusher still has the outbox — writes at
/// once instead of waiting on a release that will not include it.
#[derive(Default)]
struct Held {
    round: Option<u64>,
    outboxes: Vec<Arc<Outbox>>,
}

static NEXT_ROUND: AtomicU64 = AtomicU64::new(1);

impl Drop for Held {
    /// A thread that ends while holding (a handler panicked and unwound past `recv`) must
    /// not take its frames with it.
    fn drop(&mut self) {
        for outbox in std::mem::take(&mut self.outboxes) {
            outbox.release_held();
        }
    }
}

thread_local! {
    static HELD: RefCell<Held> = RefCell::new(Held::default());
}

/// Rule 1: from now until [`release`], this thread's sends may be held.
pub(crate) fn hold() {
    let _ = HELD.try_with(|held| {
        let mut held = held.borrow_mut();
        if held.round.is_none() {
            held.round = Some(NEXT_ROUND.fetch_add(1, Ordering::Relaxed));
        }
    });
}

/// The round this thread is holding its writes in, if it is.
/// (A thread that is ending, past its thread-locals, holds nothing.)
pub(crate) fn round() -> Option<u64> {
    HELD.try_with(|held| held.borrow().round).ok().flatten()
}

/// Whether this thread is holding its writes now.
pub(crate) fn is_holding() -> bool {
    round().is_some()
}

/// Rule 2: `outbox` has a frame held by this thread; write it at the next [`release`]. The
/// outbox calls this once per release, whatever the number of frames.
pub(crate) fn defer(outbox: Arc<Outbox>) {
    HELD.with(|held| held.borrow_mut().outboxes.push(outbox));
}

/// Rule 3: stop holding and write everything held.
pub(crate) fn release() {
    let outboxes = HELD
        .try_with(|held| {
            let mut held = held.borrow_mut();
            held.round = None;
            std::mem::take(&mut held.outboxes)
        })
        .unwrap_or_default();
    // A large release — a broadcast — is shared with the flusher thread (`flusher.rs`).
    for outbox in flusher::share(outboxes) {
        outbox.release_held();
    }
}

/// Runs `broadcast` with this thread's writes held, then writes them: every recipient's frame
/// is queued before the first one is written, and the writing can then be shared out
/// (`flusher.rs`). If the thread was holding already, it goes on holding: its next read
/// releases everything together.
pub(crate) fn batch<T>(broadcast: impl FnOnce() -> T) -> T {
    if is_holding() {
        return broadcast();
    }
    hold();
    // Released on the way out even if `broadcast` panics: a thread that never reads (a
    // POST's, the timer's) would otherwise go on holding.
    let _release = ReleaseOnDrop;
    broadcast()
}

struct ReleaseOnDrop;

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::outbox::{FrameBytes, OutboxLimits};
    use std::io::{ErrorKind, Read};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// An outbox writing to one end of a loopback connection, and the other end to read.
    fn outbox_and_peer() -> (Arc<Outbox>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, peer) = listener.accept().unwrap();
        let limits = OutboxLimits {
            max_backlog: 1 << 20,
            stall_timeout: Duration::from_secs(5),
            turn: Duration::from_millis(20),
        };
        (
            Arc::new(Outbox::new(Arc::new(server), peer, limits)),
            client,
        )
    }

    fn read_now(peer: &mut TcpStream) -> Vec<u8> {
        peer.set_nonblocking(true).unwrap();
        let mut got = vec![0; 64];
        let n = match peer.read(&mut got) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(e) => panic!("{e}"),
        };
        got.truncate(n);
        got
    }

    fn read_exactly(peer: &mut TcpStream, n: usize) -> Vec<u8> {
        peer.set_nonblocking(false).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = vec![0; n];
        peer.read_exact(&mut got).unwrap();
        got
    }

    #[test]
    fn held_frames_stay_queued_until_release_then_leave_together_in_order() {
        let (outbox, mut peer) = outbox_and_peer();
        hold();
        for frame in [b"one ", b"two ", b"thr "] {
            outbox.send(FrameBytes::Owned(frame.to_vec())).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(read_now(&mut peer), b"", "nothing may leave while held");
        release();
        assert!(!is_holding());
        assert_eq!(read_exactly(&mut peer, 12), b"one two thr ");
    }

    #[test]
    fn without_hold_a_send_is_written_at_once() {
        let (outbox, mut peer) = outbox_and_peer();
        outbox.send(FrameBytes::Owned(b"now".to_vec())).unwrap();
        assert_eq!(read_exactly(&mut peer, 3), b"now");
    }

    #[test]
    fn a_thread_that_ends_while_holding_still_delivers() {
        let (outbox, mut peer) = outbox_and_peer();
        let sender = Arc::clone(&outbox);
        std::thread::spawn(move || {
            hold();
            sender
                .send(FrameBytes::Owned(b"last words".to_vec()))
                .unwrap();
        })
        .join()
        .unwrap();
        assert_eq!(read_exactly(&mut peer, 10), b"last words");
    }

    #[test]
    fn a_large_release_is_shared_out_and_every_client_still_gets_its_frames_in_order() {
        let pairs: Vec<_> = (0..crate::websocket::flusher::SHARE_FROM * 2)
            .map(|_| outbox_and_peer())
            .collect();
        batch(|| {
            for (outbox, _) in &pairs {
                outbox.send(FrameBytes::Owned(b"first ".to_vec())).unwrap();
            }
        });
        // Not holding now: written at once, by this thread or behind the flusher's write;
        // either way after "first " on every connection.
        for (outbox, _) in &pairs {
            outbox.send(FrameBytes::Owned(b"second".to_vec())).unwrap();
        }
        for (_, mut peer) in pairs {
            assert_eq!(read_exactly(&mut peer, 12), b"first second");
        }
    }

    #[test]
    fn a_frame_held_by_another_thread_does_not_hold_up_ours() {
        let (outbox, mut peer) = outbox_and_peer();
        let (release_it, held) = std::sync::mpsc::channel::<()>();
        let (queued, was_queued) = std::sync::mpsc::channel::<()>();
        let theirs = Arc::clone(&outbox);
        let holder = std::thread::spawn(move || {
            hold();
            theirs.send(FrameBytes::Owned(b"theirs ".to_vec())).unwrap();
            queued.send(()).unwrap();
            held.recv().unwrap();
            release();
        });
        was_queued.recv().unwrap();
        hold();
        outbox.send(FrameBytes::Owned(b"ours".to_vec())).unwrap();
        // Both are on the wire while the other thread still holds, in the order sent.
        assert_eq!(read_exactly(&mut peer, 11), b"theirs ours");
        release();
        release_it.send(()).unwrap();
        holder.join().unwrap();
    }

    #[test]
    fn a_send_that_may_wait_for_its_client_first_writes_what_is_held_for_others() {
        let (other, mut other_peer) = outbox_and_peer();
        let (own, mut own_peer) = outbox_and_peer();
        hold();
        other.send(FrameBytes::Owned(b"for you".to_vec())).unwrap();
        // Too big to hold: written now, and this thread might wait on its client.
        own.send_blocking(FrameBytes::Owned(vec![1u8; 70 * 1024]))
            .unwrap();
        assert_eq!(read_exactly(&mut other_peer, 7), b"for you");
        assert_eq!(read_exactly(&mut own_peer, 70 * 1024).len(), 70 * 1024);
        release();
    }

    #[test]
    fn past_the_hold_limit_frames_are_written_without_waiting_for_release() {
        let (outbox, mut peer) = outbox_and_peer();
        hold();
        let big = vec![7u8; 70 * 1024];
        outbox.send(FrameBytes::Owned(big)).unwrap();
        let got = read_exactly(&mut peer, 70 * 1024);
        assert!(got.iter().all(|&b| b == 7));
        release();
    }
}
