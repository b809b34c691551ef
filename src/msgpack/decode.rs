//! MessagePack bytes → `Value`: every format a peer may send (MessagePack spec, "Formats"),
//! read the way notepack.io 3 reads it where the spec leaves a choice, and refused with a
//! [`MsgpackError`] where a `Value` has no place for it.
//!
//! What each format becomes:
//! - nil → `Null`; false/true → `Bool`;
//! - every integer format → `Number::Int`, except a uint 64 above `i64::MAX`, which becomes
//!   the nearest `Float` (as `Value::from(u64)` does, and as JavaScript holds it);
//! - float 32 and float 64 → `Number::Float` (a float 32 widened exactly);
//! - str → `String`, refused if not UTF-8; bin → `Binary`;
//! - array → `Array`; map → `Object`, whose keys must be str (our `Map` is string-keyed;
//!   notepack only ever writes `Object.keys`, so a Node peer never sends another kind), and
//!   where a repeated key keeps its first place and last value, as `value[key] = …` does in
//!   notepack's decoder;
//! - ext: notepack's legacy type 0 forms only — fixext 1 as `undefined` (→ `Null`, which
//!   is what `undefined` becomes in an array for notepack 3 and `JSON.stringify`) and
//!   ext 8/16/32 as an ArrayBuffer (→ `Binary`). Every other extension, the timestamps
//!   (type -1, what notepack writes for a `Date`) included, is refused with
//!   [`MsgpackErrorKind::UnsupportedExtension`].
//!
//! Limits, since the bytes come from the network: arrays and maps nest at most
//! `max_depth` deep (recursion is bounded by it), and no length read from the input is
//! trusted to size an allocation: a header claiming 2^32 elements over 10 bytes of input
//! reserves room for at most the bytes that are left, and fails when they run out.

use super::error::{MsgpackError, MsgpackErrorKind};
use super::format::*;
use crate::json::{Map, Number, Value};

/// How deep arrays and maps may nest in [`decode`] and [`decode_prefix`]: the JSON parser's
/// limit, since the same payloads travel both ways.
pub const DEFAULT_MAX_DEPTH: usize = crate::json::DEFAULT_MAX_DEPTH;

/// One value filling all of `bytes`, nested at most [`DEFAULT_MAX_DEPTH`] deep. Bytes after
/// the value are [`MsgpackErrorKind::TrailingBytes`], as in notepack's `decode`.
pub fn decode(bytes: &[u8]) -> Result<Value, MsgpackError> {
    decode_with_depth(bytes, DEFAULT_MAX_DEPTH)
}

/// [`decode`] with another nesting limit.
pub fn decode_with_depth(bytes: &[u8], max_depth: usize) -> Result<Value, MsgpackError> {
    let (value, used) = decode_prefix_with_depth(bytes, max_depth)?;
    if used != bytes.len() {
        return Err(MsgpackError {
            kind: MsgpackErrorKind::TrailingBytes,
            offset: used,
        });
    }
    Ok(value)
}

/// The value at the start of `bytes`, and how many bytes it took: for a stream of values
/// one after another.
pub fn decode_prefix(bytes: &[u8]) -> Result<(Value, usize), MsgpackError> {
    decode_prefix_with_depth(bytes, DEFAULT_MAX_DEPTH)
}

/// [`decode_prefix`] with another nesting limit.
pub fn decode_prefix_with_depth(
    bytes: &[u8],
    max_depth: usize,
) -> Result<(Value, usize), MsgpackError> {
    let mut reader = MsgpackReader {
        bytes,
        offset: 0,
        max_depth,
    };
    let value = reader.value(0)?;
    Ok((value, reader.offset))
}

/// Where we are in the input.
struct MsgpackReader<'a> {
    bytes: &'a [u8],
    offset: usize,
    max_depth: usize,
}

