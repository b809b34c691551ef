//! Holding writes (`websocket/cork.rs`) is opt-in: a raw WebSocket's `send` is written
//! before the handler goes on, even when more input is already buffered, so a handler that
//! replies and then blocks still gets its reply out. A route that turns holding on gets
//! its replies, all of them and in order, before its thread waits for more input.

mod common;

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use common::{client_frame, raw_websocket, read_frame, start_with};
use threadio::http::{Router, ServerConfig};

#[test]
fn without_holding_a_reply_leaves_before_the_handler_blocks() {
    let (done, wait_for_test) = mpsc::channel::<()>();
    let wait_for_test = std::sync::Mutex::new(Some(wait_for_test));
    let mut app = Router::new();
    app.websocket("/t", move |mut ws| {
        let blocker = wait_for_test.lock().unwrap().take();
        if let Ok(message) = ws.recv() {
            let _ = ws.send(message);
            // Blocks, with the second frame already in the read buffer.
            if let Some(blocker) = blocker {
                let _ = blocker.recv_timeout(Duration::from_secs(5));
            }
        }
    });
    let server = start_with(ServerConfig::default(), app);
    let mut ws = raw_websocket(server.addr(), "/t");
    let mut two = client_frame(0x81, b"one");
    two.extend(client_frame(0x81, b"two"));
    ws.write_all(&two).unwrap(); // both frames in one write
    ws.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let (first_byte, payload) = read_frame(&mut ws).expect("the reply, while the handler blocks");
    assert_eq!((first_byte, payload.as_slice()), (0x81, &b"one"[..]));
    done.send(()).unwrap();
}

#[test]
fn with_holding_a_burst_is_answered_whole_and_in_order() {
    let mut app = Router::new();
    app.websocket("/t", |mut ws| {
        ws.hold_writes(true);
        while let Ok(message) = ws.recv() {
            if ws.send(message).is_err() {
                break;
            }
        }
    });
    let server = start_with(ServerConfig::default(), app);
    let mut ws = raw_websocket(server.addr(), "/t");
    let burst: Vec<u8> = (0..200)
        .flat_map(|i| client_frame(0x81, format!("m{i}").as_bytes()))
        .collect();
    ws.write_all(&burst).unwrap();
    ws.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for i in 0..200 {
        let (first_byte, payload) = read_frame(&mut ws).expect("every reply");
        assert_eq!(first_byte, 0x81);
        assert_eq!(payload, format!("m{i}").as_bytes());
    }
}
