//! Binary attachments: how a Socket.IO packet carries bytes that JSON cannot (Socket.IO v5
//! "Packet encoding", and BINARY_EVENT / BINARY_ACK in "Exchange protocol").
//!
//! JSON has no byte strings, so a packet holding [`Value::Binary`] travels in pieces: first
//! its text, with each byte string swapped for a placeholder, then each byte string as its
//! own Engine.IO binary message, in the order of the placeholders' `num`:
//!
//! ```text
//!  51-["hello",{"_placeholder":true,"num":0}]    text message: BINARY_EVENT, 1 attachment
//!  <01 02 03 04>                               binary message: attachment 0
//! ```
//!
//! `packet.rs` reads and writes the text (`<type>[<attachments>-]…`) and calls in here for
//! what sits inside the JSON: [`Packet::encode`] takes the bytes out
//! ([`extract_attachments`]); [`decode`](super::packet::decode) checks the placeholders
//! before any attachment is waited for ([`check_placeholders`]) and hands back a
//! [`PartialPacket`], which collects the attachments `client.rs` feeds it and puts the bytes
//! back. No I/O here. The reference parser splits the same way: socket.io-parser
//! `lib/binary.ts` (`deconstructPacket`, `reconstructPacket`) beside `lib/index.ts`.
//!
//! Rules enforced here: a placeholder is an object whose `_placeholder` is `true`, and its
//! `num` is an integer below the attachment count (binary.ts `_reconstructPacket`); every
//! attachment is used by exactly one placeholder (ours, stricter than the reference: no
//! honest encoder does otherwise, and each repeat of a placeholder would cost us a copy of
//! its attachment); no attachment comes after the last one announced; the attachments of
//! one packet add up to at most `Limits::max_attachment_bytes` (ours: they are held until
//! the last one arrives). How long they may take to arrive is the session's business
//! (`client.rs`, `IoConfig::attachment_timeout`): no clock here.

use crate::json::{Map, Value};

use super::packet::{Packet, PacketError};

/// Whether `value` holds bytes anywhere inside (the reference's `hasBinary`).
pub(super) fn has_binary(value: &Value) -> bool {
    match value {
        Value::Binary(_) => true,
        Value::Array(items) => items.iter().any(has_binary),
        Value::Object(map) => map.iter().any(|(_, v)| has_binary(v)),
        _ => false,
    }
}

