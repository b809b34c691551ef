//! Connection state recovery: a client that drops for a few seconds comes back with its
//! id, its rooms, its data and every event it missed (Socket.IO 4.6+ "Connection state
//! recovery"; the reference keeps them in `socket.io-adapter`'s `SessionAwareAdapter`).
//!
//! The sequence, with recovery on ([`ConnectionStateRecovery`] in `IoConfig`):
//!
//! 1. **Connect**: the CONNECT answer carries a private session id besides the socket's id,
//!    `40{"sid":"…","pid":"…"}`. The `pid` is the client's secret: whoever shows it gets
//!    the session back, so it is as unguessable as an Engine.IO sid.
//! 2. **Buffer**: every event sent to clients that asks no ack and is not volatile gets an
//!    *offset* as its last argument (a string), and is kept here with the rooms it went to,
//!    for `max_disconnection_duration`. The official client remembers the last offset it saw.
//! 3. **Drop**: when the connection ends without the client asking (transport close or
//!    error, ping timeout, …: [`DisconnectReason::is_recoverable`]), the socket's id, pid,
//!    rooms and data are kept here too.
//! 4. **Reconnect**: the client's next CONNECT carries `{…auth, pid, offset}`. A kept
//!    session whose pid matches, within the time, with the offset still in the buffer, is
//!    restored: the same id, rooms and data, `socket.recovered() == true`, and the events
//!    after the offset that would have reached it (by its rooms) sent in order, before
//!    anything new. Anything else — an unknown pid, an expired one, an offset the buffer no
//!    longer holds — is a fresh session, never a partial replay: a client that missed
//!    events it cannot get back must know it, by `recovered() == false`.
//!
//! Bounds: the buffer forgets packets older than `max_disconnection_duration`, and the
//! oldest ones once it holds more than `max_buffered_bytes`; a kept session is forgotten
//! after `max_disconnection_duration`, and at most `max_kept_sessions` are kept (the oldest
//! go first). A flood of broadcasts thus shortens how far back recovery reaches; it never
//! grows the buffer past its cap.
//!
//! With several nodes (the Redis adapter), each node keeps its own buffer, of what it
//! delivered to its own sockets — broadcasts from the other nodes included — so recovery
//! works when the client comes back to the same node, as sticky sessions make it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::adapter::BroadcastOptions;
use super::disconnect_reason::DisconnectReason;
use crate::json::Value;

/// The option `connectionStateRecovery`; the defaults are the reference's, plus the bounds
/// it does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionStateRecovery {
    /// How long a dropped session, and the events sent meanwhile, are kept: 2 minutes.
    pub max_disconnection_duration: Duration,
    /// Whether a restored socket skips the middlewares (they ran when it first connected):
    /// `true`.
    pub skip_middlewares: bool,
    /// The most bytes of events kept per namespace, as encoded for the wire: 16 MiB. Past
    /// it the oldest go, and a client whose offset they held gets a fresh session.
    pub max_buffered_bytes: usize,
    /// The most dropped sessions kept per namespace: 10,000 (the connection cap).
    pub max_kept_sessions: usize,
}

impl Default for ConnectionStateRecovery {
    fn default() -> ConnectionStateRecovery {
        ConnectionStateRecovery {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_buffered_bytes: 16 << 20,
            max_kept_sessions: 10_000,
        }
    }
}

impl DisconnectReason {
    /// Whether a socket that went for this reason may come back with its state: the
    /// connection failed, the client did not leave (the reference's
    /// `RECOVERABLE_DISCONNECT_REASONS`).
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            DisconnectReason::TransportError
                | DisconnectReason::TransportClose
                | DisconnectReason::ForcedClose
                | DisconnectReason::PingTimeout
                | DisconnectReason::ServerShuttingDown
                | DisconnectReason::ForcedServerClose
        )
    }
}

/// What is kept of a socket whose connection dropped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeptSession {
    /// The socket's id, which it gets back.
    pub socket_id: String,
    pub pid: String,
    /// Its rooms, its own included.
    pub rooms: Vec<String>,
    pub data: Value,
}

/// A kept session given back, with the events it missed: each `[event, ...args, offset]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Restored {
    pub session: KeptSession,
    pub missed: Vec<Vec<Value>>,
}

/// One event kept for replay.
struct StoredPacket {
    /// Its place in the sequence (see [`SessionStore::offset_text`]).
    number: u64,
    rooms: Vec<String>,
    except: Vec<String>,
    /// `[event, ...args, offset]`, as it went out.
    data: Vec<Value>,
    bytes: usize,
    sent_at: Instant,
}

