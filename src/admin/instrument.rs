//! [`instrument`]: turn the Admin UI on for a server (the reference's `instrument(io, opts)`).
//!
//! On each UI connection, in the reference's order: its commands are listened for
//! (`commands.rs`, unless read-only), `config` says which features this server offers,
//! and in development mode `all_sockets` lists every socket of every namespace, cluster-wide
//! (`fetch_sockets`). Meanwhile `stats.rs` reports every 2 s and, in development mode,
//! `feed.rs` tells of every change as it happens.
//!
//! It lives as long as the server: the namespace and hooks cannot be taken back, and the
//! reporting thread holds the server until [`AdminUi::stop`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::commands::{obey, ACTIONS};
use super::credentials::Gate;
use super::feed::watch;
use super::options::{AdminMode, AdminOptions};
use super::socket_shape::serialize;
use super::stats::{hostname, EventTally, Reporter};
use crate::json::Value;
use crate::socketio::{Io, Namespace};

/// The Admin UI's side of a server, from [`instrument`]. It lives as long as the server;
/// [`AdminUi::stop`] ends its reports (the namespace and its hooks stay).
pub struct AdminUi {
    namespace: Namespace,
    stopped: Arc<AtomicBool>,
    /// The thread that reports `server_stats`, if it could be started.
    reporter: Option<std::thread::Thread>,
}

impl AdminUi {
    /// The namespace the UI connects to.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// No more `server_stats`: the reporting thread ends now.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        if let Some(reporter) = &self.reporter {
            reporter.unpark();
        }
    }
}

/// Makes `io` visible to the official Admin UI, which connects to `options.namespace`.
///
/// ```
/// use threadio::admin::{instrument, AdminAuth, AdminOptions};
/// use threadio::socketio::Io;
///
/// let io = Io::new();
/// let admin = instrument(&io, AdminOptions {
///     auth: AdminAuth::Basic { username: "admin".into(), password: "change me".into() },
///     ..AdminOptions::default()
/// });
/// assert_eq!(admin.namespace().name(), "/admin");
/// admin.stop();
/// ```
pub fn instrument(io: &Io, options: AdminOptions) -> AdminUi {
    let admin = io.of(&options.namespace);
    Gate::guard(Arc::new(Gate::new(options.auth.clone())), &admin);
    let development = options.mode == AdminMode::Development;

    let mut features: Vec<Value> = Vec::new();
    if !options.readonly {
        features.extend(ACTIONS.iter().map(|&f| Value::from(f)));
    }
    features.push("AGGREGATED_EVENTS".into());
    if development {
        features.push("ALL_EVENTS".into());
    }
    let (readonly, server) = (options.readonly, io.clone());
    admin.on_connection(move |ui| {
        if !readonly {
            obey(&server, ui);
        }
        let config = Value::object([("supportedFeatures", Value::Array(features.clone()))]);
        ui.emit("config", (config,));
        if development {
            ui.emit("all_sockets", (all_sockets(&server),));
        }
    });

    let tally = Arc::new(EventTally::default());
    count_sessions(io, &tally);
    if development {
        for name in io.namespace_names() {
            watch(&admin, &io.of(&name));
        }
        let to = admin.clone();
        io.on_new_namespace(move |namespace| watch(&to, namespace));
    }

    let stopped = Arc::new(AtomicBool::new(false));
    let reporter = Reporter {
        io: io.clone(),
        admin: admin.clone(),
        server_id: options.server_id.clone().unwrap_or_else(hostname),
        hostname: hostname(),
        started: Instant::now(),
        tally,
        stopped: Arc::clone(&stopped),
    };
    let reporter = match reporter.spawn() {
        Ok(thread) => Some(thread),
        Err(e) => {
            crate::log!("admin: cannot start the stats thread: {e}; no server_stats");
            None
        }
    };
    AdminUi {
        namespace: admin,
        stopped,
        reporter,
    }
}

/// Each Engine.IO session's opening and end, and each message, for the aggregated events.
fn count_sessions(io: &Io, tally: &Arc<EventTally>) {
    let counter = Arc::clone(tally);
    io.on_message_traffic(move |flow, bytes| counter.count_message(flow, bytes));
    let tally = Arc::clone(tally);
    io.on_session_open(move |session| {
        tally.count("rawConnection", None);
        let tally = Arc::clone(&tally);
        session.on_close(move |reason| tally.count("rawDisconnection", Some(reason.to_string())));
    });
}

/// Every socket of every namespace, this node's and the other nodes'. A node that does not
/// answer in time leaves its sockets out; the UI learns of them as they change.
fn all_sockets(io: &Io) -> Value {
    let mut all = Vec::new();
    for name in io.namespace_names() {
        let sockets = io
            .of(&name)
            .fetch_sockets()
            .unwrap_or_else(|e| e.into_partial());
        all.extend(sockets.iter().map(|socket| serialize(socket, &name)));
    }
    Value::Array(all)
}
