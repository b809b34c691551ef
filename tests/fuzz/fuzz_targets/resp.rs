//! Fuzzes the RESP2 reply decoder (`threadio::redis::resp::decode`), which reads whatever the
//! Redis server — or whatever answers on its port — sends (RESP2, the Redis protocol spec).
//!
//! Input: byte 0 picks the limits — below 128, small ones taken from its bits so that every
//! limit is hit; otherwise the defaults — and the rest is the bytes from the server.
//!
//! Properties, beyond "no panic, no huge allocation, no endless loop":
//! - TCP may cut the bytes anywhere: every prefix decodes to "incomplete" or to exactly
//!   what the whole input gives (the same reply and length, or the same error) — a reply is
//!   never recognised early, and an error stays the same error with more bytes behind it;
//! - a decoded reply, encoded again, decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::redis::resp::{decode, Reply, RespLimits};

fuzz_target!(|input: &[u8]| {
    let Some((&choice, wire)) = input.split_first() else {
        return;
    };
    let limits = if choice < 128 {
        RespLimits {
            max_bulk: usize::from(choice & 0x0f) * 4,
            max_elements: usize::from(choice >> 4 & 0x03) * 2,
            max_depth: usize::from(choice >> 6 & 0x01) + 1,
            max_line: usize::from(choice & 0x07) + 2,
        }
    } else {
        RespLimits::default()
    };
    let whole = decode(wire, &limits);
    // Quadratic, so only on the short inputs the fuzzer mostly makes anyway.
    if wire.len() <= 1024 {
        for cut in 0..wire.len() {
            let part = decode(&wire[..cut], &limits);
            assert!(
                part == Ok(None) || part == whole,
                "{cut} bytes gave {part:?}, all {} gave {whole:?}",
                wire.len()
            );
        }
    }
    if let Ok(Some((reply, used))) = whole {
        assert!(used <= wire.len());
        assert_eq!(
            decode(&wire[..used], &limits),
            Ok(Some((reply.clone(), used)))
        );
        let again = encode(&reply);
        assert_eq!(
            decode(&again, &limits),
            Ok(Some((reply, again.len()))),
            "encoded again as {again:?}"
        );
    }
});

/// A reply as RESP2 bytes: the server's side of the protocol, which the library needs
/// nowhere else.
fn encode(reply: &Reply) -> Vec<u8> {
    match reply {
        Reply::Simple(text) => format!("+{text}\r\n").into_bytes(),
        Reply::Error(text) => format!("-{text}\r\n").into_bytes(),
        Reply::Integer(n) => format!(":{n}\r\n").into_bytes(),
        Reply::Nil => b"$-1\r\n".to_vec(),
        Reply::Bulk(bytes) => {
            let mut out = format!("${}\r\n", bytes.len()).into_bytes();
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
            out
        }
        Reply::Array(items) => {
            let mut out = format!("*{}\r\n", items.len()).into_bytes();
            for item in items {
                out.extend(encode(item));
            }
            out
        }
    }
}
