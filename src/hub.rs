//! The Hub: who is connected, and a broadcast to all of them or to all but one.
//!
//! Where it sits: a connection's thread joins the hub after the WebSocket handshake, reads
//! messages in its loop, and asks the hub to broadcast; it leaves when its connection ends.
//! The hub never writes to a socket under its own lock: it copies out the recipients'
//! [`Sender`]s, lets go of the lock, encodes the frame once ([`SharedFrame`]), and hands the
//! shared bytes to each recipient's outbox: all are queued first, then written (shared with
//! the flusher thread for 64 recipients or more; `websocket/cork.rs`, `outbox.rs`). A slow
//! client therefore delays nobody but itself.
//!
//! Socket.IO's namespaces (`socketio/namespace.rs`) follow the same pattern — copy the
//! targets out under a read lock, release it, encode once, send the shared bytes — with rooms
//! to choose the targets and Engine.IO sessions (which may be polling) instead of raw
//! WebSocket senders. The hub stays the registry for raw WebSocket routes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use crate::websocket::{Message, SendError, Sender, SharedFrame};

/// A member of the hub, unique for the life of the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(u64);

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What one broadcast achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Recipients that have the frame written or queued.
    pub queued: usize,
    /// Recipients disconnected by this broadcast because their backlog passed the bound.
    pub dropped: usize,
}

/// Everyone who is connected, and the counters a reader of the demo or a test wants.
///
/// ```
/// use std::sync::Arc;
/// use threadio::http::{Router, Server, ServerConfig};
/// use threadio::websocket::{client, Message};
/// use threadio::Hub;
///
/// let hub = Arc::new(Hub::new());
/// let room = Arc::clone(&hub);
/// let mut app = Router::new();
/// app.websocket("/chat", move |mut ws| {
///     // This connection's own thread, for as long as the WebSocket lives.
///     let me = room.join(ws.sender());
///     while let Ok(message) = ws.recv() {
///         room.broadcast_except(me, &message); // to everyone but the sender
///     }
///     room.leave(me);
/// });
/// let server = Server::bind("127.0.0.1:0", ServerConfig::default())?.spawn(app)?;
///
/// let url = format!("ws://{}/chat", server.addr());
/// let mut ann = client::connect(&url).expect("ann connects");
/// let mut bob = client::connect(&url).expect("bob connects");
/// while hub.len() < 2 {
///     std::thread::yield_now(); // each joins on its own thread, after its handshake
/// }
/// ann.send("hi, bob").expect("ann sends");
/// assert_eq!(bob.recv().expect("bob hears"), Message::Text("hi, bob".into()));
/// server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Hub {
    /// One `RwLock` over the whole registry rather than one per member: a broadcast holds
    /// it only to clone the `Sender`s (an `Arc` each), so the critical section is short and
    /// many broadcasters can hold the read lock at once. Never written to a socket under it.
    members: RwLock<HashMap<MemberId, Sender>>,
    next_id: AtomicU64,
    slow_disconnects: AtomicU64,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Hub {
        Hub::default()
    }

    /// Adds a connection; keep the id to leave and to broadcast to everyone else.
    pub fn join(&self, sender: Sender) -> MemberId {
        let id = MemberId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.write().insert(id, sender);
        id
    }

    /// Removes a connection (call it when the connection ends; calling it twice is harmless).
    pub fn leave(&self, id: MemberId) {
        self.write().remove(&id);
    }

    /// How many connections are members.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether nobody is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many clients broadcasts have disconnected for not reading, since the start.
    pub fn slow_disconnects(&self) -> u64 {
        self.slow_disconnects.load(Ordering::Relaxed)
    }

    /// Sends `message` to every member.
    pub fn broadcast(&self, message: &Message) -> Delivery {
        self.send_to_many(message, |_| true)
    }

    /// Sends `message` to every member but `sender`: "broadcast" in Socket.IO's sense.
    pub fn broadcast_except(&self, except: MemberId, message: &Message) -> Delivery {
        self.send_to_many(message, |id| id != except)
    }

    /// Sends `message` to one member. Returns `false` if it is gone or could not take it.
    pub fn send_to(&self, id: MemberId, message: &Message) -> bool {
        let target = self.read().get(&id).cloned();
        target.is_some_and(|sender| sender.send(message.clone()).is_ok())
    }

    /// Sends `message` to each member that `wanted` picks: the frame is encoded once and
    /// its bytes shared by all recipients.
    pub fn send_to_many(&self, message: &Message, wanted: impl Fn(MemberId) -> bool) -> Delivery {
        let targets: Vec<Sender> = self
            .read()
            .iter()
            .filter(|(id, _)| wanted(**id))
            .map(|(_, sender)| sender.clone())
            .collect();
        let frame = SharedFrame::new(message);
        let mut delivery = Delivery::default();
        // Queued for everyone first, then written, shared with the flusher (`cork::batch`).
        crate::websocket::cork::batch(|| {
            for target in &targets {
                match target.send_shared(&frame) {
                    Ok(()) => delivery.queued += 1,
                    Err(SendError::BacklogExceeded) => delivery.dropped += 1,
                    Err(SendError::Closed) => {}
                }
            }
        });
        self.slow_disconnects
            .fetch_add(delivery.dropped as u64, Ordering::Relaxed);
        delivery
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<MemberId, Sender>> {
        // Poisoning would need a panic inside a HashMap insert or remove; nothing to recover.
        self.members.read().expect("hub registry lock poisoned")
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<MemberId, Sender>> {
        self.members.write().expect("hub registry lock poisoned")
    }
}