/// The buffer of one namespace and its dropped sessions.
pub(crate) struct SessionStore {
    config: ConnectionStateRecovery,
    /// Makes this store's offsets its own: an offset from another process, or another
    /// namespace, names nothing here.
    prefix: String,
    next: u64,
    packets: VecDeque<StoredPacket>,
    bytes: usize,
    sessions: HashMap<String, (KeptSession, Instant)>,
}

impl SessionStore {
    pub(crate) fn new(config: ConnectionStateRecovery) -> SessionStore {
        SessionStore {
            config,
            prefix: crate::engineio::sid::generate(),
            next: 0,
            packets: VecDeque::new(),
            bytes: 0,
            sessions: HashMap::new(),
        }
    }

    pub(crate) fn config(&self) -> &ConnectionStateRecovery {
        &self.config
    }

    /// The offset the next event will carry.
    pub(crate) fn next_offset(&self) -> String {
        self.offset_text(self.next)
    }

    /// Keeps an event that went to the sockets `options` chose: `data` is
    /// `[event, ...args, offset]` with the offset [`next_offset`](Self::next_offset) gave,
    /// `bytes` its size on the wire.
    pub(crate) fn record(&mut self, options: &BroadcastOptions, data: Vec<Value>, bytes: usize) {
        let now = Instant::now();
        self.packets.push_back(StoredPacket {
            number: self.next,
            rooms: options.rooms.clone(),
            except: options.except.clone(),
            data,
            bytes,
            sent_at: now,
        });
        self.next += 1;
        self.bytes += bytes;
        self.forget_old(now);
    }

    /// Keeps a dropped socket's session until it comes back or its time is up.
    pub(crate) fn keep(&mut self, session: KeptSession) {
        let now = Instant::now();
        self.forget_old(now);
        if self.sessions.len() >= self.config.max_kept_sessions {
            let oldest = self
                .sessions
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(pid, _)| pid.clone());
            if let Some(pid) = oldest {
                self.sessions.remove(&pid);
            }
        }
        self.sessions.insert(session.pid.clone(), (session, now));
    }

    /// The session kept under `pid`, with the events after `offset` that would have
    /// reached it, in order; `None` if any of that is gone. Either way the session is
    /// forgotten: a pid is good for one return.
    pub(crate) fn restore(&mut self, pid: &str, offset: &str) -> Option<Restored> {
        let now = Instant::now();
        self.forget_old(now);
        let (session, _) = self.sessions.remove(pid)?;
        let missed = self.missed_since(offset, &session.rooms)?;
        Some(Restored { session, missed })
    }

    /// The events after `offset` that reached a socket in `rooms`, in order; `None` if
    /// some of them are no longer kept, or the offset is not one of this store's.
    pub(crate) fn missed_since(&self, offset: &str, rooms: &[String]) -> Option<Vec<Vec<Value>>> {
        let number = self.number_of(offset)?;
        let first = self.packets.front().map_or(self.next, |p| p.number);
        // The event right after the one the client saw last must still be here (or not yet
        // sent): else some it missed are gone.
        if number + 1 < first || number >= self.next {
            return None;
        }
        let missed = self
            .packets
            .iter()
            .filter(|packet| packet.number > number && reaches(packet, rooms))
            .map(|packet| packet.data.clone())
            .collect();
        Some(missed)
    }

    fn offset_text(&self, number: u64) -> String {
        format!("{}-{number}", self.prefix)
    }

    fn number_of(&self, offset: &str) -> Option<u64> {
        let (prefix, number) = offset.rsplit_once('-')?;
        (prefix == self.prefix).then(|| number.parse().ok())?
    }

    /// Forgets packets and sessions older than `max_disconnection_duration`, and the
    /// oldest packets past `max_buffered_bytes`.
    fn forget_old(&mut self, now: Instant) {
        let max_age = self.config.max_disconnection_duration;
        while let Some(oldest) = self.packets.front() {
            let too_old = now.duration_since(oldest.sent_at) > max_age;
            if !too_old && self.bytes <= self.config.max_buffered_bytes {
                break;
            }
            self.bytes -= oldest.bytes;
            self.packets.pop_front();
        }
        self.sessions
            .retain(|_, (_, since)| now.duration_since(*since) <= max_age);
    }
}

