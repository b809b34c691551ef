//! RESP2, the Redis serialization protocol, version 2: a pure decoder for the replies Redis
//! sends and the encoder for the commands we send.
//!
//! Spec: <https://redis.io/docs/latest/develop/reference/protocol-spec/> (RESP2). A reply
//! starts with one type byte — `+` simple string, `-` error, `:` integer, `$` bulk string,
//! `*` array — and every line ends in CR LF. A bulk string is a length line and then exactly
//! that many bytes (binary safe, which is why payloads are `Vec<u8>`); `$-1` and `*-1` are
//! RESP2's two spellings of "nil". A command is always an array of bulk strings.
//!
//! Like every decoder in threadio, [`decode`] is pure: it looks at the bytes buffered so far
//! and returns one reply and how many bytes it used, or `None` for "not enough yet". The
//! connection owns the socket and the buffer (`reply_reader.rs`).
//!
//! Redis is a peer we trust more than a browser, but a malformed or hostile reply (a proxy in
//! between, the wrong server on that port) must cost a typed error, not a panic or a huge
//! allocation: lengths and nesting are bounded by [`RespLimits`], and no `Vec` is sized from
//! a claimed length before the bytes are actually here.

use std::fmt;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK\r\n`: a short status text.
    Simple(String),
    /// `-ERR unknown command\r\n`: Redis refused the command; the connection is still fine.
    Error(String),
    /// `:42\r\n`: a signed 64-bit integer.
    Integer(i64),
    /// `$5\r\nhello\r\n`: binary-safe bytes.
    Bulk(Vec<u8>),
    /// `$-1\r\n` (null bulk string) or `*-1\r\n` (null array): RESP2's nil.
    Nil,
    /// `*2\r\n…`: a sequence of replies, possibly nested.
    Array(Vec<Reply>),
}

/// Bounds on what one reply may claim, checked before anything is allocated for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RespLimits {
    /// The longest bulk string. Redis's own `proto-max-bulk-len` defaults to 512 MiB; ours
    /// is smaller because a Socket.IO broadcast that large is a mistake.
    pub max_bulk: usize,
    /// The most elements one array may claim.
    pub max_elements: usize,
    /// How deeply arrays may nest (the decoder recurses once per level).
    pub max_depth: usize,
    /// The longest type line (simple string, error, integer or length), CR LF excluded.
    pub max_line: usize,
}

impl Default for RespLimits {
    fn default() -> RespLimits {
        RespLimits {
            max_bulk: 64 * 1024 * 1024,
            max_elements: 1024 * 1024,
            max_depth: 8,
            max_line: 64 * 1024,
        }
    }
}

/// Why bytes from Redis are not a RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RespError {
    /// The first byte of a reply is none of `+ - : $ *`.
    UnknownType(u8),
    /// A line ended in a bare LF, or a bulk string's bytes were not followed by CR LF.
    MissingCrlf,
    /// A line of a simple string or an error is not UTF-8.
    NotUtf8,
    /// An integer or a length line is not a decimal number (or overflows `i64`).
    BadNumber(String),
    /// A length below -1.
    NegativeLength(i64),
    /// A type line is longer than [`RespLimits::max_line`].
    LineTooLong { max: usize },
    /// A bulk string claims more than [`RespLimits::max_bulk`] bytes.
    BulkTooLarge { len: i64, max: usize },
    /// An array claims more than [`RespLimits::max_elements`] elements.
    ArrayTooLarge { len: i64, max: usize },
    /// Arrays nest deeper than [`RespLimits::max_depth`].
    TooDeep { max: usize },
}

impl fmt::Display for RespError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespError::UnknownType(byte) => {
                write!(
                    f,
                    "reply type byte {byte:#04x} is not one of + - : $ * (RESP2)"
                )
            }
            RespError::MissingCrlf => write!(f, "a RESP2 line or bulk string must end in CR LF"),
            RespError::NotUtf8 => write!(f, "a simple string or error line is not UTF-8"),
            RespError::BadNumber(text) => write!(f, "{text:?} is not a decimal integer"),
            RespError::NegativeLength(len) => write!(f, "length {len} (only -1, nil, is allowed)"),
            RespError::LineTooLong { max } => write!(f, "a type line is longer than {max} bytes"),
            RespError::BulkTooLarge { len, max } => {
                write!(f, "a bulk string of {len} bytes is over the limit of {max}")
            }
            RespError::ArrayTooLarge { len, max } => {
                write!(f, "an array of {len} elements is over the limit of {max}")
            }
            RespError::TooDeep { max } => write!(f, "arrays nest deeper than {max} levels"),
        }
    }
}

impl std::error::Error for RespError {}

/// Decodes one reply from the start of `buf`: `Ok(Some((reply, used)))`, or `Ok(None)` when
/// `buf` holds only part of a reply so far.
///
/// # Errors
/// A [`RespError`] as soon as the bytes cannot begin a valid reply within `limits`, even if
/// the reply is incomplete: a huge claimed length fails before its bytes arrive.
pub fn decode(buf: &[u8], limits: &RespLimits) -> Result<Option<(Reply, usize)>, RespError> {
    decode_at(buf, 0, limits, 0)
}

/// Decodes the reply starting at `buf[pos..]`, `depth` arrays deep; returns where it ends.
fn decode_at(
    buf: &[u8],
    pos: usize,
    limits: &RespLimits,
    depth: usize,
) -> Result<Option<(Reply, usize)>, RespError> {
    // The type byte first, then its line: the first byte that breaks a rule decides, so the
    // answer does not depend on how much of the reply a `read` happened to bring.
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    check_type(kind)?;
    let Some((line, after_line)) = line_at(buf, pos + 1, limits)? else {
        return Ok(None);
    };
    match kind {
        b'+' => Ok(Some((Reply::Simple(text(line)?), after_line))),
        b'-' => Ok(Some((Reply::Error(text(line)?), after_line))),
        b':' => Ok(Some((Reply::Integer(number(line)?), after_line))),
        b'$' => decode_bulk(buf, number(line)?, after_line, limits),
        b'*' => decode_array(buf, number(line)?, after_line, limits, depth),
        other => Err(RespError::UnknownType(other)),
    }
}

fn check_type(kind: u8) -> Result<(), RespError> {
    match kind {
        b'+' | b'-' | b':' | b'$' | b'*' => Ok(()),
        other => Err(RespError::UnknownType(other)),
    }
}

/// The line starting at `start` (without its CR LF) and the position after the LF, or
/// `None` if its end is not buffered yet.
fn line_at<'a>(
    buf: &'a [u8],
    start: usize,
    limits: &RespLimits,
) -> Result<Option<(&'a [u8], usize)>, RespError> {
    let rest = buf.get(start..).unwrap_or(&[]);
    match rest.iter().position(|&b| b == b'\n') {
        Some(lf) if lf > limits.max_line => Err(RespError::LineTooLong {
            max: limits.max_line,
        }),
        Some(0) => Err(RespError::MissingCrlf),
        Some(lf) if rest[lf - 1] != b'\r' => Err(RespError::MissingCrlf),
        Some(lf) => Ok(Some((&rest[..lf - 1], start + lf + 1))),
        // No LF yet: the line may still be coming, unless it is already too long.
        None if rest.len() > limits.max_line + 1 => Err(RespError::LineTooLong {
            max: limits.max_line,
        }),
        None => Ok(None),
    }
}

fn text(line: &[u8]) -> Result<String, RespError> {
    String::from_utf8(line.to_vec()).map_err(|_| RespError::NotUtf8)
}

/// A decimal `i64`, with an optional `-`. Redis writes no `+` and no spaces, so neither is
/// accepted: a lenient parser here would only hide a broken peer.
fn number(line: &[u8]) -> Result<i64, RespError> {
    let bad = || RespError::BadNumber(String::from_utf8_lossy(line).into_owned());
    let digits = line.strip_prefix(b"-").unwrap_or(line);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)
}

/// `$len\r\n` has been read, ending at `start`: the bytes and their CR LF follow.
fn decode_bulk(
    buf: &[u8],
    len: i64,
    start: usize,
    limits: &RespLimits,
) -> Result<Option<(Reply, usize)>, RespError> {
    // `len` inside the match is still the claimed i64, for the error.
    let len = match length(len)? {
        Length::Nil => return Ok(Some((Reply::Nil, start))),
        Length::Of(n) if n > limits.max_bulk => {
            return Err(RespError::BulkTooLarge {
                len,
                max: limits.max_bulk,
            })
        }
        Length::Of(n) => n,
    };
    // Check the bytes are all here before copying them: the length alone allocates nothing.
    let end = start + len;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err(RespError::MissingCrlf);
    }
    Ok(Some((Reply::Bulk(buf[start..end].to_vec()), end + 2)))
}

/// `*len\r\n` has been read, ending at `start`: `len` replies follow.
fn decode_array(
    buf: &[u8],
    len: i64,
    start: usize,
    limits: &RespLimits,
    depth: usize,
) -> Result<Option<(Reply, usize)>, RespError> {
    // `len` inside the match is still the claimed i64, for the error.
    let len = match length(len)? {
        Length::Nil => return Ok(Some((Reply::Nil, start))),
        Length::Of(n) if n > limits.max_elements => {
            return Err(RespError::ArrayTooLarge {
                len,
                max: limits.max_elements,
            })
        }
        Length::Of(n) => n,
    };
    if depth >= limits.max_depth {
        return Err(RespError::TooDeep {
            max: limits.max_depth,
        });
    }
    // Every element takes at least 3 bytes ("+\r\n"), so what is buffered bounds how many
    // can be here: a claimed million elements reserves nothing until they arrive.
    let mut items = Vec::with_capacity(len.min(buf.len().saturating_sub(start) / 3));
    let mut pos = start;
    for _ in 0..len {
        match decode_at(buf, pos, limits, depth + 1)? {
            Some((item, next)) => {
                items.push(item);
                pos = next;
            }
            None => return Ok(None),
        }
    }
    Ok(Some((Reply::Array(items), pos)))
}

/// A bulk string's or an array's length line, read.
enum Length {
    /// `-1`: RESP2's nil.
    Nil,
    Of(usize),
}

fn length(len: i64) -> Result<Length, RespError> {
    match len {
        -1 => Ok(Length::Nil),
        len if len < -1 => Err(RespError::NegativeLength(len)),
        // On a 32-bit target a length past usize::MAX is over any limit anyway.
        len => Ok(Length::Of(usize::try_from(len).unwrap_or(usize::MAX))),
    }
}

/// Encodes one command as RESP2 requires: an array of bulk strings, so that arguments are
/// binary safe (a msgpack payload may hold CR LF or NUL).
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let size: usize = args.iter().map(|a| a.as_ref().len() + 16).sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Reply {
        let (reply, used) = decode(bytes, &RespLimits::default()).unwrap().unwrap();
        assert_eq!(used, bytes.len(), "{bytes:?} used only {used} bytes");
        reply
    }

    fn error(bytes: &[u8]) -> RespError {
        decode(bytes, &RespLimits::default()).unwrap_err()
    }

    #[test]
    fn every_type_decodes() {
        assert_eq!(one(b"+OK\r\n"), Reply::Simple("OK".into()));
        assert_eq!(one(b"-ERR nope\r\n"), Reply::Error("ERR nope".into()));
        assert_eq!(one(b":42\r\n"), Reply::Integer(42));
        assert_eq!(one(b":-7\r\n"), Reply::Integer(-7));
        assert_eq!(one(b"$5\r\nhe\r\no\r\n"), Reply::Bulk(b"he\r\no".to_vec()));
        assert_eq!(one(b"$0\r\n\r\n"), Reply::Bulk(Vec::new()));
        assert_eq!(one(b"$-1\r\n"), Reply::Nil);
        assert_eq!(one(b"*-1\r\n"), Reply::Nil);
        assert_eq!(one(b"*0\r\n"), Reply::Array(vec![]));
        assert_eq!(
            one(b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n*1\r\n:1\r\n"),
            Reply::Array(vec![
                Reply::Bulk(b"message".to_vec()),
                Reply::Bulk(b"ch".to_vec()),
                Reply::Array(vec![Reply::Integer(1)]),
            ])
        );
    }

    #[test]
    fn a_reply_followed_by_more_uses_only_its_bytes() {
        let (reply, used) = decode(b":1\r\n:2\r\n", &RespLimits::default())
            .unwrap()
            .unwrap();
        assert_eq!((reply, used), (Reply::Integer(1), 4));
    }

    #[test]
    fn every_strict_prefix_is_incomplete() {
        let whole: &[u8] = b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$3\r\n\x00\r\n\r\n";
        assert!(matches!(one(whole), Reply::Array(_)));
        for cut in 0..whole.len() {
            assert_eq!(
                decode(&whole[..cut], &RespLimits::default()),
                Ok(None),
                "prefix of {cut} bytes"
            );
        }
    }

    #[test]
    fn malformed_replies_are_typed_errors() {
        assert_eq!(error(b"?x\r\n"), RespError::UnknownType(b'?'));
        assert_eq!(error(b"!"), RespError::UnknownType(b'!'));
        assert_eq!(error(b"+OK\n"), RespError::MissingCrlf);
        assert_eq!(error(b"$2\r\nabXY"), RespError::MissingCrlf);
        assert_eq!(error(b":12a\r\n"), RespError::BadNumber("12a".into()));
        assert_eq!(error(b":\r\n"), RespError::BadNumber(String::new()));
        assert_eq!(error(b":+1\r\n"), RespError::BadNumber("+1".into()));
        assert_eq!(
            error(b":99999999999999999999\r\n"),
            RespError::BadNumber("99999999999999999999".into())
        );
        assert_eq!(error(b"$-2\r\n"), RespError::NegativeLength(-2));
        assert_eq!(error(b"+\xff\r\n"), RespError::NotUtf8);
    }

    #[test]
    fn limits_refuse_before_the_bytes_arrive() {
        let limits = RespLimits {
            max_bulk: 10,
            max_elements: 3,
            max_depth: 2,
            max_line: 8,
        };
        let err = |b: &[u8]| decode(b, &limits).unwrap_err();
        assert_eq!(
            err(b"$11\r\n"),
            RespError::BulkTooLarge { len: 11, max: 10 }
        );
        assert_eq!(err(b"*4\r\n"), RespError::ArrayTooLarge { len: 4, max: 3 });
        assert_eq!(err(b"*1\r\n*1\r\n*1\r\n"), RespError::TooDeep { max: 2 });
        assert_eq!(err(b"+1234567890"), RespError::LineTooLong { max: 8 });
        assert!(decode(b"+12345678\r", &limits).unwrap().is_none());
        assert_eq!(err(b"+123456789\r\n"), RespError::LineTooLong { max: 8 });
        assert!(decode(b"$10\r\n", &limits).unwrap().is_none());
        assert!(decode(b"*1\r\n*1\r\n", &limits).unwrap().is_none());
    }

    #[test]
    fn a_huge_claimed_array_reserves_nothing_up_front() {
        // A million elements claimed, two bytes buffered: capacity follows the bytes.
        let limits = RespLimits::default();
        assert_eq!(decode(b"*1000000\r\n:1", &limits), Ok(None));
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        assert_eq!(
            encode_command(&[&b"PUBLISH"[..], b"ch", b"a\r\nb"]),
            b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\na\r\nb\r\n".to_vec()
        );
        // What we encode, we decode back as an array of bulks.
        let bytes = encode_command(&["SELECT", "3"]);
        assert_eq!(
            one(&bytes),
            Reply::Array(vec![
                Reply::Bulk(b"SELECT".to_vec()),
                Reply::Bulk(b"3".to_vec())
            ])
        );
    }
}
