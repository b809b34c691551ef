//! The delivery accounting: every message a client sends, who could have received it, who
//! did, and — once nobody who could still receive it is listening — the judgement.
//!
//! Senders and receivers all live in the soak's own process, so one clock (`Instant`) times
//! them all, and the rule can be exact. A message is *owed* to receiver R when all of:
//!
//! 1. the sender got the server's ack for it (at `acked`: the server had then handed the
//!    message to every addressee's transport — it emits before it acks);
//! 2. R is an honest client — WebSocket, polling or upgrading, one that reads and answers
//!    its pings — not a slow reader or a vanisher, which may lose what is in flight;
//! 3. R kept reading until at least `acked + GRACE`, so the message had time to cross;
//! 4. R was addressed for certain when the server emitted it: the message was sent to R's
//!    socket id (or was R's own binary echo), or to a room R had *joined* — its join's ack
//!    received — before the message was sent, and did not ask to *leave* until after the
//!    sender's ack.
//!
//! Each owed (message, receiver) pair must be received exactly once: zero is **lost**, and
//! more than once is **duplicated**, for any receiver, owed or not. A receipt by a client
//! that cannot have been addressed at all — never in the room over the message's window, not
//! the target — is **stray**. A message addressed to a client who then left (or was not
//! honest, or was leaving the room) and never arrived is **receiver left**; a message sent to
//! a socket id the server no longer knew (it acked "reached 0") is **receiver gone**. An ack
//! that never came although an honest sender kept listening `ACK_PATIENCE` after sending is
//! **unanswered**: the ack is a message too. Lost, duplicated, stray, unanswered and
//! corrupted (a binary echo whose bytes came back changed) fail the soak.
//!
//! A message is judged once every client that could receive it has stopped reading (and,
//! without an ack, its sender too), and then forgotten, as are clients no message waits
//! on — so the soak's own memory stays flat for an hour as well.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after the sender's ack a receiver must still be reading to be owed the message.
pub const GRACE: Duration = Duration::from_secs(2);

/// How long an honest sender waits for an ack before its absence counts as a failure.
pub const ACK_PATIENCE: Duration = Duration::from_secs(5);

/// A client of the soak, numbered from 1 in order of arrival.
pub type ClientNo = u32;

/// A message: who sent it, and its number among that client's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgKey {
    pub sender: ClientNo,
    pub seq: u32,
}

impl MsgKey {
    /// `"17.42"`: how the key travels in the message.
    pub fn to_text(self) -> String {
        format!("{}.{}", self.sender, self.seq)
    }

