//! Fuzzes what the Redis adapter reads from other nodes (`threadio::redis_adapter::message`):
//! any bytes published on a broadcast, request or response channel — JSON or MessagePack,
//! told apart by the first byte as the Node adapter does (`Parser::decode`) — read as a
//! broadcast, a request and an answer.
//!
//! Properties, beyond "no panic, no endless loop":
//! - a broadcast that was understood, written back and read again, is the same broadcast
//!   (through MessagePack, numbers compared as a JavaScript peer holds them; through JSON,
//!   whose bytes come back as Node's Buffer object, its uid, options and event name);
//! - a request likewise, through the encoding it travels in (numbers compared the same way);
//! - an answer keeps its request id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::json::Value;
use threadio::redis_adapter::message::{Answer, Broadcast, Request};
use threadio::redis_adapter::Parser;
use threadio_fuzz::same_after_msgpack;

fuzz_target!(|input: &[u8]| {
    let Ok(value) = Parser::decode(input) else {
        return;
    };
    if let Ok(broadcast) = Broadcast::from_value(value.clone()) {
        for parser in [Parser::MsgPack, Parser::Json] {
            let bytes = parser.encode(&broadcast.to_value());
            let again = Parser::decode(&bytes).expect("our own encoding decodes");
            let again = Broadcast::from_value(again).expect("our own broadcast reads back");
            if parser == Parser::MsgPack {
                // Numbers as a JavaScript peer holds them after notepack: a whole `2.0` is
                // written as the integer 2, and `-0` as 0 (`same_after_msgpack`).
                assert_eq!(again.uid, broadcast.uid);
                assert_eq!(again.namespace, broadcast.namespace);
                assert_eq!(again.options, broadcast.options);
                assert_eq!(again.event.name, broadcast.event.name);
                let args = |b: &Broadcast| Value::Array(b.event.args.clone());
                assert!(
                    same_after_msgpack(&args(&again), &args(&broadcast)),
                    "through {parser:?}"
                );
            } else {
                // JSON has no bytes: a Binary comes back as Node's Buffer object.
                assert_eq!(again.uid, broadcast.uid);
                assert_eq!(again.options, broadcast.options);
                assert_eq!(again.event.name, broadcast.event.name);
            }
        }
    }
    if let Ok(request) = Request::from_value(value.clone()) {
        let written = request.to_value("/");
        let bytes = if request.uses_parser() {
            Parser::MsgPack.encode(&written)
        } else {
            written.to_json().into_bytes()
        };
        let again = Parser::decode(&bytes).expect("our own encoding decodes");
        let again = Request::from_value(again).expect("our own request reads back");
        assert_eq!(again.uid, request.uid);
        assert_eq!(again.request_id, request.request_id);
        if request.uses_parser() {
            // Through MessagePack, numbers as a JavaScript peer holds them, as for broadcasts:
            // an integer past 2^53 comes back as the float of the same value.
            assert!(same_after_msgpack(&again.to_value("/"), &written));
        }
    }
    if let Ok(answer) = Answer::from_value(value) {
        assert!(!answer.request_id.is_empty() || answer.body.contains_key("requestId"));
    }
});
