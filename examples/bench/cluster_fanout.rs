//! The cluster fanout: what the trip through Redis adds to a broadcast. A `redis-server`
//! and two nodes (`cluster.rs`); one publisher on node 1 sends N messages, one every I µs,
//! as `chat`, which node 1 emits to everyone (`io.emit`). Half the receivers are on node 1
//! and get it from that emit (same node); the other half are on node 2 and get it the long
//! way (cross node): node 1's adapter publishes it on Redis, node 2's subscriber hears it
//! and emits it to its own sockets.
//!
//! The delivery phase is the fanout workload's (`fanout.rs` `deliver`): a warm-up until
//! every receiver has had a message — which also proves node 2 hears Redis — then the
//! measured messages on a fixed schedule. Publisher and receivers are threads of this
//! process, so the stamps' clock serves both sides. A row per side, in the common table,
//! then what Redis and each node spent: CPU time from `/proc/<pid>/stat`, the `PUBLISH`
//! time Redis counts itself (`INFO commandstats`), and the adapters' counters.

use std::time::Duration;

use crate::cluster::Cluster;
use crate::connect::{connect_for, Crowd};
use crate::fanout::{self, FanoutPlan};
use crate::proc_stats::{CpuMeter, CpuUse, Snapshot};
use crate::progress::Progress;
use crate::redis_server::PublishStats;
use crate::report::{self, Row};
use crate::transport::{Client, Route, Transport};

/// The cluster fanout's parameters.
#[derive(Debug, Clone)]
pub struct ClusterFanoutPlan {
    /// Receivers in all, half on each node.
    pub receivers: usize,
    pub messages: u64,
    pub interval: Duration,
    pub size: usize,
    /// How long a receiver waits, after the last message was sent, for what is missing.
    pub timeout: Duration,
    pub concurrency: usize,
}

/// Only Socket.IO has the adapter: the raw WebSocket routes are one process's hubs.
const TRANSPORT: Transport = Transport::SocketIoWebSocket;

pub fn run(plan: &ClusterFanoutPlan) {
    let cluster = match Cluster::start(2, 12_000) {
        Ok(cluster) => cluster,
        Err(e) => return eprintln!("bench: cluster-fanout: {e}"),
    };
    let (node1, node2) = (&cluster.nodes[0], &cluster.nodes[1]);
    let on_node2 = plan.receivers / 2;
    let on_node1 = plan.receivers - on_node2;
    let mut same = Row::new("cluster-fanout, same node", TRANSPORT.name(), on_node1);
    let mut cross = Row::new("cluster-fanout, cross node", TRANSPORT.name(), on_node2);
    let crowd = |server, count| Crowd {
        transport: TRANSPORT,
        server,
        count,
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    };
    // Client 0 on node 1 is the publisher.
    let mut first = connect_for(&mut same, &crowd(node1, on_node1 + 1), |_| Route::Everyone);
    let second = connect_for(&mut cross, &crowd(node2, on_node2), |_| Route::Everyone);
    if first.first().map(|(i, _)| *i) != Some(0) {
        eprintln!("bench: cluster-fanout: the publisher could not connect");
        return;
    }
    let (_, publisher) = first.remove(0);
    let same_count = first.len();
    let mut receivers: Vec<(bool, Client)> = first
        .into_iter()
        .chain(second)
        .map(|(_, client)| (true, client))
        .collect();
    let fanout = FanoutPlan {
        transport: TRANSPORT,
        receivers: receivers.len(),
        messages: plan.messages,
        interval: plan.interval,
        size: plan.size,
        room: false,
        timeout: plan.timeout,
        concurrency: plan.concurrency,
    };
    let total = receivers.len() as u64 * plan.messages;
    let progress = Progress::start("cluster-fanout".into(), total, "deliveries", node1.pid);
    let meters = Meters::start(&cluster);
    let delivery = fanout::deliver(&fanout, publisher, &mut receivers, &progress, node1.pid);
    let spent = meters.read(&cluster);
    let held = [node1.pid, node2.pid].map(|pid| pid.and_then(Snapshot::read));
    receivers.into_iter().for_each(|(_, client)| client.close());
    progress.finish();

    let mut outcomes = delivery.outcomes;
    let cross_outcomes = outcomes.split_off(same_count.min(outcomes.len()));
    if let Some(e) = &delivery.publisher_error {
        same.error(e);
    }
    same.add_outcomes(outcomes, delivery.started);
    cross.add_outcomes(cross_outcomes, delivery.started);
    for (row, snapshot) in [&mut same, &mut cross].into_iter().zip(held) {
        row.server = snapshot;
        let every = plan.interval.as_micros();
        row.notes
            .push(format!("1 publisher on node 1, every {every} µs"));
        row.notes.extend(delivery.behind.clone());
    }
    report::print_table(&mut [same, cross]);
    println!("\n{LEGEND}\n");
    spent.print(&cluster);
}

/// What the two rows mean, and where their server columns come from.
const LEGEND: &str = "\
same node: receivers on node 1, reached by the publisher's node directly. cross node: \
receivers on node 2, reached through Redis (PUBLISH by node 1's publisher thread, node 2's \
subscriber, its inbox thread, its emit). Latency: the publisher's send to the receiver's \
read, one clock. Server RSS and threads: that node's, with every client connected.";

/// CPU time of Redis and of each node over the delivery phase, and Redis's own count of
/// its `PUBLISH` work.
struct Meters {
    redis: Option<CpuMeter>,
    nodes: Vec<Option<CpuMeter>>,
    published: Option<PublishStats>,
}

impl Meters {
    fn start(cluster: &Cluster) -> Meters {
        Meters {
            redis: CpuMeter::start(cluster.redis.pid()),
            nodes: (cluster.nodes.iter())
                .map(|node| node.pid.and_then(CpuMeter::start))
                .collect(),
            published: cluster.redis.publish_stats(),
        }
    }

    /// Stops the clock: what each used since [`Meters::start`].
    fn read(self, cluster: &Cluster) -> Spent {
        let after = cluster.redis.publish_stats();
        Spent {
            redis: self.redis.and_then(|m| m.read()),
            nodes: self.nodes.iter().map(|m| m.as_ref()?.read()).collect(),
            publishes: match (self.published, after) {
                (Some(before), Some(after)) => Some((
                    after.calls.saturating_sub(before.calls),
                    after.usec.saturating_sub(before.usec),
                )),
                _ => None,
            },
        }
    }
}

struct Spent {
    redis: Option<CpuUse>,
    nodes: Vec<Option<CpuUse>>,
    /// `PUBLISH` calls during the phase and Redis's microseconds in them.
    publishes: Option<(u64, u64)>,
}

impl Spent {
    fn print(&self, cluster: &Cluster) {
        let unknown = || "unknown".to_string();
        let redis = self.redis.map_or_else(unknown, |cpu| cpu.to_string());
        println!(
            "Redis (pid {}), warm-up and measured phase: {redis}",
            cluster.redis.pid()
        );
        if let Some((calls, usec)) = self.publishes {
            let each = usec as f64 / calls.max(1) as f64;
            println!("  by its own count: {calls} PUBLISH, {usec} µs in all, {each:.1} µs each");
        }
        for (i, node) in cluster.nodes.iter().enumerate() {
            let cpu = self.nodes[i].map_or_else(unknown, |cpu| cpu.to_string());
            let pid = node.pid.unwrap_or(0);
            println!("node {} (pid {pid}): {cpu}; {}", i + 1, cluster.counts(i));
        }
    }
}
