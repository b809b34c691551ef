//! The cluster harness: a real Redis, Node nodes with the reference Redis adapter, the
//! reference emitter, and a Socket.IO client for any node — the pieces the tests of issue 12
//! use to prove a threadio node against Node nodes on one Redis
//! (`../shared/docs/redis-adapter.md` describes what they say to each other).
//!
//! A test file that uses it declares `mod common;` (for `peer_missing`) and `mod cluster;`.
//!
//! - `redis_server.rs`: [`RedisServer`](redis_server::RedisServer), `redis-server` on a free
//!   port, killed on drop, and killed and restarted on demand;
//! - `node_node.rs`: [`NodePeer`](node_node::NodePeer) finds Node and the npm packages,
//!   starts [`NodeNode`](node_node::NodeNode)s (tests/node/cluster_node.js, driven by JSON
//!   lines) and runs tests/node/emitter.js;
//! - `sio_client.rs`: [`SioClient`](sio_client::SioClient), a Socket.IO client over WebSocket
//!   written from the protocol documents, for Node's server and ours alike;
//! - `threadio_node.rs`: [`ThreadioNode`](threadio_node::ThreadioNode), a threadio node in
//!   the test's process (`Io` with the Redis adapter), set up as cluster_node.js sets up a
//!   Node node and taking the same commands;
//! - `member.rs`: [`ClusterMember`](member::ClusterMember), those commands and a client
//!   connect, for either kind of node, so one test body runs in both directions;
//! - `mixed.rs`: [`Mixed`](mixed::Mixed), the mixed cluster — Redis, one threadio node,
//!   one Node node, a wiretap — formed, for the tests of threadio beside Node;
//! - `wiretap.rs`: [`Wiretap`](wiretap::Wiretap), every message published on Redis, for
//!   assertions on the wire and for the samples the threadio adapter must match.
//!
//! Binary values are `{"$binary": "<hex>"}` in every JSON the harness passes around.

#![allow(dead_code)]

pub mod member;
pub mod mixed;
pub mod node_node;
pub mod redis_server;
pub mod sio_client;
pub mod threadio_node;
pub mod wiretap;