impl<'a> MsgpackReader<'a> {
    /// One value whose format byte is at `self.offset`, inside `depth` arrays and maps.
    fn value(&mut self, depth: usize) -> Result<Value, MsgpackError> {
        let start = self.offset;
        let format = self.byte()?;
        match format {
            0x00..=POSITIVE_FIXINT_MAX => Ok(int(i64::from(format))),
            FIXMAP..=0x8f => self.map(usize::from(format & 0x0f), depth, start),
            FIXARRAY..=0x9f => self.array(usize::from(format & 0x0f), depth, start),
            FIXSTR..=0xbf => self.str(usize::from(format & 0x1f)),
            NIL => Ok(Value::Null),
            NEVER_USED => Err(self.error_at(start, MsgpackErrorKind::NeverUsedFormat)),
            FALSE => Ok(Value::Bool(false)),
            TRUE => Ok(Value::Bool(true)),
            BIN8 | BIN16 | BIN32 => {
                let len = self.length(format - BIN8)?;
                Ok(Value::Binary(self.take(len)?.to_vec()))
            }
            EXT8 | EXT16 | EXT32 => {
                let len = self.length(format - EXT8)?;
                self.extension(len, start)
            }
            FLOAT32 => Ok(float(f64::from(f32::from_be_bytes(self.array_of()?)))),
            FLOAT64 => Ok(float(f64::from_be_bytes(self.array_of()?))),
            UINT8 => Ok(int(i64::from(self.byte()?))),
            UINT16 => Ok(int(i64::from(u16::from_be_bytes(self.array_of()?)))),
            UINT32 => Ok(int(i64::from(u32::from_be_bytes(self.array_of()?)))),
            UINT64 => Ok(Value::from(u64::from_be_bytes(self.array_of()?))),
            INT8 => Ok(int(i64::from(i8::from_be_bytes(self.array_of()?)))),
            INT16 => Ok(int(i64::from(i16::from_be_bytes(self.array_of()?)))),
            INT32 => Ok(int(i64::from(i32::from_be_bytes(self.array_of()?)))),
            INT64 => Ok(int(i64::from_be_bytes(self.array_of()?))),
            // fixext 1, 2, 4, 8, 16: the data length is 2^(format - FIXEXT1).
            FIXEXT1 | FIXEXT2 | FIXEXT4 | FIXEXT8 | FIXEXT16 => {
                self.extension(1 << (format - FIXEXT1), start)
            }
            STR8 | STR16 | STR32 => {
                let len = self.length(format - STR8)?;
                self.str(len)
            }
            ARRAY16 | ARRAY32 => {
                let count = self.length(format - ARRAY16 + 1)?;
                self.array(count, depth, start)
            }
            MAP16 | MAP32 => {
                let count = self.length(format - MAP16 + 1)?;
                self.map(count, depth, start)
            }
            NEGATIVE_FIXINT_MIN..=0xff => Ok(int(i64::from(format as i8))),
        }
    }

    /// `count` elements. The Vec starts no bigger than the bytes left, since each element
    /// takes at least one: a lying header cannot make us reserve more than the input.
    fn array(&mut self, count: usize, depth: usize, start: usize) -> Result<Value, MsgpackError> {
        let depth = self.enter(depth, start)?;
        let mut items = Vec::with_capacity(count.min(self.remaining()));
        for _ in 0..count {
            items.push(self.value(depth)?);
        }
        Ok(Value::Array(items))
    }

    /// `count` key-value pairs, each at least two bytes.
    fn map(&mut self, count: usize, depth: usize, start: usize) -> Result<Value, MsgpackError> {
        let depth = self.enter(depth, start)?;
        let mut pairs = Vec::with_capacity(count.min(self.remaining() / 2));
        for _ in 0..count {
            let key_start = self.offset;
            let key = match self.value(depth)? {
                Value::String(key) => key,
                _ => return Err(self.error_at(key_start, MsgpackErrorKind::KeyNotString)),
            };
            pairs.push((key, self.value(depth)?));
        }
        Ok(Value::Object(Map::from_pairs(pairs)))
    }

