//! The fanout workload: one publisher sends N messages, one every I µs, and the server
//! delivers each to C receivers — to everyone (`/broadcast`, `chat`), or to a room that
//! half of them joined (`/room/bench`, `room-chat`), while the other half sit in another
//! room and must receive nothing.
//!
//! Receivers time each delivery from the publisher's stamp (one clock: same process).
//! Before measuring, the publisher sends warm-up messages until every receiver in the room
//! has had one: then every receiver is surely registered at the server (a WebSocket's
//! handler joins its hub a moment after the `101`; a `join` event is handled a moment after
//! it is sent), and no measured message can miss someone still on the way in.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::connect::{connect_for, Crowd, CLIENT_STACK};
use crate::error::BenchError;
use crate::progress::{Counter, Progress};
use crate::report::{Outcome, Row};
use crate::server::Server;
use crate::stamp::Stamp;
use crate::stats::{Arrival, SequenceCheck};
use crate::transport::{Client, Incoming, Outgoing, Route, Transport};

/// The room of `--room`, and where the receivers outside it wait.
const ROOM: &str = "bench";
const OUTSIDE: &str = "bench-outside";
/// The publisher's sender id in every stamp.
const PUBLISHER: u32 = 0;
/// How long the publisher keeps warming up before giving up on late receivers.
const WARM_UP_LIMIT: Duration = Duration::from_secs(10);
/// How long a receiver outside the room listens after the last message for one that
/// should not come.
const OUTSIDE_GRACE: Duration = Duration::from_millis(300);

/// The fanout workload's parameters.
#[derive(Debug, Clone)]
pub struct FanoutPlan {
    pub transport: Transport,
    pub receivers: usize,
    pub messages: u64,
    pub interval: Duration,
    pub size: usize,
    pub room: bool,
    /// How long a receiver waits, after the last message was sent, for what is missing.
    pub timeout: Duration,
    pub concurrency: usize,
}

impl FanoutPlan {
    /// Client 0 is the publisher, the others receive. With `--room`, the publisher and
    /// every other receiver are in the room; the rest wait in another room.
    fn route(&self, client: usize) -> Route {
        match (self.room, client % 2) {
            (false, _) => Route::Everyone,
            (true, 0) => Route::Room(ROOM.to_string()),
            (true, _) => Route::Room(OUTSIDE.to_string()),
        }
    }
}

/// What the publisher and the receivers share while the run lasts.
#[derive(Default)]
struct Shared {
    /// Receivers in the room that have had a warm-up message.
    warmed: AtomicU64,
    /// Measured messages the publisher has sent so far.
    sent: AtomicU64,
    /// When measuring began.
    started: OnceLock<Instant>,
    /// When the publisher sent its last measured message (or gave up).
    published: OnceLock<Instant>,
    stop_publisher_reader: AtomicBool,
}

pub fn run(plan: &FanoutPlan, server: &Server) -> Row {
    let name = plan.transport.name();
    let workload = if plan.room { "fanout room" } else { "fanout" };
    let mut row = Row::new(workload, name, plan.receivers);
    let crowd = Crowd {
        transport: plan.transport,
        server,
        count: plan.receivers + 1,
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    };
    let mut clients = connect_for(&mut row, &crowd, |i| plan.route(i));
    if clients.first().map(|(i, _)| *i) != Some(0) {
        row.notes.push("the publisher could not connect".into());
        clients.into_iter().for_each(|(_, client)| client.close());
        return row;
    }
    let (_, publisher) = clients.remove(0);
    let mut receivers: Vec<(bool, Client)> = clients
        .into_iter()
        .map(|(i, client)| (plan.route(i) == plan.route(0), client))
        .collect();
    let members = receivers.iter().filter(|(member, _)| *member).count() as u64;
    row.notes.push(match plan.room {
        true => format!("{members} of {} in the room", receivers.len()),
        false => format!("{members} receivers"),
    });
    let every = plan.interval.as_micros();
    row.notes.push(format!("1 publisher, every {every} µs"));
    let label = format!("{workload} {name}");
    let progress = Progress::start(label, members * plan.messages, "deliveries", server.pid);
    let delivery = deliver(plan, publisher, &mut receivers, &progress, server.pid);
    // Closed only now, all together: until the last receiver is done, the server holds
    // every connection, as it would with a real audience.
    receivers.into_iter().for_each(|(_, client)| client.close());
    if let Some(e) = &delivery.publisher_error {
        row.error(e);
    }
    row.server = Some(progress.finish()).filter(|_| server.pid.is_some());
    row.add_outcomes(delivery.outcomes, delivery.started);
    row.notes.extend(delivery.behind);
    row
}

