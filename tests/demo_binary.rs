//! The demo as a user runs it: the real binary, its embedded page, two Socket.IO chat
//! clients speaking raw Engine.IO/Socket.IO text over tungstenite, and Ctrl-C (SIGINT)
//! shutting it down gracefully with 1001 to every open WebSocket.

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
    start_demo_with(&[])
}

/// [`start_demo`] with more command-line arguments.
fn start_demo_with(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threadio"));
    command.args(args).env("THREADIO_LOG", "off");
    spawn_demo(command)
}

/// Runs the demo `command` on a free port and reads the address it prints first.
fn spawn_demo(mut command: Command) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = command
        .args(["--port", "0"])
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

/// Kills the demo if the test fails half-way, so that no server outlives it.
struct KillIfPanicking(u32);

impl Drop for KillIfPanicking {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = Command::new("kill")
                .args(["-9", &self.0.to_string()])
                .status();
        }
    }
}

/// Opens a Socket.IO session over WebSocket (Engine.IO v4 "Handshake", then Socket.IO v5
/// CONNECT to "/") and joins the chat's room "lobby" as `nick`, asking for ack 0.
fn join_chat(addr: &str, nick: &str) -> Client {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let mut client = tungstenite::client(url, stream).unwrap().0;
    assert!(
        next_text(&mut client).starts_with(r#"0{"sid":"#),
        "the open packet"
    );
    client.send(TMessage::text("40")).unwrap();
    assert!(
        next_text(&mut client).starts_with(r#"40{"sid":"#),
        "CONNECT accepted"
    );
    let join = format!(r#"420["join","{nick}","lobby"]"#);
    client.send(TMessage::text(join)).unwrap();
    client
}

/// The next text frame: one Engine.IO packet (WebSocket pings are answered by tungstenite),
/// with the offset taken off an event that carries one (see [`without_offset`]).
fn next_text(client: &mut Client) -> String {
    loop {
        match client.read().expect("a message") {
            TMessage::Text(text) => return without_offset(&text),
            _ => continue,
        }
    }
}

/// The demo has connection state recovery on, so every event it sends asking no ack ends
/// with one more argument, its offset (a string the client sends back on its next CONNECT);
/// the asserts read better as the events the chat sends. The offset must be there.
fn without_offset(packet: &str) -> String {
    if !packet.starts_with("42[") {
        return packet.to_string();
    }
    let (event, offset) = packet
        .strip_suffix("\"]")
        .and_then(|p| p.rsplit_once(",\""))
        .unwrap_or_else(|| panic!("an event without its offset: {packet}"));
    assert!(!offset.is_empty() && !offset.contains('"'), "{packet}");
    format!("{event}]")
}

#[test]
fn the_demo_serves_its_page_relays_chat_and_shuts_down_on_sigint() {
    let (mut demo, mut stdout, addr) = start_demo();
    let _reaper = KillIfPanicking(demo.id());
    let page = http_exchange(
        addr.parse().unwrap(),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&page), 200);
    assert!(
        page.contains("<title>") && page.contains("threadio.js") && page.contains("chat.js"),
        "{page}"
    );

    // Each join is acked with the room's members, then the room hears presence and notice.
    let mut alice = join_chat(&addr, "alice");
    assert_eq!(
        next_text(&mut alice),
        r#"430[{"room":"lobby","members":["alice"]}]"#
    );
    assert_eq!(
        next_text(&mut alice),
        r#"42["presence",{"room":"lobby","members":["alice"]}]"#
    );
    assert_eq!(
        next_text(&mut alice),
        r#"42["notice",{"room":"lobby","text":"alice joined"}]"#
    );
    let mut bob = join_chat(&addr, "bob");
    let members = r#"{"room":"lobby","members":["alice","bob"]}"#;
    assert_eq!(next_text(&mut bob), format!("430[{members}]"));
    for client in [&mut alice, &mut bob] {
        assert_eq!(next_text(client), format!(r#"42["presence",{members}]"#));
        assert_eq!(
            next_text(client),
            r#"42["notice",{"room":"lobby","text":"bob joined"}]"#
        );
    }

    // A message: acked to its sender with an id (the first tick), relayed to bob with its
    // author's socket id; bob's page says it has shown it, and alice hears that (the second
    // tick).
    alice
        .send(TMessage::text(
            r#"421["chat",{"room":"lobby","text":"hi bob"}]"#,
        ))
        .unwrap();
    assert_eq!(next_text(&mut alice), r#"431[{"id":1}]"#);
    let relayed = next_text(&mut bob);
    let chat: serde_json::Value = relayed
        .strip_prefix("42")
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("not an event: {relayed}"));
    assert_eq!(chat[0], "chat", "{relayed}");
    let expected = serde_json::json!({"id": 1, "room": "lobby", "from": "alice", "text": "hi bob"});
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&chat[1][field], value, "{relayed}");
    }
    assert_eq!(
        chat.as_array().map(Vec::len),
        Some(2),
        "no ack asked: {relayed}"
    );
    // The receipt names the author by the socket id the message carried: alice hears it.
    let sender = chat[1]["sender"].as_str().expect("the author's socket id");
    bob.send(TMessage::text(format!(
        r#"42["shown","lobby","{sender}",1]"#
    )))
    .unwrap();
    assert_eq!(
        next_text(&mut alice),
        r#"42["seen",{"id":1,"room":"lobby","by":"bob"}]"#
    );

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

/// The status of a WebSocket handshake for the chat's Engine.IO endpoint, sent with
/// `origin` (none for `None`), as a browser page on that origin would send it.
fn handshake_status(addr: &str, origin: Option<&str>) -> u16 {
    let origin_line = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let request = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         {origin_line}\r\n"
    );
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).unwrap();
    status_of(&head)
}

#[test]
fn only_the_demos_own_page_may_open_a_websocket_to_it() {
    // A browser lets any page open a WebSocket anywhere, 127.0.0.1 included: without an
    // allow-list, a page on some other site could chat in the demo as its user.
    let (mut demo, _stdout, addr) = start_demo();
    let _reaper = KillIfPanicking(demo.id());
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(handshake_status(&addr, Some("https://evil.example")), 403);
    assert_eq!(handshake_status(&addr, Some("http://127.0.0.1:1")), 403);
    assert_eq!(
        handshake_status(&addr, Some(&format!("http://127.0.0.1:{port}"))),
        101
    );
    assert_eq!(
        handshake_status(&addr, Some(&format!("http://localhost:{port}"))),
        101
    );
    // Non-browser clients send no Origin, and could write any they liked: not refused.
    assert_eq!(handshake_status(&addr, None), 101);
    demo.kill().unwrap();
    demo.wait().unwrap();
}

#[test]
fn allow_origin_opens_the_demo_to_another_page() {
    let (mut child, _stdout, addr) = start_demo_with(&["--allow-origin", "http://localhost:5173"]);
    let _reaper = KillIfPanicking(child.id());
    assert_eq!(handshake_status(&addr, Some("http://localhost:5173")), 101);
    assert_eq!(handshake_status(&addr, Some("http://localhost:5174")), 403);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_unknown_flag_is_an_error_with_the_usage_line_not_a_server_on_the_default_port() {
    let output = Command::new(env!("CARGO_BIN_EXE_threadio"))
        .args(["--prot", "8080"])
        .stdin(Stdio::null())
        .output()
        .expect("the demo binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown flag --prot") && stderr.contains("usage: threadio [--port N]"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "it started anyway: {output:?}");
}

/// A join past the server's rooms-per-socket cap (1,000 by default) is answered through its
/// ack with `{room, error}`, which the page shows in that room (chat.js `joined`); the room
/// hears nothing, and the rooms joined before still work (issue 10, finding 4).
#[test]
fn the_demo_answers_a_join_past_the_rooms_cap_with_an_error_in_its_ack() {
    let (mut demo, _stdout, addr) = start_demo();
    let _reaper = KillIfPanicking(demo.id());
    let mut ann = join_chat(&addr, "ann");
    assert_eq!(
        next_text(&mut ann),
        r#"430[{"room":"lobby","members":["ann"]}]"#
    );
    next_text(&mut ann); // presence
    next_text(&mut ann); // notice
    for n in 1..1000 {
        let join = format!(r#"42{n}["join","ann","r{n}"]"#);
        ann.send(TMessage::text(join)).unwrap();
        let ack = next_text(&mut ann);
        assert!(ack.starts_with(&format!("43{n}[")), "{ack}");
        assert!(!ack.contains("error"), "join {n}: {ack}");
        next_text(&mut ann); // presence
        next_text(&mut ann); // notice
    }
    ann.send(TMessage::text(r#"421000["join","ann","one-too-many"]"#))
        .unwrap();
    assert_eq!(
        next_text(&mut ann),
        r#"431000[{"room":"one-too-many","error":"the socket is in 1000 rooms already, the most it may join besides its own"}]"#
    );
    // The next thing ann hears is the answer to her next emit: the refused room sent
    // nothing, and the lobby still works.
    ann.send(TMessage::text(
        r#"421001["chat",{"room":"lobby","text":"still here"}]"#,
    ))
    .unwrap();
    assert_eq!(next_text(&mut ann), r#"431001[{"id":1}]"#);
    let _ = demo.kill();
    let _ = demo.wait();
}

/// The page limits room names to 32 characters and nicknames to 24; the server holds any
/// client to the same, so that a thousand rooms per socket cannot be a thousand megabytes.
#[test]
fn the_demo_refuses_a_room_name_or_nickname_longer_than_the_page_allows() {
    let (mut demo, _stdout, addr) = start_demo();
    let _reaper = KillIfPanicking(demo.id());
    let mut ann = join_chat(&addr, "ann");
    next_text(&mut ann); // the lobby's ack
    next_text(&mut ann); // presence
    next_text(&mut ann); // notice
    let long_room = "r".repeat(33);
    ann.send(TMessage::text(format!(
        r#"421["join","ann","{long_room}"]"#
    )))
    .unwrap();
    let ack = next_text(&mut ann);
    assert!(
        ack.starts_with(r#"431[{"room":"rrr"#) && ack.contains("at most 32 characters"),
        "{ack}"
    );
    let long_nick = "n".repeat(25);
    ann.send(TMessage::text(format!(r#"422["join","{long_nick}","r"]"#)))
        .unwrap();
    assert!(next_text(&mut ann).contains(r#""error":"#));
    let _ = demo.kill();
    let _ = demo.wait();
}

/// The demo logs each connection with what its handshake says: the peer and its browser.
#[test]
fn the_demo_logs_each_connection_from_its_handshake() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_threadio"));
    command.env("THREADIO_LOG", "info").stderr(Stdio::piped());
    let (mut child, _stdout, addr) = spawn_demo(command);
    let _reaper = KillIfPanicking(child.id());
    let _ann = join_chat(&addr, "ann"); // tungstenite sends no User-Agent
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let logged = (0..50).find_map(|_| {
        let mut line = String::new();
        log.read_line(&mut line).ok()?;
        line.contains("chat: ").then_some(line)
    });
    let logged = logged.expect("a chat: line in the log");
    assert!(
        logged.contains("connected from 127.0.0.1:") && logged.contains("(no User-Agent)"),
        "{logged}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
