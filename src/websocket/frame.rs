//! WebSocket frames: the unit on the wire once the handshake is done (RFC 6455 §5).
//!
//! `connection.rs` feeds us the bytes it read; we hand back a [`Header`] or a whole [`Frame`]
//! and do no I/O, so each rule below is testable with a byte array. Fragments (§5.4) span
//! frames, so putting a message back together is connection.rs's job, and checking that its
//! text is UTF-8 across fragments is utf8.rs's. A frame, as drawn in RFC 6455 §5.2:
//!
//! ```text
//!  byte 0: FIN RSV1 RSV2 RSV3 opcode(4)    byte 1: MASK payload-len(7)
//!  then:   extended length: 2 bytes if payload-len = 126, 8 bytes if 127 (network order)
//!  then:   masking key: 4 bytes, if MASK is set
//!  then:   payload, XORed with the masking key if MASK is set (§5.3, see mask.rs)
//! ```
//!
//! Rules enforced here: RSV bits are zero and the opcode is known (§5.2); control frames are
//! not fragmented and carry at most 125 bytes (§5.5); a 64-bit length has its top bit clear
//! (§5.2); a client masks every frame and a server none (§5.1). What a close frame's
//! payload may hold (§5.5.1, §7.4) is `close.rs`'s business.

use std::fmt;

use crate::memory_budget::OverBudget;

pub use super::close::{decode_close_payload, encode_close_payload, CloseCode, MAX_CLOSE_REASON};
pub use super::mask::apply_mask;

/// The largest payload of a control frame: close, ping, pong (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

const FIN_BIT: u8 = 0x80; // §5.2: byte 0, bit 0
const MASK_BIT: u8 = 0x80; // §5.2: byte 1, bit 0
const LEN_16: u8 = 126; // §5.2: "If 126, the following 2 bytes ... are the payload length"
const LEN_64: u8 = 127; // §5.2: "If 127, the following 8 bytes ..."

/// Which end of the connection we are: it decides who masks (RFC 6455 §5.1).
///
/// A `Server` expects every incoming frame masked and sends its own unmasked; a `Client`
/// the opposite. Masking is not for secrecy (the key travels with the frame) but so that a
/// hostile page cannot choose the bytes a proxy sees (RFC 6455 §10.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    /// §5.1: a server MUST close the connection on an unmasked frame, a client on a masked one.
    fn check_masking(self, masked: bool) -> Result<(), FrameError> {
        match (self, masked) {
            (Role::Server, false) => Err(FrameError::UnmaskedClientFrame),
            (Role::Client, true) => Err(FrameError::MaskedServerFrame),
            (Role::Server, true) | (Role::Client, false) => Ok(()),
        }
    }
}

/// What a frame carries (RFC 6455 §5.2, §11.8). Values 0x3–0x7 and 0xB–0xF are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    /// 0x0: the next fragment of the message in progress (§5.4).
    Continuation,
    /// 0x1: a UTF-8 text message, or its first fragment (§5.6).
    Text,
    /// 0x2: a binary message, or its first fragment (§5.6).
    Binary,
    /// 0x8: the closing handshake (§5.5.1).
    Close,
    /// 0x9: asks the peer for a pong (§5.5.2).
    Ping,
    /// 0xA: answers a ping, or is an unsolicited heartbeat (§5.5.3).
    Pong,
}

impl OpCode {
    /// The opcode of a frame's 4 opcode bits.
    ///
    /// # Errors
    /// [`FrameError::UnknownOpCode`] for the reserved values: no extension was negotiated
    /// that could give them a meaning (§5.2).
    pub fn from_u8(bits: u8) -> Result<OpCode, FrameError> {
        match bits {
            0x0 => Ok(OpCode::Continuation),
            0x1 => Ok(OpCode::Text),
            0x2 => Ok(OpCode::Binary),
            0x8 => Ok(OpCode::Close),
            0x9 => Ok(OpCode::Ping),
            0xA => Ok(OpCode::Pong),
            other => Err(FrameError::UnknownOpCode(other)),
        }
    }

