//! Close codes and the payload of a close frame: how each side says why a WebSocket ends
//! (RFC 6455 §5.5.1, §7.4).
//!
//! A close frame's payload is empty, or a 2-byte status code in network order followed by a
//! UTF-8 reason, 125 bytes in all at most. `closing.rs` decodes the peer's close with
//! [`decode_close_payload`] and answers with [`encode_close_payload`] (through
//! `Frame::close`); every `FrameError` names its [`CloseCode`] (`frame.rs`).

use std::fmt;

use super::frame::{FrameError, MAX_CONTROL_PAYLOAD};

/// The largest close reason in bytes: a control payload less the 2-byte code (RFC 6455 §5.5.1).
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// Why a connection closed: the status code of a close frame (RFC 6455 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    Normal,
    /// 1001: the endpoint is going away (server shutdown, page navigated away).
    GoingAway,
    /// 1002: the peer broke the protocol.
    ProtocolError,
    /// 1003: a type of data the endpoint cannot accept (e.g. binary to a text-only endpoint).
    UnsupportedData,
    /// 1005: no status code was present. Reported locally, never sent (§7.4.1).
    NoStatusReceived,
    /// 1006: the connection dropped without a close frame. Reported locally, never sent.
    Abnormal,
    /// 1007: data inconsistent with the message type, such as text that is not UTF-8.
    InvalidPayload,
    /// 1008: a message that violates the endpoint's policy.
    PolicyViolation,
    /// 1009: a message too big to process.
    MessageTooBig,
    /// 1010: the client needed an extension the server did not negotiate.
    MandatoryExtension,
    /// 1011: the server met an unexpected condition.
    InternalError,
    /// Any other code: IANA-registered (1012–1014, 3000–3999), private (4000–4999) or invalid.
    Other(u16),
}

impl CloseCode {
    /// The close code for a number. Known codes get their variant, so `from_u16(1000)` is
    /// `Normal`, never `Other(1000)`.
    pub fn from_u16(code: u16) -> CloseCode {
        match code {
            1000 => CloseCode::Normal,
            1001 => CloseCode::GoingAway,
            1002 => CloseCode::ProtocolError,
            1003 => CloseCode::UnsupportedData,
            1005 => CloseCode::NoStatusReceived,
            1006 => CloseCode::Abnormal,
            1007 => CloseCode::InvalidPayload,
            1008 => CloseCode::PolicyViolation,
            1009 => CloseCode::MessageTooBig,
            1010 => CloseCode::MandatoryExtension,
            1011 => CloseCode::InternalError,
            other => CloseCode::Other(other),
        }
    }

    /// The number sent on the wire.
    pub fn as_u16(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::UnsupportedData => 1003,
            CloseCode::NoStatusReceived => 1005,
            CloseCode::Abnormal => 1006,
            CloseCode::InvalidPayload => 1007,
            CloseCode::PolicyViolation => 1008,
            CloseCode::MessageTooBig => 1009,
            CloseCode::MandatoryExtension => 1010,
            CloseCode::InternalError => 1011,
            CloseCode::Other(code) => code,
        }
    }

    /// Whether a peer may put this code in a close frame (RFC 6455 §7.4.1, §7.4.2 and the
    /// IANA "WebSocket Close Code Number Registry").
    ///
    /// We accept what the `ws` Node library accepts: 1000–1003, 1007–1014 and 3000–4999.
    /// Below 1000 is unused (§7.4.2); 1004 is reserved; 1005, 1006 and 1015 MUST NOT be sent
    /// (§7.4.1), since they describe what the receiver saw; 1016–2999 are reserved for this
    /// protocol and its extensions and none is assigned yet; 5000 and above are undefined.
    pub fn is_valid_on_wire(code: u16) -> bool {
        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// A few words for logs, from §7.4.1 and the IANA registry.
    fn description(self) -> &'static str {
        match self {
            CloseCode::Normal => "normal closure",
            CloseCode::GoingAway => "going away",
            CloseCode::ProtocolError => "protocol error",
            CloseCode::UnsupportedData => "unsupported data",
            CloseCode::NoStatusReceived => "no status received",
            CloseCode::Abnormal => "abnormal closure",
            CloseCode::InvalidPayload => "invalid payload data",
            CloseCode::PolicyViolation => "policy violation",
            CloseCode::MessageTooBig => "message too big",
            CloseCode::MandatoryExtension => "mandatory extension",
            CloseCode::InternalError => "internal error",
            CloseCode::Other(1004) => "reserved",
            CloseCode::Other(1012) => "service restart",
            CloseCode::Other(1013) => "try again later",
            CloseCode::Other(1014) => "bad gateway",
            CloseCode::Other(1015) => "TLS handshake failure",
            CloseCode::Other(3000..=3999) => "registered",
            CloseCode::Other(4000..=4999) => "private use",
            CloseCode::Other(_) => "unassigned",
        }
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_u16(), self.description())
    }
}

