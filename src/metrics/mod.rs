//! Metrics: what the server counts as it runs, and `GET /metrics` in the Prometheus text
//! exposition format 0.0.4, so that Prometheus (or anything that reads that format) can
//! watch a running server.
//!
//! Where it sits: beside the layers, not in them. Each layer bumps a counter where the
//! thing it counts happens — the accept loop counts connections, `websocket/connection.rs`
//! the messages it reads, `websocket/outbox.rs` the frames queued and the slow clients it
//! drops, `socketio/broadcast.rs` each broadcast and how long its fan-out took. Those
//! counters are process-wide statics of relaxed atomics ([`counts`]): one `fetch_add` on
//! the hot path, no lock, no pointer to carry through the layers. What the server already
//! holds — connections open, sessions by transport, sockets and rooms by namespace, unsent
//! backlog — is not counted twice: [`Metrics`] reads it when Prometheus scrapes.
//!
//! The files, in reading order: [`counter`] (the two atomic cells), [`histogram`] (fixed
//! buckets, cumulative at scrape time), [`counts`] (every counter and where it is bumped),
//! [`exposition`] (the text format: `# HELP`, `# TYPE`, samples, label escaping) and
//! [`endpoint`] ([`Metrics`], the route). NOTES.md chapter 19 walks them.

pub mod counter;
pub mod counts;
pub mod endpoint;
pub mod exposition;
pub mod histogram;

pub use counts::Refusal;
pub use endpoint::Metrics;
pub use exposition::{Exposition, MetricKind, SampleValue, CONTENT_TYPE};
pub use histogram::{Histogram, HistogramSnapshot};
