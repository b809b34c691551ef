//! The Rust client (`src/client/`) against servers that misbehave, each a few lines of raw
//! HTTP on a `TcpListener`: one that closes mid-handshake, one that answers garbage, one
//! that never pings, one that sends 10 MB at once. Each must give a clear error (or the
//! right disconnect cause), never a panic, and never wait past its timeouts.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use threadio::client::{DialError, Dialer, DisconnectCause, Reconnection, Transports};

/// What a fake server does with request number `n` (from 0, over all connections): write
/// an answer, or nothing; `false` closes the connection.
type Script = fn(n: usize, request: &str, stream: &mut TcpStream) -> bool;

/// Serves `script` on a free port of 127.0.0.1 until the test process ends; returns the URL.
fn fake_server(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let count = Arc::clone(&count);
            thread::spawn(move || {
                while let Some(request) = read_request(&mut stream) {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    if !script(n, &request, &mut stream) {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// One request's head and body as text; `None` at the end of the connection.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(head + &String::from_utf8_lossy(&body))
}

fn answer(stream: &mut TcpStream, body: &str) -> bool {
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).is_ok()
}

const OPEN: &str =
    r#"0{"sid":"fake","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

/// Connecting must end within the dialer's timeout and a margin, with an error.
fn connect_fails(url: &str, mode: Transports) -> DialError {
    let started = Instant::now();
    let result = Dialer::new(url)
        .transports(mode)
        .timeout(Duration::from_secs(2))
        .connect();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{url} {mode:?}: too slow"
    );
    match result {
        Ok(_) => panic!("{url} {mode:?}: connected to a bad server"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e
        }
    }
}

#[test]
fn a_server_that_closes_mid_handshake() {
    let url = fake_server(|_, _, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Len");
        false
    });
    for mode in [Transports::PollingOnly, Transports::WebSocketOnly] {
        let e = connect_fails(&url, mode);
        assert!(
            matches!(
                e,
                DialError::Io(_) | DialError::BadHttp(_) | DialError::WebSocket(_)
            ),
            "{e}"
        );
    }
}

#[test]
fn a_server_that_answers_garbage() {
    let not_http = fake_server(|_, _, stream| {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
        false
    });
    let e = connect_fails(&not_http, Transports::PollingOnly);
    assert!(matches!(e, DialError::BadHttp(_) | DialError::Io(_)), "{e}");
    let not_engineio = fake_server(|_, _, stream| answer(stream, "xyzzy"));
    let e = connect_fails(&not_engineio, Transports::PollingOnly);
    assert!(matches!(e, DialError::Protocol(_)), "{e}");
    let bad_open = fake_server(|_, _, stream| answer(stream, "0{\"sid\":1}"));
    let e = connect_fails(&bad_open, Transports::PollingOnly);
    assert!(e.to_string().contains("open packet"), "{e}");
    let e = connect_fails(&not_engineio, Transports::WebSocketOnly);
    assert!(matches!(e, DialError::WebSocket(_)), "{e}");
}

#[test]
fn a_server_that_sends_ten_megabytes() {
    let url = fake_server(|_, _, stream| answer(stream, &format!("4{}", "a".repeat(10 << 20))));
    let e = connect_fails(&url, Transports::PollingOnly);
    assert!(e.to_string().contains("past the limit"), "{e}");
}

#[test]
fn a_server_that_never_pings() {
    // The handshake, then the namespace's answer, then silence: every later GET is held.
    let url = fake_server(|n, request, stream| {
        if request.starts_with("POST") {
            return answer(stream, "ok");
        }
        match n {
            0 => answer(stream, OPEN),
            _ if request.contains("sid=fake") && !SENT.swap(true, Ordering::SeqCst) => {
                answer(stream, "40{\"sid\":\"socket\"}")
            }
            _ => {
                thread::sleep(Duration::from_secs(30));
                false
            }
        }
    });
    static SENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let (cause_tx, cause) = mpsc::channel();
    let cause_tx = Mutex::new(cause_tx);
    let client = Dialer::new(&url)
        .transports(Transports::PollingOnly)
        .reconnection(Reconnection {
            enabled: false,
            ..Reconnection::default()
        })
        .on_disconnect(move |c| {
            let _ = cause_tx.lock().unwrap().send(c.clone());
        })
        .connect()
        .expect("the fake server answers the CONNECT");
    assert_eq!(client.id().as_deref(), Some("socket"));
    // pingInterval + pingTimeout = 500 ms of silence is the limit.
    let seen = cause
        .recv_timeout(Duration::from_secs(5))
        .expect("a disconnect");
    assert_eq!(seen, DisconnectCause::PingTimeout);
    assert!(!client.connected());
    // No reconnection was asked for: the reader closes the manager as it leaves.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !client.manager().closed() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert!(client.manager().closed(), "no reconnection was asked for");
}
