//! HTTP long-polling as a transport (Engine.IO v4 "Transports › HTTP long-polling"): the
//! reader's held GET, and the queue whose writes go out as POSTs.
//!
//! Engine.IO allows one GET and one POST in flight per session (a second GET is a protocol
//! error that ends the session), so there are exactly two connections: the reader thread's,
//! for GETs, which the server holds until it has packets (at most one pingInterval, since it
//! pings by then), and the POST connection, on which whoever emits sends everything queued
//! since the last POST in one body, cut to the server's `maxPayload`. Bodies are Engine.IO
//! payloads (`engineio::payload`): packets joined by U+001E, binary as `b` + base64.
//! The HTTP itself is `http_client.rs`.

use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::error::{DialError, DisconnectCause};
use super::http_client::PollConnection;
use super::transport::EngineTarget;
use crate::engineio::packet::Packet as EnginePacket;
use crate::engineio::payload;

/// The GET side of a polling session.
pub(crate) struct PollingReader {
    connection: PollConnection,
    target: EngineTarget,
    /// The GET's request target, the same for every poll of the session.
    url: String,
    queue: Arc<PostQueue>,
}

impl PollingReader {
    pub(crate) fn new(
        connection: PollConnection,
        target: EngineTarget,
        sid: String,
        queue: Arc<PostQueue>,
    ) -> PollingReader {
        PollingReader {
            connection,
            url: target.request_target("polling", Some(&sid)),
            target,
            queue,
        }
    }

    /// The packets of the next GET; an error if none came within `silence`.
    pub(crate) fn next_packets(
        &mut self,
        silence: Duration,
    ) -> Result<Vec<EnginePacket>, DisconnectCause> {
        // A held GET is answered within pingInterval: the server pings by then.
        let target = &self.target;
        let result = self.connection.request(
            &self.url,
            &target.headers,
            None,
            silence,
            target.max_message,
        );
        self.queue.watch(self.connection.take_new_stream());
        let body = result.map_err(|e| match e {
            DialError::Io(io) if is_timeout(&io) => DisconnectCause::PingTimeout,
            other => DisconnectCause::TransportError(other.to_string()),
        })?;
        decode_body(&body).map_err(|e| DisconnectCause::ParseError(e.to_string()))
    }
}

/// A polling body's packets (Engine.IO v4 "Packet encoding › HTTP long-polling").
pub(crate) fn decode_body(body: &[u8]) -> Result<Vec<EnginePacket>, DialError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| DialError::Protocol("a polling body that is not UTF-8".into()))?;
    payload::decode(text, usize::MAX).map_err(|e| DialError::Protocol(e.to_string()))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The packets waiting for the next POST, and the POST connection: at most one POST in
/// flight (Engine.IO v4 "HTTP long-polling"), everything queued meanwhile in the next.
///
/// There is no POST thread. Whoever queues a packet while no POST is in flight sends it
/// then and there, and goes on sending what others queued meanwhile; the others return at
/// once. It is the rule of the server's WebSocket writer (`websocket/outbox.rs`, rule 1),
/// and for the same reason: waking a thread per write costs more than the write (NOTES
/// ch 21 has the bench figures). The price is that an emit may wait for one POST's round
/// trip; only the final POST of `close`, to a server that may be gone, gets a thread of
/// its own, so that nobody waits on it.
pub(crate) struct PostQueue {
    state: Mutex<PostState>,
    /// Only the thread that set `PostState::posting` uses it.
    connection: Mutex<PollConnection>,
    url: String,
    target: EngineTarget,
    /// The server's `maxPayload`: a longer batch goes as several POSTs.
    max_payload: usize,
    /// The GET connection, shut down to wake the reader when we close or a POST fails.
    get_stream: Mutex<Option<TcpStream>>,
}

#[derive(Default)]
struct PostState {
    packets: Vec<EnginePacket>,
    /// A thread is sending: what is queued now goes in its next POST.
    posting: bool,
    /// No more packets are accepted; the last POST carries the close packet.
    closing: bool,
    /// A POST failed: the session is over.
    failed: bool,
}

impl PostQueue {
    pub(crate) fn new(target: EngineTarget, sid: String, max_payload: usize) -> Arc<PostQueue> {
        Arc::new(PostQueue {
            state: Mutex::new(PostState::default()),
            connection: Mutex::new(PollConnection::new(
                &target.authority,
                target.connect_timeout,
            )),
            url: target.request_target("polling", Some(&sid)),
            target,
            max_payload,
            get_stream: Mutex::new(None),
        })
    }

    pub(crate) fn watch(&self, stream: Option<TcpStream>) {
        if let Some(stream) = stream {
            *self.get_stream.lock().unwrap() = Some(stream);
        }
    }

    /// Queues `packets`, in order and together; sends them now if no POST is in flight.
    /// `false` once the session is closing or over.
    pub(crate) fn push(&self, packets: Vec<EnginePacket>) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.closing || state.failed {
            return false;
        }
        state.packets.extend(packets);
        if state.posting {
            return true; // the thread sending now takes them in its next POST
        }
        state.posting = true;
        drop(state);
        self.post_queued()
    }

    /// Ends the session from our side: the close packet goes in a last POST, from a
    /// thread of its own if none is in flight, and the reader's GET is woken.
    pub(crate) fn close(self: &Arc<Self>) {
        let mut state = self.state.lock().unwrap();
        if state.closing || state.failed {
            return;
        }
        state.packets.push(EnginePacket::Close);
        state.closing = true;
        let idle = !std::mem::replace(&mut state.posting, true);
        drop(state);
        if idle {
            let queue = Arc::clone(self);
            let _ = thread::Builder::new()
                .name("threadio-client-close".into())
                .spawn(move || queue.post_queued());
        }
        self.wake_reader();
    }

    fn wake_reader(&self) {
        if let Some(stream) = self.get_stream.lock().unwrap().take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Sends POSTs until the queue is empty, then lets the next `push` post. Called by the
    /// thread that set `posting`. `false` if a POST failed, which ends the session.
    fn post_queued(&self) -> bool {
        let mut connection = self.connection.lock().unwrap();
        loop {
            let batch = {
                let mut state = self.state.lock().unwrap();
                if state.packets.is_empty() || state.failed {
                    state.posting = false;
                    return !state.failed;
                }
                self.take_batch(&mut state.packets)
            };
            let body = payload::encode(&batch);
            let target = &self.target;
            let sent = connection.request(
                &self.url,
                &target.headers,
                Some(&body),
                target.connect_timeout,
                target.max_message,
            );
            if let Err(e) = sent {
                let mut state = self.state.lock().unwrap();
                if !state.closing {
                    crate::log!("client: a POST failed, ending the session: {e}");
                }
                state.failed = true;
                state.posting = false;
                drop(state);
                self.wake_reader();
                return false;
            }
        }
    }

    /// The longest run of queued packets, from the front, whose body fits the server's
    /// `maxPayload` (Engine.IO v4: a longer body is refused and ends the session). A packet
    /// too long by itself goes alone: the server's refusal is then the answer to it.
    fn take_batch(&self, queued: &mut Vec<EnginePacket>) -> Vec<EnginePacket> {
        let mut bytes = 0;
        let mut count = 0;
        for packet in queued.iter() {
            let length = packet
                .encode_text()
                .or_else(|| packet.encode_base64())
                .map_or(0, |text| text.len())
                + usize::from(count > 0); // the record separator before it
            if count > 0 && bytes + length > self.max_payload {
                break;
            }
            bytes += length;
            count += 1;
        }
        queued.drain(..count).collect()
    }
}
