//! A client that vanishes: it behaves for 1 to 8 s, then disappears without a word — no
//! Socket.IO DISCONNECT, no Engine.IO close, no WebSocket close frame — in one of four ways:
//!
//! | transport | abruptly | quietly |
//! |---|---|---|
//! | WebSocket | the TCP connection is shut down (the server reads end of file) | the connection stays open and nothing is read or sent: a half-open connection, as a pulled cable or a sleeping laptop leaves it |
//! | polling | both connections close, perhaps with a `GET` held (the server notices within a second) | the `GET` out is read to its end, then no other comes: nothing for the server to notice but the missing pongs |
//!
//! The server must forget every one of them: at once, or — for the quiet ones — when the
//! heartbeat's pong does not come (`pingInterval + pingTimeout`, 10 s here). To check, we
//! wait that long and 5 s more, then ask the server about the session's id with a request
//! that cannot disturb a live session ([`session_known`]). A session still known then is a
//! leak in the making, and fails the soak.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::activity::Activity;
use crate::http_client::HttpConnection;
use crate::ledger::ClientNo;
use crate::long_poll::HANDSHAKE;
use crate::population::Kind;
use crate::sio_peer::SioPeer;
use crate::soak_app::{PING_INTERVAL, PING_TIMEOUT};
use crate::wire::Wire;
use crate::world::World;
use crate::xorshift::Xorshift;

/// How long a vanisher behaves first.
const BEHAVE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(8));

/// By when the server must have forgotten a vanished session: the heartbeat, and 5 s for
/// a busy machine.
pub const REAP_LIMIT: Duration = Duration::from_secs(5)
    .saturating_add(PING_INTERVAL)
    .saturating_add(PING_TIMEOUT);

pub fn live(world: &World, no: ClientNo, kind: Kind, mut rng: Xorshift) {
    let peer = match SioPeer::open(world.server, kind == Kind::VanishingPolling) {
        Ok(peer) => peer,
        Err(e) => return world.fates.unexpected(kind, &format!("connecting: {e}")),
    };
    world.ledger.arrive(no, false);
    world.roster.add(no, peer.socket_id());
    let mut activity = Activity::new(world, no, peer, rng.fork());
    let behaved = activity.run_until(Instant::now() + rng.between(BEHAVE.0, BEHAVE.1));
    world.roster.remove(no);
    world.ledger.stop_reading(no, Instant::now());
    if let Err(e) = behaved {
        return world.fates.unexpected(kind, &e.to_string());
    }
    let peer = activity.into_peer();
    let sid = peer.engine_sid().to_string();
    let held_open = vanish(peer.into_wire(), rng.below(2) == 0);
    if !world.sleep_unless_stopped(REAP_LIMIT) {
        return world.fates.record(|f| f.vanished_unchecked += 1);
    }
    match session_known(world.server, &sid) {
        Some(false) => world.fates.record(|f| f.vanished_reaped += 1),
        Some(true) => world.fates.record(|f| f.vanished_still_known += 1),
        None => world.fates.record(|f| f.vanished_unchecked += 1),
    }
    drop(held_open);
}

/// Disappears as the table in the header says; returns the WebSocket a quiet one holds
/// open (it must stay open until we have asked about the session).
fn vanish(wire: Wire, abruptly: bool) -> Option<Wire> {
    match (wire, abruptly) {
        (wire, true) => {
            wire.cut();
            None
        }
        (wire @ Wire::WebSocket { .. }, false) => Some(wire),
        (Wire::Polling(mut poll), false) => {
            // The GET out, if one is, is answered by the next ping at the latest.
            let deadline = Instant::now() + PING_INTERVAL + Duration::from_secs(1);
            let _ = poll.finish(deadline);
            None // the connections close with no request on them: the server sees nothing
        }
    }
}

/// Whether the server still knows session `sid`, asked without touching the session: a
/// `PUT`, which polling never uses, so the server refuses it either way — with Engine.IO's
/// code 1 ("Session ID unknown") if the sid is gone, code 3 ("Bad request") if it is there.
/// `None` if the answer is neither.
pub fn session_known(server: SocketAddr, sid: &str) -> Option<bool> {
    let mut http = HttpConnection::open(server).ok()?;
    http.send("PUT", &format!("{HANDSHAKE}&sid={sid}"), b"", true)
        .ok()?;
    let answer = http
        .receive(Instant::now() + Duration::from_secs(10))
        .ok()??;
    let body = String::from_utf8_lossy(&answer.body);
    match () {
        _ if body.contains(r#""code":1"#) => Some(false),
        _ if body.contains(r#""code":3"#) => Some(true),
        _ => None,
    }
}
