//! `Value` → MessagePack bytes, making the choices Node's `notepack.io` 3 makes, so that a
//! Node node of the cluster and a threadio node write the same bytes for the same value
//! (MessagePack spec, "Formats"; notepack.io's `lib/encode.js`).
//!
//! The spec lets an encoder pick any format that holds a value; notepack picks:
//! - integers: the smallest format, unsigned ones (positive fixint, uint 8/16/32/64) for
//!   zero and up, signed ones (negative fixint, int 8/16/32/64) only below zero;
//! - other numbers: float 64, never float 32 — including NaN and the infinities;
//! - strings: fixstr, str 8, str 16, str 32 by UTF-8 length;
//! - Node Buffers: bin 8, bin 16, bin 32 (never fixext or ext);
//! - arrays and objects: fixarray/fixmap, then the 16- and 32-bit forms;
//! - `null` (and `undefined`) as nil.
//!
//! Our `Value` tells `Int(3)` from `Float(3.0)`; JavaScript does not, and notepack writes any
//! whole number as an integer. So do we: a `Float` with no fraction is written as the
//! integer it equals, `-0.0` included (as `0`, notepack's `value >= 0` is true for -0). The
//! distinction is lost on the wire, as it is between two Node nodes. Where we part from
//! notepack: a whole `Float` beyond what 64 bits hold (|x| ≥ 2^64, or below -2^63) is written
//! as a float 64, where notepack's arithmetic would write wrong bytes.

use super::format::*;
use crate::json::{Map, Number, Value};

/// The MessagePack encoding of `value`, byte for byte as notepack.io 3 encodes the same
/// JavaScript value.
///
/// # Panics
/// If a string, binary, array or object is longer than the spec's 32-bit lengths
/// (2^32 - 1 bytes or elements). Nothing our message limits let in comes near.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(value, &mut out);
    out
}

/// Appends the encoding of `value` to `out`. Recursion is fine here: the tree was built by
/// us or by a decoder that limits depth, so it is as deep as the code that made it.
fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NIL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(number) => write_number(*number, out),
        Value::String(text) => write_str(text, out),
        Value::Binary(bytes) => write_bin(bytes, out),
        Value::Array(items) => write_array(items, out),
        Value::Object(map) => write_map(map, out),
    }
}

fn write_number(number: Number, out: &mut Vec<u8>) {
    match number {
        Number::Int(int) if int >= 0 => write_unsigned(int as u64, out),
        Number::Int(int) => write_negative(int, out),
        Number::Float(float) => write_float(float, out),
    }
}

/// A JavaScript number as notepack writes it: whole ones as integers, the rest float 64.
fn write_float(float: f64, out: &mut Vec<u8>) {
    // Both bounds are powers of two, exact as f64s; `as` is exact for whole floats inside.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    let whole = float.is_finite() && float.fract() == 0.0;
    if whole && (0.0..TWO_POW_64).contains(&float) {
        // -0.0 lands here too (-0.0 >= 0.0), and is written as 0, as notepack does.
        write_unsigned(float as u64, out);
    } else if whole && (-TWO_POW_63..0.0).contains(&float) {
        write_negative(float as i64, out);
    } else {
        out.push(FLOAT64);
        out.extend_from_slice(&float.to_be_bytes());
    }
}

/// Zero and up: positive fixint, then uint 8, 16, 32, 64 — the smallest that holds it.
fn write_unsigned(int: u64, out: &mut Vec<u8>) {
    if int <= u64::from(POSITIVE_FIXINT_MAX) {
        out.push(int as u8);
    } else if let Ok(small) = u8::try_from(int) {
        out.extend_from_slice(&[UINT8, small]);
    } else if let Ok(small) = u16::try_from(int) {
        out.push(UINT16);
        out.extend_from_slice(&small.to_be_bytes());
    } else if let Ok(small) = u32::try_from(int) {
        out.push(UINT32);
        out.extend_from_slice(&small.to_be_bytes());
    } else {
        out.push(UINT64);
        out.extend_from_slice(&int.to_be_bytes());
    }
}

/// Below zero: negative fixint (-32..=-1), then int 8, 16, 32, 64.
fn write_negative(int: i64, out: &mut Vec<u8>) {
    if int >= -32 {
        // Two's complement of -32..=-1 is 0xe0..=0xff: the byte is the format and the value.
        out.push(int as u8);
    } else if let Ok(small) = i8::try_from(int) {
        out.extend_from_slice(&[INT8, small as u8]);
    } else if let Ok(small) = i16::try_from(int) {
        out.push(INT16);
        out.extend_from_slice(&small.to_be_bytes());
    } else if let Ok(small) = i32::try_from(int) {
        out.push(INT32);
        out.extend_from_slice(&small.to_be_bytes());
    } else {
        out.push(INT64);
        out.extend_from_slice(&int.to_be_bytes());
    }
}

