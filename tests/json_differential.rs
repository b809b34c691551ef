//! Our JSON (src/json) against serde_json, an implementation none of us wrote: on thousands
//! of generated values, both must write texts both read back as the same value; on thousands
//! of mangled texts, both must accept or refuse alike, and read alike what they accept.
//!
//! The corpus comes from a seeded xorshift generator, so a failure names a case that fails
//! again on the next run. Values are compared through [`Norm`], which forgets what RFC 8259
//! leaves open: key order (§4: objects are unordered; serde_json sorts, we keep the order)
//! and the one representation that differs, integers in 2^63..2^64 (serde_json keeps a
//! `u64`, we an `f64`). Floats are compared bit for bit, `-0` included.
//!
//! serde_json is built with `float_roundtrip`: without it, it reads some long decimals one
//! unit in the last place off (`2.2250738585072011e-308`) and calls `1.7976931348623158e308`
//! out of range, where correct rounding, and we, read `f64::MAX`.

use serde_json::Value as Serde;
use threadio::json::{self, Map, Number, ParseErrorKind, Value};

/// serde_json's nesting limit: its counter starts at 128 and refuses the bracket that takes
/// it to 0, so 127 containers deep is the most it reads. We compare at that limit; our
/// default of 128 is tested on its own below.
const SERDE_MAX_DEPTH: usize = 127;

/// xorshift64 (Marsaglia 2003): tiny, deterministic, and plenty for picking test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// --- Comparing values ---------------------------------------------------------------------

/// A value in the form both sides can be compared in: objects sorted by key, each number an
/// integer or the bits of a float.
#[derive(Debug, PartialEq)]
enum Norm {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    String(String),
    Array(Vec<Norm>),
    Object(Vec<(String, Norm)>),
}

impl Norm {
    /// Ours, as parsed.
    fn ours(value: &Value) -> Norm {
        match value {
            Value::Null => Norm::Null,
            Value::Bool(b) => Norm::Bool(*b),
            Value::Number(Number::Int(i)) => Norm::Int(*i),
            Value::Number(Number::Float(f)) => Norm::Float(f.to_bits()),
            Value::String(s) => Norm::String(s.clone()),
            Value::Array(items) => Norm::Array(items.iter().map(Norm::ours).collect()),
            Value::Object(map) => {
                let pairs = map.iter().map(|(k, v)| (k.to_owned(), Norm::ours(v)));
                Norm::object(pairs.collect())
            }
            Value::Binary(_) => panic!("the parser never makes Binary and the generator doesn't"),
        }
    }

    /// serde_json's, as parsed. Its `u64`s past `i64::MAX` become the `f64` we would read.
    fn serde(value: &Serde) -> Norm {
        match value {
            Serde::Null => Norm::Null,
            Serde::Bool(b) => Norm::Bool(*b),
            Serde::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Norm::Int(i),
                (None, Some(u), _) => Norm::ours(&Value::from(u)),
                (None, None, Some(f)) => Norm::ours(&Value::from(f)),
                (None, None, None) => panic!("a serde_json number is one of the three"),
            },
            Serde::String(s) => Norm::String(s.clone()),
            Serde::Array(items) => Norm::Array(items.iter().map(Norm::serde).collect()),
            Serde::Object(map) => {
                let pairs = map.iter().map(|(k, v)| (k.clone(), Norm::serde(v)));
                Norm::object(pairs.collect())
            }
        }
    }

    fn object(mut pairs: Vec<(String, Norm)>) -> Norm {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        Norm::Object(pairs)
    }

    /// Whether two values are the same to a JavaScript peer: as `==`, except that an integer
    /// and a float are the same if the integer reads as that float. Our writer spells the
    /// float 3.0 as `3` and 2^59+1024.0 as `576460752303424500` (as `JSON.stringify` does),
    /// which read back as integers: not the same variant, nor always the same integer
    /// value, but always the same `f64`.
    fn same_number_as(&self, other: &Norm) -> bool {
        match (self, other) {
            (Norm::Int(i), Norm::Float(bits)) | (Norm::Float(bits), Norm::Int(i)) => {
                (*i as f64).to_bits() == *bits
            }
            (Norm::Array(a), Norm::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_number_as(y))
            }
            (Norm::Object(a), Norm::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((k, x), (l, y))| k == l && x.same_number_as(y))
            }
            (a, b) => a == b,
        }
    }
}

/// Our value as serde_json's, to have serde_json write it.
fn to_serde(value: &Value) -> Serde {
    match value {
        Value::Null => Serde::Null,
        Value::Bool(b) => Serde::Bool(*b),
        Value::Number(Number::Int(i)) => Serde::from(*i),
        Value::Number(Number::Float(f)) => Serde::from(*f),
        Value::String(s) => Serde::from(s.as_str()),
        Value::Array(items) => Serde::Array(items.iter().map(to_serde).collect()),
        Value::Object(map) => Serde::Object(
            map.iter()
                .map(|(k, v)| (k.to_owned(), to_serde(v)))
                .collect(),
        ),
        Value::Binary(_) => panic!("the generator makes no Binary"),
    }
}

