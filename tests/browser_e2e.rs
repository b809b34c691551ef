//! The demo in a real browser: Debian's Chromium, driven by playwright-core from the scenarios
//! in tests/browser/, against the `threadio` binary as a user runs it. Each scenario asserts
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
