//! What a test asks of any member of a cluster — a Node node (`node_node.rs`) or a threadio
//! node (`threadio_node.rs`) — so that one test body can run with either of them making an
//! operation and the other one's clients, handlers and answers showing what arrived.
//!
//! Both kinds take the same JSON commands (the ops listed at the top of
//! tests/node/cluster_node.js) and give the same answers, `{"ok":true,…}` or
//! `{"ok":false,"error":…,…}`; both set up their sockets the same way (`data.node` names the
//! kind), so an assertion reads the same whichever node it is about.

use serde_json::Value;

use super::node_node::NodeNode;
use super::sio_client::SioClient;

/// A node of the cluster, Node's or threadio's.
pub trait ClusterMember {
    /// `"node"` or `"threadio"`: what `data.node` says on this member's sockets, and what
    /// it answers the server-side event `ping-node` with (`{"from": kind}`).
    fn kind(&self) -> &'static str;

    /// The sender's name in what this member publishes for namespace `nsp` (a Node node has
    /// one adapter, so one uid, per namespace; a threadio node one for all).
    fn uid(&self, nsp: &str) -> &str;

    /// A client of ours connected to `nsp` on this member with `auth`, `query` (`"k=v&…"`
    /// or `""`) and `headers` on its opening request; returned once this member's
    /// connection handler has run for it, so its rooms and data are set.
    fn connect_with(
        &self,
        nsp: &str,
        auth: Value,
        query: &str,
        headers: &[(&str, &str)],
    ) -> SioClient;

    /// A client with nothing but `auth` (see [`ClusterMember::connect_with`]).
    fn connect(&self, nsp: &str, auth: Value) -> SioClient {
        self.connect_with(nsp, auth, "", &[])
    }

    /// Starts `command` (an object with an `op`) and returns its id, for
    /// [`ClusterMember::answer`]: the test can answer the acks an `emitWithAck` waits for
    /// meanwhile.
    fn send(&self, command: Value) -> u64;

    /// Waits (bounded) for the answer to the command `id` was returned for.
    fn answer(&self, id: u64) -> Value;

    /// Runs `command` and returns its answer.
    fn request(&self, command: Value) -> Value {
        let id = self.send(command);
        self.answer(id)
    }
}

impl ClusterMember for NodeNode {
    fn kind(&self) -> &'static str {
        "node"
    }

    fn uid(&self, nsp: &str) -> &str {
        NodeNode::uid(self, nsp)
    }

    fn connect_with(
        &self,
        nsp: &str,
        auth: Value,
        query: &str,
        headers: &[(&str, &str)],
    ) -> SioClient {
        // Node runs the connection handler in the tick that sends the CONNECT answer, so a
        // connected client has its rooms and data already.
        SioClient::connect_with(&self.url(), nsp, auth, query, headers)
    }

    fn send(&self, command: Value) -> u64 {
        NodeNode::send(self, command)
    }

    fn answer(&self, id: u64) -> Value {
        NodeNode::answer(self, id)
    }
}
