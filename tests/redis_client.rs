//! The Redis client and subscriber against a real `redis-server` (Debian's package), each
//! test with a server of its own on a free port of 127.0.0.1, and against fake servers that
//! answer garbage.
//!
//! Without `redis-server` on the PATH a test prints `skipped: …`; with
//! `THREADIO_REQUIRE_PEERS=1` (CI) it fails instead. The servers are the cluster tests'
//! [`RedisServer`] (tests/cluster/redis_server.rs), never the one on port 6379.

mod cluster;
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use cluster::redis_server::{free_port, port_without_redis, RedisServer};
use threadio::redis::{
    Backoff, PubSubMessage, RedisClient, RedisConfig, RedisError, RedisUrl, Reply, RespError,
    Subscriber, SubscriberEvent,
};

/// How long a test waits for an event before it fails.
const WAIT: Duration = Duration::from_secs(10);

/// Quick retries, so that a test sees a reconnect within a fraction of a second.
const BACKOFF: Backoff = Backoff {
    initial: Duration::from_millis(50),
    max: Duration::from_millis(400),
};

/// A subscriber handler that sends every event to the returned channel.
fn to_channel() -> (
    impl FnMut(SubscriberEvent) + Send + 'static,
    Receiver<SubscriberEvent>,
) {
    let (tx, rx) = mpsc::channel();
    let handler = move |event| {
        let _ = tx.send(event);
    };
    (handler, rx)
}

/// A subscriber whose events arrive on a channel.
fn subscriber(url: &RedisUrl, config: RedisConfig) -> (Subscriber, Receiver<SubscriberEvent>) {
    let (handler, events) = to_channel();
    let subscriber =
        Subscriber::connect(url, config, BACKOFF, handler).expect("subscriber connects");
    (subscriber, events)
}

fn next_event(events: &Receiver<SubscriberEvent>) -> SubscriberEvent {
    events.recv_timeout(WAIT).expect("an event within 10 s")
}

fn next_message(events: &Receiver<SubscriberEvent>) -> PubSubMessage {
    match next_event(events) {
        SubscriberEvent::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn publish_subscribe_and_numsub() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let url = redis.url("", 0);
    let (sub, events) = subscriber(&url, RedisConfig::default());
    sub.subscribe(b"room").unwrap();
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    client.ping().unwrap();

    let numsub = client.numsub(&[b"room", b"empty"]).unwrap();
    assert_eq!(numsub, vec![(b"room".to_vec(), 1), (b"empty".to_vec(), 0)]);

    // Binary payloads arrive byte for byte: CR LF and NUL are just bytes in a bulk string.
    let payload = b"\x93\x00\r\n\xff msgpack".to_vec();
    assert_eq!(client.publish(b"room", &payload).unwrap(), 1);
    let message = next_message(&events);
    assert_eq!(message.channel, b"room");
    assert_eq!(message.pattern, None);
    assert_eq!(message.payload, payload);

    sub.unsubscribe(b"room").unwrap();
    let deadline = Instant::now() + WAIT;
    while client.numsub(&[b"room"]).unwrap() != vec![(b"room".to_vec(), 0)] {
        assert!(Instant::now() < deadline, "UNSUBSCRIBE never took effect");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(client.publish(b"room", b"nobody").unwrap(), 0);
}

#[test]
fn psubscribe_reports_the_pattern() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let url = redis.url("", 0);
    let (sub, events) = subscriber(&url, RedisConfig::default());
    sub.psubscribe(b"socket.io#/*").unwrap();
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    assert_eq!(client.publish(b"socket.io#/chat#", b"hi").unwrap(), 1);
    let message = next_message(&events);
    assert_eq!(message.channel, b"socket.io#/chat#");
    assert_eq!(message.pattern.as_deref(), Some(&b"socket.io#/*"[..]));
    assert_eq!(message.payload, b"hi");
}

#[test]
fn auth_with_requirepass() {
    let Some(redis) = RedisServer::start(&["--requirepass", "p@ss:word"]) else {
        return;
    };
    // Without a password Redis accepts the connection but refuses every command.
    let anonymous = RedisClient::connect(&redis.url("", 0), RedisConfig::default()).unwrap();
    match anonymous.ping() {
        Err(RedisError::Server(message)) => assert!(message.starts_with("NOAUTH"), "{message}"),
        other => panic!("expected NOAUTH, got {other:?}"),
    }
    // A wrong password fails at connect, typed.
    match RedisClient::connect(&redis.url(":wrong@", 0), RedisConfig::default()) {
        Err(RedisError::Server(message)) => assert!(message.contains("WRONGPASS"), "{message}"),
        other => panic!("expected WRONGPASS, got {other:?}"),
    }
    // The right one, percent-encoded in the URL, works for commands and the subscriber.
    let url = redis.url(":p%40ss%3Aword@", 0);
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    client.ping().unwrap();
    let (sub, events) = subscriber(&url, RedisConfig::default());
    sub.subscribe(b"c").unwrap();
    client.publish(b"c", b"x").unwrap();
    assert_eq!(next_message(&events).payload, b"x");
}

#[test]
fn select_picks_the_database() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let db3 = RedisClient::connect(&redis.url("", 3), RedisConfig::default()).unwrap();
    let db0 = RedisClient::connect(&redis.url("", 0), RedisConfig::default()).unwrap();
    db3.command(&["SET", "key", "in three"]).unwrap();
    assert_eq!(
        db3.command(&["GET", "key"]).unwrap(),
        Reply::Bulk(b"in three".to_vec())
    );
    assert_eq!(db0.command(&["GET", "key"]).unwrap(), Reply::Nil);
    // A database Redis does not have (16 by default) is its refusal, at connect.
    assert!(matches!(
        RedisClient::connect(&redis.url("", 99), RedisConfig::default()),
        Err(RedisError::Server(_))
    ));
}

