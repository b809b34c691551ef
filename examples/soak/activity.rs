//! What a connected client does while it behaves: every few hundred milliseconds one of
//!
//! - a message to another client, by its socket id (`send` → the server's `io.to(id)`),
//! - a message to one of a few rooms (`send` → `io.to(room)`; the sender hears it too if
//!   it is a member),
//! - a binary event, which the server echoes back (`bin`: bytes both ways, as attachments),
//! - joining or leaving a room,
//!
//! each asking for an ack; and in between it listens — hearing messages, acks and pings.
//! Every send and every receipt goes into the ledger (`ledger.rs`), which decides at the
//! end of each message's life whether it arrived as it should have.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use threadio::json::Value;

use crate::error::BenchError;
use crate::ledger::{Addressee, ClientNo, MsgKey, ACK_PATIENCE, GRACE};
use crate::sio_peer::{Heard, SioPeer};
use crate::world::World;
use crate::xorshift::Xorshift;

/// How many rooms the clients share: few, so that each has several members at a time.
pub const ROOMS: usize = 6;

/// The wait between two of a client's actions.
const PAUSE: (Duration, Duration) = (Duration::from_millis(100), Duration::from_millis(700));

/// The largest message padding and binary echo: sizes vary, so the server's allocator sees
/// many sizes, as it would in use.
const MAX_PAD: u64 = 512;
const MAX_ECHO_BYTES: u64 = 2048;

/// What one of our acks will answer.
enum Awaiting {
    Send(MsgKey),
    Echo(MsgKey),
    Join(usize),
    Leave(usize),
}

/// A connected client's behaviour.
pub struct Activity<'w> {
    world: &'w World,
    no: ClientNo,
    pub peer: SioPeer,
    rng: Xorshift,
    next_seq: u32,
    awaiting: HashMap<u64, Awaiting>,
    /// The rooms joined, or being joined.
    rooms: Vec<usize>,
}