/// A copy of `value` with each [`Value::Binary`] moved to `attachments` and replaced by its
/// placeholder, depth-first in document order (socket.io-parser `binary.ts`).
pub(super) fn extract_attachments(value: &Value, attachments: &mut Vec<Vec<u8>>) -> Value {
    match value {
        Value::Binary(bytes) => {
            let num = attachments.len();
            attachments.push(bytes.clone());
            Value::object([
                ("_placeholder", Value::Bool(true)),
                ("num", Value::from(num)),
            ])
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| extract_attachments(v, attachments))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k, extract_attachments(v, attachments)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A binary packet waiting for its attachments, which arrive as the next binary Engine.IO
/// messages, in order (Socket.IO v5 "Packet encoding"). Feed each to
/// [`PartialPacket::add_attachment`]; the last one gives back the [`Packet`].
///
/// A text packet arriving before the last attachment is the peer's error (the reference:
/// "got plaintext data when reconstructing a packet"): report
/// [`PacketError::MissingAttachments`] with [`PartialPacket::received`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartialPacket {
    /// The packet with its placeholders still in; `None` once it has been handed back.
    packet: Option<Packet>,
    expected: usize,
    attachments: Vec<Vec<u8>>,
    /// The bytes of `attachments`, and the most they may add up to
    /// ([`Limits::max_attachment_bytes`](super::packet::Limits::max_attachment_bytes)).
    bytes: usize,
    max_bytes: usize,
}

impl PartialPacket {
    /// A packet that [`decode`](super::packet::decode) read, waiting for the `expected`
    /// attachments its header announced, `max_bytes` of them in all.
    pub(super) fn new(packet: Packet, expected: usize, max_bytes: usize) -> PartialPacket {
        PartialPacket {
            packet: Some(packet),
            expected,
            attachments: Vec::with_capacity(expected),
            bytes: 0,
            max_bytes,
        }
    }

    /// How many attachments the packet announced.
    pub fn expected(&self) -> usize {
        self.expected
    }

    /// How many have arrived so far.
    pub fn received(&self) -> usize {
        self.attachments.len()
    }

    /// Adds the next attachment. `Ok(Some(packet))` when it was the last: the packet with
    /// each placeholder replaced by its bytes as a [`Value::Binary`]. `Ok(None)` while more
    /// are due.
    ///
    /// # Errors
    /// [`PacketError::UnexpectedAttachment`] once the packet has been handed back: the peer
    /// sent more attachments than it announced. [`PacketError::AttachmentsTooLarge`] if this
    /// one would take the packet's attachments past their limit; it is not kept.
    pub fn add_attachment(&mut self, bytes: Vec<u8>) -> Result<Option<Packet>, PacketError> {
        if self.packet.is_none() {
            return Err(PacketError::UnexpectedAttachment);
        }
        // Checked before the bytes are kept: what a packet holds back while it waits is what
        // a peer can pin on us, one session after another.
        let total = self.bytes.saturating_add(bytes.len());
        if total > self.max_bytes {
            return Err(PacketError::AttachmentsTooLarge {
                total,
                max: self.max_bytes,
            });
        }
        self.bytes = total;
        self.attachments.push(bytes);
        if self.attachments.len() < self.expected {
            return Ok(None);
        }
        let Some(mut packet) = self.packet.take() else {
            return Err(PacketError::UnexpectedAttachment);
        };
        // decode() checked that each num is in range and used once, so every slot is taken
        // exactly once; a placeholder whose slot were empty would simply stay an object.
        let mut slots: Vec<Option<Vec<u8>>> = std::mem::take(&mut self.attachments)
            .into_iter()
            .map(Some)
            .collect();
        packet.data = packet.data.map(|data| fill_placeholders(data, &mut slots));
        Ok(Some(packet))
    }
}

/// The attachment a placeholder stands for: `Ok(None)` if `map` is no placeholder, the
/// reference's test being `_placeholder === true` (binary.ts `_reconstructPacket`).
///
/// # Errors
/// [`PacketError::BadPlaceholder`] if its `num` is not an integer in `0..count`.
fn placeholder_num(map: &Map, count: usize) -> Result<Option<usize>, PacketError> {
    if map.get("_placeholder") != Some(&Value::Bool(true)) {
        return Ok(None);
    }
    let num = map.get("num").and_then(Value::as_i64);
    match num.and_then(|n| usize::try_from(n).ok()) {
        Some(num) if num < count => Ok(Some(num)),
        _ => Err(PacketError::BadPlaceholder { count }),
    }
}

/// Checks, before any attachment is waited for, that the placeholders in `data` use each of
/// the `count` attachments exactly once.
///
/// The reference only checks each `num` is in range, so a packet may name attachment 0 a
/// thousand times. JavaScript would share the one buffer; a [`Value`] owns its bytes, so we
/// would copy it a thousand times. The reference's encoder numbers each buffer once, so
/// requiring that costs honest peers nothing.
pub(super) fn check_placeholders(data: Option<&Value>, count: usize) -> Result<(), PacketError> {
    let mut used = vec![false; count];
    if let Some(data) = data {
        mark_placeholders(data, &mut used)?;
    }
    match used.iter().position(|&u| !u) {
        Some(num) => Err(PacketError::UnusedAttachment { num }),
        None => Ok(()),
    }
}

fn mark_placeholders(value: &Value, used: &mut [bool]) -> Result<(), PacketError> {
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| mark_placeholders(v, used)),
        Value::Object(map) => match placeholder_num(map, used.len())? {
            Some(num) if used[num] => Err(PacketError::DuplicatePlaceholder { num }),
            Some(num) => {
                used[num] = true;
                Ok(())
            }
            None => map.iter().try_for_each(|(_, v)| mark_placeholders(v, used)),
        },
        _ => Ok(()),
    }
}

