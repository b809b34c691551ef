//! examples/cli_chat.rs against the demo binary, stdin a pipe: bob (the example) and ann
//! (the Rust client, in this test) meet in one room; bob's piped line reaches ann, ann's
//! answer is printed by bob, bob's `shown` receipt reaches ann as `seen`, and when the pipe
//! closes bob leaves cleanly (the room hears "bob left").

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{append_lines, wait_until, Demo, KillOnDrop};
use threadio::client::Dialer;
use threadio::json::Value;

const WAIT: Duration = Duration::from_secs(10);

/// The example's binary, built (or found up to date) by the cargo running this test:
/// `cargo test --test cli_chat` alone does not build examples.
fn cli_chat_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--example", "cli_chat"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build --example cli_chat");
    // The tests' own directory is target/<profile>/deps; examples sit beside it.
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples/cli_chat")
}

#[test]
fn joins_the_demo_chat_from_a_pipe() {
    let demo = Demo::start(0);
    let (chats_tx, chats) = mpsc::channel::<Value>();
    let (seen_tx, seen) = mpsc::channel::<Value>();
    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let heard = Arc::clone(&notices);
    let (chats_tx, seen_tx) = (Mutex::new(chats_tx), Mutex::new(seen_tx));
    let ann = Dialer::new(&format!("http://127.0.0.1:{}", demo.port()))
        .on("chat", move |args, _| {
            let _ = chats_tx.lock().unwrap().send(args[0].clone());
        })
        .on("seen", move |args, _| {
            let _ = seen_tx.lock().unwrap().send(args[0].clone());
        })
        .on("notice", move |args, _| {
            heard
                .lock()
                .unwrap()
                .push(args[0]["text"].as_str().unwrap_or("").to_owned());
        })
        .connect()
        .expect("ann connects to the demo");
    let joined = ann
        .emit_with_ack("join", vec!["ann".into(), "general".into()], WAIT)
        .unwrap();
    assert_eq!(joined[0]["room"], Value::from("general"));

    let mut bob = KillOnDrop(
        Command::new(cli_chat_binary())
            .args([
                "--name",
                "bob",
                "--room",
                "general",
                "--port",
                &demo.port().to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cli_chat starts"),
    );
    let output = Arc::new(Mutex::new(String::new()));
    append_lines(bob.0.stdout.take().unwrap(), &output);
    let mut stderr = bob.0.stderr.take().unwrap();
    let said = |text: &str| output.lock().unwrap().contains(text);
    assert!(
        wait_until(WAIT, || said("joined general as bob")),
        "{}",
        output.lock().unwrap()
    );

    let mut stdin = bob.0.stdin.take().unwrap();
    writeln!(stdin, "hello from a pipe").unwrap();
    let message = chats.recv_timeout(WAIT).expect("bob's line reaches ann");
    assert_eq!(message["from"], Value::from("bob"));
    assert_eq!(message["text"], Value::from("hello from a pipe"));
    assert!(
        wait_until(WAIT, || said("sent)")),
        "bob's message was acked"
    );

    let mine = ann
        .emit_with_ack(
            "chat",
            vec![Value::object([("room", "general"), ("text", "hi bob")])],
            WAIT,
        )
        .unwrap();
    assert!(
        wait_until(WAIT, || said("[general] ann: hi bob")),
        "{}",
        output.lock().unwrap()
    );
    let receipt = seen.recv_timeout(WAIT).expect("bob's receipt");
    assert_eq!(receipt["by"], Value::from("bob"));
    assert_eq!(receipt["id"], mine[0]["id"]);

    drop(stdin);
    let exited = wait_until(WAIT, || {
        bob.0.try_wait().is_ok_and(|status| status.is_some())
    });
    let mut errors = String::new();
    let _ = stderr.read_to_string(&mut errors);
    assert!(exited, "bob exits when its stdin closes; stderr: {errors}");
    assert!(bob.0.wait().unwrap().success(), "stderr: {errors}");
    assert!(wait_until(WAIT, || notices
        .lock()
        .unwrap()
        .iter()
        .any(|n| n == "bob left")));
    ann.manager().close();
}

/// `echo … | cli_chat --url …`: all of stdin at once, then its end before the client has
/// even joined. Every line is still sent, in order, each acked, and the program exits 0.
#[test]
fn sends_a_whole_pipe_then_exits() {
    let demo = Demo::start(0);
    let (chats_tx, chats) = mpsc::channel::<Value>();
    let chats_tx = Mutex::new(chats_tx);
    let ann = Dialer::new(&format!("http://127.0.0.1:{}", demo.port()))
        .on("chat", move |args, _| {
            let _ = chats_tx.lock().unwrap().send(args[0].clone());
        })
        .connect()
        .expect("ann connects to the demo");
    ann.emit_with_ack("join", vec!["ann".into(), "lobby".into()], WAIT)
        .unwrap();
    let mut bob = Command::new(cli_chat_binary())
        .args([
            "--name",
            "bob",
            "--url",
            &format!("http://127.0.0.1:{}", demo.port()),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cli_chat starts");
    bob.stdin
        .take()
        .unwrap()
        .write_all(b"one\n\ntwo\nthree\n")
        .unwrap(); // and closed, as it is dropped here
    let output = bob.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("sent)").count(), 3, "{stdout}");
    let texts: Vec<Value> = (0..3)
        .map(|_| chats.recv_timeout(WAIT).expect("a line of bob's")["text"].clone())
        .collect();
    assert_eq!(
        texts,
        vec![Value::from("one"), Value::from("two"), Value::from("three")]
    );
    ann.manager().close();
}