    /// One level deeper, or [`MsgpackErrorKind::TooDeep`] at the collection's format byte.
    fn enter(&self, depth: usize, start: usize) -> Result<usize, MsgpackError> {
        if depth >= self.max_depth {
            let max = self.max_depth;
            return Err(self.error_at(start, MsgpackErrorKind::TooDeep { max }));
        }
        Ok(depth + 1)
    }

    fn str(&mut self, len: usize) -> Result<Value, MsgpackError> {
        let start = self.offset;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Value::String(text.to_owned())),
            Err(_) => Err(self.error_at(start, MsgpackErrorKind::InvalidUtf8)),
        }
    }

    /// The type byte and `len` data bytes of an ext or fixext whose format byte was at
    /// `start`. Only notepack's legacy type-0 forms mean something to us (see the module
    /// doc); `len` is checked against the input before anything is refused or copied.
    fn extension(&mut self, len: usize, start: usize) -> Result<Value, MsgpackError> {
        let type_code = self.byte()? as i8;
        let data = self.take(len)?;
        let fixext1 = self.bytes[start] == FIXEXT1;
        let ext = matches!(self.bytes[start], EXT8 | EXT16 | EXT32);
        match type_code {
            0 if fixext1 => Ok(Value::Null),
            0 if ext => Ok(Value::Binary(data.to_vec())),
            _ => Err(self.error_at(
                start,
                MsgpackErrorKind::UnsupportedExtension { type_code, len },
            )),
        }
    }

    /// A big-endian length of 1, 2 or 4 bytes: `width_log2` 0, 1 or 2, the order the 8-,
    /// 16- and 32-bit forms of each family sit in the format table.
    fn length(&mut self, width_log2: u8) -> Result<usize, MsgpackError> {
        let len = match width_log2 {
            0 => u32::from(self.byte()?),
            1 => u32::from(u16::from_be_bytes(self.array_of()?)),
            _ => u32::from_be_bytes(self.array_of()?),
        };
        // A u32 fits the usize of the 32- and 64-bit targets we build for.
        Ok(len as usize)
    }

    fn byte(&mut self) -> Result<u8, MsgpackError> {
        Ok(self.take(1)?[0])
    }

    /// The next `N` bytes as an array, for `from_be_bytes`.
    fn array_of<const N: usize>(&mut self) -> Result<[u8; N], MsgpackError> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().expect("take gives exactly N bytes"))
    }

    /// The next `len` bytes, checked against what is left before anything is copied.
    fn take(&mut self, len: usize) -> Result<&'a [u8], MsgpackError> {
        if len > self.remaining() {
            return Err(self.error_at(self.bytes.len(), MsgpackErrorKind::UnexpectedEnd));
        }
        let bytes = &self.bytes[self.offset..self.offset + len];
        self.offset += len;
        Ok(bytes)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    fn error_at(&self, offset: usize, kind: MsgpackErrorKind) -> MsgpackError {
        MsgpackError { kind, offset }
    }
}

fn int(int: i64) -> Value {
    Value::Number(Number::Int(int))
}

