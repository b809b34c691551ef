//! Our MessagePack (src/msgpack) against rmpv, an implementation none of us wrote
//! (MessagePack spec, https://github.com/msgpack/msgpack/blob/master/spec.md).
//!
//! Three directions, over a seeded corpus (tests/msgpack_corpus), so a failure names a case
//! that fails again on the next run:
//! - our bytes, read by rmpv, are the value we encoded; and rmpv writes the same bytes for
//!   it (rmpv also picks the smallest integer, str, bin, array and map format, and float 64
//!   for an f64 — the same choices notepack makes);
//! - rmpv's bytes for values in formats notepack never writes (float 32, signed formats for
//!   positive numbers, ext, non-str keys) are read by us as rmpv reads them, or refused;
//! - mangled bytes (truncated, a byte changed, a byte added): what rmpv refuses, we refuse;
//!   what we accept, rmpv reads as the same value, in the same number of bytes.

mod msgpack_corpus;

use msgpack_corpus::{as_encoded, random_value, same, Rng, Shape};
use rmpv::Value as Rmpv;
use threadio::json::{Number, Value};
use threadio::msgpack::{self, MsgpackErrorKind};

/// What rmpv's value is as ours; `None` where ours has no such value (a non-str key, a str
/// that is not UTF-8, an extension), which we must refuse. The ext type 0 forms we do read
/// are set aside by [`has_type0_ext`] first.
fn from_rmpv(value: &Rmpv) -> Option<Value> {
    Some(match value {
        Rmpv::Nil => Value::Null,
        Rmpv::Boolean(b) => Value::Bool(*b),
        Rmpv::Integer(int) => match int.as_i64() {
            Some(int) => Value::from(int),
            None => Value::from(int.as_u64().expect("an integer is an i64 or a u64")),
        },
        Rmpv::F32(float) => Value::from(f64::from(*float)),
        Rmpv::F64(float) => Value::from(*float),
        Rmpv::String(text) => Value::String(text.as_str()?.to_owned()),
        Rmpv::Binary(bytes) => Value::Binary(bytes.clone()),
        Rmpv::Array(items) => Value::Array(items.iter().map(from_rmpv).collect::<Option<_>>()?),
        Rmpv::Map(pairs) => {
            let pairs = pairs
                .iter()
                .map(|(k, v)| Some((k.as_str()?.to_owned(), from_rmpv(v)?)))
                .collect::<Option<Vec<_>>>()?;
            Value::Object(threadio::json::Map::from_pairs(pairs))
        }
        Rmpv::Ext(..) => return None,
    })
}

/// Whether `value` holds an extension of type 0, which we read as notepack's legacy
/// `undefined` or ArrayBuffer depending on the format byte, which rmpv does not keep.
fn has_type0_ext(value: &Rmpv) -> bool {
    match value {
        Rmpv::Ext(0, _) => true,
        Rmpv::Array(items) => items.iter().any(has_type0_ext),
        Rmpv::Map(pairs) => pairs
            .iter()
            .any(|(k, v)| has_type0_ext(k) || has_type0_ext(v)),
        _ => false,
    }
}

/// Ours as rmpv's, for rmpv to encode: integers as integers, floats as F64, except the
/// whole floats from 2^63 to 2^64, which [`as_encoded`] leaves as floats (an `i64` cannot
/// hold them) and which notepack, and so we, write as a uint 64.
fn to_rmpv(value: &Value) -> Rmpv {
    match value {
        Value::Null => Rmpv::Nil,
        Value::Bool(b) => Rmpv::Boolean(*b),
        Value::Number(Number::Int(int)) if *int >= 0 => Rmpv::from(*int as u64),
        Value::Number(Number::Int(int)) => Rmpv::from(*int),
        Value::Number(Number::Float(float))
            if float.fract() == 0.0 && (2f64.powi(63)..2f64.powi(64)).contains(float) =>
        {
            Rmpv::from(*float as u64)
        }
        Value::Number(Number::Float(float)) => Rmpv::F64(*float),
        Value::String(text) => Rmpv::from(text.as_str()),
        Value::Binary(bytes) => Rmpv::Binary(bytes.clone()),
        Value::Array(items) => Rmpv::Array(items.iter().map(to_rmpv).collect()),
        Value::Object(map) => Rmpv::Map(
            map.iter()
                .map(|(k, v)| (Rmpv::from(k), to_rmpv(v)))
                .collect(),
        ),
    }
}

fn rmpv_encode(value: &Rmpv) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, value).expect("writing to a Vec cannot fail");
    out
}

/// rmpv's reading of the start of `bytes`: the value and the bytes it took.
fn rmpv_decode_prefix(bytes: &[u8]) -> Option<(Rmpv, usize)> {
    let mut rest = bytes;
    let value = rmpv::decode::read_value(&mut rest).ok()?;
    Some((value, bytes.len() - rest.len()))
}

const SHAPE: Shape = Shape {
    js_safe: false,
    max_depth: 5,
};

