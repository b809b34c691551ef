//! The mixed cluster of issue 12: one threadio node (`threadio_node.rs`, in the test's
//! process) and one Node node (`node_node.rs`) on one real `redis-server`, formed, with a
//! wiretap listening — what tests/redis_cluster_mixed.rs and tests/redis_cluster_mixed_wire.rs
//! start for each test. Either member can make an operation ([`Side`], [`Mixed::pair`]) and
//! the other one observe it, so each test body runs in both directions.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use threadio::redis::{RedisClient, RedisConfig};

use super::member::ClusterMember;
use super::node_node::{ClusterOptions, NodeNode, NodePeer};
use super::redis_server::RedisServer;
use super::threadio_node::ThreadioNode;
use super::wiretap::{Tapped, Wiretap};
use crate::common::wait_until;

/// How long a test waits for something that happens across Redis.
pub const WAIT: Duration = Duration::from_secs(10);

/// One cluster at a time (in one test binary): a Node process and a threadio node per test
/// is plenty for two cores.
static ONE_CLUSTER: Mutex<()> = Mutex::new(());

/// The channels each member subscribes to in each namespace, by which we know both are in.
const MEMBERSHIP: [&str; 4] = [
    "socket.io-request#/#",
    "socket.io-response#/#",
    "socket.io-request#/chat#",
    "socket.io-response#/chat#",
];

/// Which member makes an operation; the other one observes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Threadio,
    Node,
}

/// Redis, a threadio node and a Node node on it, and a wiretap. Fields drop in order: the
/// nodes go before Redis.
pub struct Mixed {
    pub threadio: ThreadioNode,
    pub node: NodeNode,
    peer: NodePeer,
    pub tap: Wiretap,
    redis: RedisServer,
    _one_at_a_time: MutexGuard<'static, ()>,
}

impl Mixed {
    /// The cluster, formed; or `None` if a peer is missing (`skipped: …` was printed).
    pub fn start() -> Option<Mixed> {
        let one_at_a_time = ONE_CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        let redis = RedisServer::start(&[])?;
        let peer = NodePeer::find()?;
        let options = ClusterOptions {
            requests_timeout: Duration::from_secs(2),
            ..ClusterOptions::default()
        };
        let threadio = ThreadioNode::start(&redis.url("", 0), &options);
        let node = peer.start_node(&redis.url_text("", 0), &options);
        wait_for_both(&redis);
        let tap = Wiretap::start(&redis);
        Some(Mixed {
            threadio,
            node,
            peer,
            tap,
            redis,
            _one_at_a_time: one_at_a_time,
        })
    }

    /// The member that makes an operation, and the one that observes it.
    pub fn pair(&self, maker: Side) -> (&dyn ClusterMember, &dyn ClusterMember) {
        match maker {
            Side::Threadio => (&self.threadio, &self.node),
            Side::Node => (&self.node, &self.threadio),
        }
    }

    /// Runs the emitter script with `command`.
    pub fn emitter(&self, command: Value) {
        self.peer.emitter(&self.redis.url_text("", 0), &command);
    }

    /// Forgets what the tap heard, runs `operation`, and returns the `count` messages it
    /// put on Redis (waiting for them at most [`WAIT`]), printed for `--nocapture`.
    pub fn published(&self, what: &str, count: usize, operation: impl FnOnce()) -> Vec<Tapped> {
        self.tap.clear();
        operation();
        let heard = self.tap.wait_for_count(count, WAIT);
        println!("--- wire: {what}");
        for message in &heard {
            println!("{}", message.describe());
        }
        assert_eq!(heard.len(), count, "{what}: {heard:?}");
        heard
    }

    /// The uids either member signs with, for masking.
    pub fn uids(&self) -> Vec<String> {
        let mut uids = vec![self.threadio.adapter.uid().to_string()];
        uids.extend(["/", "/chat"].map(|nsp| self.node.uid(nsp).to_string()));
        uids
    }
}

/// Waits until Redis counts both members on every channel of [`MEMBERSHIP`].
fn wait_for_both(redis: &RedisServer) {
    let client =
        RedisClient::connect(&redis.url("", 0), RedisConfig::default()).expect("connect to Redis");
    let channels = MEMBERSHIP.map(str::as_bytes);
    let formed = wait_until(WAIT, || {
        client
            .numsub(&channels)
            .is_ok_and(|counts| counts.iter().all(|(_, count)| *count == 2))
    });
    assert!(formed, "the two members never both subscribed");
}

/// Asserts that a member answered `ok: true`, and returns the answer.
pub fn ok(answer: Value) -> Value {
    assert_eq!(answer["ok"], true, "{answer}");
    answer
}
