//! What the MessagePack tests share: a seeded generator of `Value`s that reach every format
//! and its length edges, what our encoder makes of a value (its whole floats become
//! integers), and a comparison that holds floats to their bits.
//!
//! `tests/msgpack_differential.rs` (against rmpv) and `tests/msgpack_interop.rs` (against
//! Node's notepack.io) both use it; cargo does not build a folder under tests/ as a test.

#![allow(dead_code)]

use threadio::json::{Number, Value};

/// xorshift64 (Marsaglia 2003): tiny, deterministic, and plenty for picking test cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Which values to make: `js_safe` keeps to what survives a trip through JavaScript
/// (integers within ±2^53, which a double holds exactly; object keys that are not array
/// indexes, which JavaScript would move to the front of the key order).
#[derive(Clone, Copy)]
pub struct Shape {
    pub js_safe: bool,
    pub max_depth: usize,
}

/// The lengths where a format changes (MessagePack spec, "Formats"), and a few between.
const LENGTHS: &[usize] = &[0, 1, 5, 15, 16, 31, 32, 255, 256, 65535, 65536];

/// The integers where a format changes, and their neighbours.
const INTEGER_EDGES: &[i64] = &[
    0,
    1,
    127,
    128,
    255,
    256,
    65535,
    65536,
    4_294_967_295,
    4_294_967_296,
    9_007_199_254_740_991, // 2^53 - 1, JavaScript's Number.MAX_SAFE_INTEGER
    -1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -2_147_483_648,
    -2_147_483_649,
    -9_007_199_254_740_991,
];

pub fn random_value(rng: &mut Rng, shape: Shape, depth: usize) -> Value {
    let kinds = if depth >= shape.max_depth { 6 } else { 8 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => random_integer(rng, shape),
        3 => random_float(rng, shape),
        4 => Value::String(random_string(rng)),
        5 => Value::Binary((0..random_length(rng)).map(|_| rng.next() as u8).collect()),
        6 => {
            let count = random_count(rng);
            Value::Array(
                (0..count)
                    .map(|_| random_value(rng, shape, depth + 1))
                    .collect(),
            )
        }
        _ => {
            let count = random_count(rng);
            Value::object(
                (0..count)
                    .map(|_| (random_key(rng, shape), random_value(rng, shape, depth + 1)))
                    .collect::<Vec<_>>(),
            )
        }
    }
}

fn random_integer(rng: &mut Rng, shape: Shape) -> Value {
    let int = match rng.below(3) {
        0 => rng.pick(INTEGER_EDGES),
        1 => (rng.next() % 200) as i64 - 100,
        _ if shape.js_safe => (rng.next() >> 11) as i64 * rng.pick(&[1, -1]),
        _ => rng.next() as i64,
    };
    Value::from(int)
}

fn random_float(rng: &mut Rng, shape: Shape) -> Value {
    let float = match rng.below(4) {
        0 => rng.pick(&[0.5, -0.0, -2.5e-300, f64::INFINITY, f64::NEG_INFINITY]),
        // Whole floats, written as integers: around the edges, and beyond 64 bits.
        1 => rng.pick(INTEGER_EDGES) as f64,
        2 => rng.pick(&[1e19, 1.8446744073709552e19, -9.3e18, 1e25, 1e300]),
        _ => f64::from_bits(rng.next()),
    };
    // notepack writes wrong bytes for a whole number beyond 64 bits (every finite double
    // of 2^64 and up is whole): keep those out of what goes to JavaScript.
    let beyond_64_bits = float.is_finite() && !(-9.2e18..1.8e19).contains(&float);
    let float = if shape.js_safe && beyond_64_bits {
        (rng.next() >> 11) as f64 / 1024.0
    } else {
        float
    };
    // NaN compares bit for bit below; keep to the one NaN JavaScript writes.
    Value::from(if float.is_nan() { f64::NAN } else { float })
}

fn random_length(rng: &mut Rng) -> usize {
    if rng.one_in(40) {
        rng.pick(LENGTHS)
    } else {
        rng.below(40)
    }
}

fn random_count(rng: &mut Rng) -> usize {
    if rng.one_in(30) {
        rng.pick(&[15, 16, 17])
    } else {
        rng.below(5)
    }
}

fn random_string(rng: &mut Rng) -> String {
    let target = random_length(rng);
    let mut text = String::new();
    // Characters of 1, 2, 3 and 4 UTF-8 bytes; the length lands at or just past the target.
    while text.len() < target {
        text.push(rng.pick(&['a', 'Z', ' ', '"', 'é', 'ß', '✓', '€', '😀', '\u{7f}', '\0']));
    }
    text
}

fn random_key(rng: &mut Rng, shape: Shape) -> String {
    let key = random_string(rng);
    if shape.js_safe {
        format!("k{key}")
    } else {
        key
    }
}

/// `value` as our encoder writes it and our decoder reads it back: each whole `Float` in
/// 64-bit range becomes the integer it equals (`-0.0` becomes 0), as notepack does.
pub fn as_encoded(value: &Value) -> Value {
    match value {
        Value::Number(Number::Float(float)) => whole_as_integer(*float),
        Value::Array(items) => Value::Array(items.iter().map(as_encoded).collect()),
        Value::Object(map) => Value::object(map.iter().map(|(k, v)| (k, as_encoded(v)))),
        other => other.clone(),
    }
}

fn whole_as_integer(float: f64) -> Value {
    let whole = float.is_finite() && float.fract() == 0.0;
    if whole && (0.0..18_446_744_073_709_551_616.0).contains(&float) {
        Value::from(float as u64)
    } else if whole && (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
        Value::from(float as i64)
    } else {
        Value::from(float)
    }
}

/// `==`, except that floats are equal when their bits are: NaN equals NaN, -0 is not 0.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(Number::Float(x)), Value::Number(Number::Float(y))) => {
            x.to_bits() == y.to_bits()
        }
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys.iter())
                    .all(|((kx, x), (ky, y))| kx == ky && same(x, y))
        }
        _ => a == b,
    }
}