#[test]
fn rmpv_reads_our_bytes_as_the_value_and_writes_the_same_bytes() {
    let mut rng = Rng(0x5eed_0001);
    for case in 0..3000 {
        let value = as_encoded(&random_value(&mut rng, SHAPE, 0));
        let ours = msgpack::encode(&value);
        let (theirs, used) = rmpv_decode_prefix(&ours).unwrap_or_else(|| {
            panic!("case {case}: rmpv refused our bytes {ours:02x?} for {value:?}")
        });
        assert_eq!(used, ours.len(), "case {case}");
        let read = from_rmpv(&theirs).expect("only our kinds of values");
        assert!(
            same(&read, &value),
            "case {case}: rmpv read {read:?} for {value:?}"
        );
        assert_eq!(
            rmpv_encode(&to_rmpv(&value)),
            ours,
            "case {case}: {value:?}"
        );
        let back = msgpack::decode(&ours).expect("we read what we wrote");
        assert!(same(&back, &value), "case {case}: we read back {back:?}");
    }
}

/// An rmpv value that uses the formats notepack never writes, for our decoder.
fn random_rmpv(rng: &mut Rng, depth: usize) -> Rmpv {
    match rng.below(if depth >= 4 { 7 } else { 9 }) {
        0 => Rmpv::F32(f32::from_bits(rng.next() as u32)),
        1 => Rmpv::F64(f64::from_bits(rng.next())),
        2 => Rmpv::from(rng.next() as i64),
        3 => Rmpv::from(rng.next()),
        4 => Rmpv::Ext(
            rng.pick(&[-1, 0, 1, 42]),
            vec![7; rng.pick(&[1, 2, 4, 8, 16, 3])],
        ),
        5 => Rmpv::from(rng.pick(&["", "a", "é✓"])),
        6 => Rmpv::Binary(vec![1; rng.below(3)]),
        7 => Rmpv::Array(
            (0..rng.below(4))
                .map(|_| random_rmpv(rng, depth + 1))
                .collect(),
        ),
        _ => Rmpv::Map(
            (0..rng.below(3))
                .map(|_| {
                    let key = if rng.one_in(5) {
                        Rmpv::from(rng.below(9) as u64)
                    } else {
                        Rmpv::from(rng.pick(&["a", "b", "c"]))
                    };
                    (key, random_rmpv(rng, depth + 1))
                })
                .collect(),
        ),
    }
}

#[test]
fn we_read_rmpv_bytes_as_rmpv_does_or_refuse_what_has_no_value_of_ours() {
    let mut rng = Rng(0x5eed_0002);
    let mut refused = 0;
    for case in 0..3000 {
        let theirs = random_rmpv(&mut rng, 0);
        let bytes = rmpv_encode(&theirs);
        if has_type0_ext(&theirs) {
            continue;
        }
        match (from_rmpv(&theirs), msgpack::decode(&bytes)) {
            (Some(expected), Ok(ours)) => {
                assert!(
                    same(&ours, &expected),
                    "case {case}: {ours:?} != {expected:?}"
                )
            }
            (None, Err(error)) => {
                refused += 1;
                assert!(
                    matches!(
                        error.kind,
                        MsgpackErrorKind::KeyNotString
                            | MsgpackErrorKind::UnsupportedExtension { .. }
                    ),
                    "case {case}: {error}"
                );
            }
            (expected, ours) => {
                panic!("case {case}: {bytes:02x?}: rmpv says {expected:?}, we say {ours:?}")
            }
        }
    }
    assert!(refused > 100, "the corpus reaches the refusals ({refused})");
}

/// `bytes` truncated, with one byte changed, or with one byte inserted.
fn mangle(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = rng.below(out.len() + 1);
    match rng.below(3) {
        0 => out.truncate(at),
        1 if at < out.len() => out[at] = rng.next() as u8,
        _ => out.insert(at, rng.next() as u8),
    }
    out
}

#[test]
fn on_mangled_bytes_we_refuse_what_rmpv_refuses_and_read_alike_what_we_accept() {
    let mut rng = Rng(0x5eed_0003);
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..20_000 {
        let value = random_value(&mut rng, SHAPE, 0);
        let bytes = mangle(&mut rng, &msgpack::encode(&value));
        let theirs = rmpv_decode_prefix(&bytes);
        match msgpack::decode_prefix(&bytes) {
            Ok((ours, used)) => {
                accepted += 1;
                let (theirs, their_used) = theirs.unwrap_or_else(|| {
                    panic!("case {case}: we read {bytes:02x?}, rmpv refuses it")
                });
                assert_eq!(used, their_used, "case {case}: {bytes:02x?}");
                if !has_type0_ext(&theirs) {
                    let expected = from_rmpv(&theirs).expect("we accepted it");
                    assert!(same(&ours, &expected), "case {case}: {bytes:02x?}");
                }
            }
            Err(_) => rejected += 1,
        }
    }
    assert!(
        accepted > 1000 && rejected > 1000,
        "{accepted} accepted, {rejected} refused"
    );
}
