//! Engine.IO packets: one type digit, then the data (Engine.IO v4 "Protocol", "Packet encoding").
//!
//! Everything Engine.IO says travels as a packet: the handshake (`0{"sid":…}`), the heartbeat
//! (`2` and `3`), the upgrade probe (`2probe`, `3probe`, `5`) and the messages that carry
//! Socket.IO (`4…`). Over a WebSocket each packet is one frame; over long-polling several are
//! joined into one HTTP body, which is `payload.rs`'s job. We do no I/O: the transport hands us
//! the text or the bytes it read, and sends what we encode.
//!
//! ```text
//!  text form:   <type digit>[<data>]       "4hello"  "2probe"  "6"
//!  binary form: raw bytes, always a message (a binary WebSocket frame, no type prefix)
//!  base64 form: "b" + base64 of the bytes  (where only text can travel: polling bodies)
//! ```
//!
//! Rules enforced here: a packet has at least its type digit, and the digit is one of 0–6
//! (Engine.IO v4 "Protocol"); the base64 form is standard, padded base64 (Engine.IO v4
//! "Packet encoding › HTTP long-polling"). Like the reference parser we accept data after any
//! type digit and drop it where the type carries none (see [`Packet::decode_text`]).

use std::fmt;

use base64::Engine as _;

/// The prefix of a binary packet written as text: `b` + base64 (Engine.IO v4 "Packet encoding").
pub const BINARY_PREFIX: char = 'b';

/// One Engine.IO packet (Engine.IO v4 "Protocol": the seven packet types).
///
/// You get one from [`Packet::decode_text`] or [`Packet::decode_binary`], or build one to send.
/// The data of `Open`, `Ping`, `Pong` and `Message` is text; an empty string means the packet
/// came (or goes) without data, so `Ping(String::new())` is the plain heartbeat `2`.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// 0: the server's handshake, its data the JSON text `{"sid":…,"pingInterval":…}`.
    Open(String),
    /// 1: the peer is closing the session (or, for polling, this transport).
    Close,
    /// 2: "are you there?". The server pings (v4); `2probe` starts an upgrade.
    Ping(String),
    /// 3: the answer to a ping, echoing its data (`3probe` answers `2probe`).
    Pong(String),
    /// 4: a text message for the layer above: a Socket.IO packet, for us.
    Message(String),
    /// 4, binary: a message whose data is raw bytes (a Socket.IO binary attachment, for us).
    BinaryMessage(Vec<u8>),
    /// 5: the client has switched to the probed WebSocket; polling is over.
    Upgrade,
    /// 6: nothing; answers a pending poll so the client can let polling go during an upgrade.
    Noop,
}

