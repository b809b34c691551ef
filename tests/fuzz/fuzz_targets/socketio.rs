//! Fuzzes the Socket.IO packet decoder and binary reconstruction (Socket.IO v5 "Packet
//! encoding"): `packet::decode` on the text of an Engine.IO message, then
//! `PartialPacket::add_attachment` with the binary messages that follow it.
//!
//! Input: the packet's text, then for each attachment a byte 0xFF and its bytes (0xFF never
//! occurs in UTF-8, so a seed reads as the packet it is: `51-["a",{…"num":0}]` 0xFF 01 02).
//! A text that is not UTF-8 is skipped: an Engine.IO text message always is UTF-8.
//!
//! Properties, beyond "no panic, no endless loop":
//! - a packet whose attachments all came has none of its placeholders left and holds one
//!   `Binary` per attachment, each one the bytes that came for it;
//! - an attachment past the last one announced is refused, and so is one that takes the
//!   packet past `max_attachment_bytes` (a low limit here, so the fuzzer reaches it);
//! - `encode` of a whole packet decodes back to the same packet: the same namespace, id and
//!   data (`same_value`: `1e3` may come back as the integer 1000), its bytes back in place,
//!   its type the one its data calls for (a BINARY_* type exactly when it holds bytes,
//!   whatever type it came as).
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::json::Value;
use threadio::socketio::packet::{decode, Decoded, Limits, PacketError, PacketType};
use threadio_fuzz::same_value;

/// Low enough that a few attachments of a fuzzer's input go past it.
const MAX_ATTACHMENT_BYTES: usize = 64;

fuzz_target!(|input: &[u8]| {
    let mut parts = input.split(|&b| b == 0xFF);
    let Ok(text) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let attachments: Vec<&[u8]> = parts.collect();
    let limits = Limits {
        max_attachment_bytes: MAX_ATTACHMENT_BYTES,
        ..Limits::default()
    };

    let packet = match decode(text, &limits) {
        Ok(Decoded::Complete(packet)) => packet,
        Ok(Decoded::NeedsAttachments(mut partial)) => {
            let expected = partial.expected();
            assert!(expected >= 1 && expected <= limits.max_attachments);
            let mut whole = None;
            let mut kept = 0;
            for attachment in &attachments {
                let before = partial.received();
                match partial.add_attachment(attachment.to_vec()) {
                    Ok(None) => {
                        kept += attachment.len();
                        assert_eq!(partial.received(), before + 1);
                    }
                    Ok(Some(packet)) => {
                        kept += attachment.len();
                        assert!(whole.is_none(), "a second whole packet");
                        whole = Some(packet);
                    }
                    Err(PacketError::UnexpectedAttachment) => {
                        assert!(whole.is_some(), "refused as extra before the last came")
                    }
                    Err(PacketError::AttachmentsTooLarge { total, max }) => {
                        assert!(total > max && max == MAX_ATTACHMENT_BYTES);
                        assert_eq!(total, kept + attachment.len());
                        return; // the session would end here
                    }
                    Err(other) => panic!("attachment refused with {other:?}"),
                }
                assert!(kept <= MAX_ATTACHMENT_BYTES);
            }
            let Some(packet) = whole else {
                assert!(attachments.len() < expected);
                return;
            };
            let mut bytes = Vec::new();
            binaries(packet.data.as_ref(), &mut bytes);
            assert_eq!(bytes.len(), expected, "one Binary per attachment");
            let mut came: Vec<&[u8]> = attachments[..expected].to_vec();
            let mut found: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
            came.sort();
            found.sort();
            assert_eq!(
                came, found,
                "the bytes in place are not the bytes that came"
            );
            assert!(
                !has_placeholder(packet.data.as_ref()),
                "a placeholder left: {packet:?}"
            );
            packet
        }
        Err(_) => return,
    };
    assert!(packet.namespace.starts_with('/') && !packet.namespace.contains(','));

    let (wire, sent) = packet.encode();
    let again = match decode(&wire, &limits) {
        Ok(Decoded::Complete(packet)) => packet,
        Ok(Decoded::NeedsAttachments(mut partial)) => {
            let mut whole = None;
            for attachment in sent {
                whole = partial
                    .add_attachment(attachment)
                    .expect("our own attachment");
            }
            whole.expect("our own attachments complete the packet")
        }
        Err(error) => panic!("{wire:?}, the encoding of {packet:?}, does not decode: {error:?}"),
    };
    let mut bytes = Vec::new();
    binaries(packet.data.as_ref(), &mut bytes);
    let kind = match (packet.kind, bytes.is_empty()) {
        (PacketType::Event | PacketType::BinaryEvent, true) => PacketType::Event,
        (PacketType::Event | PacketType::BinaryEvent, false) => PacketType::BinaryEvent,
        (PacketType::Ack | PacketType::BinaryAck, true) => PacketType::Ack,
        (PacketType::Ack | PacketType::BinaryAck, false) => PacketType::BinaryAck,
        (other, _) => other,
    };
    let same_data = match (&again.data, &packet.data) {
        (Some(a), Some(b)) => same_value(a, b),
        (a, b) => a == b,
    };
    assert!(
        (again.kind, &again.namespace, again.id) == (kind, &packet.namespace, packet.id)
            && same_data,
        "encode → decode changed {packet:?} into {again:?}"
    );
});

/// Every `Binary` in `value`, depth-first in document order.
fn binaries(value: Option<&Value>, out: &mut Vec<Vec<u8>>) {
    match value {
        Some(Value::Binary(bytes)) => out.push(bytes.clone()),
        Some(Value::Array(items)) => items.iter().for_each(|v| binaries(Some(v), out)),
        Some(Value::Object(map)) => map.iter().for_each(|(_, v)| binaries(Some(v), out)),
        _ => {}
    }
}

/// Whether `value` still holds an object that claims to be a placeholder.
fn has_placeholder(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(items)) => items.iter().any(|v| has_placeholder(Some(v))),
        Some(Value::Object(map)) => {
            map.get("_placeholder") == Some(&Value::Bool(true))
                || map.iter().any(|(_, v)| has_placeholder(Some(v)))
        }
        _ => false,
    }
}