    pub fn parse(text: &str) -> Option<MsgKey> {
        let (sender, seq) = text.split_once('.')?;
        Some(MsgKey {
            sender: sender.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// Whom a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee {
    /// One client, through its socket id.
    Client(ClientNo),
    /// The members of room number N.
    Room(usize),
    /// The sender itself: the binary echo.
    Sender,
}

/// The counts, as the judged messages add up. Each field is a count of messages or of
/// (message, receiver) pairs, as its comment says.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Messages sent, acked by the server, and judged so far.
    pub sent: u64,
    pub acked: u64,
    pub judged: u64,
    /// Pairs owed (the rule above), and of those, received once or not at all.
    pub owed: u64,
    pub delivered: u64,
    pub lost: u64,
    /// Pairs received more than once, and acks received for a question already answered.
    pub duplicated: u64,
    /// Receipts by a client the message cannot have been for.
    pub stray: u64,
    /// Pairs not owed yet received once (the receiver was leaving, but still heard it).
    pub extra: u64,
    /// Pairs not owed and not received: the receiver left; the target was gone already.
    pub receiver_left: u64,
    pub receiver_gone: u64,
    /// Messages never acked: the sender left first; an honest sender waited in vain.
    pub unacked: u64,
    pub unanswered: u64,
    /// Binary echoes whose bytes came back changed.
    pub corrupted: u64,
    /// Every receipt, as it happens (for the progress line).
    pub receipts: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.judged += other.judged;
        self.owed += other.owed;
        self.delivered += other.delivered;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.stray += other.stray;
        self.extra += other.extra;
        self.receiver_left += other.receiver_left;
        self.receiver_gone += other.receiver_gone;
        self.unacked += other.unacked;
        self.unanswered += other.unanswered;
    }

    /// Whether anything that must never happen did.
    pub fn failures(&self) -> u64 {
        self.lost + self.duplicated + self.stray + self.unanswered + self.corrupted
    }
}

/// One message, until it is judged.
struct Sent {
    to: Addressee,
    sent_at: Instant,
    /// When the sender read the ack, and how many sockets the server said it reached.
    ack: Option<(Instant, u64)>,
    /// Who received it, once per receipt.
    receipts: Vec<ClientNo>,
}

/// One client, while a message may still wait on it.
struct Life {
    honest: bool,
    /// When it stopped reading; `None` while it reads.
    reading_until: Option<Instant>,
    memberships: Vec<Membership>,
}

/// One stay in a room: when the client asked to join and to leave, and when the server's
/// acks for those came back.
struct Membership {
    room: usize,
    join_sent: Instant,
    joined: Option<Instant>,
    leave_sent: Option<Instant>,
    left: Option<Instant>,
}

#[derive(Default)]
struct Books {
    sent: HashMap<MsgKey, Sent>,
    lives: HashMap<ClientNo, Life>,
    tally: Tally,
}

/// The accounting, shared by every client thread.
#[derive(Default)]
pub struct Ledger {
    books: Mutex<Books>,
}

impl Ledger {
    /// A client connected; `honest` as rule 2 says.
    pub fn arrive(&self, no: ClientNo, honest: bool) {
        let life = Life {
            honest,
            reading_until: None,
            memberships: Vec::new(),
        };
        self.lock().lives.insert(no, life);
    }

    /// A client stopped reading, for whatever reason.
    pub fn stop_reading(&self, no: ClientNo, at: Instant) {
        if let Some(life) = self.lock().lives.get_mut(&no) {
            life.reading_until.get_or_insert(at);
        }
    }

    /// A message is about to be emitted: recorded first, so that no receipt can come before.
    pub fn will_send(&self, key: MsgKey, to: Addressee, at: Instant) {
        let mut books = self.lock();
        books.tally.sent += 1;
        let sent = Sent {
            to,
            sent_at: at,
            ack: None,
            receipts: Vec::new(),
        };
        books.sent.insert(key, sent);
    }

    /// The server acked `key`, saying it reached `reached` sockets.
    pub fn acked(&self, key: MsgKey, reached: u64, at: Instant) {
        let mut books = self.lock();
        if let Some(sent) = books.sent.get_mut(&key) {
            sent.ack = Some((at, reached));
            books.tally.acked += 1;
        }
    }

    /// `by` received `key`. A key not (or no longer) on the books is a stray receipt: the
    /// message was judged once all its possible receivers had stopped reading.
    pub fn received(&self, key: MsgKey, by: ClientNo) {
        let mut books = self.lock();
        books.tally.receipts += 1;
        match books.sent.get_mut(&key) {
            Some(sent) => sent.receipts.push(by),
            None => books.tally.stray += 1,
        }
    }

    /// An ack came for an id no longer awaited: a second answer to one event.
    pub fn duplicate_ack(&self) {
        self.lock().tally.duplicated += 1;
    }

    /// A binary echo came back with other bytes than were sent.
    pub fn corrupted(&self) {
        self.lock().tally.corrupted += 1;
    }

    pub fn joining(&self, no: ClientNo, room: usize, at: Instant) {
        if let Some(life) = self.lock().lives.get_mut(&no) {
            life.memberships.push(Membership {
                room,
                join_sent: at,
                joined: None,
                leave_sent: None,
                left: None,
            });
        }
    }

    pub fn joined(&self, no: ClientNo, room: usize, at: Instant) {
        self.update_stay(no, room, |stay| stay.joined = Some(at));
    }

