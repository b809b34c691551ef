//! A cluster on this machine, for `cluster_fanout.rs` and `cluster_scale.rs`: one Redis
//! (`redis_server.rs`) and N bench servers, each a node of it (`bench --serve 0 --redis
//! URL`, the Redis adapter of `examples/bench_server.rs`). All are children of the bench,
//! and all are stopped when the [`Cluster`] is dropped, the nodes first.

use std::time::{Duration, Instant};

use threadio::redis::{RedisClient, RedisConfig, RedisUrl};

use crate::http_client::HttpConnection;
use crate::redis_server::RedisServer;
use crate::server::Server;

/// The channel every node of `/` subscribes to for requests: `PUBSUB NUMSUB` of it counts
/// the nodes that listen (the adapter's `channels.rs`).
const REQUEST_CHANNEL: &[u8] = b"socket.io-request#/#";

/// How long the nodes may take to subscribe.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The running cluster. Fields drop in order: the nodes go before their Redis.
pub struct Cluster {
    pub nodes: Vec<Server>,
    pub redis: RedisServer,
}

impl Cluster {
    /// Starts Redis and `nodes` nodes taking up to `max_connections` each, and waits until
    /// every node listens on Redis, so that no broadcast is published before all can hear.
    ///
    /// # Errors
    /// If Redis or a node does not start, or the nodes do not subscribe within 10 s.
    pub fn start(nodes: usize, max_connections: usize) -> Result<Cluster, String> {
        // The bench's own Redis connections (to wait for the nodes, to read Redis's counts)
        // would log each dial on stderr, between the progress lines; the nodes are quiet.
        if std::env::var_os("THREADIO_LOG").is_none() {
            std::env::set_var("THREADIO_LOG", "off");
        }
        let redis = RedisServer::start()?;
        let nodes = (0..nodes)
            .map(|_| Server::start_node(&redis.url(), max_connections))
            .collect::<Result<Vec<_>, _>>()?;
        let cluster = Cluster { nodes, redis };
        cluster.wait_until_subscribed()?;
        Ok(cluster)
    }

    fn wait_until_subscribed(&self) -> Result<(), String> {
        let url = RedisUrl::parse(&self.redis.url()).map_err(|e| e.to_string())?;
        let client = RedisClient::connect(&url, RedisConfig::default())
            .map_err(|e| format!("cannot ask Redis: {e}"))?;
        let deadline = Instant::now() + SUBSCRIBE_TIMEOUT;
        loop {
            let listening = client
                .numsub(&[REQUEST_CHANNEL])
                .ok()
                .and_then(|counts| counts.first().map(|(_, n)| *n))
                .unwrap_or(0);
            if listening >= self.nodes.len() as i64 {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{listening} of {} nodes subscribed on Redis after 10 s",
                    self.nodes.len()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Node `i`'s adapter counters (`GET /cluster-counts`): `published=… dropped=…
    /// received=… malformed=… subscriber_losses=…`, or why they could not be read.
    pub fn counts(&self, i: usize) -> String {
        let read = || {
            let mut connection = HttpConnection::open(self.nodes[i].addr)?;
            connection.exchange("GET", "/cluster-counts", b"", Duration::from_secs(2))
        };
        match read() {
            Ok(response) => String::from_utf8_lossy(&response.body).into_owned(),
            Err(e) => format!("counters unreadable: {e}"),
        }
    }
}