fn write_str(text: &str, out: &mut Vec<u8>) {
    let len = text.len();
    if len <= FIXSTR_MAX {
        out.push(FIXSTR | len as u8);
    } else {
        write_length(len, [STR8, STR16, STR32], out);
    }
    out.extend_from_slice(text.as_bytes());
}

/// Bytes always go as bin, even a short run: notepack has no fix form for a Buffer.
fn write_bin(bytes: &[u8], out: &mut Vec<u8>) {
    write_length(bytes.len(), [BIN8, BIN16, BIN32], out);
    out.extend_from_slice(bytes);
}

fn write_array(items: &[Value], out: &mut Vec<u8>) {
    write_collection_header(items.len(), FIXARRAY, [ARRAY16, ARRAY32], out);
    for item in items {
        write_value(item, out);
    }
}

fn write_map(map: &Map, out: &mut Vec<u8>) {
    write_collection_header(map.len(), FIXMAP, [MAP16, MAP32], out);
    for (key, value) in map.iter() {
        write_str(key, out);
        write_value(value, out);
    }
}

/// fixarray/fixmap up to 15, else the 16- or 32-bit form (there is no 8-bit one).
fn write_collection_header(count: usize, fix: u8, [wide16, wide32]: [u8; 2], out: &mut Vec<u8>) {
    if count <= FIX_COLLECTION_MAX {
        out.push(fix | count as u8);
    } else if let Ok(count) = u16::try_from(count) {
        out.push(wide16);
        out.extend_from_slice(&count.to_be_bytes());
    } else {
        out.push(wide32);
        out.extend_from_slice(&length_u32(count).to_be_bytes());
    }
}

/// The 8-, 16- or 32-bit length form of str or bin, the smallest that holds `len`.
fn write_length(len: usize, [form8, form16, form32]: [u8; 3], out: &mut Vec<u8>) {
    if let Ok(len) = u8::try_from(len) {
        out.extend_from_slice(&[form8, len]);
    } else if let Ok(len) = u16::try_from(len) {
        out.push(form16);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(form32);
        out.extend_from_slice(&length_u32(len).to_be_bytes());
    }
}

