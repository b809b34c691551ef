//! HTTP long-polling as a transport (Engine.IO v4 "Transports › HTTP long-polling"): the
//! reader's held GET, and the queue whose thread sends the writes as POSTs.
//!
//! Engine.IO allows one GET and one POST in flight per session (a second GET is a protocol
//! error that ends the session), so there are exactly two connections: the reader thread's,
//! for GETs, which the server holds until it has packets (at most one pingInterval, since it
//! pings by then), and the POST thread's, which sends everything queued since its last POST
//! in one body. Bodies are Engine.IO payloads (`engineio::payload`): packets joined by
//! U+001E, binary as `b` + base64. The HTTP itself is `http_client.rs`.

use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
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
    sid: String,
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
            target,
            sid,
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
        let url = target.request_target("polling", Some(&self.sid));
        let result =
            self.connection
                .request(&url, &target.headers, None, silence, target.max_message);
        self.queue.watch(self.connection.try_clone_stream());
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

/// The packets waiting for the next POST, and the thread that sends them: at most one POST
/// in flight (Engine.IO v4 "HTTP long-polling"), everything queued meanwhile in the next.
pub(crate) struct PostQueue {
    state: Mutex<PostState>,
    ready: Condvar,
    /// The GET connection, shut down to wake the reader when we close or a POST fails.
    get_stream: Mutex<Option<TcpStream>>,
}

#[derive(Default)]
struct PostState {
    packets: Vec<EnginePacket>,
    /// No more packets are accepted; the thread sends what is queued and ends.
    closing: bool,
    /// A POST failed: the session is over.
    failed: bool,
}

impl PostQueue {
    pub(crate) fn start(target: EngineTarget, sid: String) -> Arc<PostQueue> {
        let queue = Arc::new(PostQueue {
            state: Mutex::new(PostState::default()),
            ready: Condvar::new(),
            get_stream: Mutex::new(None),
        });
        let worker = Arc::clone(&queue);
        thread::Builder::new()
            .name("threadio-client-post".into())
            .spawn(move || worker.run(target, sid))
            .expect("a thread for the POST requests");
        queue
    }

    pub(crate) fn watch(&self, stream: Option<TcpStream>) {
        if let Some(stream) = stream {
            *self.get_stream.lock().unwrap() = Some(stream);
        }
    }

    pub(crate) fn push(&self, packets: Vec<EnginePacket>) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.closing || state.failed {
            return false;
        }
        state.packets.extend(packets);
        self.ready.notify_one();
        true
    }

    pub(crate) fn close(&self) {
        let mut state = self.state.lock().unwrap();
        if !state.closing && !state.failed {
            state.packets.push(EnginePacket::Close);
        }
        state.closing = true;
        self.ready.notify_one();
        drop(state);
        self.wake_reader();
    }

    fn wake_reader(&self) {
        if let Some(stream) = self.get_stream.lock().unwrap().take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The POST thread: waits for packets, sends them all in one body, repeats.
    fn run(&self, target: EngineTarget, sid: String) {
        let mut connection = PollConnection::new(&target.authority, target.connect_timeout);
        let url = target.request_target("polling", Some(&sid));
        loop {
            let (batch, last) = {
                let mut state = self.state.lock().unwrap();
                while state.packets.is_empty() && !state.closing && !state.failed {
                    state = self.ready.wait(state).unwrap();
                }
                if state.failed {
                    return;
                }
                (std::mem::take(&mut state.packets), state.closing)
            };
            if !batch.is_empty() {
                let body = payload::encode(&batch);
                let sent = connection.request(
                    &url,
                    &target.headers,
                    Some(&body),
                    target.connect_timeout,
                    target.max_message,
                );
                if let Err(e) = sent {
                    if !last {
                        crate::log!("client: a POST failed, ending the session: {e}");
                    }
                    self.state.lock().unwrap().failed = true;
                    self.wake_reader();
                    return;
                }
            }
            if last {
                return;
            }
        }
    }
}
