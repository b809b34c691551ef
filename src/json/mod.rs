//! JSON (RFC 8259): the text every Socket.IO payload is written in, as a small [`Value`] tree.
//!
//! A Socket.IO packet is a header and then JSON, `2["chat","hello"]` (Socket.IO v5 "Packet
//! encoding"); the Engine.IO handshake is JSON too (`0{"sid":…}`). So the layers above read
//! with [`parse`] and [`parse_with_depth`] and write with [`Value::to_json`]. How data moves:
//! - `value.rs`: [`Value`], [`Number`] and the ordered [`Map`] (keys in the order they came): the data model (§3–§6);
//! - `parse.rs`: text → `Value`, strict, with no recursion and a nesting limit (§2–§9);
//!   `error.rs`: [`ParseError`], the rule a refused text broke and where;
//! - `write.rs`: `Value` → text, spelled as JavaScript's `JSON.stringify` spells it, its
//!   floats' shortest digits from `shortest.rs` (Ryū);
//! - `convert.rs`: Rust types ↔ `Value` ([`FromValue`], and `From` for the std types), so
//!   handlers read typed arguments.
//!
//! `tests/json_differential.rs` holds both directions to serde_json, an implementation none
//! of us wrote, over thousands of generated values and mangled texts.

mod convert;
mod error;
mod parse;
mod shortest;
mod value;
mod write;

pub use convert::{type_name, FromValue, TypeMismatch};
pub use parse::{
    parse, parse_prefix, parse_prefix_with_depth, parse_with_depth, ParseError, ParseErrorKind,
    DEFAULT_MAX_DEPTH,
};
pub use value::{Map, Number, Value};
pub use write::{write, write_string};
