//! The MessagePack format table: the first byte of every value, by the spec's format names
//! (MessagePack spec, "Overview" and "Formats",
//! <https://github.com/msgpack/msgpack/blob/master/spec.md>).
//!
//! `encode.rs` writes these bytes and `decode.rs` reads them; keeping the numbers in one
//! place means a reader can check them against the spec's table line by line. The "fix"
//! formats carry their small value or length inside the first byte, so they are a range of
//! bytes and a mask rather than one byte.

/// positive fixint, `0xxxxxxx`: 0..=127 in the byte itself.
pub(super) const POSITIVE_FIXINT_MAX: u8 = 0x7f;
/// fixmap, `1000xxxx`: a map of up to 15 pairs.
pub(super) const FIXMAP: u8 = 0x80;
/// fixarray, `1001xxxx`: an array of up to 15 elements.
pub(super) const FIXARRAY: u8 = 0x90;
/// fixstr, `101xxxxx`: a string of up to 31 bytes.
pub(super) const FIXSTR: u8 = 0xa0;
/// negative fixint, `111xxxxx`: -32..=-1, the byte read as an `i8`.
pub(super) const NEGATIVE_FIXINT_MIN: u8 = 0xe0;

/// The largest count a fixmap or fixarray holds, and the largest fixstr length.
pub(super) const FIX_COLLECTION_MAX: usize = 15;
pub(super) const FIXSTR_MAX: usize = 31;

pub(super) const NIL: u8 = 0xc0;
/// "(never used)": the spec reserves it, and no encoder may write it.
pub(super) const NEVER_USED: u8 = 0xc1;
pub(super) const FALSE: u8 = 0xc2;
pub(super) const TRUE: u8 = 0xc3;
pub(super) const BIN8: u8 = 0xc4;
pub(super) const BIN16: u8 = 0xc5;
pub(super) const BIN32: u8 = 0xc6;
pub(super) const EXT8: u8 = 0xc7;
pub(super) const EXT16: u8 = 0xc8;
pub(super) const EXT32: u8 = 0xc9;
pub(super) const FLOAT32: u8 = 0xca;
pub(super) const FLOAT64: u8 = 0xcb;
pub(super) const UINT8: u8 = 0xcc;
pub(super) const UINT16: u8 = 0xcd;
pub(super) const UINT32: u8 = 0xce;
pub(super) const UINT64: u8 = 0xcf;
pub(super) const INT8: u8 = 0xd0;
pub(super) const INT16: u8 = 0xd1;
pub(super) const INT32: u8 = 0xd2;
pub(super) const INT64: u8 = 0xd3;
pub(super) const FIXEXT1: u8 = 0xd4;
pub(super) const FIXEXT2: u8 = 0xd5;
pub(super) const FIXEXT4: u8 = 0xd6;
pub(super) const FIXEXT8: u8 = 0xd7;
pub(super) const FIXEXT16: u8 = 0xd8;
pub(super) const STR8: u8 = 0xd9;
pub(super) const STR16: u8 = 0xda;
pub(super) const STR32: u8 = 0xdb;
pub(super) const ARRAY16: u8 = 0xdc;
pub(super) const ARRAY32: u8 = 0xdd;
pub(super) const MAP16: u8 = 0xde;
pub(super) const MAP32: u8 = 0xdf;
