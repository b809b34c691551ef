// Acknowledgements both ways: the client asks and the server answers; the server asks
// (`emit_with_ack`) and the client answers; the server gives up when the client never does.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("acks", async (url) => {
  const socket = await connect(url, { auth: { name: "acks" } });

  const sum = await ask(socket, "sum", 1, 2, 39);
  check(sum, [42], "the server's ack of sum(1, 2, 39)");
  const promised = await socket.timeout(5000).emitWithAck("sum", 40, 2);
  check(promised, 42, "emitWithAck's answer");
  const echoed = await ask(socket, "echo", "a", { b: [1, 2] }, null);
  check(echoed, ["a", { b: [1, 2] }, null], "an ack with several arguments");
  const empty = await ask(socket, "echo");
  check(empty, [], "an ack with no arguments");

  // The server asks; the client answers with two values; the server reports what it got.
  socket.on("question", (text, answer) => answer(42, `answer to ${text}`));
  const reply = once(socket, "ack-reply");
  socket.emit("ask", "question", 2000, "six times seven");
  check(await reply, [42, "answer to six times seven"], "what the server's ack callback got");

  // The server asks and the client keeps quiet: the callback gets a timeout.
  socket.on("question-unanswered", () => {});
  const started = Date.now();
  const failed = once(socket, "ack-error");
  socket.emit("ask", "question-unanswered", 300);
  check(await failed, ["timeout"], "the server's ack callback after its timeout");
  const waitedMs = Date.now() - started;
  if (waitedMs < 250) throw new Error(`the ack timed out after ${waitedMs} ms, before its 300 ms`);

  // No handler on the server: no ack comes, and the client's own timeout fires.
  const unanswered = await new Promise((resolve) =>
    socket.timeout(300).emit("nobody-handles-this", (err) => resolve(err ? err.message : "answered")),
  );
  check(unanswered, "operation has timed out", "an event the server does not handle");

  socket.disconnect();
  return { sum, promised, echoed, empty, reply: await reply, timeout: await failed, waitedMs };
});