/// What each side made of a text: the value, or which error (ours) or its message (serde).
fn read_both(text: &str) -> (Result<Norm, ParseErrorKind>, Result<Norm, String>) {
    let ours = json::parse_with_depth(text, SERDE_MAX_DEPTH)
        .map(|v| Norm::ours(&v))
        .map_err(|e| e.kind);
    let theirs = serde_json::from_str::<Serde>(text)
        .map(|v| Norm::serde(&v))
        .map_err(|e| e.to_string());
    (ours, theirs)
}

/// Panics unless both sides accepted `text` as the same value or both refused it, and
/// returns our refusal, if any. Refusals for depth must match as well: a depth error on one
/// side only would mean the limits differ.
fn assert_agree(text: &str) -> Option<ParseErrorKind> {
    match read_both(text) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours, theirs, "read differently: {text:?}");
            None
        }
        (Err(ours), Err(theirs)) => {
            let our_depth = matches!(ours, ParseErrorKind::TooDeep { .. });
            let their_depth = theirs.contains("recursion limit exceeded");
            assert_eq!(our_depth, their_depth, "{ours:?} vs {theirs}: {text:?}");
            Some(ours)
        }
        (ours, theirs) => panic!("disagree on {text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

// --- Generating values ----------------------------------------------------------------------

/// Characters that stress a JSON string: the escapes, controls, DEL, non-ASCII in 2, 3 and 4
/// bytes, and U+2028/U+2029 (which `JSON.stringify` leaves raw).
#[rustfmt::skip]
const TRICKY_CHARS: &[char] = &[
    '"', '\\', '/', '\u{0}', '\u{8}', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1f}', '\u{7f}',
    'é', '€', '\u{2028}', '\u{2029}', '\u{fffd}', '\u{feff}', '😀', '𝄞', 'a', 'z', ' ',
];

fn random_string(rng: &mut Rng) -> String {
    let len = rng.below(12);
    (0..len)
        .map(|_| match rng.below(3) {
            0 => *rng.pick(TRICKY_CHARS),
            1 => char::from(b' ' + rng.below(95) as u8),
            _ => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?'),
        })
        .collect()
}

