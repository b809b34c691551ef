//! Fuzzes the JSON parser and writer (`src/json`, RFC 8259): every Socket.IO payload a peer
//! sends goes through `parse`, and every one we send through `to_json`.
//!
//! Input: any bytes, as text (lossily: JSON text is UTF-8, §8.1, and the parser takes `&str`).
//!
//! Properties, beyond "no panic, no endless loop, no stack overflow at any depth":
//! - round trip: parse → `to_json` → parse gives the same value (`same_value`: as a
//!   JavaScript peer sees it, so `1e3` may come back as the integer 1000, and nothing else
//!   may change), and writing that again gives the same text;
//! - `parse_prefix` reads the value that `parse` reads, and says it used a length within the
//!   text, on a character boundary, after which only whitespace may remain for `parse` to
//!   accept it;
//! - differential: we accept exactly the texts serde_json accepts, at its nesting limit
//!   (127), and read the same value from them, compared as tests/json_differential.rs
//!   does: objects as sets of keys, and integers past `i64::MAX` as the `f64` we keep.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::json::{parse, parse_prefix, parse_with_depth, Number, Value};
use threadio_fuzz::same_value;

/// serde_json's nesting limit (see tests/json_differential.rs).
const SERDE_MAX_DEPTH: usize = 127;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let text = text.as_ref();

    let parsed = parse(text);
    if let Ok(value) = &parsed {
        let written = value.to_json();
        let again = parse(&written).unwrap_or_else(|e| panic!("{written:?} does not parse: {e}"));
        assert!(
            same_value(&again, value),
            "parse → write → parse changed {value:?} to {again:?}"
        );
        assert_eq!(again.to_json(), written, "writing is not stable");
    }

    match parse_prefix(text) {
        Ok((value, used)) => {
            assert!(used <= text.len() && text.is_char_boundary(used));
            let only_whitespace = text[used..].bytes().all(|b| b" \t\n\r".contains(&b));
            match &parsed {
                Ok(whole) => assert!(only_whitespace && *whole == value),
                Err(_) => assert!(!only_whitespace),
            }
        }
        Err(_) => assert!(parsed.is_err()),
    }

    let ours = parse_with_depth(text, SERDE_MAX_DEPTH);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => assert_eq!(to_serde(ours), normalise(theirs.clone())),
        (Err(_), Err(_)) => {}
        _ => panic!("we say {ours:?}, serde_json says {theirs:?}"),
    }
});

/// Our value as serde_json holds one: its `Map` compares objects without their key order.
fn to_serde(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(Number::Int(int)) => serde_json::Value::from(*int),
        Value::Number(Number::Float(float)) => serde_json::Value::from(*float),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_owned(), to_serde(v)))
                .collect(),
        ),
        Value::Binary(_) => unreachable!("the parser never makes Binary"),
    }
}

/// serde_json's value with its one other representation made ours: an integer past
/// `i64::MAX` (it keeps a `u64`) as the nearest `f64`.
fn normalise(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) if n.is_u64() && n.as_i64().is_none() => {
            serde_json::Value::from(n.as_f64().expect("a u64 has an f64"))
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(normalise).collect())
        }
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.into_iter().map(|(k, v)| (k, normalise(v))).collect())
        }
        other => other,
    }
}
