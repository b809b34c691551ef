// Binary values in JSON lines, for the cluster scripts (cluster_node.js, emitter.js) and the
// Rust tests that drive them: JSON has no bytes, so a Buffer travels as {"$binary": "<hex>"}.
// `fromJson` turns every such object into a Buffer before a value is emitted; `toJson` turns
// every Buffer (and typed array, and ArrayBuffer) back into one, and Sets into arrays, before
// an answer is printed. The Rust side (tests/cluster/sio_client.rs) uses the same convention.
"use strict";

function isBinaryObject(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof value.$binary === "string"
  );
}

/** A value read from a JSON line, with each {"$binary": hex} made a Buffer. */
function fromJson(value) {
  if (isBinaryObject(value)) return Buffer.from(value.$binary, "hex");
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}

/** A value made printable as JSON: bytes as {"$binary": hex}, Sets as arrays. */
function toJson(value) {
  if (Buffer.isBuffer(value)) return { $binary: value.toString("hex") };
  if (ArrayBuffer.isView(value)) {
    return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex") };
  }
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString("hex") };
  if (value instanceof Set) return [...value].map(toJson);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Date) return value.toJSON();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

module.exports = { fromJson, toJson };
