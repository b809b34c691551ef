//! The demo in a real browser: Debian's Chromium, driven by playwright-core from the scenarios
//! in tests/browser/, against the `threadio` binary as a user runs it — and one scenario also
//! against Node's socket.io 4.8 (tests/browser/reference_server.js), to show that our client,
//! threadio.js, speaks the real protocol and not only ours. Each scenario asserts
//! what a person sees (the DOM's text: names, messages, ticks, the status bar) and prints one
//! JSON line of what it saw, which the test checks again here.
//!
//! The browser reaches nothing but 127.0.0.1 (tests/browser/lib.js: resolver rules, and every
//! request is checked). Without node, Chromium or `npm ci` in tests/browser, each test prints
//! `skipped: <why>`, unless THREADIO_REQUIRE_PEERS=1 makes that a failure.

mod common;

use common::{browser_peer, Demo};

/// Runs one scenario of tests/browser against a fresh demo on a free port.
fn scenario(name: &str) -> Option<serde_json::Value> {
    let browser = browser_peer()?;
    let mut demo = Demo::start(0);
    let seen = browser.run(name, &mut demo);
    println!("{name}: {seen}");
    Some(seen)
}

#[test]
fn two_people_join_a_room_see_each_other_typing_and_chatting_with_ticks() {
    let Some(seen) = scenario("two_pages") else {
        return;
    };
    assert_eq!(seen["alice"]["received"]["from"], "bob", "{seen}");
    assert_eq!(seen["alice"]["received"]["text"], "hi alice", "{seen}");
    assert_eq!(seen["bob"]["received"]["text"], "hello bob", "{seen}");
    assert_eq!(seen["alice"]["sent"]["ticks"], "✓✓", "{seen}");
    assert_eq!(seen["bob"]["sent"]["ticks"], "✓✓", "{seen}");
    assert_eq!(seen["bob"]["typing"], "alice is typing…", "{seen}");
}

#[test]
fn a_page_forced_to_polling_chats_with_a_page_on_websocket() {
    let Some(seen) = scenario("polling_and_websocket") else {
        return;
    };
    assert_eq!(seen["polling"]["transport"], "polling", "{seen}");
    assert_eq!(seen["polling"]["websockets_opened"], 0, "{seen}");
    assert_eq!(seen["websocket"]["transport"], "websocket", "{seen}");
}

#[test]
fn the_page_shows_the_outage_reconnects_by_itself_and_chats_again() {
    let Some(seen) = scenario("reconnect") else {
        return;
    };
    assert_eq!(seen["during_outage"]["state"], "disconnected", "{seen}");
    assert_eq!(seen["during_outage"]["banner_hidden"], false, "{seen}");
    assert!(seen["after"]["reconnects"].as_u64() > Some(0), "{seen}");
    assert!(
        seen["after"]["banner"]
            .as_str()
            .is_some_and(|b| b.starts_with("reconnected — new session")),
        "{seen}"
    );
    assert_eq!(seen["after"]["received"]["text"], "back again", "{seen}");
}

#[test]
fn the_official_socket_io_browser_bundle_chats_with_the_threadio_js_page() {
    let Some(seen) = scenario("official_client") else {
        return;
    };
    assert_eq!(
        seen["official"]["received"], "alice: hello official",
        "{seen}"
    );
    assert_eq!(
        seen["demo"]["received"]["text"], "hello threadio.js",
        "{seen}"
    );
    assert_eq!(seen["demo"]["sent"]["ticks"], "✓✓", "{seen}");
    // The demo page's receipt for the official page's message, relayed by the server.
    assert_eq!(seen["official"]["receipt"]["by"], "alice", "{seen}");
}

#[test]
fn a_screenshot_of_two_pages_chatting_is_saved_under_target() {
    let Some(seen) = scenario("screenshot") else {
        return;
    };
    let path = seen["screenshot"].as_str().expect("the screenshot's path");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{path} is not a PNG"
    );
    println!("screenshot: {path}");
}

#[test]
fn a_slow_post_during_the_upgrade_loses_nothing() {
    let Some(seen) = scenario("slow_post") else {
        return;
    };
    assert_eq!(seen["transport"], "websocket", "{seen}");
    assert_eq!(seen["reconnects"], "0", "{seen}");
}

