//! Long-polling payloads: several packets in one HTTP body (Engine.IO v4 "Packet encoding ›
//! HTTP long-polling").
//!
//! A WebSocket has frames, so each packet gets its own; an HTTP body has no such boundaries,
//! so a poll answer (or a client's POST) joins its packets with the record separator U+001E.
//! Bodies are text, so a binary message is written `b` + base64 of its bytes:
//!
//! ```text
//!  4hello\x1e2\x1e4world        a message, a ping, a message
//!  4hello\x1ebAQIDBA==          a message, then the bytes 01 02 03 04
//! ```
//!
//! `polling.rs` reads the body and hands it to [`decode`]; it writes what [`encode`] returns.
//! No I/O here. Rules enforced: every part is a valid packet (so no empty part: the reference
//! parser, engine.io-parser `decodePayload`, turns `""` into a parse error and the reference
//! server closes the session), and at most `max_packets` parts per body (our limit).
//!
//! Engine.IO v4 notes the one blind spot of this format: "this assumes the record separator is
//! not used in the data". Socket.IO data is JSON, which escapes every control character inside
//! strings, so the separator never appears in what our layer above sends.

use super::packet::{Packet, PacketError};

/// Separates packets in a polling payload: ASCII RS, "record separator" (Engine.IO v4
/// "Packet encoding › HTTP long-polling").
pub const RECORD_SEPARATOR: char = '\u{1e}';

/// Joins packets into one polling body: each packet's text form, binary messages as `b` +
/// base64, separated by [`RECORD_SEPARATOR`]. An empty slice gives an empty body; callers
/// send at least one packet (a `6` noop when there is nothing else).
pub fn encode(packets: &[Packet]) -> String {
    let mut body = String::new();
    for (index, packet) in packets.iter().enumerate() {
        if index > 0 {
            body.push(RECORD_SEPARATOR);
        }
        // Every packet has exactly one of the two forms: text, or base64 for a binary message.
        if let Some(text) = packet.encode_text().or_else(|| packet.encode_base64()) {
            body.push_str(&text);
        }
    }
    body
}

/// Splits a polling body into its packets, in order.
///
/// All or nothing: if any part is broken the whole body is refused. The reference delivers the
/// packets before the broken one and then closes the session; the session ends either way, and
/// refusing the whole body keeps this function free of half-results.
///
/// # Errors
/// - [`PacketError::TooManyPackets`] when the body holds more than `max_packets` packets. The
///   spec sets no such limit; the body size limit (`maxHttpBufferSize`) bounds it, but a 1 MB
///   body of separators would still be half a million packets.
/// - [`PacketError::Empty`] for an empty part: an empty body, or a separator at either end or
///   next to another.
/// - [`PacketError::UnknownType`], [`PacketError::InvalidBase64`]: see
///   [`Packet::decode_text`].
pub fn decode(body: &str, max_packets: usize) -> Result<Vec<Packet>, PacketError> {
    let mut packets = Vec::new();
    for part in body.split(RECORD_SEPARATOR) {
        // Check before decoding, so an oversized body costs no more than the limit's worth.
        if packets.len() == max_packets {
            return Err(PacketError::TooManyPackets { max: max_packets });
        }
        packets.push(Packet::decode_text(part)?);
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 16;

    #[test]
    fn hello_ping_world_from_the_v4_spec_decodes_to_three_packets() {
        let packets = decode("4hello\u{1e}2\u{1e}4world", MAX).unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("hello".into()),
                Packet::Ping(String::new()),
                Packet::Message("world".into()),
            ]
        );
        assert_eq!(encode(&packets), "4hello\u{1e}2\u{1e}4world");
    }

    #[test]
    fn hello_and_base64_bytes_from_the_v4_spec_round_trip() {
        let packets = decode("4hello\u{1e}bAQIDBA==", MAX).unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("hello".into()),
                Packet::BinaryMessage(vec![1, 2, 3, 4])
            ]
        );
        assert_eq!(encode(&packets), "4hello\u{1e}bAQIDBA==");
    }

    #[test]
    fn engine_io_parser_changelog_examples_encode_as_in_v4() {
        // engine.io-parser 4.0.0 release notes: "4hello\x1e4€€€" and "4hello\x1ebAQID".
        let text = [
            Packet::Message("hello".into()),
            Packet::Message("€€€".into()),
        ];
        assert_eq!(encode(&text), "4hello\u{1e}4€€€");
        let mixed = [
            Packet::Message("hello".into()),
            Packet::BinaryMessage(vec![1, 2, 3]),
        ];
        assert_eq!(encode(&mixed), "4hello\u{1e}bAQID");
    }

    #[test]
    fn a_single_packet_body_has_no_separator() {
        assert_eq!(encode(&[Packet::Noop]), "6");
        assert_eq!(decode("6", MAX), Ok(vec![Packet::Noop]));
    }

    #[test]
    fn socket_io_sample_session_post_of_two_events_decodes() {
        // Socket.IO v5 "Sample session", request n°5.
        let packets = decode("42[\"hello\"]\u{1e}42[\"world\"]", MAX).unwrap();
        assert_eq!(
            packets,
            [
                Packet::Message("2[\"hello\"]".into()),
                Packet::Message("2[\"world\"]".into())
            ]
        );
    }

    #[test]
    fn empty_body_and_empty_parts_are_refused_like_the_reference_parser() {
        for body in ["", "\u{1e}", "4a\u{1e}", "\u{1e}4a", "4a\u{1e}\u{1e}4b"] {
            assert_eq!(decode(body, MAX), Err(PacketError::Empty), "{body:?}");
        }
    }

    #[test]
    fn one_bad_part_refuses_the_whole_body() {
        assert_eq!(
            decode("4ok\u{1e}9\u{1e}4ok", MAX),
            Err(PacketError::UnknownType('9'))
        );
        assert_eq!(decode("4ok\u{1e}b!!", MAX), Err(PacketError::InvalidBase64));
    }

    #[test]
    fn more_packets_than_the_limit_are_refused() {
        assert_eq!(decode("6\u{1e}6\u{1e}6", 3).map(|p| p.len()), Ok(3));
        assert_eq!(
            decode("6\u{1e}6\u{1e}6\u{1e}6", 3),
            Err(PacketError::TooManyPackets { max: 3 })
        );
    }

    #[test]
    fn every_packet_type_round_trips_through_a_payload() {
        let packets = vec![
            Packet::Open("{\"sid\":\"x\"}".into()),
            Packet::Close,
            Packet::Ping("probe".into()),
            Packet::Pong("probe".into()),
            Packet::Message("hi".into()),
            Packet::BinaryMessage(vec![0, 255, 30]),
            Packet::Upgrade,
            Packet::Noop,
        ];
        assert_eq!(decode(&encode(&packets), MAX), Ok(packets));
    }

    #[test]
    fn a_binary_byte_equal_to_the_separator_is_safe_inside_base64() {
        let packets = [Packet::BinaryMessage(vec![0x1e, 0x1e])];
        let body = encode(&packets);
        assert!(!body.contains(RECORD_SEPARATOR));
        assert_eq!(decode(&body, MAX), Ok(packets.to_vec()));
    }
}
