//! `server_stats`, every 2 s: who this node is, how many clients it has and on which
//! transport, each namespace's socket count, and the events counted since the last report
//! (the reference's `initStatsEmitter` and `EventBuffer`).
//!
//! The aggregated events are kept per second, type and sub-type, as the reference keeps
//! them (`{timestamp, type, subType?, count}`), and handed over and cleared at each report:
//! `rawConnection` for each Engine.IO session opened, `rawDisconnection` with its close
//! reason as sub-type for each that ended, and `packetsIn`, `packetsOut`, `bytesIn`,
//! `bytesOut` for the messages. Those four run for every message of every client, so they
//! are four relaxed atomic adds, not a lock; they are stamped with the second of the report
//! that takes them (the UI charts them in 10 s bars, so 2 s late changes no bar's height
//! but at its edges).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::json::{Map, Value};
use crate::socketio::{Io, MessageFlow, Namespace};

/// The reference's period: the UI's charts assume it.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(2);

/// What one count is of: its second (in ms since the epoch), its type and its sub-type.
type TallyKey = (u64, &'static str, Option<String>);

/// Counts of one second, by (second in ms since the epoch, type, sub-type), and the message
/// counts since the last report.
#[derive(Default)]
pub(crate) struct EventTally {
    counts: Mutex<BTreeMap<TallyKey, u64>>,
    /// `packetsIn`, `packetsOut`, `bytesIn`, `bytesOut`, in the order of [`TRAFFIC`].
    traffic: [AtomicU64; 4],
}

/// The reference's names for the message counts.
const TRAFFIC: [&str; 4] = ["packetsIn", "packetsOut", "bytesIn", "bytesOut"];

impl EventTally {
    /// One more event of `kind` (and `sub_kind`), now.
    pub(crate) fn count(&self, kind: &'static str, sub_kind: Option<String>) {
        let ms = unix_second_ms();
        let mut counts = self.counts.lock().expect("event tally lock poisoned");
        *counts.entry((ms, kind, sub_kind)).or_insert(0) += 1;
    }

    /// One message of `bytes`, which way it went.
    pub(crate) fn count_message(&self, flow: MessageFlow, bytes: usize) {
        let (packets, size) = match flow {
            MessageFlow::Received => (0, 2),
            MessageFlow::Sent => (1, 3),
        };
        self.traffic[packets].fetch_add(1, Ordering::Relaxed);
        self.traffic[size].fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// What was counted since the last call, as the UI reads it; the tally starts again.
    pub(crate) fn take(&self) -> Value {
        let now = unix_second_ms();
        let mut counts =
            std::mem::take(&mut *self.counts.lock().expect("event tally lock poisoned"));
        for (kind, counter) in TRAFFIC.iter().zip(&self.traffic) {
            let count = counter.swap(0, Ordering::Relaxed);
            if count > 0 {
                *counts.entry((now, kind, None)).or_insert(0) += count;
            }
        }
        let events = counts
            .into_iter()
            .map(|((timestamp, kind, sub_kind), count)| {
                let mut event = Map::new();
                event.insert("timestamp", timestamp);
                event.insert("type", kind);
                if let Some(sub_kind) = sub_kind {
                    event.insert("subType", sub_kind);
                }
                event.insert("count", count);
                Value::Object(event)
            });
        Value::Array(events.collect())
    }
}

/// What does not change between reports.
pub(crate) struct Reporter {
    pub(crate) io: Io,
    pub(crate) admin: Namespace,
    pub(crate) server_id: String,
    pub(crate) hostname: String,
    pub(crate) started: Instant,
    pub(crate) tally: Arc<EventTally>,
    pub(crate) stopped: Arc<AtomicBool>,
}

impl Reporter {
    /// One report to every UI, this node's and, through the adapter, the other nodes'.
    pub(crate) fn report(&self) {
        let namespaces: Vec<Value> = self
            .io
            .namespace_names()
            .into_iter()
            .map(|name| {
                let count = self.io.of(&name).len();
                Value::object([("name", Value::from(name)), ("socketsCount", count.into())])
            })
            .collect();
        let mut stats = Map::new();
        stats.insert("serverId", self.server_id.as_str());
        stats.insert("hostname", self.hostname.as_str());
        stats.insert("pid", std::process::id());
        stats.insert("uptime", self.started.elapsed().as_secs_f64());
        stats.insert("clientsCount", self.io.session_count());
        stats.insert("pollingClientsCount", self.io.sessions_by_transport().0);
        stats.insert("aggregatedEvents", self.tally.take());
        stats.insert("namespaces", Value::Array(namespaces));
        self.admin.emit("server_stats", (Value::Object(stats),));
    }

    /// Reports now and every [`REPORT_EVERY`], on a thread of its own, until stopped; returns
    /// the thread, for `stop` to wake. Not on the timer thread: with the Redis adapter a
    /// report is a publish, and a slow Redis must not hold up every session's heartbeat.
    pub(crate) fn spawn(self) -> std::io::Result<std::thread::Thread> {
        self.report();
        let handle = std::thread::Builder::new()
            .name("threadio-admin-stats".into())
            .stack_size(256 * 1024)
            .spawn(move || loop {
                std::thread::park_timeout(REPORT_EVERY);
                if self.stopped.load(Ordering::Relaxed) {
                    return;
                }
                self.report();
            })?;
        Ok(handle.thread().clone())
    }
}

/// The current second, in milliseconds since the Unix epoch (the reference's
/// `timestamp.setMilliseconds(0)`).
fn unix_second_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() * 1000)
}

/// The machine's name, as Node's `os.hostname()`: the kernel's, else `$HOSTNAME`.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_groups_by_second_type_and_sub_type_and_empties_when_taken() {
        let tally = EventTally::default();
        tally.count("rawConnection", None);
        tally.count("rawConnection", None);
        tally.count("rawDisconnection", Some("transport close".into()));
        let events = tally.take();
        let events = events.as_array().expect("an array");
        let connections = events
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("rawConnection"))
            .map(|e| e.get("count").and_then(Value::as_i64).unwrap_or(0))
            .sum::<i64>();
        assert_eq!(connections, 2);
        let gone = events
            .iter()
            .find(|e| e.get("type").and_then(Value::as_str) == Some("rawDisconnection"))
            .expect("the disconnection");
        assert_eq!(
            gone.get("subType").and_then(Value::as_str),
            Some("transport close")
        );
        assert!(gone.get("timestamp").and_then(Value::as_i64).unwrap_or(1) % 1000 == 0);
        assert_eq!(tally.take(), Value::Array(vec![]));
    }

    #[test]
    fn messages_are_counted_as_packets_and_bytes_each_way() {
        let tally = EventTally::default();
        tally.count_message(MessageFlow::Received, 10);
        tally.count_message(MessageFlow::Received, 5);
        tally.count_message(MessageFlow::Sent, 7);
        let events = tally.take();
        let count = |kind: &str| {
            events
                .as_array()
                .and_then(|all| {
                    all.iter()
                        .find(|e| e.get("type").and_then(Value::as_str) == Some(kind))
                })
                .and_then(|e| e.get("count").and_then(Value::as_i64))
        };
        assert_eq!(
            [
                count("packetsIn"),
                count("bytesIn"),
                count("packetsOut"),
                count("bytesOut")
            ],
            [Some(2), Some(15), Some(1), Some(7)]
        );
        assert_eq!(
            tally.take(),
            Value::Array(vec![]),
            "taken: the counts start again"
        );
    }
}
