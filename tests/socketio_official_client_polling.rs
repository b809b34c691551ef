//! The official-client suite of socketio_official_client.rs, over HTTP long-polling only (`transports: ["polling"]`): the suite again, with
//! WebSocket never tried.

mod common;

/// What the client is told to use (`THREADIO_TRANSPORTS` for tests/node/scenario.js).
const TRANSPORTS: &str = "polling";

include!("official_client/suite.rs");
