//! The Admin UI's protocol against a client we did not write: python-socketio's sync client
//! (tests/python/admin_ui_stand_in.py) stands in for the UI, logs in to `/admin` with the
//! username and password `threadio::admin::instrument` was given, and must receive `config`
//! and `server_stats` in the shapes of `@socket.io/admin-ui`'s `typed-events.ts`; with a
//! wrong password it must be refused with the reference's `invalid credentials`.
//!
//! Without python3 or `pip install "python-socketio[client]"` the tests print
//! `skipped: <why>`, unless THREADIO_REQUIRE_PEERS=1 makes that a failure.

mod common;

use std::process::Command;

use common::{peer_missing, start};
use threadio::admin::{instrument, AdminAuth, AdminMode, AdminOptions};
use threadio::http::Router;
use threadio::socketio::Io;

/// Whether python3 can import python-socketio's client.
fn python_socketio() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import socketio, requests, websocket"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        peer_missing("python3 with python-socketio[client] is missing (pip install \"python-socketio[client]\")");
    }
    ok
}

/// Runs the stand-in against a fresh instrumented server; returns what it printed.
fn stand_in(username: &str, password: &str) -> serde_json::Value {
    let io = Io::new();
    io.of("/chat");
    let admin = instrument(
        &io,
        AdminOptions {
            auth: AdminAuth::Basic {
                username: "admin".into(),
                password: "s3cret-pass".into(),
            },
            mode: AdminMode::Production,
            server_id: Some("node-a".into()),
            ..AdminOptions::default()
        },
    );
    let mut app = Router::new();
    io.attach(&mut app);
    let server = start(app);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/admin_ui_stand_in.py"
    );
    let url = format!("http://{}", server.addr());
    let out = Command::new("python3")
        .args([script, &url, "/admin", username, password])
        .output()
        .expect("python3 runs");
    admin.stop();
    server.stop();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn python_socketio_logs_in_and_receives_config_and_server_stats() {
    if !python_socketio() {
        return;
    }
    let seen = stand_in("admin", "s3cret-pass");
    assert_eq!(seen["connected"], true, "{seen}");
    let features = seen["config"]["supportedFeatures"]
        .as_array()
        .expect("features");
    for feature in [
        "EMIT",
        "JOIN",
        "LEAVE",
        "DISCONNECT",
        "MJOIN",
        "AGGREGATED_EVENTS",
    ] {
        assert!(features.iter().any(|f| f == feature), "{feature}: {seen}");
    }
    // Production mode: no live feed is offered.
    assert!(!features.iter().any(|f| f == "ALL_EVENTS"), "{seen}");
    assert!(
        seen["session"].as_str().is_some_and(|s| !s.is_empty()),
        "{seen}"
    );

    let stats = &seen["server_stats"];
    assert_eq!(stats["serverId"], "node-a", "{seen}");
    assert_eq!(stats["pid"], std::process::id(), "{seen}");
    assert!(
        stats["hostname"].as_str().is_some_and(|h| !h.is_empty()),
        "{seen}"
    );
    assert!(stats["uptime"].as_f64().is_some(), "{seen}");
    // The stand-in itself is the one Engine.IO client.
    assert_eq!(stats["clientsCount"], 1, "{seen}");
    assert!(stats["pollingClientsCount"].as_u64() <= Some(1), "{seen}");
    // What happened before this report: the stand-in's session opened, and its CONNECT came
    // in and its answer went out, each counted with its bytes.
    let events = stats["aggregatedEvents"]
        .as_array()
        .expect("aggregatedEvents");
    let counted = |kind: &str| {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .filter_map(|e| e["count"].as_u64())
            .sum::<u64>()
    };
    for kind in [
        "rawConnection",
        "packetsIn",
        "packetsOut",
        "bytesIn",
        "bytesOut",
    ] {
        assert!(counted(kind) >= 1, "{kind}: {seen}");
    }
    assert!(counted("bytesIn") >= "40/admin,".len() as u64, "{seen}");
    let namespaces = stats["namespaces"].as_array().expect("namespaces");
    let count = |name: &str| {
        namespaces
            .iter()
            .find(|n| n["name"] == name)
            .map(|n| n["socketsCount"].clone())
    };
    assert_eq!(count("/admin"), Some(1.into()), "{seen}");
    assert_eq!(count("/chat"), Some(0.into()), "{seen}");
    assert_eq!(count("/"), Some(0.into()), "{seen}");
}

#[test]
fn python_socketio_with_a_wrong_password_is_refused_with_invalid_credentials() {
    if !python_socketio() {
        return;
    }
    let seen = stand_in("admin", "s3cret-pasS");
    assert_eq!(seen["connected"], false, "{seen}");
    assert!(
        seen["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid credentials")),
        "{seen}"
    );
}
