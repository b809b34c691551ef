//! The Socket.IO Admin UI's server side: instrument an [`Io`](crate::Io) so that the
//! official web UI (npm `@socket.io/admin-ui`, protocol of its 0.5 `lib/typed-events.ts`)
//! can watch and steer it, unchanged.
//!
//! Where it sits: on top of everything, as an application would. The UI is a Socket.IO
//! client of one namespace of the server (`/admin` by default); [`instrument`] makes that
//! namespace and hooks into the public API — connection, `on_any`, `on_any_outgoing`,
//! disconnect, room changes, session upgrades — to tell the UI what happens.
//!
//! How data moves:
//! - `options.rs`: what the application chooses (namespace, auth, read-only, mode, server id).
//! - `credentials.rs`: the namespace's middleware, checking username and password, and the
//!   session ids the UI reconnects with.
//! - `stats.rs`: `server_stats` every 2 s, with the aggregated events counted meanwhile.
//! - `socket_shape.rs`: a socket as the UI reads it (`SerializedSocket`), and its dates.
//! - `feed.rs`: in development mode, each connect, upgrade, room change, event and
//!   disconnect, as it happens.
//! - `commands.rs`: what the UI asks of the server — `emit`, `join`, `leave`, `_disconnect`.
//! - `instrument.rs`: ties them together.
//!
//! Every message to the UI is an emit to the admin namespace, so with the Redis adapter it
//! reaches the UIs connected to any node, and each node's `server_stats` shows as one server.

mod commands;
mod credentials;
mod feed;
mod instrument;
mod options;
mod socket_shape;
mod stats;

pub use instrument::{instrument, AdminUi};
pub use options::{AdminAuth, AdminMode, AdminOptions};