/// The spec's lengths stop at 2^32 - 1 ("Limitation"); notepack throws beyond, we panic.
fn length_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or_else(|_| {
        panic!(
            "{len} bytes or elements: MessagePack lengths stop at 2^32 - 1 (spec, \"Limitation\")"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(value: impl Into<Value>, len: usize) -> Vec<u8> {
        encode(&value.into())[..len].to_vec()
    }

    #[test]
    fn integers_take_the_smallest_format_at_each_edge_of_the_spec() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (127, &[0x7f]),
            (128, &[UINT8, 0x80]),
            (255, &[UINT8, 0xff]),
            (256, &[UINT16, 0x01, 0x00]),
            (65535, &[UINT16, 0xff, 0xff]),
            (65536, &[UINT32, 0, 1, 0, 0]),
            (4_294_967_295, &[UINT32, 0xff, 0xff, 0xff, 0xff]),
            (4_294_967_296, &[UINT64, 0, 0, 0, 1, 0, 0, 0, 0]),
            (
                i64::MAX,
                &[UINT64, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (-1, &[0xff]),
            (-32, &[0xe0]),
            (-33, &[INT8, 0xdf]),
            (-128, &[INT8, 0x80]),
            (-129, &[INT16, 0xff, 0x7f]),
            (-32768, &[INT16, 0x80, 0x00]),
            (-32769, &[INT32, 0xff, 0xff, 0x7f, 0xff]),
            (-2_147_483_648, &[INT32, 0x80, 0, 0, 0]),
            (
                -2_147_483_649,
                &[INT64, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
            ),
            (i64::MIN, &[INT64, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for &(int, bytes) in cases {
            assert_eq!(encode(&Value::from(int)), bytes, "{int}");
        }
    }

    #[test]
    fn whole_floats_are_written_as_integers_like_notepack_and_others_as_float64() {
        assert_eq!(encode(&Value::from(3.0)), [0x03]);
        assert_eq!(encode(&Value::from(-0.0)), [0x00], "notepack: -0 >= 0");
        assert_eq!(encode(&Value::from(-33.0)), [INT8, 0xdf]);
        // 2^63 and 2^64 - 2048 (the largest f64 under 2^64) still fit a uint 64.
        assert_eq!(head(9_223_372_036_854_775_808.0, 2), [UINT64, 0x80]);
        assert_eq!(head(18_446_744_073_709_549_568.0, 2), [UINT64, 0xff]);
        assert_eq!(head(-9_223_372_036_854_775_808.0, 2), [INT64, 0x80]);
        for float in [
            0.5,
            -1.5,
            1e20,
            -1e19,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let mut expected = vec![FLOAT64];
            expected.extend_from_slice(&float.to_be_bytes());
            assert_eq!(encode(&Value::from(float)), expected, "{float}");
        }
    }

    #[test]
    fn strings_by_utf8_length_at_31_32_255_256_65535_65536_bytes() {
        let cases: &[(usize, &[u8])] = &[
            (0, &[0xa0]),
            (31, &[0xbf]),
            (32, &[STR8, 32]),
            (255, &[STR8, 255]),
            (256, &[STR16, 1, 0]),
            (65535, &[STR16, 0xff, 0xff]),
            (65536, &[STR32, 0, 1, 0, 0]),
        ];
        for &(len, header) in cases {
            let out = encode(&Value::from("x".repeat(len)));
            assert_eq!(&out[..header.len()], header, "{len} bytes");
            assert_eq!(out.len(), header.len() + len);
        }
        // The length counts UTF-8 bytes, not characters: 16 × "é" is 32 bytes, so str 8.
        assert_eq!(head("é".repeat(16), 2), [STR8, 32]);
    }

    #[test]
    fn binary_is_always_bin_even_when_short() {
        assert_eq!(encode(&Value::binary([])), [BIN8, 0]);
        assert_eq!(encode(&Value::binary([1, 2])), [BIN8, 2, 1, 2]);
        assert_eq!(head(Value::binary(vec![0; 255]), 2), [BIN8, 255]);
        assert_eq!(head(Value::binary(vec![0; 256]), 3), [BIN16, 1, 0]);
        assert_eq!(head(Value::binary(vec![0; 65535]), 3), [BIN16, 0xff, 0xff]);
        assert_eq!(head(Value::binary(vec![0; 65536]), 5), [BIN32, 0, 1, 0, 0]);
    }

    #[test]
    fn arrays_and_maps_by_count_at_15_16_65535_65536() {
        let array = |n: usize| Value::from(vec![Value::Null; n]);
        assert_eq!(head(array(0), 1), [0x90]);
        assert_eq!(head(array(15), 1), [0x9f]);
        assert_eq!(head(array(16), 3), [ARRAY16, 0, 16]);
        assert_eq!(head(array(65535), 3), [ARRAY16, 0xff, 0xff]);
        assert_eq!(head(array(65536), 5), [ARRAY32, 0, 1, 0, 0]);
        let map = |n: usize| Value::object((0..n).map(|i| (format!("k{i}"), Value::Null)));
        assert_eq!(head(map(0), 1), [0x80]);
        assert_eq!(head(map(15), 1), [0x8f]);
        assert_eq!(head(map(16), 3), [MAP16, 0, 16]);
        assert_eq!(head(map(65536), 5), [MAP32, 0, 1, 0, 0]);
    }

    #[test]
    fn a_broadcast_as_the_redis_adapter_sends_it() {
        // [uid, {type: 2, data: ["chat", <Buffer 01>], nsp: "/"}, {rooms: [], except: []}]
        let packet = Value::object([
            ("type", Value::from(2)),
            (
                "data",
                Value::from(vec![Value::from("chat"), Value::binary([1])]),
            ),
            ("nsp", Value::from("/")),
        ]);
        let opts = Value::object([
            ("rooms", Value::from(Vec::<Value>::new())),
            ("except", Value::from(Vec::<Value>::new())),
        ]);
        let message = Value::from(vec![Value::from("abc123"), packet, opts]);
        let mut expected = vec![0x93, 0xa6];
        expected.extend_from_slice(b"abc123");
        expected.extend_from_slice(&[0x83, 0xa4]);
        expected.extend_from_slice(b"type");
        expected.extend_from_slice(&[0x02, 0xa4]);
        expected.extend_from_slice(b"data");
        expected.extend_from_slice(&[0x92, 0xa4]);
        expected.extend_from_slice(b"chat");
        expected.extend_from_slice(&[BIN8, 1, 1, 0xa3]);
        expected.extend_from_slice(b"nsp");
        expected.extend_from_slice(&[0xa1, b'/', 0x82, 0xa5]);
        expected.extend_from_slice(b"rooms");
        expected.extend_from_slice(&[0x90, 0xa6]);
        expected.extend_from_slice(b"except");
        expected.push(0x90);
        assert_eq!(encode(&message), expected);
    }
}
