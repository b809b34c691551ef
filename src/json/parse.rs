//! JSON text to [`Value`] (RFC 8259 §2–§8), as strict as the RFC and serde_json.
//!
//! `socketio/packet.rs` hands us the text after a packet's header, which must be one whole
//! value ([`parse_with_depth`], with its own nesting limit); [`parse_prefix`], for a caller
//! whose value is followed by more text, reads one value from the front and says how many
//! bytes it used. Like every decoder here we do no I/O: a text in, a value or an error out.
//!
//! Rules enforced, each with its [`ParseErrorKind`] (in `error.rs`): only the grammar of §2–§7 (no comments,
//! single quotes, `NaN`, `+1`, `.5` or trailing commas); whitespace is only space, tab, line
//! feed and carriage return (§2); numbers have no leading zeros and no bare `.` or `e` (§6)
//! and fit an `f64` (§9 lets us limit the range; serde_json does the same); strings hold no
//! raw control characters and only the escapes of §7, with UTF-16 surrogates only as pairs
//! (§7, §8.2); nesting stops at a depth limit (§9).
//!
//! The parser is a loop over an explicit stack of the arrays and objects still open, not a
//! recursive descent. A connection thread has a 128 KiB stack and a peer chooses how deep
//! its payload nests: with no recursion, our stack use is the same at depth 1 and depth
//! 100 000, whatever the optimisation level. The depth limit then bounds memory and the
//! code that does recurse over the value we return: see [`DEFAULT_MAX_DEPTH`].

use std::str::FromStr;

pub use super::error::{ParseError, ParseErrorKind};
use super::value::{Map, Number, Value};

/// How deeply arrays and objects may nest before [`parse`] refuses the text (RFC 8259 §9:
/// "An implementation may set limits on the maximum depth of nesting"). `[[1]]` has depth 2.
///
/// 128 is serde_json's limit give or take one (it allows 127) and far past any real
/// payload. What a value this deep costs the stack, measured in a debug build (release in
/// brackets): parsing and writing it, a constant few KiB, as neither recurses; dropping it,
/// 32 KiB (8); the derived `Clone` and `==`, 133 KiB (28); `{:?}`, 125 KiB (73). A
/// connection thread has 128 KiB, so log a peer's value with `{}` (the writer), not `{:?}`,
/// and clone or compare one only after checking its shape, or parse with a lower limit
/// ([`parse_with_depth`]). Tests at the foot of this file parse, write and drop a value this
/// deep on a 64 KiB stack.
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// Parses a whole JSON text: one value, with only whitespace around it (RFC 8259 §2).
///
/// # Errors
/// Any [`ParseErrorKind`]; [`ParseErrorKind::TrailingCharacters`] if anything but
/// whitespace follows the value, and [`ParseErrorKind::TooDeep`] past [`DEFAULT_MAX_DEPTH`].
pub fn parse(text: &str) -> Result<Value, ParseError> {
    parse_with_depth(text, DEFAULT_MAX_DEPTH)
}

/// [`parse`] with another nesting limit: `max_depth` arrays and objects inside each other.
///
/// # Errors
/// As for [`parse`], with [`ParseErrorKind::TooDeep`] past `max_depth`.
pub fn parse_with_depth(text: &str, max_depth: usize) -> Result<Value, ParseError> {
    let (value, used) = parse_prefix_with_depth(text, max_depth)?;
    let mut reader = Reader { text, pos: used };
    reader.skip_whitespace();
    if reader.pos < text.len() {
        return Err(reader.error(ParseErrorKind::TrailingCharacters));
    }
    Ok(value)
}

