//! Message traffic watchers: functions that hear of each Engine.IO message a client sends
//! or is sent, with its size — the reference's `packet` and `packetCreate` events on an
//! `engine.io` socket, which the Admin UI counts as `packetsIn`/`packetsOut` and
//! `bytesIn`/`bytesOut` (`crate::admin`).
//!
//! Where it sits: [`Io::on_message_traffic`](super::Io::on_message_traffic) adds a watcher;
//! each client copies the list when its session opens (`client.rs`), and calls it for each
//! message it receives (`on_message`) and each it sends (`ClientShared::send`). With no
//! watcher the list is empty and a message costs one check of its length; a session opened
//! before a watcher was added is not watched.

use std::sync::Arc;

use crate::engineio::{Outgoing, Packet};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFlow {
    /// From the client (an Engine.IO `4` packet, text or binary).
    Received,
    /// To the client.
    Sent,
}

/// Hears one message: its direction and its data's size in bytes (UTF-8 text or raw
/// bytes, as Node's `Buffer.byteLength(data)` counts it). It runs on the thread that moved
/// the message, for every message: keep it to a few atomic adds.
pub type TrafficWatcher = Arc<dyn Fn(MessageFlow, usize) + Send + Sync>;

/// A client's copy of the server's watchers.
pub(crate) type TrafficWatchers = Arc<[TrafficWatcher]>;

/// Tells `watchers` of every message in `outgoing`, sent.
pub(crate) fn tell_sent(watchers: &TrafficWatchers, outgoing: &Outgoing) {
    if watchers.is_empty() {
        return;
    }
    for packet in outgoing.packets() {
        let bytes = match packet {
            Packet::Message(text) => text.len(),
            Packet::BinaryMessage(data) => data.len(),
            _ => continue,
        };
        for watcher in watchers.iter() {
            watcher(MessageFlow::Sent, bytes);
        }
    }
}

/// Tells `watchers` of one message of `bytes`, received.
pub(crate) fn tell_received(watchers: &TrafficWatchers, bytes: usize) {
    for watcher in watchers.iter() {
        watcher(MessageFlow::Received, bytes);
    }
}