    /// The 4 opcode bits.
    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (close, ping, pong: the high bit set, §5.5).
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }
}

/// The fixed part of a frame, before its payload (RFC 6455 §5.2).
///
/// [`Header::decode`] gives one from the bytes read so far; `connection.rs` can then take the
/// payload in pieces, unmasking each with [`apply_mask`], rather than wait for all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The last frame of its message (§5.2); always set on control frames (§5.5).
    pub fin: bool,
    /// RSV1, RSV2 and RSV3 in the low 3 bits. Zero unless an extension says otherwise.
    pub rsv: u8,
    pub opcode: OpCode,
    /// The masking key, present on every frame a client sends (§5.1, §5.3).
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes, whichever of the three length forms carried it.
    pub payload_len: u64,
}

impl Header {
    /// Decodes a header from the front of `buf`, returning it and its length in bytes
    /// (2 to 14). `Ok(None)` means `buf` holds only part of a header: read more, call again.
    ///
    /// Each rule is checked as soon as the field it reads has arrived, never later: the
    /// first byte's rules at one byte, the length rules once the length field is complete,
    /// the masking rule before waiting for the key. A frame that breaks two rules reports
    /// the first, in the order of the `# Errors` list.
    ///
    /// A length in a longer form than needed (5 written in 16 bits) is accepted: §5.2 says
    /// the sender MUST use the minimal form, but it gives the receiver no rule to enforce,
    /// the value is unambiguous, and being lenient in what we accept costs nothing here.
    ///
    /// # Errors
    /// In order: [`FrameError::ReservedBitsSet`], [`FrameError::UnknownOpCode`],
    /// [`FrameError::FragmentedControlFrame`], [`FrameError::ControlFrameTooLong`],
    /// [`FrameError::LengthHighBitSet`], then [`FrameError::UnmaskedClientFrame`] (as a
    /// [`Role::Server`]) or [`FrameError::MaskedServerFrame`] (as a [`Role::Client`]).
    pub fn decode(buf: &[u8], role: Role) -> Result<Option<(Header, usize)>, FrameError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let (fin, opcode) = decode_first_byte(first)?;
        let Some(&second) = buf.get(1) else {
            return Ok(None);
        };
        let masked = second & MASK_BIT != 0;
        let Some((payload_len, mut header_len)) = decode_length(buf, second & 0x7F) else {
            return Ok(None);
        };
        if opcode.is_control() && payload_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(FrameError::ControlFrameTooLong(payload_len));
        }
        // §5.2: in the 64-bit form "the most significant bit MUST be 0".
        if payload_len >> 63 != 0 {
            return Err(FrameError::LengthHighBitSet);
        }
        role.check_masking(masked)?;
        let mask = if masked {
            let Some(key) = array_at::<4>(buf, header_len) else {
                return Ok(None);
            };
            header_len += 4;
            Some(key)
        } else {
            None
        };
        let header = Header {
            fin,
            rsv: 0,
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, header_len)))
    }

    /// Appends the header to `out`, its length in the minimal form: 7 bits up to 125, 16 bits
    /// up to 65535, 64 bits above (§5.2: "the minimal number of bytes MUST be used").
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let fin = if self.fin { FIN_BIT } else { 0 };
        out.push(fin | ((self.rsv & 0b111) << 4) | self.opcode.as_u8());
        let mask_bit = if self.mask.is_some() { MASK_BIT } else { 0 };
        match self.payload_len {
            len @ 0..=125 => out.push(mask_bit | len as u8),
            len @ 126..=0xFFFF => {
                out.push(mask_bit | LEN_16);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(mask_bit | LEN_64);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }

    /// How many bytes [`Header::encode_into`] appends: 2, 4 or 10, plus 4 with a mask.
    pub fn encoded_len(&self) -> usize {
        let length_field = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        let key = if self.mask.is_some() { 4 } else { 0 };
        2 + length_field + key
    }
}