/// Numbers near every edge: i64's ends, 2^53, whole floats, ±0, the subnormals, f64::MAX,
/// and ECMAScript's switches to exponent form (10^21 and 10^-7).
fn random_number(rng: &mut Rng) -> Value {
    #[rustfmt::skip]
    const FLOATS: &[f64] = &[
        0.0, -0.0, 0.1, 1.5, 3.0, -2.0, 1e20, 1e21, 1e-6, 1e-7, 5e-324, 2.2250738585072014e-308,
        f64::MAX, f64::MIN, f64::EPSILON, 9007199254740993.0, 1.8446744073709552e19,
        9.223372036854776e18, -9.223372036854776e18, 123456789.125,
    ];
    const INTS: &[i64] = &[
        0,
        1,
        -1,
        i64::MAX,
        i64::MIN,
        1 << 53,
        (1 << 53) + 1,
        -(1 << 62),
    ];
    match rng.below(6) {
        0 => Value::from(*rng.pick(INTS)),
        1 => Value::from(rng.next() as i64 >> rng.below(64)),
        2 => Value::from(*rng.pick(FLOATS)),
        3 => Value::from((rng.below(2_000_001) as f64 - 1e6) / 8.0),
        _ => loop {
            let float = f64::from_bits(rng.next());
            if float.is_finite() {
                break Value::from(float);
            }
        },
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    let choice = if depth == 0 {
        rng.below(5)
    } else {
        rng.below(8)
    };
    match choice {
        0 => Value::Null,
        1 => Value::from(rng.one_in(2)),
        2 | 3 => random_number(rng),
        4 => Value::from(random_string(rng)),
        5 | 6 => Value::Array(
            (0..rng.below(5))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(random_string(rng), random_value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

// --- Mangling texts -------------------------------------------------------------------------

/// Pieces that are almost JSON, or JSON in a spot where it may not fit.
#[rustfmt::skip]
const SNIPPETS: &[&str] = &[
    // §6 numbers, at and past each rule and each range.
    "01", "-0", "-", "+1", ".5", "1.", "1e", "1e+", "1E-2", "0e0", "1e400", "-1e400", "1e-400",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
    "1.7976931348623158e308", "2.2250738585072011e-308",
    // §3 literals, whole and cut, and JavaScript's that JSON lacks.
    "NaN", "Infinity", "true", "tru", "null", "nul",
    // §4, §5 structure.
    "[]", "{}", "[,]", ",]", ",}", "\"\"", "\"a\":", ":", "//", "/*", "'",
    // §7 escapes, §8.2 surrogates.
    "\\", "\\u", "\\uD800", "\\uDC00", "\\uD83D\\uDE00", "\\uD800\\u0041", "\\x", "\\'", "\\/",
    "\\b", "\\U0041",
    // §2 whitespace, and characters that only look like it.
    "\u{0}", "\t", "\u{b}", "\u{c}", "\u{a0}", "\u{feff}", "\u{2028}", " ", "\r\n",
];

/// One random change to `text`, at character boundaries so the result is still a `&str`
/// (the parsers' input type; bytes that are not UTF-8 are the WebSocket layer's business).
fn mangle(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    match rng.below(8) {
        0 if at < chars.len() => {
            let end = (at + 1 + rng.below(3)).min(chars.len());
            chars.drain(at..end);
        }
        1 => chars.insert(
            at,
            *rng.pick(&['"', '\\', ',', ':', '[', ']', '{', '}', '0', '-', 'e']),
        ),
        2 if at < chars.len() => chars[at] = *rng.pick(TRICKY_CHARS),
        3 => chars.truncate(at),
        4 => {
            // A \u escape, half the time of a surrogate.
            let unit = if rng.one_in(2) {
                0xD800 + rng.below(0x800)
            } else {
                rng.below(0x10000)
            };
            chars.splice(at..at, format!("\\u{unit:04X}").chars());
        }
        5 if at < chars.len() => {
            // Copy a stretch of the text somewhere else.
            let end = (at + 1 + rng.below(8)).min(chars.len());
            let copy: Vec<char> = chars[at..end].to_vec();
            let to = rng.below(chars.len() + 1);
            chars.splice(to..to, copy);
        }
        6 => {
            // Nest inside brackets, around the depth limit.
            let depth = 120 + rng.below(12);
            let open: String = (0..depth)
                .map(|_| if rng.one_in(3) { "{\"k\":" } else { "[" })
                .collect();
            let close: String = open
                .chars()
                .rev()
                .filter_map(|c| match c {
                    '[' => Some(']'),
                    '{' => Some('}'),
                    _ => None,
                })
                .collect();
            return format!("{open}{text}{close}");
        }
        _ => {
            chars.splice(at..at, rng.pick(SNIPPETS).chars());
        }
    }
    chars.into_iter().collect()
}

// --- The differential ------------------------------------------------------------------------

const VALUES: usize = 3_000;
const MANGLES_PER_TEXT: usize = 4;

#[test]
fn serde_json_and_ours_agree_on_generated_values_and_mangled_texts() {
    let mut rng = Rng(0x5EED_0F7E_AD10);
    let mut texts = Vec::new();
    let mut values = 0;
    for _ in 0..VALUES {
        let depth = 1 + rng.below(5);
        let value = random_value(&mut rng, depth);
        let expected = Norm::ours(&value);
        let ours = value.to_json();
        let theirs = serde_json::to_string(&to_serde(&value)).expect("finite numbers only");
        for text in [&ours, &theirs] {
            assert_agree(text);
            let back = json::parse(text).expect("what either writer wrote is JSON");
            let back = Norm::ours(&back);
            assert!(
                back.same_number_as(&expected),
                "changed: {text}\n{back:?}\n{expected:?}"
            );
        }
        texts.push(ours);
        texts.push(theirs);
        values += 1;
    }
    texts.extend(SNIPPETS.iter().map(|s| s.to_string()));

    // How often each refusal came up, to show the mangling reaches every rule.
    let mut refusals: Vec<(String, usize)> = Vec::new();
    let mut accepted = 0;
    for text in &texts {
        for _ in 0..MANGLES_PER_TEXT {
            let mut text = mangle(&mut rng, text);
            if rng.one_in(4) {
                text = mangle(&mut rng, &text);
            }
            let Some(kind) = assert_agree(&text) else {
                accepted += 1;
                continue;
            };
            let name = format!("{kind:?}");
            let name = name
                .split([' ', '('])
                .next()
                .expect("a variant name")
                .to_owned();
            match refusals.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => refusals.push((name, 1)),
            }
        }
    }
    let refused: usize = refusals.iter().map(|(_, count)| count).sum();
    let mangled = accepted + refused;
    println!(
        "json differential: {values} valid values, {mangled} mangled texts agreed \
         ({accepted} accepted by both, {refused} refused by both: {refusals:?})"
    );
    assert!(
        values >= 3_000 && mangled >= 20_000,
        "{values} values, {mangled} mangled"
    );
    assert!(
        accepted >= 2_000 && refused >= 10_000,
        "{accepted} accepted, {refused} refused"
    );
    assert_eq!(
        refusals.len(),
        11,
        "every ParseErrorKind came up: {refusals:?}"
    );
}

#[test]
fn strings_are_written_byte_for_byte_as_serde_json_writes_them() {
    let mut rng = Rng(0xC0FFEE);
    for _ in 0..5_000 {
        let text = random_string(&mut rng);
        assert_eq!(
            Value::from(text.as_str()).to_json(),
            serde_json::to_string(&text).expect("a string")
        );
    }
}

/// RFC 8259 cases each side must accept (`true`) or refuse (`false`), by the section that
/// decides them.
const EDGE_CASES: &[(&str, bool)] = &[
    // §2: a text is one value with the four whitespace characters around it.
    (" \t\r\n[1] \t\r\n", true),
    ("", false),
    (" ", false),
    ("[1] [2]", false),
    ("\u{c}1", false),
    ("\u{a0}1", false),
    ("\u{feff}1", false),
    ("[1] // comment", false),
    ("/* comment */ 1", false),
    // §3: only lowercase true, false, null.
    ("[true,false,null]", true),
    ("True", false),
    ("NULL", false),
    ("nul", false),
    ("NaN", false),
    ("Infinity", false),
    ("-Infinity", false),
    ("undefined", false),
    // §4, §5: objects and arrays, comma-separated, names are strings.
    (r#"{"a":{"b":[[],{}]}}"#, true),
    (r#"{"a":1,"a":2}"#, true),
    (r#"{"":0}"#, true),
    ("[1,]", false),
    (r#"{"a":1,}"#, false),
    ("[,1]", false),
    ("[,]", false),
    ("[1 2]", false),
    ("[1]]", false),
    ("[[1]", false),
    ("{a:1}", false),
    ("{'a':1}", false),
    (r#"{"a" 1}"#, false),
    (r#"{"a":}"#, false),
    (r#"{:1}"#, false),
    ("{1:1}", false),
    // §6: numbers.
    ("-0", true),
    ("[-0.0, 0e1, 0E-0, 1E22, 1e+2, 1.5e-3]", true),
    ("1e-400", true),
    ("1.7976931348623157e308", true),
    ("-9223372036854775808", true),
    ("18446744073709551615", true),
    ("123456789012345678901234567890", true),
    ("01", false),
    ("-01", false),
    ("00", false),
    ("+1", false),
    (".5", false),
    ("1.", false),
    ("1.e5", false),
    ("1e", false),
    ("1e+", false),
    ("-", false),
    ("- 1", false),
    ("0x10", false),
    ("1_000", false),
    ("1e400", false),
    ("-1e400", false),
    // §7: strings and escapes.
    (r#""\" \\ \/ \b \f \n \r \t""#, true),
    (r#""\u0000 \u001F \u00e9 \u20AC""#, true),
    (r#""\uD834\uDD1E""#, true),
    (r#""\uDBFF\uDFFF""#, true),
    ("\"\u{7f} é 😀 \u{2028}\"", true),
    (r#""\x""#, false),
    (r#""\'""#, false),
    (r#""\U0041""#, false),
    (r#""\u12""#, false),
    (r#""\u12G4""#, false),
    ("\"a\tb\"", false),
    ("\"a\u{0}b\"", false),
    ("\"a\u{1f}b\"", false),
    ("\"abc", false),
    ("'abc'", false),
    // §8.2: unpaired surrogates; both sides refuse them.
    (r#""\uD800""#, false),
    (r#""\uDC00""#, false),
    (r#""\uD800\u0041""#, false),
    (r#""\uDC00\uD800""#, false),
    (r#""\uD800\n""#, false),
];

#[test]
fn rfc8259_edge_cases_are_accepted_or_refused_by_both_as_the_rfc_says() {
    for &(text, valid) in EDGE_CASES {
        let (ours, theirs) = read_both(text);
        assert_eq!(
            (ours.is_ok(), theirs.is_ok()),
            (valid, valid),
            "{text:?}: {ours:?} / {theirs:?}"
        );
        assert_agree(text);
    }
}

#[test]
fn our_default_depth_is_one_more_than_serde_json_allows() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_agree(&nested(SERDE_MAX_DEPTH));
    assert_agree(&nested(SERDE_MAX_DEPTH + 1));
    assert!(serde_json::from_str::<Serde>(&nested(json::DEFAULT_MAX_DEPTH)).is_err());
    assert!(json::parse(&nested(json::DEFAULT_MAX_DEPTH)).is_ok());
    let too_deep = json::parse(&nested(json::DEFAULT_MAX_DEPTH + 1)).map_err(|e| e.kind);
    assert_eq!(
        too_deep,
        Err(ParseErrorKind::TooDeep {
            max: json::DEFAULT_MAX_DEPTH
        })
    );
}
