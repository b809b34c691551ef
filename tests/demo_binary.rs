//! The demo as a user runs it: the real binary, its embedded page, two chat clients, and
//! Ctrl-C (SIGINT) shutting it down gracefully with 1001 to every open WebSocket.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use common::{http_exchange, status_of, READ_TIMEOUT};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::Message as TMessage;

type Client = tungstenite::WebSocket<TcpStream>;

/// Starts the demo on a free port and returns it with the address it printed.
fn start_demo() -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_threadio"))
        .args(["--port", "0"])
        .env("THREADIO_LOG", "off")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the demo binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, stdout, addr)
}

fn join_chat(addr: &str) -> Client {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    tungstenite::client(format!("ws://{addr}/ws"), stream)
        .unwrap()
        .0
}

fn next_text(client: &mut Client) -> String {
    loop {
        match client.read().expect("a message") {
            TMessage::Text(text) => return text.to_string(),
            _ => continue,
        }
    }
}

#[test]
fn the_demo_serves_its_page_relays_chat_and_shuts_down_on_sigint() {
    let (mut demo, mut stdout, addr) = start_demo();
    let page = http_exchange(
        addr.parse().unwrap(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&page), 200);
    assert!(
        page.contains("<title>") && page.contains("chat.js"),
        "{page}"
    );

    let mut alice = join_chat(&addr);
    assert_eq!(next_text(&mut alice), r#"{"type":"presence","online":1}"#);
    let mut bob = join_chat(&addr);
    assert_eq!(next_text(&mut bob), r#"{"type":"presence","online":2}"#);
    assert_eq!(next_text(&mut alice), r#"{"type":"presence","online":2}"#);

    let chat = r#"{"type":"chat","name":"alice","text":"hi bob"}"#;
    alice.send(TMessage::text(chat)).unwrap();
    assert_eq!(next_text(&mut bob), chat);

    let sigint = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status();
    assert!(sigint.is_ok_and(|s| s.success()), "kill -INT failed");
    for client in [&mut alice, &mut bob] {
        let close = loop {
            match client.read() {
                Ok(TMessage::Close(frame)) => break frame,
                Ok(_) => continue,
                Err(e) => panic!("no close frame after SIGINT: {e}"),
            }
        };
        assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
    }
    drop((alice, bob));
    let status = demo.wait().unwrap();
    assert!(status.success(), "the demo exited with {status}");
    let mut last = String::new();
    stdout.read_line(&mut last).unwrap();
    assert_eq!(last.trim(), "threadio demo: stopped");
}
