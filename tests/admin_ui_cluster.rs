//! The Admin UI over a cluster: two threadio nodes on one real `redis-server`, each
//! instrumented with its own `server_id`. A UI connected to node A hears `server_stats` from
//! both nodes (each node's report is an emit to `/admin`, which the Redis adapter carries),
//! and its `all_sockets` lists a socket of node B (`fetch_sockets` across the cluster).
//!
//! Without `redis-server` it prints `skipped: <why>`, unless THREADIO_REQUIRE_PEERS=1.

mod cluster;
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cluster::redis_server::RedisServer;
use common::{start, tcp, wait_until, ws_read_text, ws_send, Ws, READ_TIMEOUT};
use threadio::admin::{instrument, AdminOptions};
use threadio::http::{Router, RunningServer};
use threadio::redis::RedisUrl;
use threadio::redis_adapter::{RedisAdapter, RedisAdapterConfig};
use threadio::socketio::Io;

struct Node {
    io: Io,
    server: RunningServer,
}

fn node(url: &RedisUrl, server_id: &str) -> Node {
    let io = Io::new();
    let config = RedisAdapterConfig {
        requests_timeout: Duration::from_secs(2),
        ..RedisAdapterConfig::default()
    };
    io.set_adapter(RedisAdapter::new(url, config).expect("the adapter starts"));
    instrument(
        &io,
        AdminOptions {
            server_id: Some(server_id.into()),
            ..AdminOptions::default()
        },
    );
    let mut router = Router::new();
    io.attach(&mut router);
    Node {
        io,
        server: start(router),
    }
}

/// Connects to `namespace` ("" for "/") of `node`; returns the socket and its id.
fn connect(node: &Node, namespace: &str) -> (Ws, String) {
    let addr = node.server.addr();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp(addr)).expect("WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    let prefix = match namespace {
        "" => "40".to_string(),
        name => format!("40{name},"),
    };
    ws_send(&mut ws, &prefix);
    let answer = ws_read_text(&mut ws);
    let body = answer
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{answer}"));
    let sid: serde_json::Value = serde_json::from_str(body).expect("JSON");
    (ws, sid["sid"].as_str().expect("a sid").to_string())
}

#[test]
fn a_ui_on_one_node_sees_both_nodes_stats_and_the_other_nodes_sockets() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let url = redis.url("", 0);
    let (a, b) = (node(&url, "node-a"), node(&url, "node-b"));
    // Both nodes hear each other on "/" and on "/admin" before anything is asked.
    let formed = wait_until(READ_TIMEOUT, || {
        [&a, &b].iter().all(|n| {
            n.io.server_count() == Ok(2) && n.io.of("/admin").adapter().server_count() == Ok(2)
        })
    });
    assert!(formed, "the nodes did not see each other");

    let (_on_b, id_on_b) = connect(&b, "");
    let (mut ui, _) = connect(&a, "/admin");
    let mut stats_from = BTreeSet::new();
    let mut listed = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && (stats_from.len() < 2 || listed.is_none()) {
        let packet = ws_read_text(&mut ui);
        let Some(body) = packet.strip_prefix("42/admin,") else {
            continue;
        };
        let args: Vec<serde_json::Value> = serde_json::from_str(body).expect("JSON");
        match args[0].as_str() {
            Some("server_stats") => {
                stats_from.insert(args[1]["serverId"].as_str().unwrap_or("").to_string());
            }
            Some("all_sockets") => listed = Some(args[1].clone()),
            _ => {}
        }
    }
    assert_eq!(
        stats_from,
        BTreeSet::from(["node-a".to_string(), "node-b".to_string()])
    );
    let listed = listed.expect("all_sockets");
    let remote = listed
        .as_array()
        .and_then(|all| all.iter().find(|s| s["id"] == id_on_b.as_str()))
        .unwrap_or_else(|| panic!("node B's socket in all_sockets: {listed}"));
    assert_eq!(remote["nsp"], "/");
    assert_eq!(remote["rooms"], serde_json::json!([id_on_b]));
}