/// `value` with each placeholder replaced by its attachment, moved out of `slots`.
fn fill_placeholders(value: Value, slots: &mut [Option<Vec<u8>>]) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| fill_placeholders(v, slots))
                .collect(),
        ),
        Value::Object(map) => {
            if let Ok(Some(num)) = placeholder_num(&map, slots.len()) {
                if let Some(bytes) = slots.get_mut(num).and_then(Option::take) {
                    return Value::Binary(bytes);
                }
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, fill_placeholders(v, slots)))
                    .collect(),
            )
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socketio::packet::{decode, Decoded, Limits, PacketType};

    fn limits() -> Limits {
        Limits::default()
    }

    /// Decodes a packet that needs no attachments.
    fn complete(text: &str) -> Packet {
        match decode(text, &limits()) {
            Ok(Decoded::Complete(packet)) => packet,
            other => panic!("{text:?} should decode complete, got {other:?}"),
        }
    }

    /// Decodes a binary packet and feeds it `attachments`, expecting the last to complete it.
    fn with_attachments(text: &str, attachments: &[&[u8]]) -> Packet {
        let Ok(Decoded::NeedsAttachments(mut partial)) = decode(text, &limits()) else {
            panic!("{text:?} should need attachments");
        };
        assert_eq!(partial.expected(), attachments.len());
        let (last, first) = attachments.split_last().expect("at least one attachment");
        for bytes in first {
            assert_eq!(partial.add_attachment(bytes.to_vec()), Ok(None));
        }
        partial
            .add_attachment(last.to_vec())
            .unwrap()
            .expect("the last attachment completes")
    }

    fn error(text: &str) -> PacketError {
        decode(text, &limits()).expect_err(text)
    }

    fn placeholder(num: usize) -> Value {
        Value::object([
            ("_placeholder", Value::Bool(true)),
            ("num", Value::from(num)),
        ])
    }

    // --- Attachments out and back (Socket.IO v5 "Packet encoding" examples) ------------------

    #[test]
    fn binary_event_hello_needs_one_attachment_then_holds_its_bytes() {
        let packet = with_attachments(
            "51-[\"hello\",{\"_placeholder\":true,\"num\":0}]",
            &[&[1, 2, 3, 4]],
        );
        let expected = Packet::event("/", "hello", vec![Value::binary([1, 2, 3, 4])], None);
        assert_eq!(packet, expected);
        assert_eq!(packet.kind, PacketType::BinaryEvent);
    }

    #[test]
    fn binary_ack_in_admin_456_from_the_v5_spec() {
        let packet = with_attachments(
            "61-/admin,456[{\"_placeholder\":true,\"num\":0}]",
            &[b"\x00\xff"],
        );
        assert_eq!(
            packet,
            Packet::ack("/admin", 456, vec![Value::binary([0, 0xff])])
        );
        assert_eq!(packet.kind, PacketType::BinaryAck);
    }

    #[test]
    fn binary_event_baz_encodes_as_in_the_v5_spec() {
        let packet = Packet::event("/", "baz", vec![Value::binary([1, 2, 3, 4])], None);
        let (text, attachments) = packet.encode();
        assert_eq!(text, "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]");
        assert_eq!(attachments, [vec![1, 2, 3, 4]]);
    }

    #[test]
    fn two_attachments_in_admin_from_the_v5_spec_round_trip() {
        let text = "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
        let packet = with_attachments(text, &[&[1, 2], &[3, 4]]);
        let args = vec![Value::binary([1, 2]), Value::binary([3, 4])];
        assert_eq!(packet, Packet::event("/admin", "baz", args, None));
        assert_eq!(
            packet.encode(),
            (text.to_owned(), vec![vec![1, 2], vec![3, 4]])
        );
    }

    #[test]
    fn binary_examples_with_ack_ids_from_the_v5_spec_round_trip() {
        for text in [
            "51-14[\"foo\",{\"_placeholder\":true,\"num\":0}]",
            "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
        ] {
            let packet = with_attachments(text, &[&[1, 2, 3, 4]]);
            assert_eq!(packet.encode(), (text.to_owned(), vec![vec![1, 2, 3, 4]]));
        }
    }

    #[test]
    fn attachments_are_numbered_depth_first_in_document_order() {
        let nested = Value::object([
            ("a", Value::binary([0])),
            ("b", Value::Array(vec![Value::Null, Value::binary([1])])),
        ]);
        let packet = Packet::event("/", "up", vec![nested, Value::binary([2])], None);
        let (text, attachments) = packet.encode();
        let p = |n| placeholder(n).to_json();
        assert_eq!(
            text,
            format!(
                "53-[\"up\",{{\"a\":{},\"b\":[null,{}]}},{}]",
                p(0),
                p(1),
                p(2)
            )
        );
        assert_eq!(attachments, [vec![0], vec![1], vec![2]]);
        assert_eq!(with_attachments(&text, &[&[0], &[1], &[2]]), packet);
    }

    #[test]
    fn placeholders_may_come_out_of_order_like_the_reference_indexes_them() {
        let text = "52-[\"x\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]";
        let packet = with_attachments(text, &[b"zero", b"one"]);
        let args = vec![Value::binary(*b"one"), Value::binary(*b"zero")];
        assert_eq!(packet, Packet::event("/", "x", args, None));
    }

    // --- PartialPacket: the attachments arrive one message at a time -------------------------

    #[test]
    fn partial_packet_counts_what_arrived() {
        let Ok(Decoded::NeedsAttachments(mut partial)) = decode(
            "52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
            &limits(),
        ) else {
            panic!("two attachments announced");
        };
        assert_eq!((partial.expected(), partial.received()), (2, 0));
        assert_eq!(partial.add_attachment(vec![1]), Ok(None));
        assert_eq!((partial.expected(), partial.received()), (2, 1));
    }

    #[test]
    fn an_attachment_after_the_last_is_unexpected() {
        let Ok(Decoded::NeedsAttachments(mut partial)) =
            decode("51-[\"x\",{\"_placeholder\":true,\"num\":0}]", &limits())
        else {
            panic!("one attachment announced");
        };
        assert!(partial.add_attachment(vec![1]).unwrap().is_some());
        assert_eq!(
            partial.add_attachment(vec![2]),
            Err(PacketError::UnexpectedAttachment)
        );
    }

    // --- Limits::max_attachment_bytes: what one packet may hold back --------------------------

    /// Decodes a packet announcing two attachments, under a limit of `max` bytes for both.
    fn two_attachments_within(max: usize) -> PartialPacket {
        let limits = Limits {
            max_attachment_bytes: max,
            ..Limits::default()
        };
        let text = "52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
        match decode(text, &limits) {
            Ok(Decoded::NeedsAttachments(partial)) => partial,
            other => panic!("two attachments announced, got {other:?}"),
        }
    }

    #[test]
    fn attachments_adding_up_to_exactly_the_limit_complete_the_packet() {
        let mut partial = two_attachments_within(10);
        assert_eq!(partial.add_attachment(vec![0; 4]), Ok(None));
        let packet = partial.add_attachment(vec![1; 6]).unwrap();
        assert!(packet.is_some(), "4 + 6 bytes fit a limit of 10");
    }

    #[test]
    fn an_attachment_that_takes_the_total_past_the_limit_is_refused() {
        let mut partial = two_attachments_within(10);
        assert_eq!(partial.add_attachment(vec![0; 4]), Ok(None));
        assert_eq!(
            partial.add_attachment(vec![1; 7]),
            Err(PacketError::AttachmentsTooLarge { total: 11, max: 10 })
        );
    }

    #[test]
    fn a_first_attachment_over_the_limit_is_refused_before_it_is_kept() {
        let mut partial = two_attachments_within(10);
        assert_eq!(
            partial.add_attachment(vec![0; 11]),
            Err(PacketError::AttachmentsTooLarge { total: 11, max: 10 })
        );
        assert_eq!(partial.received(), 0);
    }

    // --- Placeholders (socket.io-parser binary.ts `reconstructPacket`) -----------------------

    #[test]
    fn placeholder_shaped_objects_in_a_plain_event_stay_objects() {
        let packet = complete("2[\"a\",{\"_placeholder\":true,\"num\":0}]");
        assert_eq!(
            packet.data,
            Some(Value::Array(vec![Value::from("a"), placeholder(0)]))
        );
    }

    #[test]
    fn placeholders_outside_the_attachments_are_refused_like_reconstruct_packet() {
        for num in ["1", "-1", "0.5", "\"0\"", "null"] {
            let text = format!("51-[\"x\",{{\"_placeholder\":true,\"num\":{num}}}]");
            assert_eq!(
                error(&text),
                PacketError::BadPlaceholder { count: 1 },
                "num {num}"
            );
        }
        let no_num = "51-[\"x\",{\"_placeholder\":true}]";
        assert_eq!(error(no_num), PacketError::BadPlaceholder { count: 1 });
        let zero = "50-[\"x\",{\"_placeholder\":true,\"num\":0}]";
        assert_eq!(error(zero), PacketError::BadPlaceholder { count: 0 });
    }

    #[test]
    fn a_whole_float_num_counts_as_the_integer_as_in_javascript() {
        let packet = with_attachments("51-[\"x\",{\"_placeholder\":true,\"num\":0.0}]", &[&[5]]);
        assert_eq!(
            packet.data,
            Some(Value::Array(vec![Value::from("x"), Value::binary([5])]))
        );
    }

    #[test]
    fn a_repeated_placeholder_is_refused() {
        let text = "52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}]";
        assert_eq!(error(text), PacketError::DuplicatePlaceholder { num: 0 });
    }

    #[test]
    fn an_attachment_no_placeholder_uses_is_refused() {
        let text = "52-[\"x\",{\"_placeholder\":true,\"num\":1}]";
        assert_eq!(error(text), PacketError::UnusedAttachment { num: 0 });
    }

    #[test]
    fn placeholder_false_is_an_ordinary_object() {
        let text =
            "51-[\"x\",{\"_placeholder\":false,\"num\":0},{\"_placeholder\":true,\"num\":0}]";
        let packet = with_attachments(text, &[&[1]]);
        let plain = Value::object([
            ("_placeholder", Value::Bool(false)),
            ("num", Value::from(0)),
        ]);
        assert_eq!(
            packet.data,
            Some(Value::Array(vec![
                Value::from("x"),
                plain,
                Value::binary([1])
            ]))
        );
    }
}