/// Parses one value at the start of `text`, after any whitespace, and returns it with the
/// bytes it used: whatever follows is left for the caller, whitespace included. (A Socket.IO
/// packet ends with its value, so its parser uses [`parse_with_depth`] on the rest.)
///
/// A number runs as far as its digits do, so `12]` gives 12 and 2 bytes used; but `01` is
/// still a [`ParseErrorKind::LeadingZero`], not 0 followed by `1`.
///
/// # Errors
/// As for [`parse`], except [`ParseErrorKind::TrailingCharacters`], which it never returns.
pub fn parse_prefix(text: &str) -> Result<(Value, usize), ParseError> {
    parse_prefix_with_depth(text, DEFAULT_MAX_DEPTH)
}

/// [`parse_prefix`] with another nesting limit, as in [`parse_with_depth`].
///
/// # Errors
/// As for [`parse_prefix`].
pub fn parse_prefix_with_depth(text: &str, max_depth: usize) -> Result<(Value, usize), ParseError> {
    let mut reader = Reader { text, pos: 0 };
    let mut open: Vec<Open> = Vec::new();
    loop {
        // A value starts: a scalar or an empty container is complete at once; any other
        // `[` or `{` is pushed, and we go round to read its first element.
        let Some(mut complete) = reader.begin_value(&mut open, max_depth)? else {
            continue;
        };
        // A value is complete: it is the innermost open container's next element, or the
        // answer. Each `]` or `}` completes that container in turn, so we climb until a
        // `,` asks for another element.
        loop {
            let Some(innermost) = open.last_mut() else {
                return Ok((complete, reader.pos));
            };
            innermost.push(complete);
            match reader.end_of_element(innermost)? {
                AfterElement::Another => break,
                AfterElement::Closed => {
                    complete = open.pop().expect("innermost was open").into_value();
                }
            }
        }
    }
}

impl Value {
    /// Parses a whole JSON text, as [`parse`] does.
    ///
    /// # Errors
    /// As for [`parse`].
    pub fn parse(text: &str) -> Result<Value, ParseError> {
        parse(text)
    }
}

/// `"[1,2]".parse::<Value>()`, as [`parse`] does.
impl FromStr for Value {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Value, ParseError> {
        parse(text)
    }
}

/// An array or object whose closing bracket has not come yet.
enum Open {
    /// The elements so far (RFC 8259 §5).
    Array(Vec<Value>),
    /// The members so far, and the name of the member whose value is being read (§4). The
    /// pairs become a [`Map`] only when the object closes, in one linear pass.
    Object(Vec<(String, Value)>, String),
}

impl Open {
    fn push(&mut self, value: Value) {
        match self {
            Open::Array(elements) => elements.push(value),
            Open::Object(members, name) => members.push((std::mem::take(name), value)),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Open::Array(elements) => Value::Array(elements),
            Open::Object(members, _) => Value::Object(Map::from_pairs(members)),
        }
    }

    fn closing_bracket(&self) -> u8 {
        match self {
            Open::Array(_) => b']',
            Open::Object(..) => b'}',
        }
    }
}

/// What followed an element: a `,` (and, in an object, the next name and `:`), or the
/// container's closing bracket.
enum AfterElement {
    Another,
    Closed,
}