/// Reads FIN and the opcode from a frame's first byte, checking the rules it alone decides.
fn decode_first_byte(first: u8) -> Result<(bool, OpCode), FrameError> {
    let fin = first & FIN_BIT != 0;
    // §5.2: "If a nonzero value is received and none of the negotiated extensions defines
    // the meaning of such a nonzero value, the receiving endpoint MUST _Fail_".
    if (first >> 4) & 0b111 != 0 {
        return Err(FrameError::ReservedBitsSet);
    }
    let opcode = OpCode::from_u8(first & 0x0F)?;
    // §5.5: "Control frames themselves MUST NOT be fragmented."
    if opcode.is_control() && !fin {
        return Err(FrameError::FragmentedControlFrame);
    }
    Ok((fin, opcode))
}

/// Reads the payload length whose 7-bit field is `len7` (§5.2). Returns the length and where
/// the header continues, or `None` if the extended length has not all arrived.
fn decode_length(buf: &[u8], len7: u8) -> Option<(u64, usize)> {
    match len7 {
        LEN_16 => array_at::<2>(buf, 2).map(|b| (u64::from(u16::from_be_bytes(b)), 4)),
        LEN_64 => array_at::<8>(buf, 2).map(|b| (u64::from_be_bytes(b), 10)),
        short => Some((u64::from(short), 2)),
    }
}

/// The `N` bytes of `buf` from `at`, or `None` if they have not all arrived.
fn array_at<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// One whole frame, payload unmasked (RFC 6455 §5.2).
///
/// Build one with [`Frame::text`], [`Frame::binary`], [`Frame::ping`], [`Frame::pong`] or
/// [`Frame::close`] (all with `fin` set), or get one from [`Frame::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The last frame of its message (§5.4).
    pub fin: bool,
    pub opcode: OpCode,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A whole text message in one frame.
    pub fn text(text: impl Into<String>) -> Frame {
        Frame::whole(OpCode::Text, text.into().into_bytes())
    }

    /// A whole binary message in one frame.
    pub fn binary(data: impl Into<Vec<u8>>) -> Frame {
        Frame::whole(OpCode::Binary, data.into())
    }

    /// A ping. Its payload must be at most 125 bytes (§5.5).
    pub fn ping(data: impl Into<Vec<u8>>) -> Frame {
        Frame::control(OpCode::Ping, data.into())
    }

    /// A pong; in answer to a ping, give it the ping's payload (§5.5.3).
    pub fn pong(data: impl Into<Vec<u8>>) -> Frame {
        Frame::control(OpCode::Pong, data.into())
    }

    /// A close frame; its payload is [`encode_close_payload`]`(code, reason)`.
    pub fn close(code: Option<CloseCode>, reason: &str) -> Frame {
        Frame::control(OpCode::Close, encode_close_payload(code, reason))
    }

    fn whole(opcode: OpCode, payload: Vec<u8>) -> Frame {
        Frame {
            fin: true,
            opcode,
            payload,
        }
    }

    fn control(opcode: OpCode, payload: Vec<u8>) -> Frame {
        // A longer control frame is one every peer must refuse (§5.5): a bug in the caller.
        debug_assert!(
            payload.len() <= MAX_CONTROL_PAYLOAD,
            "control frame payload of {} bytes is over 125 (RFC 6455 §5.5)",
            payload.len()
        );
        Frame::whole(opcode, payload)
    }

    /// Decodes one whole frame from the front of `buf`, returning it (payload unmasked) and
    /// the bytes it used. `Ok(None)` means `buf` holds only part of a frame: read more and
    /// call again.
    ///
    /// # Errors
    /// Those of [`Header::decode`], then [`FrameError::PayloadTooLarge`] if the header
    /// announces more than `max_payload` bytes: reported from the header alone, so a peer
    /// cannot make us buffer a payload we will refuse (RFC 6455 §10.4).
    pub fn decode(
        buf: &[u8],
        role: Role,
        max_payload: u64,
    ) -> Result<Option<(Frame, usize)>, FrameError> {
        let Some((header, header_len)) = Header::decode(buf, role)? else {
            return Ok(None);
        };
        let len = header.payload_len;
        if len > max_payload {
            return Err(FrameError::PayloadTooLarge {
                len,
                max: max_payload,
            });
        }
        // On a 32-bit machine a length under a generous limit may still not be addressable.
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_add(header_len));
        let Some(end) = end else {
            return Err(FrameError::PayloadTooLarge {
                len,
                max: usize::MAX as u64,
            });
        };
        let Some(payload) = buf.get(header_len..end) else {
            return Ok(None);
        };
        let mut payload = payload.to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        let frame = Frame {
            fin: header.fin,
            opcode: header.opcode,
            payload,
        };
        Ok(Some((frame, end)))
    }

    /// The frame's bytes on the wire. Give `mask: Some(key)` as a [`Role::Client`], which must
    /// mask with a fresh random key per frame (§5.3), and `None` as a [`Role::Server`].
    pub fn encode(&self, mask: Option<[u8; 4]>) -> Vec<u8> {
        let header = Header {
            fin: self.fin,
            rsv: 0,
            opcode: self.opcode,
            mask,
            payload_len: self.payload.len() as u64,
        };
        let mut out = Vec::with_capacity(header.encoded_len() + self.payload.len());
        header.encode_into(&mut out);
        let payload_start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = mask {
            apply_mask(&mut out[payload_start..], key, 0);
        }
        out
    }
}

