//! [`Value`] to JSON text (RFC 8259), written the way JavaScript's `JSON.stringify` writes.
//!
//! Our peers are browsers and Node, so when a choice is free we make theirs: no spaces,
//! keys in their order, non-ASCII characters as UTF-8 rather than `\u` escapes (§8.1: JSON
//! exchanged between systems is UTF-8), numbers as ECMAScript's `Number::toString` spells
//! them, and `null` for the NaN and infinities JSON cannot hold. What we write, `parse.rs`
//! and serde_json read back to the same value (tests/json_differential.rs checks).
//!
//! Like the parser, the writer keeps the arrays and objects it is inside on a `Vec` rather
//! than recursing: a chat server relays what its clients send, so a client chooses how deep
//! the values we write are, and a loop uses the same stack at depth 1 and depth 128.

use std::fmt;

use super::shortest::shortest;
use super::value::{Number, Value};

/// Appends `value` as JSON text to `out`.
///
/// [`Value::Binary`] is not JSON: the socketio layer takes attachments out before it
/// writes. One that gets here is written as `JSON.stringify` writes a Node `Buffer`,
/// `{"type":"Buffer","data":[1,2,3]}`, so the text stays JSON and no byte is lost.
pub fn write(value: &Value, out: &mut String) {
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        match next {
            // The innermost container has written its closing bracket: it is done.
            None => {
                open.pop();
            }
            Some(Value::Array(elements)) => {
                out.push('[');
                let rest = elements.iter();
                open.push(Open::Array {
                    rest,
                    started: false,
                });
            }
            Some(Value::Object(map)) => {
                out.push('{');
                let rest = map.entries().iter();
                open.push(Open::Object {
                    rest,
                    started: false,
                });
            }
            Some(Value::Null) => out.push_str("null"),
            Some(Value::Bool(true)) => out.push_str("true"),
            Some(Value::Bool(false)) => out.push_str("false"),
            Some(Value::Number(number)) => write_number(*number, out),
            Some(Value::String(text)) => write_string(text, out),
            Some(Value::Binary(bytes)) => write_node_buffer(bytes, out),
        }
        let Some(innermost) = open.last_mut() else {
            return;
        };
        next = innermost.next_element(out);
    }
}

/// An array or object being written: the elements still to come, and whether one has been
/// written already (so the next needs a comma before it).
enum Open<'a> {
    Array {
        rest: std::slice::Iter<'a, Value>,
        started: bool,
    },
    Object {
        rest: std::slice::Iter<'a, (String, Value)>,
        started: bool,
    },
}

impl<'a> Open<'a> {
    /// Writes what goes before the next element (a comma; in an object, the member's name
    /// and a colon) and returns the element; or, with none left, writes the closing bracket
    /// and returns `None`.
    fn next_element(&mut self, out: &mut String) -> Option<&'a Value> {
        match self {
            Open::Array { rest, started } => {
                let Some(element) = rest.next() else {
                    out.push(']');
                    return None;
                };
                if std::mem::replace(started, true) {
                    out.push(',');
                }
                Some(element)
            }
            Open::Object { rest, started } => {
                let Some((name, member)) = rest.next() else {
                    out.push('}');
                    return None;
                };
                if std::mem::replace(started, true) {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                Some(member)
            }
        }
    }
}

impl Value {
    /// The value as JSON text, as [`write()`] writes it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write(self, &mut out);
        out
    }
}

/// The JSON text, as [`Value::to_json`] gives it.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// A string with the escapes §7 requires: `"`, `\` and U+0000–U+001F, the last as the short
/// forms `\b \f \n \r \t` where they exist, else `\u00XX` in lowercase hex (ECMA-262
/// `QuoteJSONString`). Everything else goes out as it is, U+2028 and U+2029 included, as
/// `JSON.stringify` does.
pub fn write_string(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    // Copy runs of characters that need no escape whole. Each escaped byte is ASCII, so
    // the runs between them start and end on character boundaries.
    let mut run_start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if byte != b'"' && byte != b'\\' && byte >= 0x20 {
            continue;
        }
        out.push_str(&text[run_start..i]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            control => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(control >> 4)]));
                out.push(char::from(HEX[usize::from(control & 0xF)]));
            }
        }
        run_start = i + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

/// A number: an `Int` in plain decimal, a `Float` as JavaScript spells it.
fn write_number(number: Number, out: &mut String) {
    match number {
        Number::Int(int) => out.push_str(&int.to_string()),
        Number::Float(float) => write_float(float, out),
    }
}

