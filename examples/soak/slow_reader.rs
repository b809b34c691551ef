//! A slow reader: a WebSocket client that behaves for a moment, then asks the server for
//! 8 MiB (`flood`: 128 events of 64 KiB) and reads nothing for 2 to 4 s.
//!
//! What the server must do: not hold 8 MiB for it, nor slow anyone else down. The kernel's
//! socket buffers take a few MiB; past those, what the server could not write waits in the
//! connection's outbox, and past `WebSocketConfig::max_backlog` (1 MiB) the server drops
//! the client (NOTES.md chapter 5). So the expected end is "cut off": we read what the
//! kernel still holds, then the connection ends. A slow reader that catches up (all 128
//! arrived) is counted too: it means the kernel's buffers were larger than the flood.
//! Nothing sent to a slow reader is owed to it (`ledger.rs`).

use std::time::{Duration, Instant};

use threadio::json::Value;

use crate::activity::Activity;
use crate::ledger::ClientNo;
use crate::population::Kind;
use crate::sio_peer::{Heard, SioPeer};
use crate::world::World;
use crate::xorshift::Xorshift;

/// What a slow reader asks for: 128 events of 64 KiB.
const FLOOD: (u64, u64) = (128, 64 * 1024);

/// How long it behaves first, and how long it then reads nothing.
const BEHAVE: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(3));
const STALL: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(4));

/// When it reads again: this long with nothing more means the server kept it connected.
const QUIET: Duration = Duration::from_secs(3);

pub fn live(world: &World, no: ClientNo, mut rng: Xorshift) {
    let kind = Kind::SlowReader;
    let peer = match SioPeer::open(world.server, false) {
        Ok(peer) => peer,
        Err(e) => return world.fates.unexpected(kind, &format!("connecting: {e}")),
    };
    world.ledger.arrive(no, false);
    world.roster.add(no, peer.socket_id());
    let mut activity = Activity::new(world, no, peer, rng.fork());
    let behaved = activity.run_until(Instant::now() + rng.between(BEHAVE.0, BEHAVE.1));
    world.roster.remove(no);
    world.ledger.stop_reading(no, Instant::now());
    let mut peer = activity.into_peer();
    let flood = vec![Value::from(FLOOD.0), Value::from(FLOOD.1)];
    if let Err(e) = behaved.and_then(|()| peer.emit("flood", flood, false)) {
        return world.fates.unexpected(kind, &e.to_string());
    }
    std::thread::sleep(rng.between(STALL.0, STALL.1));
    match read_the_rest(&mut peer) {
        Rest::CutOff => world.fates.record(|f| f.slow_cut_off += 1),
        Rest::CaughtUp => {
            peer.close();
            world.fates.record(|f| f.slow_caught_up += 1);
        }
        Rest::Shortchanged(got) => {
            let what = format!("still connected, but {got} of {} floods came", FLOOD.0);
            world.fates.unexpected(kind, &what);
        }
    }
}

/// How a slow reader's stall ended.
enum Rest {
    /// The connection ended under us: the server let it go.
    CutOff,
    /// Every flood event arrived and the connection is still open.
    CaughtUp,
    /// The connection is open, but events are missing: the server dropped messages and
    /// kept the client, which it must never do.
    Shortchanged(u64),
}

/// Reads what arrived, telling the ledger nothing (for the ledger this client stopped
/// reading when it stalled).
fn read_the_rest(peer: &mut SioPeer) -> Rest {
    let mut floods = 0;
    loop {
        match peer.next(Instant::now() + QUIET) {
            Ok(Some(Heard::Event(name, _))) if name == "flood" => floods += 1,
            Ok(Some(_)) => {}
            Ok(None) if floods == FLOOD.0 => return Rest::CaughtUp,
            Ok(None) => return Rest::Shortchanged(floods),
            Err(_) => return Rest::CutOff,
        }
    }
}