/// Whether an event sent to `packet`'s rooms, except its `except`, reached a socket in
/// `rooms` (the reference's `shouldIncludePacket`).
fn reaches(packet: &StoredPacket, rooms: &[String]) -> bool {
    let included = packet.rooms.is_empty() || rooms.iter().any(|r| packet.rooms.contains(r));
    let excluded = rooms.iter().any(|r| packet.except.contains(r));
    included && !excluded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> SessionStore {
        SessionStore::new(ConnectionStateRecovery::default())
    }

    fn to(rooms: &[&str], except: &[&str]) -> BroadcastOptions {
        BroadcastOptions {
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            except: except.iter().map(|r| r.to_string()).collect(),
            ..BroadcastOptions::default()
        }
    }

    /// Records event `name` to `options`, returning its offset.
    fn send(store: &mut SessionStore, name: &str, options: BroadcastOptions) -> String {
        let offset = store.next_offset();
        let data = vec![name.into(), offset.as_str().into()];
        store.record(&options, data, 10);
        offset
    }

    fn session(socket_id: &str, rooms: &[&str]) -> KeptSession {
        KeptSession {
            socket_id: socket_id.into(),
            pid: format!("pid-{socket_id}"),
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
            data: Value::Null,
        }
    }

    fn names(restored: &Restored) -> Vec<&str> {
        restored
            .missed
            .iter()
            .map(|d| d[0].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_dropped_session_gets_what_reached_its_rooms_after_its_offset_in_order() {
        let mut store = store();
        let seen = send(&mut store, "before", to(&[], &[]));
        store.keep(session("s1", &["s1", "red"]));
        send(&mut store, "all", to(&[], &[]));
        send(&mut store, "red", to(&["red"], &[]));
        send(&mut store, "blue", to(&["blue"], &[]));
        send(&mut store, "not-red", to(&[], &["red"]));
        send(&mut store, "to-me", to(&["s1"], &[]));
        let restored = store.restore("pid-s1", &seen).expect("restored");
        assert_eq!(names(&restored), ["all", "red", "to-me"]);
        assert_eq!(restored.session.socket_id, "s1");
        assert!(
            store.restore("pid-s1", &seen).is_none(),
            "a pid is good once"
        );
    }

    #[test]
    fn an_unknown_pid_or_a_foreign_offset_is_a_fresh_session() {
        let mut store = store();
        let seen = send(&mut store, "a", to(&[], &[]));
        store.keep(session("s1", &["s1"]));
        assert!(store.restore("pid-forged", &seen).is_none());
        store.keep(session("s1", &["s1"]));
        let other = SessionStore::new(ConnectionStateRecovery::default());
        assert!(store.restore("pid-s1", &other.next_offset()).is_none());
        store.keep(session("s1", &["s1"]));
        assert!(store.restore("pid-s1", "not an offset").is_none());
    }

    #[test]
    fn past_the_byte_cap_the_oldest_go_and_a_client_that_needed_them_starts_afresh() {
        let mut store = SessionStore::new(ConnectionStateRecovery {
            max_buffered_bytes: 25,
            ..ConnectionStateRecovery::default()
        });
        let early = send(&mut store, "1", to(&[], &[]));
        let later = send(&mut store, "2", to(&[], &[]));
        store.keep(session("s1", &["s1"]));
        send(&mut store, "3", to(&[], &[]));
        send(&mut store, "4", to(&[], &[]));
        assert!(store.bytes <= 25, "the cap holds");
        assert!(store.restore("pid-s1", &early).is_none(), "2 is gone");
        store.keep(session("s1", &["s1"]));
        let restored = store.restore("pid-s1", &later).expect("3 and 4 are kept");
        assert_eq!(names(&restored), ["3", "4"]);
    }

    #[test]
    fn the_newest_offset_with_nothing_after_it_restores_with_nothing_missed() {
        let mut store = store();
        let seen = send(&mut store, "only", to(&[], &[]));
        store.keep(session("s1", &["s1"]));
        let restored = store.restore("pid-s1", &seen).expect("nothing was missed");
        assert!(restored.missed.is_empty());
    }

    #[test]
    fn sessions_and_packets_expire() {
        let mut store = SessionStore::new(ConnectionStateRecovery {
            max_disconnection_duration: Duration::ZERO,
            ..ConnectionStateRecovery::default()
        });
        let seen = send(&mut store, "a", to(&[], &[]));
        store.keep(session("s1", &["s1"]));
        std::thread::sleep(Duration::from_millis(2));
        assert!(store.restore("pid-s1", &seen).is_none());
    }

    #[test]
    fn recoverable_reasons_are_the_references() {
        assert!(DisconnectReason::PingTimeout.is_recoverable());
        assert!(DisconnectReason::TransportClose.is_recoverable());
        assert!(!DisconnectReason::ClientNamespaceDisconnect.is_recoverable());
        assert!(!DisconnectReason::ServerNamespaceDisconnect.is_recoverable());
        assert!(!DisconnectReason::ParseError.is_recoverable());
    }
}
