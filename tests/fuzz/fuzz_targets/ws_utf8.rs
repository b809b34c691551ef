//! Fuzzes the incremental UTF-8 validator (`websocket/utf8.rs`, RFC 6455 §8.1) against the
//! standard library's `std::str::from_utf8`, its reference.
//!
//! Input: byte 0 says how the rest is cut into pieces; the rest is a text message's payload.
//!
//! Properties, beyond "no panic, no endless loop":
//! - fed the pieces in order and then finished, it accepts exactly the messages
//!   `from_utf8` accepts, however they are cut (a code point may be cut anywhere, even
//!   across fragments, and must still be joined);
//! - it fails fast, and exactly as fast as possible: the piece it refuses is the one holding
//!   the first byte after which the bytes so far cannot begin any valid UTF-8 text (what
//!   Autobahn's cases 6.4.x check on the wire), and no earlier one;
//! - finished or reset, it starts afresh: the same validator then agrees with `from_utf8`
//!   on the message again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::websocket::utf8::Utf8Validator;
use threadio_fuzz::pieces;

fuzz_target!(|input: &[u8]| {
    let Some((&cut_seed, text)) = input.split_first() else {
        return;
    };
    let pieces = pieces(text, cut_seed);
    let first_bad_byte = first_bad_byte(text);

    let mut validator = Utf8Validator::new();
    for round in 0..2 {
        let mut fed = 0;
        let mut refused_in = None;
        for (index, piece) in pieces.iter().enumerate() {
            if validator.feed(piece).is_err() {
                refused_in = Some((index, fed));
                break;
            }
            fed += piece.len();
        }
        match (refused_in, first_bad_byte) {
            (Some((index, start)), Some(bad)) => assert!(
                start <= bad && bad < start + pieces[index].len(),
                "round {round}: refused piece {index} at {start}.., the first bad byte is {bad}"
            ),
            (Some((index, start)), None) => {
                panic!("round {round}: refused piece {index} at {start}.. of valid text")
            }
            (None, Some(bad)) => panic!("round {round}: byte {bad} is bad, no piece refused"),
            (None, None) => {
                let finished = validator.finish();
                assert_eq!(
                    finished.is_ok(),
                    std::str::from_utf8(text).is_ok(),
                    "round {round}"
                );
            }
        }
        // A refused message leaves the connection failed; the validator is reset for reuse.
        validator.reset();
    }
});

/// The index of the first byte after which `text` so far can begin no valid UTF-8 text:
/// the smallest `i` whose prefix `text[..=i]` `from_utf8` refuses with an `error_len`
/// (`None` there means the prefix only stops inside a code point). Being a bad beginning
/// is kept by every longer prefix, so a binary search finds it.
fn first_bad_byte(text: &[u8]) -> Option<usize> {
    let bad_prefix =
        |len: usize| matches!(std::str::from_utf8(&text[..len]), Err(e) if e.error_len().is_some());
    if !bad_prefix(text.len()) {
        return None;
    }
    let (mut good, mut bad) = (0, text.len()); // text[..good] begins fine, text[..bad] does not
    while bad - good > 1 {
        let mid = (good + bad) / 2;
        if bad_prefix(mid) {
            bad = mid;
        } else {
            good = mid;
        }
    }
    Some(bad - 1)
}