    pub fn leaving(&self, no: ClientNo, room: usize, at: Instant) {
        self.update_stay(no, room, |stay| stay.leave_sent = Some(at));
    }

    pub fn left(&self, no: ClientNo, room: usize, at: Instant) {
        self.update_stay(no, room, |stay| stay.left = Some(at));
    }

    /// Judges every message whose possible receivers have all stopped reading, and forgets
    /// the clients no message waits on any more.
    pub fn settle(&self) {
        let mut books = self.lock();
        let keys: Vec<MsgKey> = books.sent.keys().copied().collect();
        for key in keys {
            let Some(candidates) = books.candidates(key) else {
                continue;
            };
            let sent = books.sent.remove(&key).expect("the key was listed");
            let judged = books.judge(key, &sent, &candidates);
            books.tally.add(&judged);
        }
        books.forget_idle_lives();
    }

    pub fn tally(&self) -> Tally {
        self.lock().tally
    }

    /// Messages not judged yet.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.lock().sent.len()
    }

    /// The latest stay of `no` in `room`.
    fn update_stay(&self, no: ClientNo, room: usize, change: impl FnOnce(&mut Membership)) {
        let mut books = self.lock();
        let life = books.lives.get_mut(&no);
        if let Some(stay) = life.and_then(|l| l.memberships.iter_mut().rfind(|m| m.room == room)) {
            change(stay);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Books {
    /// Who could have received `key` — if all of them have stopped reading, so that the
    /// message can be judged; `None` while one may still receive it.
    fn candidates(&self, key: MsgKey) -> Option<Vec<ClientNo>> {
        let sent = &self.sent[&key];
        // Until the ack, the server may emit it at any moment while the sender is there.
        let window_end = match sent.ack {
            Some((at, _)) => at,
            None => self.stopped(key.sender, sent.sent_at)?,
        };
        let candidates: Vec<ClientNo> = match sent.to {
            Addressee::Client(no) => vec![no],
            Addressee::Sender => vec![key.sender],
            Addressee::Room(room) => self
                .lives
                .iter()
                .filter(|(_, life)| life.could_be_in(room, sent.sent_at, window_end))
                .map(|(no, _)| *no)
                .collect(),
        };
        let all_stopped = candidates
            .iter()
            .all(|no| self.stopped(*no, sent.sent_at).is_some());
        all_stopped.then_some(candidates)
    }

    /// When `no` stopped reading, `None` while it reads. A client forgotten already had
    /// stopped before `sent_at` (`forget_idle_lives`): that is what is answered for it.
    fn stopped(&self, no: ClientNo, sent_at: Instant) -> Option<Instant> {
        match self.lives.get(&no) {
            Some(life) => life.reading_until,
            None => Some(sent_at),
        }
    }

    /// The counts for one message, given who could have received it.
    fn judge(&self, key: MsgKey, sent: &Sent, candidates: &[ClientNo]) -> Tally {
        let mut tally = Tally {
            judged: 1,
            ..Tally::default()
        };
        let receipts_by = |no: ClientNo| sent.receipts.iter().filter(|&&r| r == no).count();
        tally.stray = sent
            .receipts
            .iter()
            .filter(|no| !candidates.contains(no))
            .count() as u64;
        if sent.ack.is_none() {
            let waited_in_vain = self.lives.get(&key.sender).is_some_and(|life| {
                life.honest && life.reading_until >= Some(sent.sent_at + ACK_PATIENCE)
            });
            match waited_in_vain {
                true => tally.unanswered = 1,
                false => tally.unacked = 1,
            }
        }
        for &no in candidates {
            let received = receipts_by(no);
            if received > 1 {
                tally.duplicated += 1;
            }
            match (self.owed(key, sent, no), received) {
                (true, 0) => (tally.owed, tally.lost) = (tally.owed + 1, tally.lost + 1),
                (true, _) => (tally.owed, tally.delivered) = (tally.owed + 1, tally.delivered + 1),
                (false, 0) => match sent.ack {
                    Some((_, 0)) if matches!(sent.to, Addressee::Client(_)) => {
                        tally.receiver_gone += 1
                    }
                    Some(_) => tally.receiver_left += 1,
                    None => {} // counted once for the message, as unacked
                },
                (false, _) => tally.extra += 1,
            }
        }
        tally
    }

    /// The rule in the file's header.
    fn owed(&self, key: MsgKey, sent: &Sent, no: ClientNo) -> bool {
        let (Some((acked, _)), Some(life)) = (sent.ack, self.lives.get(&no)) else {
            return false;
        };
        let read_long_enough = life.reading_until.is_some_and(|t| t >= acked + GRACE);
        let addressed = match sent.to {
            Addressee::Client(target) => target == no,
            Addressee::Sender => key.sender == no,
            Addressee::Room(room) => life.memberships.iter().any(|stay| {
                stay.room == room
                    && stay.joined.is_some_and(|joined| joined <= sent.sent_at)
                    && stay.leave_sent.is_none_or(|leave| leave >= acked)
            }),
        };
        life.honest && read_long_enough && addressed
    }

    /// Forgets the clients that stopped reading before the oldest message still waiting was
    /// sent: none of those messages can be theirs.
    fn forget_idle_lives(&mut self) {
        let oldest = self.sent.values().map(|sent| sent.sent_at).min();
        self.lives
            .retain(|_, life| match (life.reading_until, oldest) {
                (None, _) => true,
                (Some(until), Some(oldest)) => until >= oldest,
                (Some(_), None) => false,
            });
    }
}

impl Life {
    /// Whether the server may have had this client in `room` at some moment between
    /// `from` and `to`, while it was still reading: it asked to join by `to`, and the
    /// server had not confirmed its leaving before `from`.
    fn could_be_in(&self, room: usize, from: Instant, to: Instant) -> bool {
        let reading = self.reading_until.is_none_or(|until| until >= from);
        reading
            && self.memberships.iter().any(|stay| {
                stay.room == room && stay.join_sent <= to && stay.left.is_none_or(|l| l >= from)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    const S: ClientNo = 1;
    const R: ClientNo = 2;
    const KEY: MsgKey = MsgKey { sender: S, seq: 1 };

    fn two_honest_clients() -> (Ledger, Instant) {
        let ledger = Ledger::default();
        ledger.arrive(S, true);
        ledger.arrive(R, true);
        (ledger, Instant::now())
    }

    #[test]
    fn keys_travel_as_text() {
        let key = MsgKey {
            sender: 17,
            seq: 42,
        };
        assert_eq!(MsgKey::parse(&key.to_text()), Some(key));
        assert_eq!(MsgKey::parse("17"), None);
    }

    #[test]
    fn an_owed_message_received_once_is_delivered_and_twice_is_duplicated() {
        for (receipts, delivered, duplicated) in [(1, 1, 0), (2, 1, 1)] {
            let (ledger, t0) = two_honest_clients();
            ledger.will_send(KEY, Addressee::Client(R), at(t0, 0));
            for _ in 0..receipts {
                ledger.received(KEY, R);
            }
            ledger.acked(KEY, 1, at(t0, 10));
            ledger.settle();
            assert_eq!(ledger.pending(), 1, "R still reads: not judged yet");
            ledger.stop_reading(R, at(t0, 10) + GRACE);
            ledger.stop_reading(S, at(t0, 10) + GRACE);
            ledger.settle();
            let tally = ledger.tally();
            assert_eq!((tally.owed, tally.delivered, tally.lost), (1, delivered, 0));
            assert_eq!(tally.duplicated, duplicated);
            assert_eq!(tally.failures(), duplicated);
        }
    }

    #[test]
    fn owed_and_never_received_is_lost_but_a_receiver_that_left_is_not() {
        for (stops_at, lost, left) in [(GRACE, 1, 0), (GRACE / 2, 0, 1)] {
            let (ledger, t0) = two_honest_clients();
            ledger.will_send(KEY, Addressee::Client(R), at(t0, 0));
            ledger.acked(KEY, 1, at(t0, 10));
            ledger.stop_reading(R, at(t0, 10) + stops_at);
            ledger.stop_reading(S, at(t0, 20));
            ledger.settle();
            let tally = ledger.tally();
            assert_eq!((tally.lost, tally.receiver_left), (lost, left));
        }
    }

    #[test]
    fn nothing_is_owed_to_a_client_that_is_not_honest() {
        let ledger = Ledger::default();
        ledger.arrive(S, true);
        ledger.arrive(R, false);
        let t0 = Instant::now();
        ledger.will_send(KEY, Addressee::Client(R), t0);
        ledger.acked(KEY, 1, t0);
        ledger.stop_reading(R, at(t0, 60_000));
        ledger.settle();
        assert_eq!(ledger.tally().receiver_left, 1);
        assert_eq!(ledger.tally().failures(), 0);
    }

    #[test]
    fn a_room_message_is_owed_to_members_who_joined_before_and_stray_to_later_ones() {
        let (ledger, t0) = two_honest_clients();
        let late: ClientNo = 3;
        ledger.arrive(late, true);
        ledger.joining(R, 0, at(t0, 0));
        ledger.joined(R, 0, at(t0, 5));
        ledger.will_send(KEY, Addressee::Room(0), at(t0, 10));
        ledger.acked(KEY, 1, at(t0, 20));
        ledger.joining(late, 0, at(t0, 30));
        ledger.received(KEY, late);
        for no in [S, R, late] {
            ledger.stop_reading(no, at(t0, 20) + GRACE);
        }
        ledger.settle();
        let tally = ledger.tally();
        assert_eq!((tally.owed, tally.lost, tally.stray), (1, 1, 1));
    }

    #[test]
    fn leaving_the_room_during_the_window_makes_a_message_not_owed() {
        let (ledger, t0) = two_honest_clients();
        ledger.joining(R, 0, at(t0, 0));
        ledger.joined(R, 0, at(t0, 5));
        ledger.will_send(KEY, Addressee::Room(0), at(t0, 10));
        ledger.leaving(R, 0, at(t0, 15));
        ledger.acked(KEY, 0, at(t0, 20));
        ledger.stop_reading(R, at(t0, 10_000));
        ledger.stop_reading(S, at(t0, 10_000));
        ledger.settle();
        let tally = ledger.tally();
        assert_eq!(
            (tally.owed, tally.receiver_left, tally.failures()),
            (0, 1, 0)
        );
    }

    #[test]
    fn an_ack_an_honest_sender_waited_for_in_vain_is_unanswered() {
        for (stops_at, unanswered, unacked) in [(ACK_PATIENCE, 1, 0), (GRACE, 0, 1)] {
            let (ledger, t0) = two_honest_clients();
            ledger.will_send(KEY, Addressee::Client(R), t0);
            ledger.stop_reading(R, t0);
            ledger.settle();
            assert_eq!(ledger.pending(), 1, "the sender may still get its ack");
            ledger.stop_reading(S, t0 + stops_at);
            ledger.settle();
            let tally = ledger.tally();
            assert_eq!((tally.unanswered, tally.unacked), (unanswered, unacked));
        }
    }

    #[test]
    fn a_receipt_of_a_message_already_judged_is_stray_and_idle_lives_are_forgotten() {
        let (ledger, t0) = two_honest_clients();
        ledger.will_send(KEY, Addressee::Client(R), t0);
        ledger.acked(KEY, 1, t0);
        ledger.received(KEY, R);
        ledger.stop_reading(R, t0 + GRACE);
        ledger.stop_reading(S, t0 + GRACE);
        ledger.settle();
        assert_eq!(ledger.lock().lives.len(), 0);
        ledger.received(KEY, R);
        assert_eq!(ledger.tally().stray, 1);
    }
}
