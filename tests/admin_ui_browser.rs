//! The official Socket.IO Admin UI against threadio, in Debian's Chromium: the demo serves the
//! UI's own files from the npm package (`--admin-ui tests/browser/node_modules/@socket.io/
//! admin-ui/ui/dist`), the UI connects to the demo's `/admin` namespace
//! (`threadio::admin::instrument`), and tests/browser/admin_ui.js checks what a person sees:
//! the socket count, the chat page's socket with its transport and rooms, its events live,
//! and that the UI's "disconnect" disconnects the chat page (its banner says so).
//! Screenshots: target/admin-ui-*.png.
//!
//! Without node, Chromium or `npm ci` in tests/browser, it prints `skipped: <why>`, unless
//! THREADIO_REQUIRE_PEERS=1 makes that a failure.

mod common;

use common::{browser_peer, peer_missing, Demo};

#[test]
fn the_official_admin_ui_watches_the_demo_and_disconnects_a_chat_page() {
    let Some(browser) = browser_peer() else {
        return;
    };
    let ui_files = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/browser/node_modules/@socket.io/admin-ui/ui/dist"
    );
    if !std::path::Path::new(ui_files).join("index.html").is_file() {
        peer_missing("tests/browser/node_modules/@socket.io/admin-ui is missing (run `npm ci` in tests/browser)");
        return;
    }
    let mut demo = Demo::start_with(0, &["--admin-ui", ui_files]);
    let seen = browser.run("admin_ui", &mut demo);
    println!("admin_ui: {seen}");

    // One socket in "/": the chat page's, on WebSocket; the UI itself is the one in /admin.
    assert_eq!(seen["sockets"].as_array().map(Vec::len), Some(1), "{seen}");
    assert_eq!(seen["namespaces"]["/"], 1, "{seen}");
    assert_eq!(seen["namespaces"]["/admin"], 1, "{seen}");
    assert_eq!(seen["clients"], "WebSocket 2", "{seen}");
    assert_eq!(seen["transportShown"], true, "{seen}");
    // The chat event, live: received from the chat page's socket.
    let events = seen["events"].as_array().expect("events");
    assert!(
        events.iter().any(|row| row[1] == seen["socketId"]
            && row[2] == "Event received"
            && row[3] == "Event name: chat"),
        "{seen}"
    );
    // The aggregated events reached the UI's charts: connections, messages and bytes.
    for kind in [
        "bytesIn",
        "bytesOut",
        "packetsIn",
        "packetsOut",
        "rawConnection",
    ] {
        assert!(
            seen["aggregated"]
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t == kind)),
            "{kind}: {seen}"
        );
    }
    // The UI's disconnect reached the chat page, which will not reconnect by itself.
    assert_eq!(seen["state"], "disconnected", "{seen}");
    assert!(
        seen["banner"]
            .as_str()
            .is_some_and(|b| b.starts_with("Disconnected by the server")),
        "{seen}"
    );
}