/// Runs one scenario of tests/browser against the Node socket.io 4.8 server
/// (tests/browser/reference_server.js: chat.rs's events on the reference implementation,
/// serving the same page and threadio.js) instead of the threadio binary.
fn reference_scenario(name: &str) -> Option<serde_json::Value> {
    use std::io::{BufRead, Read};
    use std::process::{Child, Command, Stdio};
    let _one_at_a_time = common::one_browser_at_a_time();

    /// Kills the process when the test ends, also when it panics.
    struct Killed(Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let _browser = browser_peer()?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !dir.join("node_modules/socket.io").is_dir() {
        common::peer_missing(
            "tests/browser/node_modules/socket.io is missing (run `npm ci` in tests/browser)",
        );
        return None;
    }
    // Its stdin stays open while this test runs: the server exits once it closes.
    let mut server = Killed(
        Command::new("node")
            .args(["reference_server.js", "0"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node reference_server.js starts"),
    );
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(server.0.stdout.take().expect("stdout is piped"));
    let _ = stdout.read_line(&mut first);
    let url = first
        .trim()
        .strip_prefix("reference: ")
        .unwrap_or_else(|| panic!("reference_server.js printed no URL: {first:?}"))
        .to_string();

    let script = format!("{name}.js");
    let mut scenario = Killed(
        Command::new("node")
            .args([script.as_str(), &url])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node {script} starts: {e}")),
    );
    let pipes = [
        Box::new(scenario.0.stdout.take().expect("stdout is piped")) as Box<dyn Read + Send>,
        Box::new(scenario.0.stderr.take().expect("stderr is piped")),
    ]
    .map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let exited = common::wait_until(common::BROWSER_TIMEOUT, || {
        scenario.0.try_wait().is_ok_and(|s| s.is_some())
    });
    let _ = scenario.0.kill();
    let status = scenario.0.wait().expect("wait for the scenario");
    let [out, err] = pipes.map(|t| t.join().unwrap_or_default());
    let report = format!("against {url}\n--- stderr:\n{err}\n--- stdout:\n{out}");
    assert!(
        exited,
        "{script} ran over {:?} {report}",
        common::BROWSER_TIMEOUT
    );
    assert!(status.success(), "{script} failed ({status}) {report}");
    let seen: serde_json::Value = out
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("{script} printed no JSON line last {report}"));
    println!("{name} against the reference: {seen}");
    assert_eq!(seen["ok"], true, "{seen}");
    Some(seen)
}

/// Issue 5: the same two-pages scenario, with the same page and threadio.js, against the Node
/// socket.io server: threadio.js speaks real Socket.IO.
#[test]
fn the_same_two_pages_chat_runs_against_the_node_socket_io_reference_server() {
    let Some(seen) = reference_scenario("two_pages") else {
        return;
    };
    assert_eq!(seen["alice"]["received"]["from"], "bob", "{seen}");
    assert_eq!(seen["alice"]["received"]["text"], "hi alice", "{seen}");
    assert_eq!(seen["bob"]["received"]["from"], "alice", "{seen}");
    assert_eq!(seen["bob"]["received"]["text"], "hello bob", "{seen}");
    assert_eq!(seen["alice"]["sent"]["ticks"], "✓✓", "{seen}");
    assert_eq!(seen["bob"]["sent"]["ticks"], "✓✓", "{seen}");
    assert_eq!(seen["bob"]["typing"], "alice is typing…", "{seen}");
    for who in ["alice", "bob"] {
        assert_eq!(
            seen[who]["online"],
            serde_json::json!(["alice", "bob"]),
            "{seen}"
        );
    }
}

/// What a page that dropped its connection shows when it is back (tests/browser/recovery.js):
/// its own id, a banner that counts the three missed messages, and them in order.
fn assert_recovered(seen: &serde_json::Value) {
    assert_eq!(seen["after"]["recovered"], true, "{seen}");
    assert_eq!(seen["after"]["id"], seen["before"]["id"], "{seen}");
    assert_eq!(
        seen["banner"], "reconnected — recovered 3 missed messages",
        "{seen}"
    );
    assert_eq!(
        seen["bob_messages"],
        serde_json::json!([
            "before the tunnel",
            "while you were away 1",
            "while you were away 2",
            "while you were away 3",
            "welcome back"
        ]),
        "{seen}"
    );
    assert_eq!(
        seen["alice_ticks"],
        serde_json::json!(["✓✓", "✓✓", "✓✓"]),
        "{seen}"
    );
}

/// Issue 13: the demo page survives a dropped connection and shows what it missed.
#[test]
fn a_page_that_drops_its_connection_comes_back_with_the_messages_it_missed() {
    let Some(seen) = scenario("recovery") else {
        return;
    };
    assert_recovered(&seen);
}

/// Issue 13, the reference: the same page and scenario against Node's socket.io with
/// connection state recovery on, which sends the missed events before its CONNECT answer
/// where threadio sends them after it; the page shows the same either way.
#[test]
fn the_same_recovery_runs_against_the_node_socket_io_reference_server() {
    let Some(seen) = reference_scenario("recovery") else {
        return;
    };
    assert_recovered(&seen);
}