/// What the delivery phase found.
pub struct Delivery {
    /// Each receiver's outcome, in the order of the receivers given.
    pub outcomes: Vec<Outcome>,
    /// When measuring began (after the warm-up).
    pub started: Instant,
    /// Why the publisher stopped early, if it did.
    pub publisher_error: Option<BenchError>,
    /// A note if the publisher could not keep its schedule.
    pub behind: Option<String>,
}

/// The run itself, once everyone is connected: a thread per receiver (`true`: a member,
/// who must get every message), one reading the publisher's own connection, and the
/// publisher on this thread. The server at `pid` is sampled once more while all are
/// connected. `cluster_fanout.rs` runs it too, with receivers on two nodes.
pub fn deliver(
    plan: &FanoutPlan,
    publisher: Client,
    receivers: &mut [(bool, Client)],
    progress: &Progress,
    pid: Option<u32>,
) -> Delivery {
    let shared = Arc::new(Shared::default());
    let (outcomes, publisher_error) =
        deliver_shared(plan, publisher, receivers, &shared, progress, pid);
    Delivery {
        outcomes,
        started: *shared.started.get_or_init(Instant::now),
        publisher_error,
        behind: publisher_behind(plan, &shared),
    }
}

fn deliver_shared(
    plan: &FanoutPlan,
    publisher: Client,
    receivers: &mut [(bool, Client)],
    shared: &Arc<Shared>,
    progress: &Progress,
    pid: Option<u32>,
) -> (Vec<Outcome>, Option<BenchError>) {
    let members = receivers.iter().filter(|(member, _)| *member).count() as u64;
    std::thread::scope(|scope| {
        let threads: Vec<_> = receivers
            .iter_mut()
            .map(|(member, client)| {
                let receiver = Receiver::new(*member, plan);
                let counter = progress.counter();
                std::thread::Builder::new()
                    .stack_size(CLIENT_STACK)
                    .spawn_scoped(scope, move || receiver.run(client, shared, &counter))
                    .expect("a receiver thread")
            })
            .collect();
        let Client { outgoing, incoming } = publisher;
        let reader = scope.spawn(|| read_and_ignore(incoming, shared));
        let publisher_error = publish(&outgoing, plan, shared, members).err();
        progress.sample_now(pid); // every client still connected
                                  // In order, one per receiver, so that a caller can tell whose outcome is whose.
        let outcomes = threads
            .into_iter()
            .map(|t| {
                t.join()
                    .expect("a receiver reports errors, it does not panic")
            })
            .collect();
        shared.stop_publisher_reader.store(true, Ordering::Relaxed);
        outgoing.close();
        let _ = reader.join();
        (outcomes, publisher_error)
    })
}

