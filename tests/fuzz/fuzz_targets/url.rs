//! Fuzzes percent-decoding and query strings (`http/url.rs`, RFC 3986 §2.1 and the form
//! encoding of the WHATWG URL Standard): how `?EIO=4&transport=polling&sid=…` becomes the
//! pairs Engine.IO reads, from a target the client wrote.
//!
//! Input: any bytes; as text (lossily, since a request-target is ASCII by the time it gets
//! here, and these functions take `&str`).
//!
//! Properties, beyond "no panic, no endless loop":
//! - `percent_decode` succeeds exactly when every `%` has two hex digits after it, and then
//!   gives one octet per escape and one per other byte: `len - 2 × escapes` octets;
//! - it inverts percent-encoding: the decoded octets, each written `%XY`, decode back to
//!   themselves, and so do the input's own bytes;
//! - `decode_query_component` is `+` → space, then `percent_decode`, then UTF-8: it succeeds
//!   exactly when that chain does, with the same text;
//! - `query_pairs` yields, in order, each non-empty `&`-separated part that decodes, split at
//!   its first `=`: never more pairs than parts, and each pair as the parts decode alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::http::url::{decode_query_component, percent_decode, query_pairs};

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let text = text.as_ref();

    let decoded = percent_decode(text);
    let escapes = well_formed_escapes(text.as_bytes());
    assert_eq!(decoded.is_ok(), escapes.is_some(), "{text:?}: {decoded:?}");
    if let (Ok(octets), Some(escapes)) = (&decoded, escapes) {
        assert_eq!(octets.len(), text.len() - 2 * escapes);
        assert_eq!(
            percent_decode(&encode_every_byte(octets)).as_ref(),
            Ok(octets)
        );
    }
    let input_bytes = text.as_bytes();
    assert_eq!(
        percent_decode(&encode_every_byte(input_bytes)).as_deref(),
        Ok(input_bytes)
    );

    let component = decode_query_component(text);
    let by_hand = percent_decode(&text.replace('+', " "))
        .ok()
        .and_then(|octets| String::from_utf8(octets).ok());
    assert_eq!(component.as_ref().ok(), by_hand.as_ref(), "{text:?}");

    let parts: Vec<&str> = text.split('&').filter(|part| !part.is_empty()).collect();
    let expected: Vec<(String, String)> = parts
        .iter()
        .filter_map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            Some((
                decode_query_component(key).ok()?,
                decode_query_component(value).ok()?,
            ))
        })
        .collect();
    let pairs: Vec<(String, String)> = query_pairs(text).collect();
    assert!(pairs.len() <= parts.len());
    assert_eq!(pairs, expected);
});

/// How many `%XY` escapes `bytes` holds, or `None` if some `%` lacks its two hex digits.
fn well_formed_escapes(bytes: &[u8]) -> Option<usize> {
    let mut escapes = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let digits = bytes.get(i + 1..i + 3)?;
            if !digits.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            escapes += 1;
            i += 3;
        } else {
            i += 1;
        }
    }
    Some(escapes)
}

/// Every octet as `%XY`, the most a percent-encoder may escape (RFC 3986 §2.1).
fn encode_every_byte(octets: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(3 * octets.len());
    for &octet in octets {
        encoded.push('%');
        encoded.push(char::from(HEX[usize::from(octet >> 4)]));
        encoded.push(char::from(HEX[usize::from(octet & 0x0F)]));
    }
    encoded
}
