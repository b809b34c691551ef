//! Fuzzes Engine.IO's decoders (Engine.IO v4 "Packet encoding"): a packet from a WebSocket text
//! frame (`Packet::decode_text`) and a long-polling body of packets joined by U+001E
//! (`payload::decode`), the first thing Engine.IO reads of every request body.
//!
//! Input: byte 0 picks the most packets a body may hold (0 to 15, or the server's default
//! of 16); the rest is the body, as text (lossily, as `polling.rs` refuses a body that is
//! not UTF-8 before it gets here).
//!
//! Properties, beyond "no panic, no endless loop":
//! - a body decodes to at most `max_packets` packets, each what `decode_text` makes of its
//!   part; a body without a separator is one packet, the one a WebSocket frame holding the
//!   same text gives;
//! - decode → encode → decode gives the same packets, one at a time and as a body;
//! - decode → encode gives the very bytes that came, except where the reference drops data
//!   too (after a `1`, `5` or `6`): no other packet loses or changes anything, so what a
//!   client meant is what the layer above gets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::engineio::packet::Packet;
use threadio::engineio::payload::{self, RECORD_SEPARATOR};

fuzz_target!(|input: &[u8]| {
    let Some((&max_byte, body)) = input.split_first() else {
        return;
    };
    let max_packets = if max_byte < 16 {
        usize::from(max_byte)
    } else {
        16
    };
    let body = String::from_utf8_lossy(body);
    let body = body.as_ref();

    let single = Packet::decode_text(body);
    if let Ok(packet) = &single {
        let text = packet.encode_text().or_else(|| packet.encode_base64());
        let text = text.expect("every packet has a text form");
        assert_eq!(Packet::decode_text(&text).as_ref(), Ok(packet));
        if !drops_data(body) {
            assert_eq!(text, body, "a packet lost or changed data");
        }
    }

    let Ok(packets) = payload::decode(body, max_packets) else {
        return;
    };
    assert!(packets.len() <= max_packets);
    let parts: Vec<&str> = body.split(RECORD_SEPARATOR).collect();
    assert_eq!(packets.len(), parts.len());
    for (packet, part) in packets.iter().zip(&parts) {
        assert_eq!(Packet::decode_text(part).as_ref(), Ok(packet));
    }
    if parts.len() == 1 {
        assert_eq!(single.as_ref(), Ok(&packets[0]));
    }
    let encoded = payload::encode(&packets);
    assert_eq!(payload::decode(&encoded, max_packets), Ok(packets.clone()));
    if !parts.iter().any(|part| drops_data(part)) {
        assert_eq!(encoded, body, "a body lost or changed data");
    }
});

/// Whether this packet text carries data that its type has no place for (`1x`, `5x`, `6x`):
/// decoding keeps no trace of it, as in the reference parser.
fn drops_data(text: &str) -> bool {
    text.len() > 1 && matches!(text.as_bytes()[0], b'1' | b'5' | b'6')
}
