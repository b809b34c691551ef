//! What the fuzz targets (tests/fuzz, NOTES.md chapter 11) found: each finding as a test that
//! failed before its fix, so it stays fixed without anyone running a fuzzer.
//!
//! Each test names its target and says the input it was found with (as the fuzz target
//! reads it: the first bytes of an input choose limits and cuts, as each target's doc
//! comment says), then checks the property the target checks, on that input alone.

use threadio::http::request::{ChunkedDecoder, RequestError};

/// Calls a fresh chunked decoder on `&wire[..end]` for each of `ends`, as the server does
/// after each read, until it answers; the answer, with the body once it is whole.
fn chunked_in_reads(
    wire: &[u8],
    ends: &[usize],
    max_trailer: usize,
) -> Result<Option<(Vec<u8>, usize)>, RequestError> {
    let mut decoder = ChunkedDecoder::with_trailer_limit(max_trailer);
    for &end in ends {
        if let Some(used) = decoder.decode(&wire[..end], 1 << 20)? {
            return Ok(Some((decoder.take_body(), used)));
        }
    }
    Ok(None)
}

/// http_chunked, input `00 15 02` + `0\r\nX- 012345678\0\0;0a9\r\r` (trailer limit 10): a
/// trailer line that goes past the limit at its 11th byte and has a NUL at its 13th. Read
/// whole, it was refused for the NUL (400); read in pieces that stopped before the NUL, for
/// its length (431). The answer depended on where TCP happened to cut the reads. Now the
/// first byte that breaks a rule decides, however the bytes arrive: here the length.
#[test]
fn http_chunked_a_trailer_line_is_refused_for_its_first_bad_byte_however_it_is_cut() {
    let wire = b"0\r\nX- 012345678\0\0;0a9\r\r";
    let whole = chunked_in_reads(wire, &[wire.len()], 10);
    assert_eq!(whole, Err(RequestError::HeadersTooLarge));
    for cut in 0..wire.len() {
        assert_eq!(
            chunked_in_reads(wire, &[cut, wire.len()], 10),
            whole,
            "cut after {cut} bytes"
        );
    }
    // The other way round: the NUL comes before the limit, so it decides.
    let wire = b"0\r\nX\0-0123456789abcdef\r\n\r\n";
    for cut in 0..=wire.len() {
        let answer = chunked_in_reads(wire, &[cut, wire.len()], 10);
        assert!(
            matches!(answer, Err(RequestError::BadChunk(_))),
            "cut after {cut} bytes: {answer:?}"
        );
    }
}

/// http_chunked, input `01 00 00` + `fffffffffffffffe\r\n` (`max_body` = `usize::MAX`, which a
/// server may configure to mean "no limit"): the chunk size passed the `max_body` check, and
/// adding it to the data's offset overflowed. A debug build panicked there; a release build
/// wrapped around to a slice that ends before it starts, and panicked on that. A size that
/// cannot even be addressed is a body too large for us: 413.
#[test]
fn http_chunked_a_chunk_size_past_the_address_space_is_413_not_a_panic() {
    for size in ["fffffffffffffffe", "ffffffffffffffff", "ffffffffffffffee"] {
        let wire = format!("{size}\r\n");
        let mut decoder = ChunkedDecoder::default();
        assert_eq!(
            decoder.decode(wire.as_bytes(), usize::MAX),
            Err(RequestError::BodyTooLarge),
            "{size}"
        );
    }
}

/// resp, input `~\n`-like: an unknown type byte followed by a line ending in a bare LF. The
/// first byte alone was refused as `UnknownType`, the whole line as `MissingCrlf`: the error
/// depended on how much of the reply had arrived. Now the type byte is checked first.
#[test]
fn resp_an_unknown_type_byte_is_the_error_however_much_follows() {
    use threadio::redis::resp::{decode, RespError, RespLimits};
    let wire = b"~abc\n";
    let limits = RespLimits::default();
    for cut in 1..=wire.len() {
        assert_eq!(
            decode(&wire[..cut], &limits),
            Err(RespError::UnknownType(b'~')),
            "cut after {cut} bytes"
        );
    }
}
