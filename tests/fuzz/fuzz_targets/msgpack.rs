//! Fuzzes the MessagePack decoder and encoder (`src/msgpack`, the MessagePack spec): the Redis
//! adapter will read every broadcast another node publishes through `decode`, so a peer's
//! bytes (or Redis's, or an attacker's who can publish) reach it.
//!
//! Input: any bytes, as a MessagePack value.
//!
//! Properties, beyond "no panic, no endless loop, no allocation from a length the input
//! does not hold":
//! - `decode_prefix` reads what `decode` reads, in a length within the input, and `decode`
//!   accepts the input exactly when the prefix is all of it;
//! - round trip: decode → `encode` → decode gives the same value (`same_value`: as a
//!   JavaScript peer sees it, so a whole float may come back as the integer it equals; and
//!   `-0` comes back as `0`, since we write it as notepack.io does, as the integer 0 — the
//!   one number whose sign the round trip drops, on purpose), and encoding that again gives
//!   the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadio::json::{Number, Value};
use threadio::msgpack::{decode, decode_prefix, encode};
use threadio_fuzz::same_value;

fuzz_target!(|input: &[u8]| {
    let whole = decode(input);
    match decode_prefix(input) {
        Ok((value, used)) => {
            assert!(used <= input.len() && used > 0);
            match &whole {
                // `same_value`, not `==`: a NaN read twice is the same NaN, and `==` says no.
                Ok(whole) => assert!(used == input.len() && same_value(whole, &value)),
                Err(_) => assert!(used < input.len()),
            }
        }
        Err(_) => assert!(whole.is_err()),
    }
    if let Ok(value) = whole {
        let bytes = encode(&value);
        let again = decode(&bytes).unwrap_or_else(|e| panic!("{bytes:02x?} does not decode: {e}"));
        assert!(
            same_value(&again, &without_negative_zero(value.clone())),
            "decode → encode → decode changed {value:?} to {again:?}"
        );
        assert_eq!(encode(&again), bytes, "encoding is not stable");
    }
});

/// `value` with every `-0.0` made `0`, as `encode` writes it (notepack.io's `value >= 0`
/// holds for `-0`, so it takes the unsigned integer form).
fn without_negative_zero(value: Value) -> Value {
    match value {
        Value::Number(Number::Float(f)) if f == 0.0 => Value::Number(Number::Int(0)),
        Value::Array(items) => Value::Array(items.into_iter().map(without_negative_zero).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_negative_zero(v)))
                .collect(),
        ),
        other => other,
    }
}
