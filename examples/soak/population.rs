//! The clients: `--clients` slots, each a thread that runs one client's life after another
//! until the soak stops, so that about that many are connected at any moment while
//! thousands come and go. Each life's kind is drawn at random, in these proportions:
//!
//! | kind | share | its life |
//! |---|---|---|
//! | WebSocket | 30 % | Socket.IO over WebSocket from the start; behaves, leaves politely |
//! | polling | 20 % | long-polling only (held `GET`s, `POST`s); behaves, leaves politely |
//! | upgrading | 20 % | polling, then `2probe`/`3probe`/`5` to WebSocket; behaves, leaves politely |
//! | slow reader | 10 % | WebSocket; behaves, asks for 8 MiB, then reads nothing for seconds: the server's cap on its backlog must cut it off |
//! | vanishing, WebSocket | 10 % | behaves, then its TCP connection is cut, or goes silent (held open, nothing read or sent) |
//! | vanishing, polling | 10 % | behaves, then drops its connections with a `GET` out or stops polling quietly |
//!
//! The first three are the *honest* clients the ledger holds the server to (`ledger.rs`);
//! `honest.rs`, `slow_reader.rs` and `vanisher.rs` are the lives.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::world::World;
use crate::xorshift::Xorshift;
use crate::{honest, slow_reader, vanisher};

/// A client thread's stack: small, as the server's are; nothing here recurses deeply.
const STACK: usize = 256 * 1024;

/// Slots start spread over this, rather than 200 handshakes in the same millisecond.
const RAMP: Duration = Duration::from_secs(2);

/// What a client is, for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WebSocket,
    Polling,
    Upgrading,
    SlowReader,
    VanishingWebSocket,
    VanishingPolling,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::WebSocket,
        Kind::Polling,
        Kind::Upgrading,
        Kind::SlowReader,
        Kind::VanishingWebSocket,
        Kind::VanishingPolling,
    ];

    /// Each kind's share of the lives, in `ALL`'s order (the table above).
    const WEIGHTS: [u32; 6] = [30, 20, 20, 10, 10, 10];

    pub fn name(self) -> &'static str {
        match self {
            Kind::WebSocket => "websocket",
            Kind::Polling => "polling",
            Kind::Upgrading => "upgrading",
            Kind::SlowReader => "slow reader",
            Kind::VanishingWebSocket => "vanishing (websocket)",
            Kind::VanishingPolling => "vanishing (polling)",
        }
    }

    pub fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Starts `slots` client threads; they end once `world.stop()` is called.
pub fn start(world: &Arc<World>, slots: usize, rng: &mut Xorshift) -> Vec<JoinHandle<()>> {
    (0..slots)
        .filter_map(|_| {
            let (world, rng) = (Arc::clone(world), rng.fork());
            std::thread::Builder::new()
                .name("soak client".into())
                .stack_size(STACK)
                .spawn(move || run_slot(&world, rng))
                .ok()
        })
        .collect()
}

/// One slot: a life, then another, until the soak stops.
fn run_slot(world: &World, mut rng: Xorshift) {
    if !world.sleep_unless_stopped(rng.between(Duration::ZERO, RAMP)) {
        return;
    }
    while !world.stopping() {
        let kind = Kind::ALL[rng.weighted(&Kind::WEIGHTS)];
        let no = world.next_client();
        world.fates.record(|f| f.started[kind.index()] += 1);
        world.alive_changed(true);
        let life_rng = rng.fork();
        match kind {
            Kind::WebSocket | Kind::Polling | Kind::Upgrading => {
                honest::live(world, no, kind, life_rng)
            }
            Kind::SlowReader => slow_reader::live(world, no, life_rng),
            Kind::VanishingWebSocket | Kind::VanishingPolling => {
                vanisher::live(world, no, kind, life_rng)
            }
        }
        world.alive_changed(false);
    }
}