/// The text and how far into it we have read. Every byte the grammar gives meaning to is
/// ASCII, so `pos` only ever stops on a character boundary.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    /// Reads the start of a value: a whole scalar, or the opening of an array or object.
    /// `None` means a container was opened and pushed onto `open`.
    fn begin_value(
        &mut self,
        open: &mut Vec<Open>,
        max_depth: usize,
    ) -> Result<Option<Value>, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'[' | b'{') => self.open_container(open, max_depth),
            Some(b'"') => Ok(Some(Value::String(self.read_string()?))),
            Some(b't') => self.read_literal("true", Value::Bool(true)).map(Some),
            Some(b'f') => self.read_literal("false", Value::Bool(false)).map(Some),
            Some(b'n') => self.read_literal("null", Value::Null).map(Some),
            Some(b'-' | b'0'..=b'9') => Ok(Some(Value::Number(self.read_number()?))),
            _ => Err(self.unexpected()),
        }
    }

    /// Opens the array or object at `pos`. An empty one (`[]`, `{ }`) is complete at once;
    /// any other is pushed, with, for an object, its first member's name already read.
    fn open_container(
        &mut self,
        open: &mut Vec<Open>,
        max_depth: usize,
    ) -> Result<Option<Value>, ParseError> {
        // Even `[]` counts towards the depth: the limit is on brackets, not on elements.
        if open.len() >= max_depth {
            return Err(self.error(ParseErrorKind::TooDeep { max: max_depth }));
        }
        let is_array = self.peek() == Some(b'[');
        self.pos += 1;
        self.skip_whitespace();
        match (is_array, self.peek()) {
            (true, Some(b']')) => {
                self.pos += 1;
                Ok(Some(Value::Array(Vec::new())))
            }
            (false, Some(b'}')) => {
                self.pos += 1;
                Ok(Some(Value::Object(Map::new())))
            }
            (true, _) => {
                open.push(Open::Array(Vec::new()));
                Ok(None)
            }
            (false, _) => {
                let name = self.read_member_name()?;
                open.push(Open::Object(Vec::new(), name));
                Ok(None)
            }
        }
    }

    /// Reads what follows an element of `innermost`: `,` then (in an object) the next
    /// member's name, or the closing bracket.
    fn end_of_element(&mut self, innermost: &mut Open) -> Result<AfterElement, ParseError> {
        self.skip_whitespace();
        let closing = innermost.closing_bracket();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                // §4, §5: values are separated by commas, so none may come before a bracket.
                if self.peek() == Some(closing) {
                    return Err(self.error(ParseErrorKind::TrailingComma));
                }
                if let Open::Object(_, name) = innermost {
                    *name = self.read_member_name()?;
                }
                Ok(AfterElement::Another)
            }
            Some(byte) if byte == closing => {
                self.pos += 1;
                Ok(AfterElement::Closed)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Reads a member's name and the `:` after it (§4: `member = string name-separator
    /// value`): names are strings, never bare words or numbers.
    fn read_member_name(&mut self) -> Result<String, ParseError> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.unexpected());
        }
        let name = self.read_string()?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(self.unexpected());
        }
        self.pos += 1;
        Ok(name)
    }

    /// Reads `true`, `false` or `null` (§3: "The literal names MUST be lowercase").
    fn read_literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                return Err(self.unexpected());
            }
            self.pos += 1;
        }
        Ok(value)
    }

    /// Reads a number (§6): `[ minus ] int [ frac ] [ exp ]`, where `int` is `0` or starts
    /// with 1–9, `frac` is `.` and at least one digit, `exp` is `e` or `E`, an optional sign
    /// and at least one digit. There is no `+` in front and no `.5` or `5.`.
    fn read_number(&mut self) -> Result<Number, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
            // §6: "Leading zeros are not allowed." `01` is not 0 then 1: it is an error.
            if matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error(ParseErrorKind::LeadingZero));
            }
        } else {
            self.read_digits()?;
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.read_digits()?;
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.read_digits()?;
            integer = false;
        }
        let text = &self.text[start..self.pos];
        number_from_text(text, integer).map_err(|kind| ParseError {
            kind,
            offset: start,
        })
    }

    /// Reads one or more digits, as §6 requires after a minus, a point or an `e`.
    fn read_digits(&mut self) -> Result<(), ParseError> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(_) => return Err(self.error(ParseErrorKind::InvalidNumber)),
            None => return Err(self.error(ParseErrorKind::UnexpectedEnd)),
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        Ok(())
    }

    /// Reads a string, `pos` on its opening quote (§7).
    fn read_string(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy runs of plain characters whole. A run ends only at an ASCII byte, so
            // it is whole UTF-8 characters, and the text is a `&str`, so they are valid.
            let run_start = self.pos;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.read_escape()?),
                // §7: "the control characters (U+0000 through U+001F)" MUST be escaped.
                Some(_) => return Err(self.error(ParseErrorKind::ControlCharacterInString)),
                None => return Err(self.error(ParseErrorKind::UnexpectedEnd)),
            }
        }
    }

    /// Reads an escape, `pos` on its backslash (§7): one of the two-character escapes, or
    /// `\u` and four hex digits.
    fn read_escape(&mut self) -> Result<char, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let Some(letter) = self.peek() else {
            return Err(self.error(ParseErrorKind::UnexpectedEnd));
        };
        self.pos += 1;
        match letter {
            b'"' => Ok('"'),
            b'\\' => Ok('\\'),
            b'/' => Ok('/'),
            b'b' => Ok('\u{8}'),
            b'f' => Ok('\u{c}'),
            b'n' => Ok('\n'),
            b'r' => Ok('\r'),
            b't' => Ok('\t'),
            b'u' => self.read_unicode_escape(start),
            _ => Err(ParseError {
                kind: ParseErrorKind::InvalidEscape,
                offset: start,
            }),
        }
    }

    /// Reads the four hex digits of a `\u` escape that started at `start`, and, if they are
    /// a high surrogate, the `\u` escape of its low surrogate too.
    ///
    /// §7 writes a character beyond U+FFFF as its UTF-16 surrogate pair, `"\uD83D\uDE00"`
    /// for 😀. A surrogate on its own encodes no character; §8.2 says receivers then behave
    /// "unpredictably". We refuse it, as serde_json does: a Rust `String` cannot hold one,
    /// and quietly writing U+FFFD instead would change the text a peer sent.
    fn read_unicode_escape(&mut self, start: usize) -> Result<char, ParseError> {
        let lone = ParseError {
            kind: ParseErrorKind::LoneSurrogate,
            offset: start,
        };
        let unit = self.read_hex4()?;
        match unit {
            0xD800..=0xDBFF => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(lone);
                }
                self.pos += 2;
                let low = self.read_hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(lone);
                }
                let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                Ok(char::from_u32(code).expect("a surrogate pair decodes to U+10000..U+10FFFF"))
            }
            0xDC00..=0xDFFF => Err(lone),
            _ => Ok(char::from_u32(unit).expect("every u16 outside the surrogates is a char")),
        }
    }

    /// Reads the four hex digits of a `\u` escape, in either case (§7: `4HEXDIG`).
    fn read_hex4(&mut self) -> Result<u32, ParseError> {
        let mut unit = 0;
        for _ in 0..4 {
            let Some(byte) = self.peek() else {
                return Err(self.error(ParseErrorKind::UnexpectedEnd));
            };
            let Some(digit) = char::from(byte).to_digit(16) else {
                return Err(self.error(ParseErrorKind::InvalidEscape));
            };
            unit = unit * 16 + digit;
            self.pos += 1;
        }
        Ok(unit)
    }

    /// Skips the four whitespace characters of §2: space, tab, line feed, carriage return.
    /// Not Unicode's others (no-break space, U+FEFF): they are not JSON whitespace.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            kind,
            offset: self.pos,
        }
    }

    /// The error for whatever is at `pos` when the grammar allows nothing there.
    fn unexpected(&self) -> ParseError {
        match self.text[self.pos..].chars().next() {
            Some(found) => self.error(ParseErrorKind::UnexpectedCharacter(found)),
            None => self.error(ParseErrorKind::UnexpectedEnd),
        }
    }
}

