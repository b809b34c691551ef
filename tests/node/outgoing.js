// onAnyOutgoing on the server: it sees each event the server emits to this socket
// (`emit`, and `emit_with_ack` with the event it asks with), but not acknowledgements.
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

  const [outgoing] = await ask(socket, "outgoing"); // answered by an ack, not an event
  check(outgoing, ["echo", "question", "ack-reply"], "the events onAnyOutgoing saw");

  socket.disconnect();
  return { outgoing };
});
