//! Why MessagePack bytes were refused: [`MsgpackError`], the rule broken and the byte where
//! the decoder found out (MessagePack spec, "Formats" and "Serialization: type to format
//! conversion").
//!
//! `decode.rs` makes these and nothing else does. Each [`MsgpackErrorKind`] is one reason a
//! Redis message from another node cannot become a [`Value`](crate::json::Value); the adapter
//! logs it and drops that message, as the Node adapter drops one its parser throws on.

use std::fmt;

/// Why bytes are not a MessagePack value we accept, and the byte where we found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgpackError {
    pub kind: MsgpackErrorKind,
    /// Where the problem was found, in bytes from the start of the input: the format byte
    /// of the value refused, or where the input ran out.
    pub offset: usize,
}

/// The reason, one per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgpackErrorKind {
    /// The input stops inside a value: a header, or fewer bytes than its length claims.
    UnexpectedEnd,
    /// 0xc1, which the spec marks "(never used)".
    NeverUsedFormat,
    /// An extension type we give no meaning to (spec "Extension types"). We accept type 0
    /// as notepack's legacy `undefined` (fixext 1) and ArrayBuffer (ext 8/16/32) only.
    UnsupportedExtension { type_code: i8, len: usize },
    /// A str whose bytes are not UTF-8 (the spec: str "represents a UTF-8 string").
    InvalidUtf8,
    /// A map key that is not a str: our objects, like JavaScript's, are keyed by strings.
    KeyNotString,
    /// Arrays and maps nested more than `max` deep.
    TooDeep { max: usize },
    /// More bytes after the value, in [`decode`](super::decode) (not in `decode_prefix`).
    TrailingBytes,
}

impl fmt::Display for MsgpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid MessagePack at byte {}: ", self.offset)?;
        match &self.kind {
            MsgpackErrorKind::UnexpectedEnd => write!(f, "the input ends inside a value"),
            MsgpackErrorKind::NeverUsedFormat => {
                write!(f, "format byte 0xc1, which the spec marks \"never used\"")
            }
            MsgpackErrorKind::UnsupportedExtension { type_code, len } => {
                write!(
                    f,
                    "extension type {type_code} ({len} bytes) is not supported"
                )
            }
            MsgpackErrorKind::InvalidUtf8 => write!(f, "a str that is not UTF-8"),
            MsgpackErrorKind::KeyNotString => write!(f, "a map key that is not a str"),
            MsgpackErrorKind::TooDeep { max } => {
                write!(f, "arrays and maps nested more than {max} deep")
            }
            MsgpackErrorKind::TrailingBytes => write!(f, "more bytes after the value"),
        }
    }
}

impl std::error::Error for MsgpackError {}
