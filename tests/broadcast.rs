//! The hub's promise: every member gets every broadcast exactly once and in order, and a
//! client that stops reading is cut off once its backlog passes the bound, without the
//! others waiting on it.

mod common;

use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{start_with, READ_TIMEOUT};
use threadio::http::{Router, ServerConfig};
use threadio::websocket::{Message, WebSocketConfig};
use threadio::Hub;
use tungstenite::Message as TMessage;

type Client = tungstenite::WebSocket<TcpStream>;

/// A router whose `/hub` WebSocket joins `hub` and stays until the client leaves; a text
/// message "go N PAD" from any member makes the server broadcast N numbered messages, each
/// padded with PAD bytes.
fn hub_router(hub: Arc<Hub>) -> Router {
    let mut app = Router::new();
    app.websocket("/hub", move |mut ws| {
        let me = hub.join(ws.sender());
        ws.send("joined").ok();
        while let Ok(message) = ws.recv() {
            let Some(command) = message.as_text().and_then(|t| t.strip_prefix("go ")) else {
                continue;
            };
            let mut numbers = command.split(' ').map(|n| n.parse::<usize>().unwrap_or(0));
            let (count, pad) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
            for i in 0..count {
                hub.broadcast(&Message::Text(numbered(i, pad)));
            }
        }
        hub.leave(me);
    });
    app
}

fn numbered(i: usize, pad: usize) -> String {
    format!("msg {i} {}", "x".repeat(pad))
}

fn connect(addr: std::net::SocketAddr) -> Client {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/hub"), stream).unwrap();
    assert_eq!(ws.read().unwrap(), TMessage::text("joined"));
    ws
}

#[test]
fn a_thousand_clients_each_get_a_hundred_broadcasts_once_and_in_order() {
    let hub = Arc::new(Hub::new());
    let server = start_with(ServerConfig::default(), hub_router(Arc::clone(&hub)));
    let mut clients: Vec<Client> = (0..1000).map(|_| connect(server.addr())).collect();
    assert_eq!(hub.len(), 1000);

    clients[0].send(TMessage::text("go 100 0")).unwrap();
    // 100 small frames per client fit in the kernel's buffers, so one thread can read the
    // clients one after another.
    for (n, client) in clients.iter_mut().enumerate() {
        for i in 0..100 {
            let got = client
                .read()
                .unwrap_or_else(|e| panic!("client {n} lost message {i}: {e}"));
            assert_eq!(got, TMessage::text(numbered(i, 0)), "client {n}");
        }
    }
    // Exactly once: nothing further is waiting for anyone.
    for client in &mut clients {
        client
            .get_mut()
            .set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        assert!(
            client.read().is_err(),
            "a duplicate or stray message arrived"
        );
    }
    assert_eq!(hub.slow_disconnects(), 0);
}

#[test]
fn a_client_that_never_reads_is_dropped_and_the_others_get_everything() {
    let hub = Arc::new(Hub::new());
    let config = ServerConfig {
        websocket: WebSocketConfig {
            max_backlog: 256 * 1024,
            ..Default::default()
        },
        ..Default::default()
    };
    let server = start_with(config, hub_router(Arc::clone(&hub)));
    let (count, pad) = (20_000, 1000);
    // 20 MB per client: far more than loopback's socket buffers can hide for a client that
    // does not read, so its backlog must pass the 256 KiB bound.
    let stalled = connect(server.addr());
    let barrier = Arc::new(Barrier::new(4));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let mut client = connect(server.addr());
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..count {
                    let got = client
                        .read()
                        .unwrap_or_else(|e| panic!("message {i} lost: {e}"));
                    assert_eq!(got, TMessage::text(numbered(i, pad)));
                }
            })
        })
        .collect();
    barrier.wait();
    let mut trigger = connect(server.addr());
    trigger
        .send(TMessage::text(format!("go {count} {pad}")))
        .unwrap();
    for i in 0..count {
        assert_eq!(trigger.read().unwrap(), TMessage::text(numbered(i, pad)));
    }
    for reader in readers {
        reader.join().expect("a reading client missed a message");
    }
    assert_eq!(
        hub.slow_disconnects(),
        1,
        "the client that never read was not dropped"
    );
    drop(stalled);
}

#[test]
fn a_backlog_left_by_timed_out_writes_arrives_with_no_further_broadcast() {
    let hub = Arc::new(Hub::new());
    let config = ServerConfig {
        websocket: WebSocketConfig {
            max_backlog: 64 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let server = start_with(config, hub_router(Arc::clone(&hub)));
    let (count, pad) = (20_000, 1000);
    // Not reading while 20 MB are broadcast: the server's writes to it time out and its
    // backlog is left to the drainer.
    let mut late = connect(server.addr());
    let mut trigger = connect(server.addr());
    trigger
        .send(TMessage::text(format!("go {count} {pad}")))
        .unwrap();
    for i in 0..count {
        assert_eq!(trigger.read().unwrap(), TMessage::text(numbered(i, pad)));
    }
    // The broadcast is over and nothing else will be sent; the late reader still gets all.
    for i in 0..count {
        let got = late
            .read()
            .unwrap_or_else(|e| panic!("message {i} never arrived: {e}"));
        assert_eq!(got, TMessage::text(numbered(i, pad)));
    }
    assert_eq!(hub.slow_disconnects(), 0);
}
