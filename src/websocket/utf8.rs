//! Incremental UTF-8 validation for text messages that arrive in pieces (RFC 6455 §8.1, §5.6).
//!
//! A text message's payload is UTF-8 (RFC 6455 §5.6), and an endpoint that finds it is not
//! MUST _Fail the WebSocket Connection_ (RFC 6455 §8.1) with code 1007 (RFC 6455 §7.4.1).
//! `connection.rs` hands us each piece of a text message as it reads it: a message may span
//! many fragments (§5.4), each fragment many reads, and a code point may be cut anywhere,
//! even between two fragments. So we keep the start of a cut code point (at most 3 bytes)
//! and join it to the next piece.
//!
//! We fail fast: as soon as the bytes received so far cannot begin any valid UTF-8 text, not
//! when the message ends. The RFC does not say how early, but a peer that streams an invalid
//! message should not get to stream the rest of it, and Autobahn's cases 6.4.x check exactly
//! this (an invalid sequence in the middle of a frame must be caught before the rest arrives).
//!
//! The checking itself is `std::str::from_utf8`, which is fast and already fails fast:
//! [`std::str::Utf8Error::error_len`] is `None` only when the input stops inside a code point
//! that is still a valid beginning (`ED 9F` may become U+D7FF; `ED A0` can only become a
//! surrogate, so it is refused at `A0`). We add only the join between pieces.

use super::frame::FrameError;

