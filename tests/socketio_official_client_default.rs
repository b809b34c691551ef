//! The official-client suite of socketio_official_client.rs, over the client's default transports: a polling handshake, then the upgrade to
//! WebSocket while the scenario runs.

mod common;

/// What the client is told to use (`THREADIO_TRANSPORTS` for tests/node/scenario.js).
const TRANSPORTS: &str = "default";

include!("official_client/suite.rs");
