//! Why a JSON text was refused: [`ParseError`], the rule of RFC 8259 broken and the byte
//! where the parser found out.
//!
//! `parse.rs` makes these and nothing else does; the layers above pass them on, as
//! `socketio/packet.rs` does inside `PacketError::InvalidJson`, whose `source()` is the
//! `ParseError`. Each [`ParseErrorKind`] is one rule of §2–§9, and [`Display`] turns kind
//! and offset into a log line that says where and which rule: `invalid JSON at byte 5:
//! leading zero (RFC 8259 §6)`.
//!
//! [`Display`]: std::fmt::Display

use std::fmt;

/// Why a text is not JSON, and the byte where we found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// Where the problem was found, in bytes from the start of the text: the unexpected
    /// character, the backslash of a bad escape, the start of an out-of-range number.
    pub offset: usize,
}

/// The rule of RFC 8259 a text broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text stopped inside a value: `[1,`, `"abc`, `tru`, `1e`.
    UnexpectedEnd,
    /// §2–§5: the grammar allows nothing like this here: `'a'`, `+1`, `.5`, `NaN`, `[1 2]`,
    /// `{a:1}`, `/* comment */`.
    UnexpectedCharacter(char),
    /// §6: "Leading zeros are not allowed" (`01`, `-00`).
    LeadingZero,
    /// §6: a minus, point or exponent without the digit it needs (`-x`, `1.e5`, `1ex`).
    InvalidNumber,
    /// §9: the number is beyond the largest `f64` (`1e400`).
    NumberOutOfRange,
    /// §7: a backslash followed by none of `" \ / b f n r t u`, or `\u` without 4 hex digits.
    InvalidEscape,
    /// §7, §8.2: a `\u` escape of a UTF-16 surrogate that is not one half of a pair.
    LoneSurrogate,
    /// §7: a raw U+0000–U+001F inside a string; it must be escaped.
    ControlCharacterInString,
    /// §4, §5: a comma before `]` or `}`.
    TrailingComma,
    /// §2: more than whitespace after the value.
    TrailingCharacters,
    /// §9: arrays and objects nested more than `max` deep.
    TooDeep { max: usize },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: ", self.offset)?;
        match &self.kind {
            ParseErrorKind::UnexpectedEnd => {
                write!(f, "the text ends inside a value (RFC 8259 §2)")
            }
            ParseErrorKind::UnexpectedCharacter(c) => {
                write!(f, "unexpected character {c:?} (RFC 8259 §2)")
            }
            ParseErrorKind::LeadingZero => write!(f, "leading zero (RFC 8259 §6)"),
            ParseErrorKind::InvalidNumber => {
                write!(
                    f,
                    "a digit must follow a minus, point or exponent (RFC 8259 §6)"
                )
            }
            ParseErrorKind::NumberOutOfRange => {
                write!(f, "number out of the range of an f64 (RFC 8259 §9)")
            }
            ParseErrorKind::InvalidEscape => write!(f, "invalid escape (RFC 8259 §7)"),
            ParseErrorKind::LoneSurrogate => {
                write!(f, "\\u escape of a lone UTF-16 surrogate (RFC 8259 §8.2)")
            }
            ParseErrorKind::ControlCharacterInString => {
                write!(f, "unescaped control character in a string (RFC 8259 §7)")
            }
            ParseErrorKind::TrailingComma => write!(f, "trailing comma (RFC 8259 §4, §5)"),
            ParseErrorKind::TrailingCharacters => {
                write!(f, "more than whitespace after the value (RFC 8259 §2)")
            }
            ParseErrorKind::TooDeep { max } => {
                write!(f, "arrays and objects nested over {max} deep (RFC 8259 §9)")
            }
        }
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use crate::json::parse;

    #[test]
    fn errors_say_where_and_which_rule() {
        let error = parse("[1, 01]").expect_err("leading zero");
        assert_eq!(
            error.to_string(),
            "invalid JSON at byte 5: leading zero (RFC 8259 §6)"
        );
        let error = parse("[1, 'x']").expect_err("quote");
        assert_eq!(
            error.to_string(),
            "invalid JSON at byte 4: unexpected character '\\'' (RFC 8259 §2)"
        );
        let _: &dyn std::error::Error = &error;
    }
}
