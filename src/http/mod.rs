//! The HTTP/1.1 layer: where every connection starts (RFC 9110 semantics, RFC 9112 syntax).
//!
//! `server.rs` accepts TCP connections and gives each its own thread; `connection.rs` is
//! that thread's keep-alive loop: read a request (`request.rs`, pure parsing), let the
//! `router.rs` pick a handler, write the `response.rs`. Static files come from the binary
//! or a folder (`static_files.rs`). A route registered with `Router::websocket` hands its
//! connection, and its thread, to the `websocket` module after the handshake.
//!
//! Every limit and timeout is in `config.rs`; every error maps to its status in one place
//! (`RequestError::status`, `ReadError::response` in connection.rs).

pub mod config;
mod connection;
pub mod date;
pub mod headers;
pub mod probe;
pub mod process_ceiling;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
pub mod static_files;
pub mod url;

pub use config::ServerConfig;
pub use headers::Headers;
pub use probe::ConnectionProbe;
pub use process_ceiling::ProcessCeiling;
pub use request::{Limits, Method, Request, RequestError};
pub use response::{Response, Status};
pub use router::{Route, Router, Upgrade};
pub use server::{Census, Headcount, RunningServer, Server, ShutdownHandle};
pub use static_files::{Asset, StaticFiles};
