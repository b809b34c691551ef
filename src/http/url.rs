//! Percent-decoding and query strings: how `?EIO=4&transport=polling` becomes pairs.
//!
//! A request-target may carry only a few ASCII characters, so any other octet travels as
//! `%` and two hex digits (RFC 3986 §2.1). Query strings add one more convention that RFC
//! 3986 does not define: HTML forms write a space as `+` (the WHATWG URL Standard,
//! "application/x-www-form-urlencoded parsing"), and clients send Engine.IO's query the same
//! way. `request.rs` keeps the path and query as sent; callers decode here, when they ask.

use std::borrow::Cow;
use std::fmt;

/// Why a percent-encoded string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// RFC 3986 §2.1: `%` must be followed by two hex digits; here the string ended first.
    TruncatedEscape,
    /// RFC 3986 §2.1: `%` followed by something other than two hex digits, e.g. `%zz`.
    InvalidEscape(String),
    /// The decoded octets are not UTF-8, so they cannot be a Rust `String`.
    NotUtf8,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::TruncatedEscape => {
                write!(
                    f,
                    "'%' at the end of the string needs two hex digits (RFC 3986 §2.1)"
                )
            }
            UrlError::InvalidEscape(escape) => {
                write!(
                    f,
                    "'{escape}' is not '%' and two hex digits (RFC 3986 §2.1)"
                )
            }
            UrlError::NotUtf8 => write!(f, "percent-decoded octets are not valid UTF-8"),
        }
    }
}

impl std::error::Error for UrlError {}

/// Replaces every `%XY` in `s` by the octet `0xXY` (RFC 3986 §2.1); other characters pass
/// through unchanged. `+` stays `+`: only query strings give it a meaning.
///
/// # Errors
/// [`UrlError::TruncatedEscape`] when `%` has fewer than two characters after it,
/// [`UrlError::InvalidEscape`] when they are not hex digits. We refuse rather than keep the
/// `%` literally, as browsers do, because a path that decodes two ways is how traversal
/// checks get bypassed.
pub fn percent_decode(s: &str) -> Result<Vec<u8>, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let escape = bytes.get(i..i + 3).ok_or(UrlError::TruncatedEscape)?;
        match (hex_value(escape[1]), hex_value(escape[2])) {
            (Some(high), Some(low)) => out.push(high << 4 | low),
            _ => {
                return Err(UrlError::InvalidEscape(
                    String::from_utf8_lossy(escape).into(),
                ))
            }
        }
        i += 3;
    }
    Ok(out)
}

/// Decodes one key or value of a query string: `+` is a space, then `%XY` escapes, and the
/// result must be UTF-8.
///
/// # Errors
/// As [`percent_decode`], plus [`UrlError::NotUtf8`].
pub fn decode_query_component(s: &str) -> Result<String, UrlError> {
    decoded(s).map(Cow::into_owned)
}

/// [`decode_query_component`], borrowing `s` when it has nothing to decode, as most keys
/// and values (`EIO=4`, `transport=websocket`) have not.
fn decoded(s: &str) -> Result<Cow<'_, str>, UrlError> {
    if !s.contains(['%', '+']) {
        return Ok(Cow::Borrowed(s));
    }
    // `+` first: an encoded plus (`%2B`) must survive as a plus, not become a space.
    let spaced = s.replace('+', " ");
    String::from_utf8(percent_decode(&spaced)?)
        .map(Cow::Owned)
        .map_err(|_| UrlError::NotUtf8)
}

/// The decoded value of the first pair whose decoded key is `name`, skipping pairs that
/// do not decode (as [`query_pairs`] does); only that one value is copied.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if decoded(key).ok()? != name {
                return None;
            }
            decoded(value).ok().map(Cow::into_owned)
        })
}

/// The `key=value` pairs of a query string (without its `?`), decoded, in order.
///
/// Pairs are separated by `&`; a pair without `=` has an empty value (`?debug` gives
/// `("debug", "")`); empty pairs (`a=1&&b=2`) are skipped, and so is a pair that does not
/// decode: one bad parameter should not hide the good ones from the handler.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((
                decode_query_component(key).ok()?,
                decode_query_component(value).ok()?,
            ))
        })
}

/// The value of one hex digit (RFC 3986 §2.1: either case is allowed).
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_in_either_case_per_rfc3986_section_2_1() {
        assert_eq!(percent_decode("a%20b%2fc%2F").unwrap(), b"a b/c/");
        assert_eq!(percent_decode("%e2%82%AC").unwrap(), "€".as_bytes());
    }

    #[test]
    fn plus_is_literal_outside_query_strings() {
        assert_eq!(percent_decode("a+b").unwrap(), b"a+b");
    }

    #[test]
    fn truncated_escape_is_refused() {
        assert_eq!(percent_decode("abc%"), Err(UrlError::TruncatedEscape));
        assert_eq!(percent_decode("abc%4"), Err(UrlError::TruncatedEscape));
    }

    #[test]
    fn non_hex_escape_is_refused() {
        assert_eq!(
            percent_decode("%zz"),
            Err(UrlError::InvalidEscape("%zz".into()))
        );
        assert_eq!(
            percent_decode("%+1"),
            Err(UrlError::InvalidEscape("%+1".into()))
        );
    }

    #[test]
    fn escape_of_a_multibyte_character_does_not_panic() {
        // "%é" : the two octets after '%' are the UTF-8 of 'é', not hex digits.
        assert!(matches!(
            percent_decode("%é"),
            Err(UrlError::InvalidEscape(_))
        ));
        assert_eq!(percent_decode("%"), Err(UrlError::TruncatedEscape));
    }

    #[test]
    fn query_component_turns_plus_into_space_but_keeps_encoded_plus() {
        assert_eq!(decode_query_component("a+b%2Bc").unwrap(), "a b+c");
    }

    #[test]
    fn query_component_must_be_utf8() {
        assert_eq!(decode_query_component("%ff"), Err(UrlError::NotUtf8));
    }

    #[test]
    fn engine_io_query_splits_into_ordered_pairs() {
        let pairs: Vec<_> = query_pairs("EIO=4&transport=polling&t=N8hyd6w").collect();
        assert_eq!(
            pairs,
            [("EIO", "4"), ("transport", "polling"), ("t", "N8hyd6w")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn pair_without_equals_has_empty_value_and_empty_pairs_are_skipped() {
        let pairs: Vec<_> = query_pairs("&debug&&a=1=2&").collect();
        assert_eq!(
            pairs,
            [("debug".into(), "".into()), ("a".into(), "1=2".into())]
        );
    }

    #[test]
    fn undecodable_pair_is_skipped_and_the_rest_kept() {
        let pairs: Vec<_> = query_pairs("bad=%zz&good=yes").collect();
        assert_eq!(pairs, [("good".to_string(), "yes".to_string())]);
    }

    #[test]
    fn query_value_finds_what_query_pairs_finds() {
        let queries = [
            "EIO=4&t=x",
            "a+b=1&a%20b=2",
            "k=%zz&k=ok",
            "&debug&&k",
            "x=1",
            "",
        ];
        for query in queries {
            for name in ["EIO", "t", "a b", "k", "debug", "missing"] {
                let by_pairs = query_pairs(query).find(|(k, _)| k == name).map(|(_, v)| v);
                assert_eq!(query_value(query, name), by_pairs, "{name} in {query:?}");
            }
        }
        assert_eq!(query_value("a+b=1", "a b").as_deref(), Some("1"));
    }

    #[test]
    fn empty_query_has_no_pairs() {
        assert_eq!(query_pairs("").count(), 0);
    }
}