impl Packet {
    /// Decodes a packet that arrived as text: a type digit, then the data (`4hello`, `2probe`,
    /// `6`), or `b` + base64 for a binary message.
    ///
    /// Data after `1`, `5` or `6` is accepted and dropped: the reference parser
    /// (engine.io-parser `decodePacket`) keeps whatever follows any type digit and the
    /// reference server ignores it on those types, so refusing it would close sessions the
    /// reference keeps open. The `b` form is decoded here, not only in polling bodies, because
    /// the reference does the same for WebSocket text frames, which a client configured with
    /// `forceBase64` sends.
    ///
    /// # Errors
    /// - [`PacketError::Empty`] for `""`: a packet is at least its type digit.
    /// - [`PacketError::UnknownType`] for a first character other than `0`–`6` or `b`.
    /// - [`PacketError::InvalidBase64`] when the text after `b` is not standard padded base64.
    pub fn decode_text(text: &str) -> Result<Packet, PacketError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(PacketError::Empty)?;
        let data = chars.as_str();
        match kind {
            '0' => Ok(Packet::Open(data.to_owned())),
            '1' => Ok(Packet::Close),
            '2' => Ok(Packet::Ping(data.to_owned())),
            '3' => Ok(Packet::Pong(data.to_owned())),
            '4' => Ok(Packet::Message(data.to_owned())),
            '5' => Ok(Packet::Upgrade),
            '6' => Ok(Packet::Noop),
            BINARY_PREFIX => decode_base64(data).map(Packet::BinaryMessage),
            other => Err(PacketError::UnknownType(other)),
        }
    }

    /// Decodes a binary WebSocket frame: always a message whose data is the frame's bytes.
    ///
    /// Engine.IO v4 "Packet encoding › WebSocket": "Binary payloads are sent as is, without
    /// modification." (v3 put a type byte in front; v4 dropped it, so there is nothing to
    /// check and no way to fail.)
    pub fn decode_binary(bytes: Vec<u8>) -> Packet {
        Packet::BinaryMessage(bytes)
    }

    /// The text form of this packet (`4hello`, `3probe`, `6`), or `None` for a
    /// [`Packet::BinaryMessage`]: that goes as a binary WebSocket frame of its bytes, or as
    /// `b` + base64 inside a polling payload (see `payload.rs`).
    pub fn encode_text(&self) -> Option<String> {
        let (digit, data) = match self {
            Packet::Open(data) => ('0', data.as_str()),
            Packet::Close => ('1', ""),
            Packet::Ping(data) => ('2', data.as_str()),
            Packet::Pong(data) => ('3', data.as_str()),
            Packet::Message(data) => ('4', data.as_str()),
            Packet::BinaryMessage(_) => return None,
            Packet::Upgrade => ('5', ""),
            Packet::Noop => ('6', ""),
        };
        let mut text = String::with_capacity(1 + data.len());
        text.push(digit);
        text.push_str(data);
        Some(text)
    }

    /// The `b` + base64 form of a binary message, as written into a polling payload
    /// (Engine.IO v4 "Packet encoding › HTTP long-polling"); `None` for any other packet.
    pub fn encode_base64(&self) -> Option<String> {
        match self {
            Packet::BinaryMessage(bytes) => {
                let mut text = String::from(BINARY_PREFIX);
                base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut text);
                Some(text)
            }
            _ => None,
        }
    }
}

/// Strict standard base64 with padding, as the reference encoders write it (Node's
/// `Buffer#toString("base64")`). Node's own decoder would also skip stray characters; we
/// refuse them, since no honest client sends them and a lenient decoder hides bugs.
fn decode_base64(text: &str) -> Result<Vec<u8>, PacketError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| PacketError::InvalidBase64)
}

/// Why a packet (or a polling payload) was refused: each variant is a rule of Engine.IO v4,
/// or one of our limits, that the peer broke. The reference server closes the session on a
/// broken packet (its `Socket.onPacket` closes with "parse error").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketError {
    /// "Protocol": a packet is at least its type digit; `""` is not one (in a payload: two
    /// separators in a row, or one at either end).
    Empty,
    /// "Protocol": the type digits are 0–6 (and `b` marks base64 binary); this is neither.
    UnknownType(char),
    /// "Packet encoding › HTTP long-polling": after `b` comes base64 of the bytes.
    InvalidBase64,
    /// Our limit, not the spec's: a polling body held more packets than we accept at once.
    TooManyPackets { max: usize },
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::Empty => write!(
                f,
                "empty Engine.IO packet; a packet is at least its type digit \
                 (Engine.IO v4 \"Protocol\")"
            ),
            PacketError::UnknownType(c) => write!(
                f,
                "Engine.IO packet starts with {c:?}, not a type digit 0-6 or 'b' \
                 (Engine.IO v4 \"Protocol\")"
            ),
            PacketError::InvalidBase64 => write!(
                f,
                "binary Engine.IO packet is not valid padded base64 after its 'b' \
                 (Engine.IO v4 \"Packet encoding\")"
            ),
            PacketError::TooManyPackets { max } => write!(
                f,
                "polling payload holds more than {max} Engine.IO packets, our configured limit"
            ),
        }
    }
}

