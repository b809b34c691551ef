//! MessagePack (<https://github.com/msgpack/msgpack/blob/master/spec.md>): the binary encoding
//! Node's `@socket.io/redis-adapter` puts on Redis by default, written and read by hand over
//! our JSON [`Value`](crate::json::Value) tree.
//!
//! Where it sits: beside [`json`](crate::json), one layer under the Redis adapter (issue
//! 12, `../shared/docs/redis-adapter.md`). A broadcast between nodes is the array
//! `[uid, packet, opts]` encoded with the adapter's parser, which is `notepack.io` unless the
//! cluster configured another; so to share a cluster with Node nodes, a threadio node must
//! write and read notepack's flavour of MessagePack — in particular binary arguments as
//! `bin` (Node Buffers), and whole numbers as the smallest integer format.
//!
//! How data moves:
//! - `format.rs`: the spec's format table, the first byte of every value;
//! - `encode.rs`: `Value` → bytes, [`encode`], with notepack.io 3's choice of format for
//!   each value (and what our `Int`/`Float` split becomes on the wire);
//! - `decode.rs`: bytes → `Value`, [`decode`] and [`decode_prefix`], every format a peer
//!   may send, with a nesting limit and no allocation sized by an unchecked length;
//!   `error.rs`: [`MsgpackError`], why bytes were refused and where.
//!
//! The JSON option: a cluster whose adapter was built with `parser: JSON` (any object with
//! `encode`/`decode` will do in Node) puts `JSON.stringify` text on Redis instead. Nothing
//! new is needed for it: the adapter writes with [`Value::to_json`](crate::json::Value::to_json) and
//! reads with [`json::parse`](crate::json::parse). One difference to know: JSON has no
//! bytes, so a binary argument travels as `{"type":"Buffer","data":[…]}` (what
//! `JSON.stringify` makes of a Buffer, and what our JSON writer makes of a `Binary`) and
//! arrives as that object, not as bytes — on Node nodes as on ours.
//!
//! `tests/msgpack_differential.rs` holds both directions to the `rmpv` crate over generated
//! values; `tests/msgpack_interop.rs` holds our bytes to notepack.io's own, byte for byte.

mod decode;
mod encode;
mod error;
mod format;

pub use decode::{
    decode, decode_prefix, decode_prefix_with_depth, decode_with_depth, DEFAULT_MAX_DEPTH,
};
pub use encode::encode;
pub use error::{MsgpackError, MsgpackErrorKind};