/// Reads the payload of a close frame (RFC 6455 §5.5.1): `Ok(None)` if empty (no status
/// code, which the receiver reports as 1005), else the code and the reason.
///
/// # Errors
/// - [`FrameError::CloseFrameTooShort`]: one byte, which cannot hold the 2-byte code.
/// - [`FrameError::InvalidCloseCode`]: a code no peer may send ([`CloseCode::is_valid_on_wire`]).
/// - [`FrameError::InvalidUtf8`]: the reason is not UTF-8 (§5.5.1 requires it). We answer
///   1007 as the `ws` library does, reading §7.4.1's "data within a message that was not
///   consistent with the type of the message" as covering it; protocol.md's summary says
///   1002. Autobahn case 7.5.1 accepts either.
pub fn decode_close_payload(payload: &[u8]) -> Result<Option<(CloseCode, String)>, FrameError> {
    let (code, reason) = match payload {
        [] => return Ok(None),
        [_] => return Err(FrameError::CloseFrameTooShort),
        [high, low, reason @ ..] => (u16::from_be_bytes([*high, *low]), reason),
    };
    if !CloseCode::is_valid_on_wire(code) {
        return Err(FrameError::InvalidCloseCode(code));
    }
    let reason = std::str::from_utf8(reason).map_err(|_| FrameError::InvalidUtf8)?;
    Ok(Some((CloseCode::from_u16(code), reason.to_owned())))
}