/// Checks a text message piece by piece, failing on the first byte that makes it invalid.
///
/// Make one per text message and [`feed`](Utf8Validator::feed) it every piece of a text message
/// as it arrives; call [`finish`](Utf8Validator::finish) after the piece with FIN set. After
/// an error the connection is failed (1007); call [`reset`](Utf8Validator::reset) before
/// reusing the validator.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    /// The start of a code point whose last bytes have not arrived. Three bytes at most: the
    /// longest encoding is four (RFC 3629 §3). It is always a valid beginning of a code point.
    pending: [u8; 3],
    /// How many bytes of `pending` are in use (0 when the text so far ends on a code point).
    pending_len: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    /// Checks the next piece of the message.
    ///
    /// # Errors
    /// [`FrameError::InvalidUtf8`] as soon as the text received so far, this piece included,
    /// is not the beginning of any valid UTF-8 text.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        let rest = self.complete_pending(bytes)?;
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            // The piece stops inside a code point that is valid so far: hold its start
            // until the next piece brings the rest.
            Err(e) if e.error_len().is_none() => {
                self.hold(&rest[e.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(FrameError::InvalidUtf8),
        }
    }

    /// Ends the message and readies the validator for the next one.
    ///
    /// # Errors
    /// [`FrameError::InvalidUtf8`] if the message stopped inside a code point (RFC 6455 §8.1:
    /// the whole message must be valid, and a truncated code point is not).
    pub fn finish(&mut self) -> Result<(), FrameError> {
        let ends_on_code_point = self.pending_len == 0;
        self.reset();
        if ends_on_code_point {
            Ok(())
        } else {
            Err(FrameError::InvalidUtf8)
        }
    }

    /// Forgets any held bytes, as at the start of a message.
    pub fn reset(&mut self) {
        self.pending_len = 0;
    }

    /// Completes the held code point, if any, from the front of `bytes` and returns the part
    /// of `bytes` after it. Only the few bytes the code point needs are copied, never the
    /// whole piece: a fragment may be megabytes long.
    fn complete_pending<'a>(&mut self, bytes: &'a [u8]) -> Result<&'a [u8], FrameError> {
        let held = self.pending_len;
        if held == 0 {
            return Ok(bytes);
        }
        // Four bytes hold any code point: the held start plus what this piece begins with.
        let taken = bytes.len().min(4 - held);
        let mut joined = [0u8; 4];
        joined[..held].copy_from_slice(&self.pending[..held]);
        joined[held..held + taken].copy_from_slice(&bytes[..taken]);
        let joined = &joined[..held + taken];
        let valid = match std::str::from_utf8(joined) {
            Ok(_) => joined.len(),
            // The held code point is complete (it ends at or before `valid_up_to`, which is
            // past `held`); whatever follows it is checked with the rest of the piece.
            Err(e) if e.valid_up_to() > 0 => e.valid_up_to(),
            // Still a valid beginning: this piece was too short to finish the code point,
            // so it was taken whole.
            Err(e) if e.error_len().is_none() => {
                self.hold(joined);
                return Ok(&bytes[taken..]);
            }
            Err(_) => return Err(FrameError::InvalidUtf8),
        };
        self.pending_len = 0;
        Ok(&bytes[valid - held..])
    }

    /// Holds the unfinished start of a code point. std reports an unfinished code point
    /// (`error_len() == None`) only when it is 1 to 3 bytes long, so it fits `pending`.
    fn hold(&mut self, start: &[u8]) {
        self.pending[..start.len()].copy_from_slice(start);
        self.pending_len = start.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` in order; returns the index of the piece that failed, if one did.
    fn first_failing_piece(pieces: &[&[u8]]) -> Option<usize> {
        let mut v = Utf8Validator::new();
        pieces.iter().position(|piece| v.feed(piece).is_err())
    }

    /// Feeds `bytes` one at a time; returns the index of the byte that failed, if one did.
    fn first_failing_byte(bytes: &[u8]) -> Option<usize> {
        let mut v = Utf8Validator::new();
        bytes.iter().position(|&b| v.feed(&[b]).is_err())
    }

    /// The reference: the first `i` such that `bytes[..=i]` is not a valid beginning of text.
    fn reference_first_failing_byte(bytes: &[u8]) -> Option<usize> {
        (1..=bytes.len())
            .find(
                |&n| matches!(std::str::from_utf8(&bytes[..n]), Err(e) if e.error_len().is_some()),
            )
            .map(|n| n - 1)
    }

    fn validates_whole(bytes: &[u8]) -> Result<(), FrameError> {
        let mut v = Utf8Validator::new();
        v.feed(bytes)?;
        v.finish()
    }

    // Autobahn 6.2's "Hello-µ@ßöäüàá-UTF-8!!", plus Greek (κόσμε, RFC-era test text), a
    // 3-byte CJK character, the last BMP scalar and a 4-byte clef and emoji.
    const MIXED: &str = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 中 \u{FFFF} 𝄞😀 \u{10FFFF}";

    #[test]
    fn valid_text_passes_split_at_every_point() {
        let bytes = MIXED.as_bytes();
        for cut in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(&bytes[..cut]), Ok(()), "first piece up to {cut}");
            assert_eq!(v.feed(&bytes[cut..]), Ok(()), "second piece from {cut}");
            assert_eq!(v.finish(), Ok(()), "cut at {cut}");
        }
    }

    #[test]
    fn valid_multibyte_text_passes_split_at_every_pair_of_points() {
        let bytes = "κ€𝄞ß😀".as_bytes();
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                let pieces = [&bytes[..a], &bytes[a..b], &bytes[b..]];
                assert_eq!(first_failing_piece(&pieces), None, "cuts at {a} and {b}");
            }
        }
    }

    #[test]
    fn valid_text_passes_one_byte_at_a_time() {
        let mut v = Utf8Validator::new();
        for &b in MIXED.as_bytes() {
            assert_eq!(v.feed(&[b]), Ok(()));
        }
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn empty_pieces_and_empty_messages_are_valid() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b""), Ok(()));
        assert_eq!(v.finish(), Ok(()));
        assert_eq!(v.feed(&[0xF0, 0x9F]), Ok(()));
        assert_eq!(v.feed(b""), Ok(()), "an empty piece keeps the held bytes");
        assert_eq!(v.feed(&[0x98, 0x80]), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn surrogate_ed_a0_80_is_refused_per_rfc3629_section_3() {
        assert_eq!(
            validates_whole(&[0xED, 0xA0, 0x80]),
            Err(FrameError::InvalidUtf8)
        );
        // ED A0 can only begin a surrogate, so the second byte already fails.
        assert_eq!(first_failing_byte(&[0xED, 0xA0, 0x80]), Some(1));
        // ED 9F BF is U+D7FF, the last scalar before the surrogates.
        assert_eq!(validates_whole(&[0xED, 0x9F, 0xBF]), Ok(()));
    }

    #[test]
    fn overlong_encodings_are_refused_per_rfc3629_section_3() {
        for overlong in [
            &[0xC0, 0x80][..],         // U+0000 in two bytes
            &[0xC1, 0xBF],             // U+007F in two bytes
            &[0xE0, 0x80, 0x80],       // U+0000 in three bytes
            &[0xE0, 0x9F, 0xBF],       // U+07FF in three bytes
            &[0xF0, 0x80, 0x80, 0x80], // U+0000 in four bytes
            &[0xF0, 0x8F, 0xBF, 0xBF], // U+FFFF in four bytes
        ] {
            assert_eq!(
                validates_whole(overlong),
                Err(FrameError::InvalidUtf8),
                "{overlong:02X?}"
            );
            let at = first_failing_byte(overlong).expect("overlong is refused byte by byte");
            assert!(
                at <= 1,
                "{overlong:02X?} fails at byte {at}, not at its first two"
            );
        }
    }

    #[test]
    fn code_points_above_u10ffff_are_refused() {
        assert_eq!(
            validates_whole(&[0xF4, 0x90, 0x80, 0x80]),
            Err(FrameError::InvalidUtf8)
        );
        assert_eq!(first_failing_byte(&[0xF4, 0x90, 0x80, 0x80]), Some(1));
        assert_eq!(
            validates_whole(&[0xF4, 0x8F, 0xBF, 0xBF]),
            Ok(()),
            "U+10FFFF is the last"
        );
    }

    #[test]
    fn bytes_f5_to_ff_never_appear_in_utf8() {
        for byte in 0xF5..=0xFF {
            assert_eq!(first_failing_byte(&[byte]), Some(0), "{byte:#04X}");
        }
    }

    #[test]
    fn a_continuation_byte_without_a_lead_byte_is_refused() {
        assert_eq!(first_failing_byte(b"ok\x80"), Some(2));
        // A held lead byte followed by ASCII instead of its continuation.
        assert_eq!(first_failing_piece(&[&[0xE2], b"A"]), Some(1));
        assert_eq!(first_failing_piece(&[&[0xE2, 0x82], b"AB"]), Some(1));
    }

    #[test]
    fn invalid_sequence_mid_message_fails_before_the_message_ends_like_autobahn_6_4() {
        // κόμε then a UTF-16 surrogate encoded in UTF-8: the message is not finished, but
        // ED A0 can begin nothing valid, so feeding the 11th byte must already fail.
        let bytes = [
            0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80,
        ];
        assert_eq!(first_failing_byte(&bytes), Some(10));
        assert_eq!(first_failing_piece(&[&bytes[..10], &bytes[10..]]), Some(1));
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&bytes[..11]), Err(FrameError::InvalidUtf8));
        // Autobahn 6.3.1's payload, κόσμε + ED A0 80 + "edited": "invalid exactly on byte 12".
        let autobahn = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited";
        assert_eq!(first_failing_byte(autobahn), Some(12));
    }

    #[test]
    fn autobahn_6_4_1_fails_in_the_second_fragment() {
        // Case 6.4.1: a valid first fragment, then one that makes it invalid (F4 90 80 80
        // would be U+110000, past the last code point), then a tail that must not be needed.
        let first: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"; // κόσμε
        let second: &[u8] = &[0xF4, 0x90, 0x80, 0x80];
        assert_eq!(first_failing_piece(&[first, second, b"edited"]), Some(1));
    }

    #[test]
    fn message_ending_inside_a_code_point_fails_at_finish() {
        for truncated in [&[0xC3][..], &[0xE2, 0x82], &[0xF0, 0x9F, 0x98]] {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(b"text "), Ok(()));
            assert_eq!(
                v.feed(truncated),
                Ok(()),
                "{truncated:02X?} is a valid beginning"
            );
            assert_eq!(v.finish(), Err(FrameError::InvalidUtf8), "{truncated:02X?}");
        }
    }

    #[test]
    fn finish_and_reset_start_a_fresh_message() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[0xE2]), Ok(()));
        assert!(v.finish().is_err());
        assert_eq!(
            v.feed(b"A"),
            Ok(()),
            "the held E2 went with the failed message"
        );
        assert_eq!(v.feed(&[0xE2, 0x82]), Ok(()));
        v.reset();
        assert_eq!(v.feed(b"A"), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn every_two_byte_sequence_agrees_with_std_fed_byte_by_byte() {
        for a in 0..=0xFFu8 {
            for b in 0..=0xFFu8 {
                let bytes = [a, b];
                let expected = reference_first_failing_byte(&bytes);
                assert_eq!(first_failing_byte(&bytes), expected, "{bytes:02X?}");
            }
        }
    }

    #[test]
    fn four_byte_sequences_at_the_range_edges_agree_with_std_in_any_split() {
        const EDGES: [u8; 11] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2, 0xFF,
        ];
        for lead in 0xC0..=0xFFu8 {
            for &b1 in &EDGES {
                for &b2 in &EDGES {
                    for &b3 in &EDGES {
                        let bytes = [lead, b1, b2, b3];
                        let expected = reference_first_failing_byte(&bytes);
                        assert_eq!(first_failing_byte(&bytes), expected, "{bytes:02X?}");
                        // Two pieces: the failure is in the piece holding the failing byte.
                        for cut in 1..4 {
                            let pieces = [&bytes[..cut], &bytes[cut..]];
                            let piece = expected.map(|i| usize::from(i >= cut));
                            assert_eq!(
                                first_failing_piece(&pieces),
                                piece,
                                "{bytes:02X?} at {cut}"
                            );
                        }
                    }
                }
            }
        }
    }
}
