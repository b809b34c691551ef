//! The demo: `cargo run --release`, then open http://127.0.0.1:3000 in two tabs.
//!
//! The chat of `examples/chat.rs` (its events and rooms live there, read it next), plus
//! what a binary adds: the page, our JavaScript client and the styles embedded in the
//! executable (so it runs from any folder, with no network), a port, and Ctrl-C.
//! `--port N` or `PORT=N` picks another port. Ctrl-C shuts down gracefully: every open tab
//! receives a close frame with code 1001 (going away) and starts reconnecting.
//!
//! Only the demo's own page may open a WebSocket to it (RFC 6455 §10.2): a browser lets
//! any page connect to any WebSocket, so without this a page on some other site could
//! chat in the demo as whoever has it open. `--allow-origin ORIGIN` (repeatable, e.g.
//! `--allow-origin http://localhost:5173` for a page served by a dev server) adds
//! another; `--allow-origin '*'` allows every one. Polling is covered already: CORS is off,
//! so a page from another origin cannot read the answers.
//!
//! `GET /metrics` answers Prometheus (`threadio::metrics`): connections, sessions, sockets
//! and rooms, messages, broadcasts. Like the page, it is reachable only from this machine.
//!
//! `--redis redis://127.0.0.1:6379` makes this process one node of a cluster (the Redis
//! adapter, `threadio::redis_adapter`): start a second with another `--port` and the same
//! URL, and pages on either node chat in the same rooms, with member lists from both.
//! Behind a load balancer, the page's origin is the balancer's: allow it with
//! `--allow-origin` (`examples/haproxy/` does both).

use std::path::PathBuf;

use threadio::admin::{instrument, AdminAuth, AdminMode, AdminOptions};
use threadio::http::{Asset, Request, Response, Router, Server, ServerConfig, StaticFiles, Status};
use threadio::metrics::Metrics;
use threadio::redis::RedisUrl;
use threadio::redis_adapter::{RedisAdapter, RedisAdapterConfig};
use threadio::socketio::Io;
use threadio::websocket::OriginPolicy;

#[path = "../examples/chat.rs"]
mod chat;

use chat::flags::{Flags, Spec};

const SPEC: Spec = Spec {
    usage: "threadio [--port N] [--allow-origin ORIGIN]... [--redis redis://HOST:PORT] \
            [--admin-ui DIR]   (PORT=N works too)",
    flags: &["--port", "--allow-origin", "--redis", "--admin-ui"],
    positional: 0,
};

/// The page, its scripts and its style, compiled into the binary.
static ASSETS: &[Asset] = &[
    Asset {
        path: "/index.html",
        body: include_bytes!("assets/index.html"),
    },
    Asset {
        path: "/threadio.js",
        body: include_bytes!("assets/threadio.js"),
    },
    Asset {
        path: "/chat.js",
        body: include_bytes!("assets/chat.js"),
    },
    Asset {
        path: "/style.css",
        body: include_bytes!("assets/style.css"),
    },
];

fn main() {
    let flags = Flags::parse(SPEC);
    let port = flags
        .value("--port", SPEC)
        .or_else(|| std::env::var("PORT").ok()?.parse().ok())
        .unwrap_or(3000);
    let mut server = match Server::bind(("127.0.0.1", port), ServerConfig::default()) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e} (try --port N)");
            std::process::exit(1);
        }
    };
    if let Ok(addr) = server.local_addr() {
        let extra: Vec<String> = flags
            .values("--allow-origin")
            .iter()
            .map(|origin| origin.trim_end_matches('/').to_string())
            .collect();
        let origins = origin_policy(addr.port(), &extra);
        server.configure(|config| config.websocket.origins = origins);
    }
    // Before any other thread starts: see src/signal.rs for why.
    if let Ok(handle) = server.shutdown_handle() {
        threadio::signal::shutdown_on_signal(handle);
    }

    let io = Io::with_config(chat::io_config());
    let cluster = flags
        .values("--redis")
        .first()
        .map(|url| join_cluster(&io, url));
    chat::attach(&io);
    // No auth: 127.0.0.1 only (see the top of this file).
    instrument(
        &io,
        AdminOptions {
            auth: AdminAuth::None,
            mode: AdminMode::Development,
            ..AdminOptions::default()
        },
    );
    let mut app = Router::new();
    io.attach(&mut app);
    // GET /metrics for Prometheus (NOTES.md chapter 19). Public to whoever can reach the
    // listener, which is 127.0.0.1 only: fine for a demo, and it holds counts, not messages.
    Metrics::new()
        .with_server(&server)
        .with_io(&io)
        .attach(&mut app);
    app.static_files(StaticFiles::embedded(ASSETS));
    if let Some(dir) = flags.values("--admin-ui").first() {
        serve_admin_ui(&mut app, PathBuf::from(dir));
    }

    // The bound address, not the asked-for port: `--port 0` picks a free one (the tests do).
    match server.local_addr() {
        Ok(addr) => say(&format!(
            "threadio demo: http://{addr}/  (open it in two tabs; Ctrl-C to stop)"
        )),
        Err(e) => eprintln!("cannot read the bound address: {e}"),
    }
    if let Some(line) = cluster {
        say(&line);
    }
    if let Err(e) = server.serve(app) {
        eprintln!("server stopped: {e}");
        std::process::exit(1);
    }
    say("threadio demo: stopped");
}

/// Makes `io` a node of the cluster on the Redis at `url`, or exits with why not; returns
/// the line that says so. A Redis that is down is no reason to stop: the adapter connects
/// when it comes.
fn join_cluster(io: &Io, url: &str) -> String {
    let url = match RedisUrl::parse(url) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("--redis {url}: {e}");
            std::process::exit(2);
        }
    };
    match RedisAdapter::new(&url, RedisAdapterConfig::default()) {
        Ok(adapter) => {
            let line = format!(
                "threadio demo: node {} of the cluster on redis://{}",
                adapter.uid(),
                url.address()
            );
            io.set_adapter(adapter);
            line
        }
        Err(e) => {
            eprintln!("cannot start the Redis adapter: {e}");
            std::process::exit(1);
        }
    }
}

/// Serves the Admin UI's built files from `dir` under `/admin-ui/`. We do not ship them:
/// they are the npm package's (`@socket.io/admin-ui/ui/dist`), and their paths are
/// relative (`js/app.….js`), so they work under any prefix.
fn serve_admin_ui(app: &mut Router, dir: PathBuf) {
    if !dir.join("index.html").is_file() {
        eprintln!("--admin-ui {}: no index.html there", dir.display());
        std::process::exit(2);
    }
    let files = StaticFiles::embedded(&[]).with_dir(dir);
    app.get("/admin-ui/*", move |request: &Request| {
        let mut inner = request.clone();
        inner.path = request.path["/admin-ui".len()..].to_string();
        files
            .serve(&inner)
            .unwrap_or_else(|| Response::error(Status::NOT_FOUND))
    });
    // Without the slash, the UI's relative paths would resolve against `/`.
    app.get("/admin-ui", |_: &Request| {
        Response::text(Status(308), "").with_header("Location", "/admin-ui/")
    });
}

/// Prints a line, ignoring a closed stdout (`println!` would panic if the reader is gone).
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

/// The page's own origin, under both names a person may type, plus those given with
/// `--allow-origin`; `*` among them allows every origin.
fn origin_policy(port: u16, extra: &[String]) -> OriginPolicy {
    if extra.iter().any(|origin| origin == "*") {
        return OriginPolicy::Any;
    }
    let own = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ];
    OriginPolicy::AllowList(own.into_iter().chain(extra.iter().cloned()).collect())
}
