// Broadcast acknowledgements: the server asks several clients at once
// (`io.to(room).timeout(ms).emit_with_ack`, `socket.broadcast()`, the namespace's `timeout`)
// and gets every answer in one callback — or, once its timeout passes, the answers that
// came. Each client answers with its own values; one of them keeps quiet on `poll-quiet`.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

// Responses arrive in whatever order the clients answered: sorted by the name each gave.
function byName(responses) {
  return responses.slice().sort((x, y) => String(x[0]).localeCompare(String(y[0])));
}

scenario("broadcast_acks", async (url) => {
  const names = ["a", "b", "c"];
  const sockets = {};
  for (const [i, name] of names.entries()) {
    const socket = await connect(url, { auth: { name } });
    socket.on("poll", (_question, answer) => answer(name, i + 1));
    socket.on("poll-quiet", (_question, answer) => {
      if (name !== "c") answer(name);
    });
    await ask(socket, "join", "voters");
    sockets[name] = socket;
  }
  const { a, b, c } = sockets;

  // Asks the server to broadcast; resolves with what its callback got.
  const askMany = async (asker, ...args) => {
    const answers = once(asker, "answers");
    asker.emit("ask-many", ...args);
    const [outcome, responses] = await answers;
    return { outcome, responses: byName(responses) };
  };

  const room = await askMany(a, "room", "voters", 3000, "poll", "which?");
  check(room, { outcome: "ok", responses: [["a", 1], ["b", 2], ["c", 3]] }, "io.to(voters)");

  const started = Date.now();
  const quiet = await askMany(a, "room", "voters", 600, "poll-quiet", "anyone?");
  const quietWaitedMs = Date.now() - started;
  check(quiet, { outcome: "timeout", responses: [["a"], ["b"]] }, "c never answers");
  if (quietWaitedMs < 550) throw new Error(`timed out after ${quietWaitedMs} ms, before 600`);

  const others = await askMany(b, "others", null, 3000, "poll", "not b");
  check(others, { outcome: "ok", responses: [["a", 1], ["c", 3]] }, "socket.broadcast()");

  const all = await askMany(c, "all", null, 3000, "poll", "everyone");
  check(all.responses.length, 3, "the namespace's timeout reaches all three");

  const nobody = await askMany(a, "room", "nobody-here", 3000, "poll", "hello?");
  check(nobody, { outcome: "ok", responses: [] }, "a room with nobody in it");

  for (const name of names) sockets[name].disconnect();
  return { room, quiet, quietWaitedMs, others, all, nobody };
});