/// The [`Number`] a text already checked against §6's grammar stands for: an `Int` if it
/// was a plain integer that fits an `i64`, else the nearest `f64` (Rust's parser rounds
/// correctly, as §6 hopes for "IEEE 754 binary64 (double precision)").
///
/// `-0` is an integer in the grammar but a `Float(-0.0)` here: an `i64` has no negative
/// zero, JavaScript does, and serde_json does the same.
fn number_from_text(text: &str, integer: bool) -> Result<Number, ParseErrorKind> {
    if integer && text != "-0" {
        if let Ok(int) = text.parse::<i64>() {
            return Ok(Number::Int(int));
        }
    }
    // §6's grammar is a subset of what `f64::from_str` reads, so this cannot fail; if it
    // did, the peer would get an error rather than the thread a panic.
    let float: f64 = text.parse().map_err(|_| ParseErrorKind::InvalidNumber)?;
    // §9 lets us limit the range: past f64::MAX (`1e400`) there is no number to give.
    // Underflow (`1e-400`) is fine: it rounds to 0, as it would in JavaScript.
    if float.is_infinite() {
        return Err(ParseErrorKind::NumberOutOfRange);
    }
    Ok(Number::Float(float))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (ParseErrorKind, usize) {
        let error = parse(text).expect_err(text);
        (error.kind, error.offset)
    }

    fn int(n: i64) -> Value {
        Value::Number(Number::Int(n))
    }

    fn float(n: f64) -> Value {
        Value::Number(Number::Float(n))
    }

    // --- §13 examples and §2 structure -------------------------------------------------------

    #[test]
    fn the_image_object_of_rfc8259_section_13_parses_in_order() {
        let text = r#"{
          "Image": {
              "Width":  800,
              "Height": 600,
              "Title":  "View from 15th Floor",
              "Thumbnail": {
                  "Url":    "http://www.example.com/image/481989943",
                  "Height": 125,
                  "Width":  100
              },
              "Animated" : false,
              "IDs": [116, 943, 234, 38793]
            }
        }"#;
        let value = parse(text).expect("RFC example");
        let image = &value["Image"];
        let keys: Vec<&str> = image.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["Width", "Height", "Title", "Thumbnail", "Animated", "IDs"]
        );
        assert_eq!(
            image["Thumbnail"]["Url"].as_str(),
            Some("http://www.example.com/image/481989943")
        );
        assert_eq!(image["IDs"][3], int(38793));
        assert_eq!(image["Animated"], Value::Bool(false));
    }

    #[test]
    fn the_array_example_of_rfc8259_section_13_parses_with_floats() {
        let text = r#"[{"precision": "zip", "Latitude": 37.7668, "Longitude": -122.3959,
                        "Address": "", "City": "SAN FRANCISCO", "State": "CA",
                        "Zip": "94107", "Country": "US"},
                       {"precision": "zip", "Latitude": 37.371991, "Longitude": -122.026020,
                        "Address": "", "City": "SUNNYVALE", "State": "CA",
                        "Zip": "94085", "Country": "US"}]"#;
        let value = parse(text).expect("RFC example");
        assert_eq!(value[1]["Longitude"], float(-122.02602));
        assert_eq!(value[0]["Address"].as_str(), Some(""));
    }

    #[test]
    fn scalars_alone_are_whole_texts_per_section_2() {
        assert_eq!(parse("\"Hello world!\""), Ok(Value::from("Hello world!")));
        assert_eq!(parse("42"), Ok(int(42)));
        assert_eq!(parse(" \t\r\ntrue \n"), Ok(Value::Bool(true)));
        assert_eq!(parse("null"), Ok(Value::Null));
    }

    #[test]
    fn only_the_four_whitespace_characters_of_section_2_are_skipped() {
        assert_eq!(
            err("\u{c}1"),
            (ParseErrorKind::UnexpectedCharacter('\u{c}'), 0)
        );
        assert_eq!(
            err("\u{feff}1"),
            (ParseErrorKind::UnexpectedCharacter('\u{feff}'), 0)
        );
        assert_eq!(
            err("[1\u{a0}]"),
            (ParseErrorKind::UnexpectedCharacter('\u{a0}'), 2)
        );
    }

    #[test]
    fn what_json_is_not_is_refused_at_its_first_byte() {
        for (text, found, at) in [
            ("'a'", '\'', 0),
            ("NaN", 'N', 0),
            ("Infinity", 'I', 0),
            ("+1", '+', 0),
            (".5", '.', 0),
            ("[1 2]", '2', 3),
            ("{a:1}", 'a', 1),
            ("{\"a\" 1}", '1', 5),
            ("/* c */ 1", '/', 0),
            ("True", 'T', 0),
            ("nulL", 'L', 3),
            ("[,1]", ',', 1),
        ] {
            assert_eq!(
                err(text),
                (ParseErrorKind::UnexpectedCharacter(found), at),
                "{text}"
            );
        }
        assert_eq!(
            err("[1] // comment"),
            (ParseErrorKind::TrailingCharacters, 4)
        );
    }

    #[test]
    fn trailing_commas_are_refused_per_sections_4_and_5() {
        assert_eq!(err("[1,]"), (ParseErrorKind::TrailingComma, 3));
        assert_eq!(err("{\"a\":1 , }"), (ParseErrorKind::TrailingComma, 9));
    }

    #[test]
    fn a_text_that_stops_early_is_unexpected_end_at_its_length() {
        for text in [
            "", " ", "[", "[1,", "{\"a\"", "{\"a\":", "\"abc", "tru", "-", "1.", "1e+", "\"\\u12",
        ] {
            assert_eq!(
                err(text),
                (ParseErrorKind::UnexpectedEnd, text.len()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn repeated_names_keep_the_last_value_like_serde_json_and_json_parse() {
        let value = parse(r#"{"a":1,"b":2,"a":3}"#).expect("valid");
        assert_eq!(value["a"], int(3));
        let keys: Vec<&str> = value.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn an_object_of_100_000_keys_parses_in_linear_time_though_insert_is_linear() {
        // About 1 MB, Socket.IO's default maxHttpBufferSize. One `Map::insert` per key would
        // be 5·10⁹ comparisons; `Map::from_pairs` indexes them instead.
        let members: Vec<String> = (0..100_000).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let text = format!("{{{},\"k7\":true}}", members.join(","));
        let started = std::time::Instant::now();
        let value = parse(&text).expect("valid");
        let took = started.elapsed();
        assert_eq!(value.as_object().map(Map::len), Some(100_000));
        assert_eq!(value["k7"], Value::Bool(true));
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
    }

    // --- §6 numbers ---------------------------------------------------------------------------

    #[test]
    fn plain_integers_are_int_and_the_rest_float_like_serde_json() {
        assert_eq!(parse("-12"), Ok(int(-12)));
        assert_eq!(parse("9223372036854775807"), Ok(int(i64::MAX)));
        assert_eq!(parse("-9223372036854775808"), Ok(int(i64::MIN)));
        assert_eq!(parse("9223372036854775808"), Ok(float(2f64.powi(63))));
        assert_eq!(parse("1E2"), Ok(float(100.0)));
        assert_eq!(parse("1.0"), Ok(float(1.0)));
        assert_eq!(parse("1e-2"), Ok(float(0.01)));
        assert_eq!(parse("-1.5E+3"), Ok(float(-1500.0)));
    }

    #[test]
    fn minus_zero_is_a_float_because_i64_has_no_negative_zero() {
        for text in ["-0", "-0.0", "-0e5"] {
            let Ok(Value::Number(Number::Float(zero))) = parse(text) else {
                panic!("{text} is not a float");
            };
            assert!(zero == 0.0 && zero.is_sign_negative(), "{text}");
        }
        assert_eq!(parse("0"), Ok(int(0)));
    }

    #[test]
    fn leading_zeros_are_refused_per_section_6() {
        assert_eq!(err("01"), (ParseErrorKind::LeadingZero, 1));
        assert_eq!(err("-00"), (ParseErrorKind::LeadingZero, 2));
        assert_eq!(err("[007]"), (ParseErrorKind::LeadingZero, 2));
        assert_eq!(parse("0.01"), Ok(float(0.01)));
    }

    #[test]
    fn a_minus_point_or_exponent_needs_a_digit_per_section_6() {
        assert_eq!(err("-x"), (ParseErrorKind::InvalidNumber, 1));
        assert_eq!(err("1.e5"), (ParseErrorKind::InvalidNumber, 2));
        assert_eq!(err("1ex"), (ParseErrorKind::InvalidNumber, 2));
        assert_eq!(err("[1.]"), (ParseErrorKind::InvalidNumber, 3));
    }

    #[test]
    fn numbers_beyond_f64_are_refused_and_tiny_ones_round_to_zero() {
        assert_eq!(err("1e400"), (ParseErrorKind::NumberOutOfRange, 0));
        assert_eq!(err("[-1e400]"), (ParseErrorKind::NumberOutOfRange, 1));
        assert_eq!(
            err("1e99999999999999999999"),
            (ParseErrorKind::NumberOutOfRange, 0)
        );
        assert_eq!(parse("1.7976931348623157e308"), Ok(float(f64::MAX)));
        assert_eq!(parse("1e-400"), Ok(float(0.0)));
        assert_eq!(parse("0e99999999999999999999"), Ok(float(0.0)));
        assert_eq!(parse("5e-324"), Ok(float(5e-324)));
    }

    #[test]
    fn floats_round_correctly_even_where_naive_parsers_do_not() {
        // The classic hard case: it lies just under the smallest normal double.
        assert_eq!(
            parse("2.2250738585072011e-308"),
            Ok(float(2.225_073_858_507_201e-308))
        );
        assert_eq!(parse("0.1"), Ok(float(0.1)));
        let long = format!("0.{}1", "0".repeat(1000));
        assert_eq!(parse(&long), Ok(float(0.0)));
    }

    // --- §7 strings --------------------------------------------------------------------------

    #[test]
    fn every_escape_of_section_7_decodes() {
        let text = r#""\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20AC""#;
        assert_eq!(
            parse(text),
            Ok(Value::from("\" \\ / \u{8} \u{c} \n \r \t A é €"))
        );
    }

    #[test]
    fn a_surrogate_pair_escape_decodes_to_one_character_per_section_7() {
        assert_eq!(parse(r#""\uD834\uDD1E""#), Ok(Value::from("𝄞")));
        assert_eq!(parse(r#""\ud83d\ude00!""#), Ok(Value::from("😀!")));
    }

    #[test]
    fn lone_surrogates_are_refused_like_serde_json_where_section_8_2_is_silent() {
        for text in [
            r#""\uD800""#,
            r#""\uDC00""#,
            r#""\uD800\u0041""#,
            r#""\uD800x""#,
            r#""\uDBFF\uD800""#,
        ] {
            assert_eq!(err(text), (ParseErrorKind::LoneSurrogate, 1), "{text}");
        }
    }

    #[test]
    fn unknown_escapes_and_short_hex_are_refused_per_section_7() {
        assert_eq!(err(r#""\x""#), (ParseErrorKind::InvalidEscape, 1));
        assert_eq!(err(r#""\'""#), (ParseErrorKind::InvalidEscape, 1));
        assert_eq!(err(r#""ab\u12G4""#), (ParseErrorKind::InvalidEscape, 7));
        assert_eq!(err(r#""\U0041""#), (ParseErrorKind::InvalidEscape, 1));
    }

    #[test]
    fn raw_control_characters_in_strings_are_refused_but_del_is_not() {
        for byte in 0u8..0x20 {
            let text = format!("\"a{}b\"", char::from(byte));
            assert_eq!(
                err(&text),
                (ParseErrorKind::ControlCharacterInString, 2),
                "{byte:#x}"
            );
        }
        assert_eq!(parse("\"\u{7f}\""), Ok(Value::from("\u{7f}")));
        assert_eq!(parse("\"é😀\u{2028}\""), Ok(Value::from("é😀\u{2028}")));
    }

    // --- parse_prefix, a value followed by more text ---------------------------------------------------

    #[test]
    fn parse_prefix_returns_the_bytes_used_and_leaves_the_rest() {
        assert_eq!(
            parse_prefix(r#" ["chat","hi"] tail"#),
            Ok((Value::from(vec!["chat", "hi"]), 14))
        );
        assert_eq!(parse_prefix("12]"), Ok((int(12), 2)));
        assert_eq!(parse_prefix("true,"), Ok((Value::Bool(true), 4)));
        assert_eq!(
            parse_prefix("01").map_err(|e| e.kind),
            Err(ParseErrorKind::LeadingZero)
        );
        assert_eq!(err("[1] x"), (ParseErrorKind::TrailingCharacters, 4));
    }

    // --- §9 depth, and the stack ------------------------------------------------------------

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_up_to_the_limit_parses_and_one_more_is_too_deep() {
        assert!(parse(&nested(DEFAULT_MAX_DEPTH)).is_ok());
        let too_deep = ParseErrorKind::TooDeep {
            max: DEFAULT_MAX_DEPTH,
        };
        assert_eq!(
            err(&nested(DEFAULT_MAX_DEPTH + 1)),
            (too_deep, DEFAULT_MAX_DEPTH)
        );
        let objects = format!("{}1{}", r#"{"a":"#.repeat(4), "}".repeat(4));
        assert!(parse_with_depth(&objects, 4).is_ok());
        assert_eq!(parse_with_depth(&objects, 3).map_err(|e| e.offset), Err(15));
    }

    /// A stack as small as this runs the parser and the recursive walks over its result.
    const SMALL_STACK: usize = 64 * 1024;

    #[test]
    fn depth_128_parses_writes_and_drops_on_a_64_kib_stack_even_in_debug() {
        let worker = std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(|| {
                let text = format!("{}{}", r#"{"a":["#.repeat(64), "]}".repeat(64));
                let value = parse(&text).expect("exactly the default depth");
                assert_eq!(value.to_json(), text);
            });
        worker.expect("spawn").join().expect("no stack overflow");
    }

    #[test]
    fn depth_100_000_is_refused_quickly_on_a_64_kib_stack() {
        let worker = std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(|| {
                let started = std::time::Instant::now();
                let result = parse(&nested(100_000)).map_err(|e| e.kind);
                (result, started.elapsed())
            });
        let (result, took) = worker.expect("spawn").join().expect("no stack overflow");
        assert_eq!(
            result,
            Err(ParseErrorKind::TooDeep {
                max: DEFAULT_MAX_DEPTH
            })
        );
        assert!(
            took < std::time::Duration::from_millis(100),
            "took {took:?}"
        );
    }

    // --- errors ------------------------------------------------------------------------------

    #[test]
    fn every_error_cites_the_section_it_enforces() {
        use ParseErrorKind::*;
        let cases = [
            ("[", UnexpectedEnd),
            ("'", UnexpectedCharacter('\'')),
            ("01", LeadingZero),
            ("-x", InvalidNumber),
            ("1e400", NumberOutOfRange),
            (r#""\x""#, InvalidEscape),
            (r#""\uD800""#, LoneSurrogate),
            ("\"\u{1}\"", ControlCharacterInString),
            ("[1,]", TrailingComma),
            ("1 2", TrailingCharacters),
            ("[[]]", TooDeep { max: 1 }),
        ];
        for (text, kind) in cases {
            let error = parse_with_depth(text, 1).expect_err(text);
            assert_eq!(error.kind, kind, "{text}");
            let line = error.to_string();
            assert!(line.starts_with("invalid JSON at byte "), "{line}");
            assert!(line.contains("(RFC 8259 §"), "{line}");
        }
    }
}
