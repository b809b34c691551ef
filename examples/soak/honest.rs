//! An honest client's life: connect (over WebSocket, or polling — and for an upgrading
//! client, move to WebSocket a moment later), behave for 3 to 15 s (`activity.rs`), then
//! leave the roster, linger until what others sent has had time to arrive and our own acks
//! are in, and leave politely: a Socket.IO DISCONNECT and the transport's close.
//!
//! These are the clients the ledger holds the server to: what was acked to someone while an
//! honest client stayed must reach it exactly once. Any error on the way — a refused
//! handshake, a connection the server dropped, an upgrade that failed — is an unexpected
//! end, and fails the soak.

use std::time::{Duration, Instant};

use crate::activity::Activity;
use crate::error::BenchError;
use crate::ledger::ClientNo;
use crate::population::Kind;
use crate::sio_peer::SioPeer;
use crate::upgrade;
use crate::world::World;
use crate::xorshift::Xorshift;

/// How long an honest client behaves before it leaves.
const LIFE: (Duration, Duration) = (Duration::from_secs(3), Duration::from_secs(15));

/// When an upgrading client moves to WebSocket, after it connected over polling.
const UPGRADE_AFTER: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(2));

pub fn live(world: &World, no: ClientNo, kind: Kind, mut rng: Xorshift) {
    let peer = match SioPeer::open(world.server, kind != Kind::WebSocket) {
        Ok(peer) => peer,
        Err(e) => return world.fates.unexpected(kind, &format!("connecting: {e}")),
    };
    let end = Instant::now() + rng.between(LIFE.0, LIFE.1);
    world.ledger.arrive(no, true);
    world.roster.add(no, peer.socket_id());
    let mut activity = Activity::new(world, no, peer, rng.fork());
    let result = behave(world, no, &mut activity, kind, end, &mut rng);
    world.roster.remove(no);
    world.ledger.stop_reading(no, Instant::now());
    match result {
        Ok(()) => {
            activity.into_peer().close();
            world.fates.record(|f| f.left_politely += 1);
        }
        Err(e) => world.fates.unexpected(kind, &e.to_string()),
    }
}

fn behave(
    world: &World,
    no: ClientNo,
    activity: &mut Activity,
    kind: Kind,
    end: Instant,
    rng: &mut Xorshift,
) -> Result<(), BenchError> {
    if kind == Kind::Upgrading {
        activity.run_until(Instant::now() + rng.between(UPGRADE_AFTER.0, UPGRADE_AFTER.1))?;
        upgrade::to_websocket(activity.peer.wire_mut(), world.server)
            .map_err(|e| BenchError::Protocol(format!("upgrade: {e}")))?;
        world.fates.record(|f| f.upgraded += 1);
    }
    activity.run_until(end)?;
    world.roster.remove(no);
    activity.linger()
}