fn float(float: f64) -> Value {
    Value::Number(Number::Float(float))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgpack::encode;

    fn kind(bytes: &[u8]) -> (MsgpackErrorKind, usize) {
        let error = decode(bytes).expect_err("should be refused");
        (error.kind, error.offset)
    }

    #[test]
    fn every_integer_format_including_the_ones_notepack_never_writes() {
        let cases: &[(&[u8], Value)] = &[
            (&[0x7f], 127.into()),
            (&[0xe0], (-32).into()),
            (&[UINT8, 0xff], 255.into()),
            (&[UINT16, 0xff, 0xff], 65535.into()),
            (&[UINT32, 0xff, 0xff, 0xff, 0xff], 4_294_967_295u32.into()),
            (
                &[UINT64, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                i64::MAX.into(),
            ),
            // Beyond i64: the nearest f64, as JavaScript holds it.
            (
                &[UINT64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                u64::MAX.into(),
            ),
            // Signed formats for values an unsigned one would hold: other encoders write these.
            (&[INT8, 0x05], 5.into()),
            (&[INT8, 0x80], (-128).into()),
            (&[INT16, 0x80, 0x00], (-32768).into()),
            (&[INT32, 0x80, 0, 0, 0], (-2_147_483_648i64).into()),
            (&[INT64, 0x80, 0, 0, 0, 0, 0, 0, 0], i64::MIN.into()),
        ];
        for (bytes, value) in cases {
            assert_eq!(decode(bytes).as_ref(), Ok(value), "{bytes:02x?}");
        }
        assert_eq!(
            Value::from(u64::MAX),
            Value::from(18_446_744_073_709_551_615.0)
        );
    }

    #[test]
    fn floats_32_and_64_become_floats_and_keep_a_whole_value_a_float() {
        let mut float32 = vec![FLOAT32];
        float32.extend_from_slice(&1.5f32.to_be_bytes());
        assert_eq!(decode(&float32), Ok(Value::from(1.5)));
        let mut float64 = vec![FLOAT64];
        float64.extend_from_slice(&3.0f64.to_be_bytes());
        assert_eq!(decode(&float64), Ok(Value::from(3.0)));
    }

    #[test]
    fn strings_binaries_arrays_and_maps_of_every_width() {
        assert_eq!(decode(&[STR8, 2, b'h', b'i']), Ok("hi".into()));
        assert_eq!(decode(&[STR16, 0, 1, b'a']), Ok("a".into()));
        assert_eq!(decode(&[STR32, 0, 0, 0, 1, b'a']), Ok("a".into()));
        assert_eq!(decode(&[BIN16, 0, 1, 7]), Ok(Value::binary([7])));
        assert_eq!(decode(&[BIN32, 0, 0, 0, 0]), Ok(Value::binary([])));
        assert_eq!(decode(&[ARRAY16, 0, 1, 0xc0]), Ok(vec![Value::Null].into()));
        assert_eq!(
            decode(&[ARRAY32, 0, 0, 0, 0]),
            Ok(Vec::<Value>::new().into())
        );
        let one = Value::object([("a", true)]);
        assert_eq!(decode(&[MAP16, 0, 1, 0xa1, b'a', TRUE]), Ok(one.clone()));
        assert_eq!(decode(&[MAP32, 0, 0, 0, 1, 0xa1, b'a', TRUE]), Ok(one));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value_like_notepack() {
        let bytes = [0x83, 0xa1, b'a', 1, 0xa1, b'b', 2, 0xa1, b'a', 3];
        let expected = Value::object([("a", 3), ("b", 2)]);
        assert_eq!(decode(&bytes), Ok(expected));
    }

    #[test]
    fn notepack_legacy_undefined_and_arraybuffer_extensions_are_read() {
        assert_eq!(decode(&[FIXEXT1, 0, 0]), Ok(Value::Null));
        assert_eq!(decode(&[EXT8, 2, 0, 9, 8]), Ok(Value::binary([9, 8])));
        assert_eq!(decode(&[EXT16, 0, 1, 0, 9]), Ok(Value::binary([9])));
        assert_eq!(decode(&[EXT32, 0, 0, 0, 0, 0]), Ok(Value::binary([])));
    }

    #[test]
    fn other_extensions_including_timestamps_are_refused_after_a_length_check() {
        // timestamp 32 (type -1), what notepack writes for new Date(0).
        let unsupported =
            |type_code, len| MsgpackErrorKind::UnsupportedExtension { type_code, len };
        assert_eq!(kind(&[FIXEXT4, 0xff, 0, 0, 0, 0]), (unsupported(-1, 4), 0));
        assert_eq!(kind(&[0x91, FIXEXT2, 5, 0, 0]), (unsupported(5, 2), 1));
        assert_eq!(kind(&[FIXEXT16, 1]), (MsgpackErrorKind::UnexpectedEnd, 2));
        assert_eq!(kind(&[EXT8, 1, 7, 0]), (unsupported(7, 1), 0));
    }

    #[test]
    fn malformed_input_gets_a_typed_error_at_the_right_byte() {
        assert_eq!(kind(&[]), (MsgpackErrorKind::UnexpectedEnd, 0));
        assert_eq!(kind(&[NEVER_USED]), (MsgpackErrorKind::NeverUsedFormat, 0));
        assert_eq!(kind(&[UINT32, 0, 0]), (MsgpackErrorKind::UnexpectedEnd, 3));
        assert_eq!(kind(&[0x92, 0x01]), (MsgpackErrorKind::UnexpectedEnd, 2));
        assert_eq!(
            kind(&[0xa2, 0xc3, 0x28]),
            (MsgpackErrorKind::InvalidUtf8, 1)
        );
        assert_eq!(
            kind(&[0x81, 0x01, 0x02]),
            (MsgpackErrorKind::KeyNotString, 1)
        );
        assert_eq!(
            kind(&[0x81, 0xc0, 0x02]),
            (MsgpackErrorKind::KeyNotString, 1)
        );
        assert_eq!(kind(&[0xc0, 0xc0]), (MsgpackErrorKind::TrailingBytes, 1));
    }

    #[test]
    fn decode_prefix_says_how_many_bytes_the_value_took() {
        assert_eq!(
            decode_prefix(&[0x92, 1, 2, 0xc0]),
            Ok((vec![1, 2].into(), 3))
        );
        assert_eq!(decode_prefix(&[0xc3]), Ok((true.into(), 1)));
    }

    #[test]
    fn a_lying_length_does_not_allocate_what_it_claims() {
        // 2^32 - 1 elements, pairs or bytes claimed over a handful of bytes: each fails at
        // the end of the input, having reserved at most what was there.
        for bytes in [
            &[ARRAY32, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5][..],
            &[MAP32, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a', 1, 0xa1, b'b'],
            &[STR32, 0xff, 0xff, 0xff, 0xff, b'a'],
            &[BIN32, 0xff, 0xff, 0xff, 0xff, 0],
            &[EXT32, 0xff, 0xff, 0xff, 0xff, 0, 0],
        ] {
            assert_eq!(kind(bytes), (MsgpackErrorKind::UnexpectedEnd, bytes.len()));
        }
    }

    #[test]
    fn nesting_is_limited_at_the_collection_that_goes_too_deep() {
        let nested = |depth: usize| {
            let mut bytes = vec![0x91; depth];
            bytes.push(0xc0);
            bytes
        };
        assert!(decode(&nested(DEFAULT_MAX_DEPTH)).is_ok());
        let too_deep = MsgpackErrorKind::TooDeep {
            max: DEFAULT_MAX_DEPTH,
        };
        assert_eq!(
            kind(&nested(DEFAULT_MAX_DEPTH + 1)),
            (too_deep, DEFAULT_MAX_DEPTH)
        );
        let maps = [0x81, 0xa1, b'a', 0x81, 0xa1, b'b', 0xc0];
        let too_deep = MsgpackErrorKind::TooDeep { max: 1 };
        assert_eq!(decode_with_depth(&maps, 1).unwrap_err().kind, too_deep);
        assert!(decode_with_depth(&maps, 2).is_ok());
    }

    #[test]
    fn what_we_encode_we_decode_except_that_whole_floats_become_ints() {
        let value = Value::object([
            (
                "n",
                Value::from(vec![Value::from(-1), Value::from(0.25), Value::Null]),
            ),
            ("s", Value::from("ünïcode ✓")),
            ("b", Value::binary(vec![0xff; 300])),
            ("t", Value::from(false)),
        ]);
        assert_eq!(decode(&encode(&value)), Ok(value));
        assert_eq!(decode(&encode(&Value::from(7.0))), Ok(Value::from(7)));
    }

    #[test]
    fn errors_say_where_and_why() {
        let error = decode(&[0x81, 0x01, 0x02]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid MessagePack at byte 1: a map key that is not a str"
        );
    }
}