/// A float as ECMA-262's `Number::toString` writes it (§6.1.6.1.20), which is what
/// `JSON.stringify` sends: `3` not `3.0`, `1e+21` not 22 digits, `1e-7` not `0.0000001`.
/// Both spellings are JSON; this one is what a browser would have sent.
///
/// Two exceptions. NaN and the infinities have no JSON form (§6: "not permitted") and
/// become `null`, as in `JSON.stringify`. Minus zero is written `-0`, where JavaScript
/// writes `0`: it costs nothing and `-0` reads back as the same value, sign and all.
///
/// Floats are most of the numbers a Socket.IO server relays, so this runs often; it
/// allocates nothing (issue 15: a `String` per float made it 4x slower than serde_json).
fn write_float(float: f64, out: &mut String) {
    if !float.is_finite() {
        out.push_str("null");
        return;
    }
    if float == 0.0 {
        out.push_str(if float.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    if let Some(int) = small_integer(float) {
        write_int(int, out);
        return;
    }
    if float < 0.0 {
        out.push('-');
    }
    // The digits ECMAScript asks for: the fewest that read back as this float (`shortest.rs`).
    let (mut digits, exponent) = shortest(float.abs());
    // `point` counts from the first digit, which stripping zeros at the end leaves alone.
    let point = decimal_length(digits) + exponent;
    while digits.is_multiple_of(10) {
        digits /= 10;
    }
    let mut text = [0u8; 20];
    write_ecmascript_digits(decimal_text(digits, &mut text), point, out);
}

/// `int` in decimal, written into the end of `buffer`; returns the text.
fn decimal_text(mut int: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (int % 10) as u8;
        int /= 10;
        if int == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).expect("ASCII digits")
}

/// The float as an `i64`, when it is a whole number below 2^53 in magnitude: most floats a
/// server sees are (counts, timestamps, `Date.now()`), and for them the shortest digits
/// are simply the integer's. Below 2^53 neighbouring floats are at most 1 apart, so no
/// shorter digit string reads back as the same float, and 2^53 < 10^21, so §6.1.6.1.20
/// step 6 writes them plain, without an exponent.
fn small_integer(float: f64) -> Option<i64> {
    const LIMIT: f64 = (1u64 << 53) as f64;
    if float.abs() < LIMIT && float.trunc() == float {
        Some(float as i64)
    } else {
        None
    }
}

/// How many decimal digits a positive integer has.
fn decimal_length(int: u64) -> i32 {
    int.checked_ilog10().map_or(1, |log| log as i32 + 1)
}

/// An integer in plain decimal, written straight into `out` (no `to_string`).
fn write_int(int: i64, out: &mut String) {
    fmt::Write::write_fmt(out, format_args!("{int}")).expect("a String takes any text");
}

/// Writes the significant `digits` (no leading or trailing zeros) of a number whose
/// decimal point sits `point` places from their start: digits "15", point 1 is 1.5;
/// point 3 is 150; point -1 is 0.015. ECMA-262 `Number::toString` steps 6–10 pick the
/// form: plain below 10^21, `0.000…` down to 10^-6, an exponent beyond either.
fn write_ecmascript_digits(digits: &str, point: i32, out: &mut String) {
    let count = digits.len() as i32;
    if count <= point && point <= 21 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (point - count) as usize));
    } else if 0 < point && point <= 21 {
        let (whole, fraction) = digits.split_at(point as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exponent = point - 1;
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        write_int(i64::from(exponent.abs()), out);
    }
}

/// Bytes as Node's `Buffer.prototype.toJSON` gives them to `JSON.stringify`.
fn write_node_buffer(bytes: &[u8], out: &mut String) {
    out.push_str(r#"{"type":"Buffer","data":["#);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&byte.to_string());
    }
    out.push_str("]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Map};

    fn float_text(float: f64) -> String {
        Value::from(float).to_json()
    }

    #[test]
    fn values_are_written_without_spaces_and_keys_in_order() {
        let mut map = Map::new();
        map.insert("z", 1);
        map.insert("a", vec![Value::Null, true.into(), "x".into()]);
        map.insert("m", Map::new());
        assert_eq!(
            Value::from(map).to_json(),
            r#"{"z":1,"a":[null,true,"x"],"m":{}}"#
        );
        assert_eq!(Value::Array(vec![]).to_string(), "[]");
    }

    #[test]
    fn strings_escape_quote_backslash_and_controls_per_section_7() {
        let text = "\"\\/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}";
        // `/` may be escaped (§7) but need not be; DEL (U+007F) is no control character here.
        let expected = concat!(r#""\"\\/\b\f\n\r\t\u0000\u001f"#, "\u{7f}\"");
        assert_eq!(Value::from(text).to_json(), expected);
    }

    #[test]
    fn non_ascii_stays_utf8_and_line_separators_stay_raw_like_json_stringify() {
        let text = "é😀\u{2028}\u{2029}";
        assert_eq!(Value::from(text).to_json(), format!("\"{text}\""));
    }

    #[test]
    fn integral_floats_are_written_like_javascript_without_a_fraction() {
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(-150.0), "-150");
        assert_eq!(float_text(1e20), "100000000000000000000");
        assert_eq!(Value::from(i64::MIN).to_json(), "-9223372036854775808");
    }

    #[test]
    fn floats_take_ecmascript_number_to_string_forms() {
        for (float, text) in [
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e-6, "0.000001"),
            (1.25e-7, "1.25e-7"),
            (-2.5e-10, "-2.5e-10"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.000_123, "0.000123"),
        ] {
            assert_eq!(float_text(float), text, "{float:e}");
        }
    }

    #[test]
    fn nan_and_infinities_become_null_like_json_stringify_and_minus_zero_keeps_its_sign() {
        assert_eq!(float_text(f64::NAN), "null");
        assert_eq!(float_text(f64::NEG_INFINITY), "null");
        assert_eq!(float_text(0.0), "0");
        assert_eq!(float_text(-0.0), "-0");
    }

    #[test]
    fn every_written_float_reads_back_bit_for_bit() {
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let float = f64::from_bits(bits);
            if !float.is_finite() {
                continue;
            }
            let back = parse(&float_text(float)).expect("valid JSON");
            assert_eq!(
                back.as_f64().map(f64::to_bits),
                Some(float.to_bits()),
                "{float:e}"
            );
        }
    }

    #[test]
    fn binary_that_reaches_the_writer_is_written_as_a_node_buffer() {
        let value = Value::object([("file", Value::binary([1, 2, 255]))]);
        assert_eq!(
            value.to_json(),
            r#"{"file":{"type":"Buffer","data":[1,2,255]}}"#
        );
        assert_eq!(
            Value::binary([]).to_json(),
            r#"{"type":"Buffer","data":[]}"#
        );
    }
}