/// Warm up until every member has had a message, then the measured messages on a fixed
/// schedule (sleeping to each one's due time, so a slow send does not shift the rest).
fn publish(
    outgoing: &Outgoing,
    plan: &FanoutPlan,
    shared: &Shared,
    members: u64,
) -> Result<(), BenchError> {
    let warming = Instant::now();
    let mut seq = 0;
    while shared.warmed.load(Ordering::Relaxed) < members && warming.elapsed() < WARM_UP_LIMIT {
        outgoing.send(&Stamp::now(PUBLISHER, seq, true).message(plan.size))?;
        seq += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = *shared.started.get_or_init(Instant::now);
    let result = (0..plan.messages).try_for_each(|seq| {
        let due = started + Duration::from_nanos(plan.interval.as_nanos() as u64 * seq);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        outgoing.send(&Stamp::now(PUBLISHER, seq, false).message(plan.size))?;
        shared.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    shared.published.get_or_init(Instant::now);
    result
}

/// One receiver's bookkeeping.
struct Receiver {
    member: bool,
    /// How long to keep listening after the publisher is done and nothing has come.
    quiet: Duration,
    warmed: bool,
    last_heard: Instant,
    check: SequenceCheck,
    outcome: Outcome,
}

impl Receiver {
    fn new(member: bool, plan: &FanoutPlan) -> Receiver {
        Receiver {
            member,
            quiet: if member { plan.timeout } else { OUTSIDE_GRACE },
            warmed: false,
            last_heard: Instant::now(),
            check: SequenceCheck::new(if member { plan.messages } else { 0 }),
            outcome: Outcome::default(),
        }
    }

    /// Checks every delivery until all came, or the publisher is done and nothing more
    /// has come for a while. Deliveries are judged by a reaction on whichever thread reads
    /// the connection (`Incoming::react_while`); this thread only watches the clock.
    fn run(self, client: &mut Client, shared: &Arc<Shared>, counter: &Counter) -> Outcome {
        let receiver = Arc::new(Mutex::new(self));
        let (mine, on_shared, counter) =
            (Arc::clone(&receiver), Arc::clone(shared), counter.clone());
        let reaction = Box::new(move |text: &str| {
            let mut receiver = lock(&mine);
            receiver.last_heard = Instant::now();
            if receiver.judge(text, &on_shared) == Some(Arrival::New) {
                counter.add(1);
            }
        });
        let result = client.incoming.react_while(reaction, || {
            let receiver = lock(&receiver);
            if receiver.member && receiver.check.is_complete() {
                return false;
            }
            shared.published.get().is_none_or(|published| {
                receiver.last_heard.max(*published).elapsed() <= receiver.quiet
            })
        });
        let mut receiver = lock(&receiver);
        if result.is_ok() && receiver.member && receiver.check.is_complete() {
            // Anything still on its way is a duplicate: give it a moment to show.
            while let Ok(Some(text)) = client.incoming.recv(Duration::from_millis(20)) {
                receiver.judge(&text, shared);
            }
        }
        receiver.outcome.error = result.err();
        let sent = shared.sent.load(Ordering::Relaxed);
        receiver.outcome.counts = receiver.check.finish(sent);
        receiver.outcome.received = receiver.check.unique();
        std::mem::take(&mut receiver.outcome)
    }

    /// Checks one arrival; a new one gets its latency recorded. `None`: a warm-up message.
    fn judge(&mut self, text: &str, shared: &Shared) -> Option<Arrival> {
        match Stamp::parse(text) {
            Some(_) if !self.member => {
                self.check.record_stray(); // a room's message outside the room
                Some(Arrival::Stray)
            }
            Some(stamp) if stamp.warm_up => {
                if !self.warmed {
                    self.warmed = true;
                    shared.warmed.fetch_add(1, Ordering::Relaxed);
                }
                None
            }
            Some(stamp) => {
                let arrival = self.check.record(stamp.seq);
                if arrival == Arrival::New {
                    self.outcome.latencies.record(stamp.age_ns());
                    self.outcome.last_received = Some(Instant::now());
                }
                Some(arrival)
            }
            None => {
                self.check.record_stray();
                Some(Arrival::Stray)
            }
        }
    }
}

/// The publisher's own incoming messages (it is one of "everyone"), read so they do not
/// pile up at the server, and otherwise ignored.
fn read_and_ignore(mut incoming: Incoming, shared: &Shared) {
    while !shared.stop_publisher_reader.load(Ordering::Relaxed) {
        if incoming.recv(Duration::from_millis(100)).is_err() {
            break;
        }
    }
}

/// A note if the publisher could not keep its schedule: then deliveries/s says how fast
/// one client could publish over this transport, not how fast the server fans out.
fn publisher_behind(plan: &FanoutPlan, shared: &Shared) -> Option<String> {
    let (started, published) = (shared.started.get()?, shared.published.get()?);
    let sent = shared.sent.load(Ordering::Relaxed);
    let achieved = sent as f64 / (*published - *started).as_secs_f64();
    if plan.interval.is_zero() {
        return Some(format!(
            "published as fast as it could: {achieved:.0} msg/s"
        ));
    }
    let asked = 1.0 / plan.interval.as_secs_f64();
    (achieved < 0.9 * asked)
        .then(|| format!("publisher fell behind: {achieved:.0} msg/s of {asked:.0} asked"))
}

/// A receiver's lock; a reaction that panicked leaves its figures as they were.
fn lock(receiver: &Mutex<Receiver>) -> MutexGuard<'_, Receiver> {
    receiver.lock().unwrap_or_else(|p| p.into_inner())
}
