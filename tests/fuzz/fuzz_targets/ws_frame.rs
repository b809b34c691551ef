//! Fuzzes the WebSocket frame decoders (`websocket/frame.rs`, RFC 6455 §5.2): `Header::decode`,
//! which the connection calls on every read, `Frame::decode`, and the close payload (§5.5.1).
//!
//! Input: byte 0's low bit picks the role we decode as (clear: a server reading a client's
//! frames, which must be masked; set: a client reading a server's); the rest is the wire.
//!
//! Properties, beyond "no panic, no endless loop":
//! - a header never claims more bytes than it was given, and claims exactly what its fields
//!   take: 2, plus 2 or 8 for a long length, plus 4 for a mask (2 to 14 in all);
//! - "incomplete" is only said of fewer than 14 bytes, and every shorter prefix of a
//!   header it accepts is "incomplete", never an error: each rule is checked when its field
//!   arrives, so a header cut anywhere is waited for;
//! - an error is final and the same with more bytes after it: it was decided by the bytes
//!   seen, never by what had not arrived;
//! - an accepted header keeps the rules: no RSV bit, a control frame final and at most 125
//!   bytes, the 64-bit length's top bit clear, masked exactly when the peer is a client; and
//!   encoding it and decoding that gives it back;
//! - a whole frame uses its header and `payload_len` bytes, and encodes back to the same
//!   bytes when its length was written in the minimal form (§5.2 lets a sender do no other);
//! - a close payload that decodes encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::websocket::frame::{
    decode_close_payload, encode_close_payload, Frame, Header, OpCode, Role,
};

/// The longest header: 2 bytes, an 8-byte length and a 4-byte masking key (§5.2).
const MAX_HEADER: usize = 14;

fuzz_target!(|input: &[u8]| {
    let Some((&role_byte, wire)) = input.split_first() else {
        return;
    };
    let role = if role_byte & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };

    match Header::decode(wire, role) {
        Ok(Some((header, used))) => {
            let length_field = match wire[1] & 0x7F {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            let key = if header.mask.is_some() { 4 } else { 0 };
            assert_eq!(used, 2 + length_field + key);
            assert!(used <= wire.len() && used <= MAX_HEADER);
            for end in 0..used {
                assert_eq!(Header::decode(&wire[..end], role), Ok(None), "prefix {end}");
            }
            assert_eq!(header.rsv, 0);
            if header.opcode.is_control() {
                assert!(header.fin && header.payload_len <= 125);
            }
            assert_eq!(header.payload_len >> 63, 0);
            assert_eq!(header.mask.is_some(), role == Role::Server);
            let mut encoded = Vec::new();
            header.encode_into(&mut encoded);
            assert_eq!(encoded.len(), header.encoded_len());
            assert!(encoded.len() <= used);
            assert_eq!(
                Header::decode(&encoded, role),
                Ok(Some((header, encoded.len())))
            );

            check_whole_frame(wire, role, header, used);
        }
        Ok(None) => assert!(
            wire.len() < MAX_HEADER,
            "{} bytes and no header",
            wire.len()
        ),
        Err(error) => {
            let longer = [wire, &[0xAA; MAX_HEADER]].concat();
            assert_eq!(Header::decode(&longer, role), Err(error));
        }
    }
});

/// `Frame::decode` on a wire whose header is `header`, `used` bytes long.
fn check_whole_frame(wire: &[u8], role: Role, header: Header, used: usize) {
    let limit = 1 << 20;
    match Frame::decode(wire, role, limit) {
        Ok(Some((frame, frame_used))) => {
            assert_eq!(frame.payload.len() as u64, header.payload_len);
            assert_eq!(frame_used, used + frame.payload.len());
            assert!(frame_used <= wire.len());
            assert_eq!((frame.fin, frame.opcode), (header.fin, header.opcode));
            let encoded = frame.encode(header.mask);
            if used == header.encoded_len() {
                assert_eq!(
                    encoded,
                    &wire[..frame_used],
                    "minimal form re-encodes differently"
                );
            }
            assert_eq!(
                Frame::decode(&encoded, role, limit),
                Ok(Some((frame.clone(), encoded.len())))
            );
            if frame.opcode == OpCode::Close {
                if let Ok(Some((code, reason))) = decode_close_payload(&frame.payload) {
                    assert_eq!(encode_close_payload(Some(code), &reason), frame.payload);
                }
            }
        }
        Ok(None) => assert!((wire.len() as u64) < used as u64 + header.payload_len),
        Err(error) => assert!(
            header.payload_len > limit,
            "{error:?} for an accepted header"
        ),
    }
}