/// The payload of a close frame (RFC 6455 §5.5.1): the code in 2 bytes, network order, then
/// the reason, cut at a char boundary so the whole fits 125 bytes (a reason of at most 123).
///
/// `None` gives an empty payload, as does a code that may not be sent (1005, 1006, 1015, …:
/// see [`CloseCode::is_valid_on_wire`]): an empty payload is how the wire says "no status",
/// so echoing a close whose code we recorded as 1005 sends the right thing. The reason is
/// dropped with the code, since it may only follow one.
pub fn encode_close_payload(code: Option<CloseCode>, reason: &str) -> Vec<u8> {
    let Some(code) = code.filter(|c| CloseCode::is_valid_on_wire(c.as_u16())) else {
        return Vec::new();
    };
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.as_u16().to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::frame::{Frame, Role};

    /// The masking key of RFC 6455 §5.7's masked examples.
    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn decode_whole(bytes: &[u8], role: Role) -> (Frame, usize) {
        Frame::decode(bytes, role, 1 << 20)
            .expect("a valid frame")
            .expect("the bytes hold a whole frame")
    }

    // --- §5.5.1 and §7.4 close payloads -----------------------------------------------------

    #[test]
    fn close_codes_that_may_be_sent_decode_per_section_7_4() {
        for code in [
            1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            let payload = [code.to_be_bytes().as_slice(), b"why"].concat();
            let decoded = decode_close_payload(&payload).expect("valid code");
            assert_eq!(
                decoded,
                Some((CloseCode::from_u16(code), "why".to_owned())),
                "{code}"
            );
        }
    }

    #[test]
    fn close_codes_that_may_not_be_sent_close_with_1002_per_section_7_4() {
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            let err = decode_close_payload(&u16::to_be_bytes(code)).expect_err("invalid code");
            assert_eq!(err, FrameError::InvalidCloseCode(code));
            assert_eq!(err.close_code(), CloseCode::ProtocolError);
        }
    }

    #[test]
    fn empty_close_payload_has_no_status_and_one_byte_is_too_short() {
        assert_eq!(decode_close_payload(&[]), Ok(None));
        let err = decode_close_payload(&[0x03]).expect_err("1 byte");
        assert_eq!(
            (err.clone(), err.close_code()),
            (FrameError::CloseFrameTooShort, CloseCode::ProtocolError)
        );
    }

    #[test]
    fn close_reason_that_is_not_utf8_closes_with_1007_like_autobahn_7_5_1() {
        // Code 1000, then κόσμε, a UTF-16 surrogate encoded in UTF-8 (ED A0 80), "edited".
        let reason = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited";
        let payload = [&[0x03, 0xE8][..], reason].concat();
        let err = decode_close_payload(&payload).expect_err("bad UTF-8");
        assert_eq!(err, FrameError::InvalidUtf8);
        assert_eq!(err.close_code(), CloseCode::InvalidPayload);
    }

    #[test]
    fn close_frame_round_trips_code_and_reason() {
        let frame = Frame::close(Some(CloseCode::GoingAway), "server shutting down");
        assert_eq!(frame.payload[..2], [0x03, 0xE9]);
        let (decoded, _) = decode_whole(&frame.encode(Some(KEY)), Role::Server);
        let expected = (CloseCode::GoingAway, "server shutting down".to_owned());
        assert_eq!(decode_close_payload(&decoded.payload), Ok(Some(expected)));
        assert_eq!(Frame::close(None, "ignored").payload, Vec::<u8>::new());
    }

    #[test]
    fn codes_that_may_not_be_sent_encode_as_an_empty_payload() {
        for code in [
            CloseCode::NoStatusReceived,
            CloseCode::Abnormal,
            CloseCode::Other(1015),
            CloseCode::Other(5000),
        ] {
            assert_eq!(
                encode_close_payload(Some(code), "reason"),
                Vec::<u8>::new(),
                "{code}"
            );
        }
    }

    #[test]
    fn close_reason_is_cut_to_123_bytes_at_a_char_boundary() {
        let ascii = "a".repeat(200);
        assert_eq!(
            encode_close_payload(Some(CloseCode::Normal), &ascii).len(),
            125
        );
        // "é" is 2 bytes: 61 fit in 123, the 62nd would split.
        let accents = "é".repeat(100);
        let payload = encode_close_payload(Some(CloseCode::Normal), &accents);
        assert_eq!(payload.len(), 2 + 122);
        let (_, reason) = decode_close_payload(&payload)
            .expect("valid")
            .expect("has a code");
        assert_eq!(reason, "é".repeat(61));
        // The result is a valid control frame.
        let frame = Frame::close(Some(CloseCode::Normal), &format!("x{}", "😀".repeat(40)));
        assert_eq!(frame.payload.len(), 2 + 1 + 30 * 4);
        assert!(
            decode_whole(&frame.encode(Some(KEY)), Role::Server)
                .0
                .payload
                .len()
                <= 125
        );
    }

    // --- Close codes and errors ---------------------------------------------------------------

    #[test]
    fn close_codes_round_trip_and_display_their_meaning() {
        for code in 0..=u16::MAX {
            assert_eq!(CloseCode::from_u16(code).as_u16(), code);
        }
        assert_eq!(CloseCode::from_u16(1000), CloseCode::Normal);
        assert_eq!(
            CloseCode::ProtocolError.to_string(),
            "1002 (protocol error)"
        );
        assert_eq!(CloseCode::Other(4000).to_string(), "4000 (private use)");
    }
}
