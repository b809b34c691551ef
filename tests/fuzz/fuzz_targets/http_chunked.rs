//! Fuzzes the chunked body decoder, `ChunkedDecoder` (RFC 9112 §7.1): a body whose length a
//! client does not say, framed by hex sizes it chooses, with extensions and trailers.
//!
//! Input: byte 0 picks `max_body` (the default 1 MiB, a small one, or `usize::MAX`, which a
//! server may configure to mean "no limit"), byte 1 the trailer limit, byte 2 how the rest is
//! cut into reads; the rest is the body as sent.
//!
//! Properties, beyond "no panic, no endless loop":
//! - resuming changes nothing: the decoder called with everything read so far after each
//!   read, the reads cut as byte 2 says, ends exactly as one call with all of it does: the
//!   same body and bytes used, the same "incomplete", or the same error. (The one rule that
//!   depends on the cuts, "an unfinished body buffers at most max_body + 64 KiB", needs an
//!   input over 64 KiB, far past what the fuzzer makes.)
//! - a finished body used between 1 and all of the bytes, holds at most `max_body` bytes of
//!   data, and decodes the same from the bytes it used alone: what follows belongs to the
//!   next request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::http::request::{ChunkedDecoder, Limits, RequestError};
use threadio_fuzz::prefix_ends;

fuzz_target!(|input: &[u8]| {
    let [body_byte, trailer_byte, cut_seed, wire @ ..] = input else {
        return;
    };
    let max_body = match body_byte % 4 {
        0 => Limits::default().max_body,
        1 => usize::MAX,
        _ => usize::from(body_byte >> 2),
    };
    let max_trailer = match trailer_byte % 2 {
        0 => Limits::default().max_header_bytes,
        _ => usize::from(trailer_byte >> 1),
    };

    let whole = decode(wire, max_body, max_trailer, &[wire.len()]);
    let in_reads = decode(
        wire,
        max_body,
        max_trailer,
        &prefix_ends(wire.len(), *cut_seed),
    );
    assert_eq!(whole, in_reads, "one call and calls read by read disagree");

    if let Ok(Some((body, used))) = &whole {
        assert!(*used >= 1 && *used <= wire.len());
        assert!(body.len() <= max_body);
        let alone = decode(&wire[..*used], max_body, max_trailer, &[*used]);
        assert_eq!(alone, whole, "the body's own bytes decode differently");
    }
});

/// What a fresh decoder makes of `wire` when it is called on `&wire[..end]` for each of
/// `ends` in turn, stopping at the first answer that is not "incomplete", as the server's
/// read loop does.
fn decode(
    wire: &[u8],
    max_body: usize,
    max_trailer: usize,
    ends: &[usize],
) -> Result<Option<(Vec<u8>, usize)>, RequestError> {
    let mut decoder = ChunkedDecoder::with_trailer_limit(max_trailer);
    for &end in ends {
        if let Some(used) = decoder.decode(&wire[..end], max_body)? {
            return Ok(Some((decoder.take_body(), used)));
        }
    }
    Ok(None)
}