/// Why a frame or message was refused: each variant a rule of RFC 6455 the peer broke.
/// [`FrameError::close_code`] picks the code we fail the connection with (§7.1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// §5.2: an RSV bit is set, but no extension was negotiated to give it a meaning.
    ReservedBitsSet,
    /// §5.2: opcodes 0x3–0x7 and 0xB–0xF are reserved.
    UnknownOpCode(u8),
    /// §5.1: a client must mask every frame it sends.
    UnmaskedClientFrame,
    /// §5.1: a server must not mask the frames it sends.
    MaskedServerFrame,
    /// §5.5: a control frame's payload is at most 125 bytes.
    ControlFrameTooLong(u64),
    /// §5.5: a control frame must not be fragmented (FIN set).
    FragmentedControlFrame,
    /// §5.2: the most significant bit of a 64-bit length must be 0.
    LengthHighBitSet,
    /// §10.4: one frame is over our configured limit.
    PayloadTooLarge { len: u64, max: u64 },
    /// §10.4: the fragments of one message add up past our configured limit.
    MessageTooLarge { len: u64, max: u64 },
    /// §10.4: the message is within the limits, but the memory budget every connection
    /// shares has too little left for it (`memory_budget.rs`).
    OverBudget(OverBudget),
    /// §8.1: text (a message or a close reason) is not valid UTF-8.
    InvalidUtf8,
    /// §7.4: a close frame carries a code no endpoint may send.
    InvalidCloseCode(u16),
    /// §5.5.1: a 1-byte close payload cannot hold the 2-byte status code.
    CloseFrameTooShort,
    /// §5.4: a continuation frame with no fragmented message in progress.
    UnexpectedContinuation,
    /// §5.4: a new text or binary frame while a fragmented message is in progress.
    ExpectedContinuation,
}

