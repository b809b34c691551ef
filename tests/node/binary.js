// Binary both ways with Node Buffers, alone and nested in objects and arrays: as event
// arguments (BINARY_EVENT) and as ack arguments (BINARY_ACK), from either side.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("binary", async (url) => {
  const socket = await connect(url, { auth: { name: "binary" } });
  const bytes = Buffer.from([0, 1, 2, 127, 128, 253, 254, 255]);
  const big = Buffer.alloc(200_000, 0xab);
  const args = [
    bytes,
    { name: "a.bin", file: bytes, parts: [Buffer.from("x"), { inner: Buffer.alloc(0) }] },
    [bytes, "text", 5, big],
  ];

  // Client → server: the ack describes what the handler got (bytes, with their length);
  // the server also sends the same arguments back as an event (server → client binary).
  const echo = once(socket, "upload");
  const described = await ask(socket, "upload", ...args);
  check(
    described,
    [[{ binary: 8 }, { name: "a.bin", file: { binary: 8 }, parts: [{ binary: 1 }, { inner: { binary: 0 } }] }, [{ binary: 8 }, "text", 5, { binary: 200_000 }]]],
    "the server handler's view of the arguments",
  );
  const echoed = await echo;
  check(echoed, args, "the binary event the server sent back");
  if (!Buffer.isBuffer(echoed[0])) throw new Error("bytes from the server did not arrive as a Buffer");

  // A BINARY_ACK from the server.
  const acked = await ask(socket, "echo", bytes, { deep: [bytes] });
  check(acked, [bytes, { deep: [bytes] }], "the server's binary ack");

  // A BINARY_ACK from the client, to the server's emit_with_ack.
  socket.on("question-binary", (sent, answer) => answer(Buffer.from("reply"), { sent }));
  const reply = once(socket, "ack-reply");
  socket.emit("ask", "question-binary", 2000, bytes);
  check(await reply, [Buffer.from("reply"), { sent: bytes }], "what the server's ack callback got");

  socket.disconnect();
  return { described, small: echoed[0], acked, reply: await reply };
});