impl<'w> Activity<'w> {
    pub fn new(world: &'w World, no: ClientNo, peer: SioPeer, rng: Xorshift) -> Activity<'w> {
        Activity {
            world,
            no,
            peer,
            rng,
            next_seq: 0,
            awaiting: HashMap::new(),
            rooms: Vec::new(),
        }
    }

    /// Acts and listens until `end`, or until the soak stops.
    ///
    /// # Errors
    /// If the connection or the session fails.
    pub fn run_until(&mut self, end: Instant) -> Result<(), BenchError> {
        let mut next_act = Instant::now() + self.pause();
        loop {
            let now = Instant::now();
            if now >= end || self.world.stopping() {
                return Ok(());
            }
            if now >= next_act {
                self.act()?;
                next_act = Instant::now() + self.pause();
            }
            self.listen_until(next_act.min(end))?;
        }
    }

    /// Listens until `deadline`.
    ///
    /// # Errors
    /// If the connection or the session fails.
    pub fn listen_until(&mut self, deadline: Instant) -> Result<(), BenchError> {
        while let Some(heard) = self.peer.next(deadline)? {
            self.hear(heard);
        }
        Ok(())
    }

    /// The end of a polite life: listens for at least [`GRACE`], so that what others sent
    /// us just before we left the roster can arrive, and until our own messages' acks are
    /// in — for [`ACK_PATIENCE`] at most.
    ///
    /// # Errors
    /// If the connection or the session fails.
    pub fn linger(&mut self) -> Result<(), BenchError> {
        let start = Instant::now();
        self.listen_until(start + GRACE)?;
        let limit = start + ACK_PATIENCE;
        while self.acks_outstanding() && Instant::now() < limit {
            if let Some(heard) = self.peer.next(limit)? {
                self.hear(heard);
            }
        }
        Ok(())
    }

    /// The client's socket, for a client that stops behaving.
    pub fn into_peer(self) -> SioPeer {
        self.peer
    }

    fn acks_outstanding(&self) -> bool {
        self.awaiting
            .values()
            .any(|a| matches!(a, Awaiting::Send(_) | Awaiting::Echo(_)))
    }

    fn pause(&mut self) -> Duration {
        self.rng.between(PAUSE.0, PAUSE.1)
    }

    fn act(&mut self) -> Result<(), BenchError> {
        match self.rng.weighted(&[45, 20, 15, 20]) {
            0 => self.send_to_someone(),
            1 => {
                let room = self.rng.below(ROOMS as u64) as usize;
                self.send(Addressee::Room(room), &room_name(room))
            }
            2 => self.send_binary(),
            _ => self.join_or_leave(),
        }
    }

    fn send_to_someone(&mut self) -> Result<(), BenchError> {
        match self.world.roster.pick(&mut self.rng, self.no) {
            Some((no, socket_id)) => self.send(Addressee::Client(no), &socket_id),
            None => self.send_binary(), // alone for now
        }
    }

    /// `send [to, key, pad]`: recorded in the ledger before it leaves.
    fn send(&mut self, to: Addressee, to_name: &str) -> Result<(), BenchError> {
        let key = self.next_key();
        let pad = "p".repeat(self.rng.below(MAX_PAD + 1) as usize);
        self.world.ledger.will_send(key, to, Instant::now());
        let args = vec![to_name.into(), key.to_text().into(), pad.into()];
        self.emit_awaiting("send", args, Awaiting::Send(key))
    }

    /// `bin [key, bytes]`: the server sends it straight back.
    fn send_binary(&mut self) -> Result<(), BenchError> {
        let key = self.next_key();
        self.world
            .ledger
            .will_send(key, Addressee::Sender, Instant::now());
        let args = vec![key.to_text().into(), Value::binary(echo_bytes(key))];
        self.emit_awaiting("bin", args, Awaiting::Echo(key))
    }

    /// Joins a room we are not in (while in fewer than two, or half the time), or leaves
    /// one we are in.
    fn join_or_leave(&mut self) -> Result<(), BenchError> {
        let join = self.rooms.len() < 2 || (self.rooms.len() < ROOMS && self.rng.below(2) == 0);
        let now = Instant::now();
        if join {
            let outside: Vec<usize> = (0..ROOMS).filter(|r| !self.rooms.contains(r)).collect();
            let room = outside[self.rng.below(outside.len() as u64) as usize];
            self.rooms.push(room);
            self.world.ledger.joining(self.no, room, now);
            self.emit_awaiting("join", vec![room_name(room).into()], Awaiting::Join(room))
        } else {
            let index = self.rng.below(self.rooms.len() as u64) as usize;
            let room = self.rooms.swap_remove(index);
            self.world.ledger.leaving(self.no, room, now);
            self.emit_awaiting("leave", vec![room_name(room).into()], Awaiting::Leave(room))
        }
    }

    fn emit_awaiting(
        &mut self,
        event: &str,
        args: Vec<Value>,
        awaiting: Awaiting,
    ) -> Result<(), BenchError> {
        if let Some(id) = self.peer.emit(event, args, true)? {
            self.awaiting.insert(id, awaiting);
        }
        Ok(())
    }

    fn next_key(&mut self) -> MsgKey {
        self.next_seq += 1;
        MsgKey {
            sender: self.no,
            seq: self.next_seq,
        }
    }

    fn hear(&mut self, heard: Heard) {
        match heard {
            Heard::Event(name, args) => self.hear_event(&name, &args),
            Heard::Ack(id, args) => self.hear_ack(id, &args),
            Heard::Connected => {}
        }
    }

    /// `msg [key, pad]` and `bin [key, bytes]` are receipts; anything else (a slow
    /// reader's flood) is not the ledger's business.
    fn hear_event(&mut self, name: &str, args: &[Value]) {
        let key = args.first().and_then(Value::as_str).and_then(MsgKey::parse);
        let ledger = &self.world.ledger;
        match (name, key) {
            ("msg", Some(key)) => ledger.received(key, self.no),
            ("bin", Some(key)) => {
                if args.get(1).and_then(Value::as_binary) != Some(&echo_bytes(key)[..]) {
                    ledger.corrupted();
                }
                ledger.received(key, self.no);
            }
            _ => {}
        }
    }

    fn hear_ack(&mut self, id: u64, args: &[Value]) {
        let (now, ledger) = (Instant::now(), &self.world.ledger);
        match self.awaiting.remove(&id) {
            Some(Awaiting::Send(key)) => {
                let reached = args.first().and_then(Value::as_i64).unwrap_or(0);
                ledger.acked(key, reached.max(0) as u64, now);
            }
            Some(Awaiting::Echo(key)) => ledger.acked(key, 1, now),
            // A refused join (`[why]`) leaves us out of the room: not marked joined, so
            // nothing sent to the room is owed to us.
            Some(Awaiting::Join(room)) if args.is_empty() => ledger.joined(self.no, room, now),
            Some(Awaiting::Join(_)) => {}
            Some(Awaiting::Leave(room)) => ledger.left(self.no, room, now),
            // An ack we are not waiting for: a second answer to one question.
            None => ledger.duplicate_ack(),
        }
    }
}

/// The name of room number `room`.
pub fn room_name(room: usize) -> String {
    format!("soak-room-{room}")
}

/// The bytes of message `key`'s binary echo: 1 to 2,048 of them, from the key alone, so the
/// receiver can check every byte without being told what was sent.
pub fn echo_bytes(key: MsgKey) -> Vec<u8> {
    let mut rng = Xorshift::new((u64::from(key.sender) << 32) | u64::from(key.seq));
    let len = 1 + rng.below(MAX_ECHO_BYTES) as usize;
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_bytes_are_the_key_s_alone() {
        let key = MsgKey { sender: 3, seq: 9 };
        assert_eq!(echo_bytes(key), echo_bytes(key));
        assert_ne!(echo_bytes(key), echo_bytes(MsgKey { sender: 3, seq: 10 }));
        assert!((1..=2048).contains(&echo_bytes(key).len()));
    }
}