impl std::error::Error for PacketError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_hello_from_the_v4_spec_decodes_and_encodes_back() {
        let packet = Packet::decode_text("4hello").unwrap();
        assert_eq!(packet, Packet::Message("hello".into()));
        assert_eq!(packet.encode_text().as_deref(), Some("4hello"));
    }

    #[test]
    fn upgrade_probe_from_the_v4_spec_is_a_ping_and_pong_with_data_probe() {
        assert_eq!(
            Packet::decode_text("2probe"),
            Ok(Packet::Ping("probe".into()))
        );
        assert_eq!(
            Packet::decode_text("3probe"),
            Ok(Packet::Pong("probe".into()))
        );
        assert_eq!(
            Packet::Pong("probe".into()).encode_text().as_deref(),
            Some("3probe")
        );
    }

    #[test]
    fn every_type_digit_zero_to_six_decodes_per_protocol_table() {
        let cases = [
            (
                "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\"}",
                Packet::Open("{\"sid\":\"lv_VI97HAXpY6yYWAAAC\"}".into()),
            ),
            ("1", Packet::Close),
            ("2", Packet::Ping(String::new())),
            ("3", Packet::Pong(String::new())),
            ("4", Packet::Message(String::new())),
            ("5", Packet::Upgrade),
            ("6", Packet::Noop),
        ];
        for (text, packet) in cases {
            assert_eq!(
                Packet::decode_text(text),
                Ok(packet.clone()),
                "decoding {text:?}"
            );
            assert_eq!(
                packet.encode_text().as_deref(),
                Some(text),
                "encoding {packet:?}"
            );
        }
    }

    #[test]
    fn message_data_is_kept_verbatim_including_utf8_and_digits() {
        let packet = Packet::decode_text("42[\"chat\",\"€ 4 ünïcode\"]").unwrap();
        assert_eq!(
            packet,
            Packet::Message("2[\"chat\",\"€ 4 ünïcode\"]".into())
        );
    }

    #[test]
    fn data_after_close_upgrade_and_noop_is_dropped_like_the_reference_parser() {
        assert_eq!(Packet::decode_text("1bye"), Ok(Packet::Close));
        assert_eq!(Packet::decode_text("5probe"), Ok(Packet::Upgrade));
        assert_eq!(Packet::decode_text("6x"), Ok(Packet::Noop));
    }

    #[test]
    fn empty_text_is_refused_per_protocol() {
        assert_eq!(Packet::decode_text(""), Err(PacketError::Empty));
    }

    #[test]
    fn unknown_type_digits_and_letters_are_refused_per_protocol() {
        for (text, c) in [
            ("7", '7'),
            ("9x", '9'),
            ("x4", 'x'),
            ("€", '€'),
            (" 4", ' '),
        ] {
            assert_eq!(Packet::decode_text(text), Err(PacketError::UnknownType(c)));
        }
    }

    #[test]
    fn base64_text_form_from_the_v4_spec_decodes_to_a_binary_message() {
        let packet = Packet::decode_text("bAQIDBA==").unwrap();
        assert_eq!(packet, Packet::BinaryMessage(vec![1, 2, 3, 4]));
        assert_eq!(packet.encode_base64().as_deref(), Some("bAQIDBA=="));
    }

    #[test]
    fn empty_base64_is_an_empty_binary_message() {
        assert_eq!(
            Packet::decode_text("b"),
            Ok(Packet::BinaryMessage(Vec::new()))
        );
    }

    #[test]
    fn bad_base64_is_refused_per_packet_encoding() {
        for text in ["bAQIDBA", "b!!!!", "bAQ ID", "bAQIDBA==="] {
            assert_eq!(
                Packet::decode_text(text),
                Err(PacketError::InvalidBase64),
                "{text:?}"
            );
        }
    }

    #[test]
    fn binary_frame_is_a_message_of_its_raw_bytes_without_type_prefix_in_v4() {
        let packet = Packet::decode_binary(vec![1, 2, 3]);
        assert_eq!(packet, Packet::BinaryMessage(vec![1, 2, 3]));
        assert_eq!(
            packet.encode_text(),
            None,
            "binary goes as a frame or base64, never text"
        );
    }

    #[test]
    fn encode_base64_is_none_for_text_packets() {
        assert_eq!(Packet::Message("hi".into()).encode_base64(), None);
    }

    #[test]
    fn display_names_the_rule_for_a_log_line() {
        assert!(PacketError::UnknownType('7').to_string().contains("'7'"));
        assert!(PacketError::TooManyPackets { max: 3 }
            .to_string()
            .contains("3"));
        assert!(PacketError::Empty.to_string().contains("Engine.IO v4"));
    }
}
