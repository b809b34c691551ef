// MessagePack as Node's notepack.io writes and reads it (the parser @socket.io/redis-adapter
// uses by default), for tests/msgpack_interop.rs to hold our src/msgpack to, byte for byte.
//
//   node msgpack_peer.js roundtrip   each stdin line is hex: decode it with notepack, encode
//                                    the value again, print the hex (or "error <message>")
//   node msgpack_peer.js samples     print "<name> <hex>" for each value of SAMPLES below,
//                                    JavaScript values a Node node may put on Redis
"use strict";

const readline = require("readline");
const { encode, decode } = require("notepack.io");

const SAMPLES = {
  null: null,
  true: true,
  false: false,
  // Integers at each edge of the spec's formats, and JavaScript's safe-integer bounds.
  int_127: 127,
  int_128: 128,
  int_255: 255,
  int_256: 256,
  int_65535: 65535,
  int_65536: 65536,
  int_2_32_minus_1: 2 ** 32 - 1,
  int_2_32: 2 ** 32,
  int_max_safe: Number.MAX_SAFE_INTEGER,
  int_minus_32: -32,
  int_minus_33: -33,
  int_minus_128: -128,
  int_minus_129: -129,
  int_minus_32768: -32768,
  int_minus_32769: -32769,
  int_minus_2_31: -(2 ** 31),
  int_minus_2_31_minus_1: -(2 ** 31) - 1,
  int_min_safe: Number.MIN_SAFE_INTEGER,
  int_2_63: 2 ** 63,
  // Numbers that are not integers, and the ones JavaScript has that JSON has not.
  float_0_1: 0.1,
  float_minus_1_5: -1.5,
  float_tiny: 1e-300,
  minus_zero: -0,
  nan: NaN,
  infinity: Infinity,
  minus_infinity: -Infinity,
  // Whole numbers beyond 64 bits: notepack writes them wrong (a uint 64 of 0 for both).
  wrong_1e300: 1e300,
  wrong_2_64: 2 ** 64,
  // Strings at the str format edges, in UTF-8 bytes.
  str_empty: "",
  str_31: "a".repeat(31),
  str_32: "a".repeat(32),
  str_255: "a".repeat(255),
  str_256: "a".repeat(256),
  str_65535: "a".repeat(65535),
  str_65536: "a".repeat(65536),
  str_unicode: "héllo ✓ 😀",
  // Bytes: Buffers, and the typed arrays notepack turns into Buffers.
  bin_empty: Buffer.alloc(0),
  bin_3: Buffer.from([1, 2, 3]),
  bin_256: Buffer.alloc(256, 7),
  bin_65536: Buffer.alloc(65536, 1),
  uint8array: new Uint8Array([4, 5]),
  arraybuffer: new Uint8Array([6]).buffer,
  // Collections at the fix/16 edge, and `undefined`, which JavaScript has and we have not.
  array_15: Array.from({ length: 15 }, (_, i) => i),
  array_16: Array.from({ length: 16 }, (_, i) => i),
  map_15: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i])),
  map_16: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
  undefined_in_array: [1, undefined, 2],
  undefined_property: { a: 1, b: undefined },
  // A broadcast as the Redis adapter publishes it: [uid, packet, opts].
  broadcast: [
    "Xy12ab",
    { type: 2, data: ["chat", Buffer.from([1, 2]), { n: 1.5, deep: [null, -7] }], nsp: "/" },
    { rooms: ["r1"], except: [], flags: { volatile: true } },
  ],
  // A Date: a timestamp extension (type -1), which we refuse.
  date: new Date(0),
};

function samples() {
  for (const [name, value] of Object.entries(SAMPLES)) {
    process.stdout.write(`${name} ${encode(value).toString("hex")}\n`);
  }
}

function roundtrip() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    try {
      const value = decode(Buffer.from(line.trim(), "hex"));
      process.stdout.write(`${encode(value).toString("hex")}\n`);
    } catch (error) {
      process.stdout.write(`error ${error.message}\n`);
    }
  });
}

const mode = process.argv[2];
if (mode === "samples") samples();
else if (mode === "roundtrip") roundtrip();
else {
  process.stderr.write("usage: node msgpack_peer.js samples|roundtrip\n");
  process.exit(2);
}