#[test]
fn concurrent_callers_get_their_own_replies() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let client = Arc::new(RedisClient::connect(&redis.url("", 0), RedisConfig::default()).unwrap());
    let threads = 8;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let client = Arc::clone(&client);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for i in 0..300 {
                    let mine = format!("thread {t} call {i}");
                    let reply = client.command(&["ECHO", &mine]).unwrap();
                    assert_eq!(reply, Reply::Bulk(mine.into_bytes()));
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a caller got someone else's reply");
    }
}

#[test]
fn a_slow_reply_times_out_and_the_next_command_reconnects() {
    let Some(redis) = RedisServer::start(&[]) else {
        return;
    };
    let config = RedisConfig {
        read_timeout: Duration::from_millis(300),
        ..RedisConfig::default()
    };
    let client = RedisClient::connect(&redis.url("", 0), config).unwrap();
    // BLPOP on an empty list with timeout 0 blocks forever: a reply that never comes.
    let started = Instant::now();
    let result = client.command(&["BLPOP", "empty-list", "0"]);
    assert_eq!(
        result,
        Err(RedisError::ReadTimeout {
            after: Duration::from_millis(300)
        })
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // The timed-out connection was dropped; the next command dials a fresh one.
    client.ping().unwrap();
}

#[test]
fn connect_timeout_and_refusal_are_typed() {
    // A port nobody listens on: refused at once, as an Io error from "connect".
    let port = free_port();
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    match RedisClient::connect(&url, RedisConfig::default()) {
        Err(RedisError::Io { during, .. }) => assert_eq!(during, "connect"),
        other => panic!("expected a refused connect, got {other:?}"),
    }
}

#[test]
fn the_subscriber_survives_a_redis_restart() {
    let Some(mut redis) = RedisServer::start(&["--requirepass", "pw"]) else {
        return;
    };
    // AUTH and SELECT must be re-issued on reconnect, so the test uses both.
    let url = redis.url(":pw@", 2);
    let (sub, events) = subscriber(&url, RedisConfig::default());
    sub.subscribe(b"before").unwrap();
    sub.psubscribe(b"pat.*").unwrap();

    redis.kill();
    match next_event(&events) {
        SubscriberEvent::Lost(e) => assert!(e.is_connection_lost(), "{e}"),
        other => panic!("expected Lost, got {other:?}"),
    }
    assert!(!sub.is_connected());
    thread::sleep(Duration::from_millis(300)); // a few failed dials while Redis is down
    redis.restart();
    match next_event(&events) {
        SubscriberEvent::Restored { down_for, attempts } => {
            assert!(down_for >= Duration::from_millis(300), "{down_for:?}");
            assert!(attempts >= 2, "{attempts} attempts");
        }
        other => panic!("expected Restored, got {other:?}"),
    }
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    assert_eq!(client.publish(b"before", b"after restart").unwrap(), 1);
    assert_eq!(next_message(&events).payload, b"after restart");
    assert_eq!(client.publish(b"pat.x", b"by pattern").unwrap(), 1);
    let message = next_message(&events);
    assert_eq!(message.pattern.as_deref(), Some(&b"pat.*"[..]));
    assert_eq!(message.payload, b"by pattern");
}

#[test]
fn a_subscriber_started_while_redis_is_down_catches_up_when_it_comes() {
    let Some((port, url)) = port_without_redis() else {
        return;
    };
    let (handler, events) = to_channel();
    let sub = Subscriber::start(&url, RedisConfig::default(), BACKOFF, handler)
        .expect("starts although Redis is down");
    match next_event(&events) {
        SubscriberEvent::Lost(RedisError::Io { during, .. }) => assert_eq!(during, "connect"),
        other => panic!("expected Lost with the refused connect, got {other:?}"),
    }
    assert!(!sub.is_connected());
    // Asked for while Redis is down: refused for now, remembered for the reconnect.
    assert_eq!(sub.subscribe(b"early"), Err(RedisError::Closed));
    assert_eq!(sub.psubscribe(b"pat.*"), Err(RedisError::Closed));

    let _redis = RedisServer::start_on(port, &[]);
    match next_event(&events) {
        SubscriberEvent::Restored { attempts, .. } => assert!(attempts >= 1, "{attempts}"),
        other => panic!("expected Restored, got {other:?}"),
    }
    assert!(sub.is_connected());
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    assert_eq!(client.publish(b"early", b"after start").unwrap(), 1);
    assert_eq!(next_message(&events).payload, b"after start");
    assert_eq!(client.publish(b"pat.x", b"by pattern").unwrap(), 1);
    assert_eq!(
        next_message(&events).pattern.as_deref(),
        Some(&b"pat.*"[..])
    );
}

#[test]
fn a_lazy_client_fails_typed_while_redis_is_down_then_works() {
    let Some((port, url)) = port_without_redis() else {
        return;
    };
    let client = RedisClient::lazy(&url, RedisConfig::default());
    match client.publish(b"ch", b"too soon") {
        Err(RedisError::Io { during, .. }) => assert_eq!(during, "connect"),
        other => panic!("expected a refused connect, got {other:?}"),
    }
    let _redis = RedisServer::start_on(port, &[]);
    client.ping().unwrap();
    assert_eq!(client.publish(b"ch", b"in time").unwrap(), 0);
}

/// A fake Redis: accepts connections one after another and answers each with the bytes
/// `answers[n]` gives for the n-th connection, after reading whatever the client sent.
fn fake_server(answers: Vec<&'static [u8]>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for answer in answers {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            thread::spawn(move || {
                stream.set_read_timeout(Some(WAIT)).unwrap();
                let mut buf = [0u8; 1024];
                // Answer every command the same way until the client goes.
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {
                    if stream.write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_malformed_reply_is_a_typed_error_and_the_client_redials() {
    let port = fake_server(vec![b"?garbage\r\n", b"+PONG\r\n"]);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let client = RedisClient::connect(&url, RedisConfig::default()).unwrap();
    assert_eq!(
        client.ping(),
        Err(RedisError::Protocol(RespError::UnknownType(b'?')))
    );
    // That connection was dropped; the next command dials the second, sane one.
    client.ping().unwrap();
}

#[test]
fn a_malformed_push_drops_the_subscriber_connection_and_it_comes_back() {
    let port = fake_server(vec![
        b"$-5\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    ]);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let (sub, events) = subscriber(&url, RedisConfig::default());
    // The first connection answers SUBSCRIBE with garbage, so it is dropped; `subscribe`
    // keeps waiting, and returns once the second connection confirms the re-issued SUBSCRIBE.
    sub.subscribe(b"ch").unwrap();
    match next_event(&events) {
        SubscriberEvent::Lost(e) => {
            assert_eq!(e, RedisError::Protocol(RespError::NegativeLength(-5)))
        }
        other => panic!("expected Lost, got {other:?}"),
    }
    assert!(matches!(
        next_event(&events),
        SubscriberEvent::Restored { .. }
    ));
    assert!(sub.is_connected());
}

#[test]
fn a_silent_subscriber_connection_is_probed_and_declared_lost() {
    // A server that accepts and never answers anything, not even PING.
    let port = fake_server(vec![b""]);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let config = RedisConfig {
        read_timeout: Duration::from_millis(200),
        ..RedisConfig::default()
    };
    let (sub, events) = subscriber(&url, config);
    let started = Instant::now();
    assert_eq!(
        sub.subscribe(b"ch"),
        Err(RedisError::ReadTimeout {
            after: Duration::from_millis(200)
        })
    );
    // One read timeout sends PING, the second without a reply gives up on the connection.
    match next_event(&events) {
        SubscriberEvent::Lost(e) => assert!(matches!(e, RedisError::ReadTimeout { .. }), "{e}"),
        other => panic!("expected Lost, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[test]
fn replies_over_the_limits_are_refused_without_buffering_them() {
    let config = RedisConfig {
        limits: threadio::redis::RespLimits {
            max_bulk: 16,
            ..Default::default()
        },
        ..RedisConfig::default()
    };
    // A bulk string claiming more than the limit: refused on its length line alone.
    let port = fake_server(vec![b"$1000000000\r\n"]);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let client = RedisClient::connect(&url, config).unwrap();
    assert_eq!(
        client.ping(),
        Err(RedisError::Protocol(RespError::BulkTooLarge {
            len: 1_000_000_000,
            max: 16
        }))
    );
    // An array of small bulks that adds up to more than a reply may buffer (the largest bulk
    // plus 64 KiB): refused when the buffer is full, not grown without end.
    let mut many = b"*100000\r\n".to_vec();
    for _ in 0..100_000 {
        many.extend_from_slice(b"$1\r\nx\r\n");
    }
    let port = fake_server(vec![Box::leak(many.into_boxed_slice())]);
    let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
    let client = RedisClient::connect(&url, config).unwrap();
    assert_eq!(
        client.ping(),
        Err(RedisError::ReplyTooLarge {
            max: 16 + 64 * 1024
        })
    );
}
