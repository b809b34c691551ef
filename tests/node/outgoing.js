// onAnyOutgoing on the server: it sees each event the server emits to this socket
// (`emit`, `emit_with_ack` with the event it asks with, and a broadcast that reaches it),
// but not acknowledgements.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("outgoing", async (url) => {
  const socket = await connect(url, { auth: { name: "outgoing" } });

  const echoed = once(socket, "echo");
  socket.emit("echo", "x"); // the server emits "echo" back
  await echoed;
  socket.on("question", (answer) => answer("yes"));
  const replied = once(socket, "ack-reply");
  socket.emit("ask", "question", 2000); // the server asks, then emits "ack-reply"
  await replied;
  const other = await connect(url, { auth: { name: "other" } });
  const broadcast = once(socket, "room-msg");
  await ask(other, "all", "hello"); // io.emit: a broadcast to both
  await broadcast;

  const [outgoing] = await ask(socket, "outgoing"); // answered by an ack, not an event
  check(outgoing, ["echo", "question", "ack-reply", "room-msg"], "the events onAnyOutgoing saw");

  socket.disconnect();
  other.disconnect();
  return { outgoing };
});
