//! threadio's Socket.IO server against the official client: socket.io-client 4.8.4 from npm
//! (pinned in tests/node/package.json), over WebSocket only (`transports: ["websocket"]`).
//!
//! Each test starts its own server with the handlers of `interop_io`, runs one scenario of
//! tests/node (`node <scenario>.js <url>`, which checks what the client saw and prints it as
//! one JSON line), then asserts that line and what the server saw: the `Journal` where the
//! server writes each disconnect with its reason, and the outcome of each ack it asked for.
//! The same suite runs over polling and over the default transports in the two sibling
//! files. Without node or `npm ci` in tests/node every test prints `skipped: …`, unless
//! THREADIO_REQUIRE_PEERS=1, when it fails instead.

mod common;

/// What the client is told to use (`THREADIO_TRANSPORTS` for tests/node/scenario.js).
const TRANSPORTS: &str = "websocket";

include!("official_client/suite.rs");
