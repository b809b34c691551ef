//! Fuzzes the HTTP request head decoder, `decode_head` (RFC 9112 §2–§5): the first bytes any
//! client sends us, before anything else has had a chance to refuse it.
//!
//! Input: the first byte picks the limits (high bit clear: the defaults; set: small ones
//! made from its other bits, so the limit checks are reached without 16 KiB inputs); the
//! rest is what the client sent.
//!
//! Properties, beyond "no panic, no endless loop":
//! - a head it accepts used between 1 and all of the bytes, at most `max_header_bytes`, and
//!   decodes the same from those bytes alone: what follows the head is the body's business;
//! - every shorter prefix of an accepted head is "incomplete", never an error: a client
//!   whose head arrives a byte at a time is not refused for it;
//! - "incomplete" is only said of fewer than `max_header_bytes` bytes: a head that never
//!   ends is refused once it is too long, not buffered for ever;
//! - an error is final: the same bytes with more after them are still refused;
//! - what it accepts keeps the rules the decoder promises: a path starting with `/` (or
//!   `*`), a visible-ASCII target, token field names, field values without controls, at
//!   most `max_headers` fields, one `Host` in HTTP/1.1; and the body framing
//!   (`body_length`) of an accepted head is decided without panicking, a fixed length
//!   within `max_body`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::http::request::{body_length, decode_head, BodyLength, Limits, Version};

fuzz_target!(|input: &[u8]| {
    let Some((&limits_byte, bytes)) = input.split_first() else {
        return;
    };
    let limits = limits_from(limits_byte);
    match decode_head(bytes, &limits) {
        Ok(Some((request, used))) => {
            assert!(
                used >= 1 && used <= bytes.len(),
                "used {used} of {}",
                bytes.len()
            );
            assert!(used <= limits.max_header_bytes);
            let again = decode_head(&bytes[..used], &limits);
            let Ok(Some((alone, alone_used))) = again else {
                panic!("the head alone did not decode: {again:?}");
            };
            assert_eq!(alone_used, used);
            assert_eq!(format!("{alone:?}"), format!("{request:?}"));
            for end in prefixes(used) {
                let prefix = decode_head(&bytes[..end], &limits);
                assert!(
                    matches!(prefix, Ok(None)),
                    "prefix of {end} bytes of an accepted head: {prefix:?}"
                );
            }
            assert!(request.path.starts_with('/') || request.path == "*");
            assert!(request.target.bytes().all(|b| b.is_ascii_graphic()));
            assert!(request.headers.len() <= limits.max_headers);
            for (name, value) in request.headers.iter() {
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
                );
                assert!(!value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0));
            }
            if request.version == Version::Http11 {
                assert_eq!(request.headers.get_all("Host").count(), 1);
            }
            if let Ok(BodyLength::Fixed(n)) = body_length(&request, &limits) {
                assert!(n >= 1 && n <= limits.max_body);
            }
        }
        Ok(None) => assert!(bytes.len() < limits.max_header_bytes),
        Err(error) => {
            for tail in [&b"\r\n\r\n"[..], b"\nHost: a\r\n\r\n"] {
                let longer = [bytes, tail].concat();
                let later = decode_head(&longer, &limits);
                assert!(later.is_err(), "{error:?} became {later:?} with more bytes");
            }
        }
    }
});

/// The defaults, or small limits that the fuzzer reaches with short inputs.
fn limits_from(byte: u8) -> Limits {
    if byte & 0x80 == 0 {
        return Limits::default();
    }
    Limits {
        max_request_line: 8 + usize::from(byte & 0x0F) * 4,
        max_header_bytes: 16 + usize::from(byte >> 4 & 0x07) * 16,
        max_headers: usize::from(byte & 0x03),
        max_body: usize::from(byte),
    }
}

/// The prefix lengths to try below `used`: all of them for a short head, else the first
/// and last 64 and every 7th between (all of them is quadratic in the head's length).
fn prefixes(used: usize) -> impl Iterator<Item = usize> {
    (0..used).filter(move |&end| used <= 256 || end < 64 || end + 64 >= used || end % 7 == 0)
}