impl FrameError {
    /// The close code (§7.4.1) we send as we fail the connection (§7.1.7). No wildcard arm:
    /// a new variant will not compile until someone decides its code.
    pub fn close_code(&self) -> CloseCode {
        match self {
            FrameError::ReservedBitsSet
            | FrameError::UnknownOpCode(_)
            | FrameError::UnmaskedClientFrame
            | FrameError::MaskedServerFrame
            | FrameError::ControlFrameTooLong(_)
            | FrameError::FragmentedControlFrame
            | FrameError::LengthHighBitSet
            | FrameError::InvalidCloseCode(_)
            | FrameError::CloseFrameTooShort
            | FrameError::UnexpectedContinuation
            | FrameError::ExpectedContinuation => CloseCode::ProtocolError, // 1002
            FrameError::InvalidUtf8 => CloseCode::InvalidPayload, // 1007
            FrameError::PayloadTooLarge { .. }
            | FrameError::MessageTooLarge { .. }
            | FrameError::OverBudget(_) => CloseCode::MessageTooBig, // 1009
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ReservedBitsSet => {
                write!(f, "frame has an RSV bit set but no extension was negotiated (RFC 6455 §5.2)")
            }
            FrameError::UnknownOpCode(op) => {
                write!(f, "frame has reserved opcode {op:#X} (RFC 6455 §5.2)")
            }
            FrameError::UnmaskedClientFrame => {
                write!(f, "client sent an unmasked frame; clients must mask (RFC 6455 §5.1)")
            }
            FrameError::MaskedServerFrame => {
                write!(f, "server sent a masked frame; servers must not mask (RFC 6455 §5.1)")
            }
            FrameError::ControlFrameTooLong(len) => {
                write!(f, "control frame of {len} bytes is over 125 (RFC 6455 §5.5)")
            }
            FrameError::FragmentedControlFrame => {
                write!(f, "control frame has FIN clear; it must not be fragmented (RFC 6455 §5.5)")
            }
            FrameError::LengthHighBitSet => {
                write!(f, "64-bit payload length has its top bit set (RFC 6455 §5.2)")
            }
            FrameError::PayloadTooLarge { len, max } => write!(
                f,
                "frame payload of {len} bytes is over the configured limit of {max} (RFC 6455 §10.4)"
            ),
            FrameError::MessageTooLarge { len, max } => write!(
                f,
                "fragmented message reached {len} bytes, over the configured limit of {max} \
                 (RFC 6455 §10.4)"
            ),
            FrameError::OverBudget(e) => write!(f, "{e} (RFC 6455 §10.4)"),
            FrameError::InvalidUtf8 => write!(f, "text is not valid UTF-8 (RFC 6455 §8.1)"),
            FrameError::InvalidCloseCode(code) => write!(
                f,
                "close frame carries status code {code}, which may not be sent (RFC 6455 §7.4)"
            ),
            FrameError::CloseFrameTooShort => write!(
                f,
                "close frame payload is 1 byte; a status code takes 2 (RFC 6455 §5.5.1)"
            ),
            FrameError::UnexpectedContinuation => write!(
                f,
                "continuation frame with no fragmented message in progress (RFC 6455 §5.4)"
            ),
            FrameError::ExpectedContinuation => write!(
                f,
                "new text or binary frame inside a fragmented message; expected a continuation \
                 (RFC 6455 §5.4)"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 1 << 20;
    /// The masking key of RFC 6455 §5.7's masked examples.
    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    const MASKED_HELLO: [u8; 11] = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    const UNMASKED_HELLO: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];

    fn decode_whole(bytes: &[u8], role: Role) -> (Frame, usize) {
        Frame::decode(bytes, role, LIMIT)
            .expect("a valid frame")
            .expect("the bytes hold a whole frame")
    }

    fn decode_err(bytes: &[u8], role: Role) -> FrameError {
        Frame::decode(bytes, role, LIMIT).expect_err("the frame breaks a rule")
    }

    // --- RFC 6455 §5.7 examples -------------------------------------------------------------

    #[test]
    fn unmasked_hello_from_rfc6455_section_5_7_decodes_as_client_and_encodes_back() {
        let (frame, used) = decode_whole(&UNMASKED_HELLO, Role::Client);
        assert_eq!(frame, Frame::text("Hello"));
        assert_eq!(used, 7);
        assert_eq!(Frame::text("Hello").encode(None), UNMASKED_HELLO);
    }

    #[test]
    fn masked_hello_from_rfc6455_section_5_7_decodes_as_server_and_encodes_back() {
        let (frame, used) = decode_whole(&MASKED_HELLO, Role::Server);
        assert_eq!(
            (frame.opcode, frame.payload.as_slice(), used),
            (OpCode::Text, &b"Hello"[..], 11)
        );
        assert!(frame.fin);
        assert_eq!(Frame::text("Hello").encode(Some(KEY)), MASKED_HELLO);
    }

    #[test]
    fn fragmented_hello_from_rfc6455_section_5_7_is_two_frames() {
        let bytes = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
        let (first, used) = decode_whole(&bytes, Role::Client);
        assert_eq!(
            first,
            Frame {
                fin: false,
                opcode: OpCode::Text,
                payload: b"Hel".to_vec()
            }
        );
        let (second, rest) = decode_whole(&bytes[used..], Role::Client);
        let continuation = Frame {
            fin: true,
            opcode: OpCode::Continuation,
            payload: b"lo".to_vec(),
        };
        assert_eq!(second, continuation);
        assert_eq!(used + rest, bytes.len());
        assert_eq!([first.encode(None), second.encode(None)].concat(), bytes);
    }

    #[test]
    fn ping_and_masked_pong_from_rfc6455_section_5_7() {
        let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        assert_eq!(decode_whole(&ping, Role::Client).0, Frame::ping("Hello"));
        assert_eq!(Frame::ping("Hello").encode(None), ping);
        let pong = [
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(decode_whole(&pong, Role::Server).0, Frame::pong("Hello"));
        assert_eq!(Frame::pong("Hello").encode(Some(KEY)), pong);
    }

    #[test]
    fn binary_256_bytes_from_rfc6455_section_5_7_uses_the_16_bit_length() {
        let data: Vec<u8> = (0..=255).collect();
        let wire = Frame::binary(data.clone()).encode(None);
        assert_eq!(wire[..4], [0x82, 0x7E, 0x01, 0x00]);
        assert_eq!(wire.len(), 4 + 256);
        assert_eq!(
            decode_whole(&wire, Role::Client),
            (Frame::binary(data), 260)
        );
    }

    #[test]
    fn binary_64kib_from_rfc6455_section_5_7_uses_the_64_bit_length() {
        let data = vec![0xAB; 65536];
        let wire = Frame::binary(data.clone()).encode(None);
        assert_eq!(
            wire[..10],
            [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        );
        assert_eq!(
            decode_whole(&wire, Role::Client),
            (Frame::binary(data), 65546)
        );
    }

    // --- Lengths and round trips --------------------------------------------------------------

    #[test]
    fn lengths_round_trip_with_minimal_headers_per_section_5_2() {
        for (len, header_len) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let frame = Frame::binary(vec![0x5A; len]);
            let unmasked = frame.encode(None);
            assert_eq!(unmasked.len(), header_len + len, "unmasked, length {len}");
            assert_eq!(
                decode_whole(&unmasked, Role::Client),
                (frame.clone(), unmasked.len())
            );
            let masked = frame.encode(Some(KEY));
            assert_eq!(masked.len(), header_len + 4 + len, "masked, length {len}");
            assert_eq!(decode_whole(&masked, Role::Server), (frame, masked.len()));
        }
    }

    #[test]
    fn header_encoded_len_matches_encode_into() {
        for payload_len in [0, 125, 126, 65535, 65536, u64::from(u32::MAX) + 1] {
            for mask in [None, Some(KEY)] {
                let header = Header {
                    fin: true,
                    rsv: 0,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len,
                };
                let mut out = Vec::new();
                header.encode_into(&mut out);
                assert_eq!(out.len(), header.encoded_len());
                // Clients send masked frames, which a server decodes; and the other way round.
                let role = if mask.is_some() {
                    Role::Server
                } else {
                    Role::Client
                };
                assert_eq!(Header::decode(&out, role), Ok(Some((header, out.len()))));
            }
        }
    }

    #[test]
    fn non_minimal_lengths_are_accepted_because_only_senders_must_be_minimal() {
        // 5 bytes announced in the 16-bit form, then in the 64-bit form.
        let sixteen = [0x82, 0x7E, 0x00, 0x05, 1, 2, 3, 4, 5];
        assert_eq!(
            decode_whole(&sixteen, Role::Client),
            (Frame::binary([1, 2, 3, 4, 5]), 9)
        );
        let sixty_four = [0x89, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x01, 9];
        assert_eq!(
            decode_whole(&sixty_four, Role::Client),
            (Frame::ping([9]), 11)
        );
    }

    #[test]
    fn every_truncation_of_a_valid_frame_is_incomplete_not_an_error() {
        let cases = [
            (MASKED_HELLO.to_vec(), Role::Server),
            (UNMASKED_HELLO.to_vec(), Role::Client),
            (Frame::binary(vec![7; 300]).encode(Some(KEY)), Role::Server),
            (Frame::binary(vec![7; 65536]).encode(None), Role::Client),
            (
                Frame::close(Some(CloseCode::Normal), "bye").encode(Some(KEY)),
                Role::Server,
            ),
        ];
        for (wire, role) in cases {
            for cut in 0..wire.len() {
                assert_eq!(
                    Frame::decode(&wire[..cut], role, LIMIT),
                    Ok(None),
                    "cut at {cut}"
                );
            }
            assert_eq!(decode_whole(&wire, role).1, wire.len());
        }
    }

    #[test]
    fn bytes_after_a_frame_are_left_for_the_next_decode() {
        let mut wire = MASKED_HELLO.to_vec();
        wire.extend_from_slice(&[0x88, 0x80]); // the start of the next frame
        assert_eq!(decode_whole(&wire, Role::Server).1, MASKED_HELLO.len());
    }

    // --- §5.2 header rules ------------------------------------------------------------------

    #[test]
    fn every_reserved_opcode_closes_with_1002_after_one_byte() {
        for bits in (0x3..=0x7).chain(0xB..=0xF) {
            let err = Header::decode(&[0x80 | bits], Role::Server).expect_err("reserved opcode");
            assert_eq!(err, FrameError::UnknownOpCode(bits));
            assert_eq!(err.close_code(), CloseCode::ProtocolError);
        }
    }

    #[test]
    fn opcodes_round_trip_and_only_close_ping_pong_are_control() {
        for bits in 0..=0xFF {
            match OpCode::from_u8(bits) {
                Ok(op) => {
                    assert_eq!(op.as_u8(), bits);
                    assert_eq!(
                        op.is_control(),
                        matches!(op, OpCode::Close | OpCode::Ping | OpCode::Pong)
                    );
                }
                Err(err) => assert_eq!(err, FrameError::UnknownOpCode(bits)),
            }
        }
    }

    #[test]
    fn each_rsv_bit_closes_with_1002_when_no_extension_was_negotiated() {
        for rsv_bit in [0x40, 0x20, 0x10] {
            let mut wire = MASKED_HELLO;
            wire[0] |= rsv_bit;
            let err = decode_err(&wire, Role::Server);
            assert_eq!(err, FrameError::ReservedBitsSet, "bit {rsv_bit:#X}");
            assert_eq!(err.close_code(), CloseCode::ProtocolError);
            assert_eq!(
                Header::decode(&wire[..1], Role::Server),
                Err(FrameError::ReservedBitsSet)
            );
        }
    }

    #[test]
    fn control_frame_of_126_bytes_is_refused_per_section_5_5() {
        for opcode in [0x88, 0x89, 0x8A] {
            // Refused as soon as the length is known: before the key and the payload.
            let err =
                Header::decode(&[opcode, 0xFE, 0x00, 0x7E], Role::Server).expect_err("126 > 125");
            assert_eq!(err, FrameError::ControlFrameTooLong(126));
            assert_eq!(err.close_code(), CloseCode::ProtocolError);
        }
        let longest = Frame::ping(vec![0; 125]).encode(Some(KEY));
        assert_eq!(decode_whole(&longest, Role::Server).0.payload.len(), 125);
    }

    #[test]
    fn control_frame_without_fin_is_refused_after_one_byte_per_section_5_5() {
        for opcode in [0x08, 0x09, 0x0A] {
            let err = Header::decode(&[opcode], Role::Server).expect_err("fragmented control");
            assert_eq!(err, FrameError::FragmentedControlFrame);
            assert_eq!(err.close_code(), CloseCode::ProtocolError);
        }
    }

    #[test]
    fn length_with_the_64_bit_top_bit_set_is_refused_per_section_5_2() {
        let wire = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            Header::decode(&wire, Role::Server),
            Err(FrameError::LengthHighBitSet)
        );
        // Unmasked too: the length rule comes before the masking rule.
        let unmasked = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        let err = Header::decode(&unmasked, Role::Server).expect_err("top bit set");
        assert_eq!(
            (err.clone(), err.close_code()),
            (FrameError::LengthHighBitSet, CloseCode::ProtocolError)
        );
    }

    #[test]
    fn a_frame_breaking_two_rules_reports_the_first_in_order() {
        // RSV bit and reserved opcode.
        assert_eq!(
            Header::decode(&[0xC3, 0x80], Role::Server),
            Err(FrameError::ReservedBitsSet)
        );
        // Non-FIN ping that is also too long and unmasked.
        assert_eq!(
            Header::decode(&[0x09, 0x7E, 0, 200], Role::Server),
            Err(FrameError::FragmentedControlFrame)
        );
        // Too-long ping that is also unmasked.
        assert_eq!(
            Header::decode(&[0x89, 0x7E, 0, 200], Role::Server),
            Err(FrameError::ControlFrameTooLong(200))
        );
    }

    // --- §5.1 and §5.3 masking ----------------------------------------------------------------

    #[test]
    fn server_refuses_unmasked_client_frame_with_1002_per_section_5_1() {
        let err = decode_err(&UNMASKED_HELLO, Role::Server);
        assert_eq!(err, FrameError::UnmaskedClientFrame);
        assert_eq!(err.close_code(), CloseCode::ProtocolError);
        // Known from the header's second byte: no need to wait for the payload.
        assert_eq!(
            Header::decode(&UNMASKED_HELLO[..2], Role::Server),
            Err(FrameError::UnmaskedClientFrame)
        );
    }

    #[test]
    fn client_refuses_masked_server_frame_with_1002_per_section_5_1() {
        let err = decode_err(&MASKED_HELLO, Role::Client);
        assert_eq!(err, FrameError::MaskedServerFrame);
        assert_eq!(err.close_code(), CloseCode::ProtocolError);
        assert_eq!(
            Header::decode(&MASKED_HELLO[..2], Role::Client),
            Err(FrameError::MaskedServerFrame)
        );
    }

    // --- §10.4 size limit -------------------------------------------------------------------

    #[test]
    fn payload_over_the_limit_is_refused_from_the_header_alone_with_1009() {
        // Only the 8 header bytes of a masked 256-byte frame (length, key): no payload yet.
        let header = [0x82, 0xFE, 0x01, 0x00, 0x37, 0xfa, 0x21, 0x3d];
        let err = Frame::decode(&header, Role::Server, 100).expect_err("256 > 100");
        assert_eq!(err, FrameError::PayloadTooLarge { len: 256, max: 100 });
        assert_eq!(err.close_code(), CloseCode::MessageTooBig);
        let at_limit = Frame::binary(vec![0; 100]).encode(Some(KEY));
        assert!(matches!(
            Frame::decode(&at_limit, Role::Server, 100),
            Ok(Some(_))
        ));
    }

    #[test]
    fn each_error_maps_to_its_close_code_and_cites_its_rule() {
        let cases = [
            (FrameError::ReservedBitsSet, 1002),
            (FrameError::UnknownOpCode(3), 1002),
            (FrameError::UnmaskedClientFrame, 1002),
            (FrameError::MaskedServerFrame, 1002),
            (FrameError::ControlFrameTooLong(126), 1002),
            (FrameError::FragmentedControlFrame, 1002),
            (FrameError::LengthHighBitSet, 1002),
            (FrameError::PayloadTooLarge { len: 2, max: 1 }, 1009),
            (FrameError::MessageTooLarge { len: 2, max: 1 }, 1009),
            (
                FrameError::OverBudget(OverBudget {
                    asked: 2,
                    held: 1,
                    limit: 2,
                }),
                1009,
            ),
            (FrameError::InvalidUtf8, 1007),
            (FrameError::InvalidCloseCode(1005), 1002),
            (FrameError::CloseFrameTooShort, 1002),
            (FrameError::UnexpectedContinuation, 1002),
            (FrameError::ExpectedContinuation, 1002),
        ];
        for (err, code) in cases {
            assert_eq!(err.close_code().as_u16(), code, "{err:?}");
            assert!(err.to_string().contains("(RFC 6455 §"), "{err}");
            let _: &dyn std::error::Error = &err;
        }
    }
}
