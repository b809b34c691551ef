// A per-socket middleware (the reference's `socket.use`): it refuses `forbidden`, so no
// listener runs and no ack comes (the client's own timeout fires), and the server's error
// handler hears the refusal (here it emits `refused` back). It rewrites `shout`'s first
// argument before the listener sees it. onAny still saw the refused event, as in the reference.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("event_middleware", async (url) => {
  const socket = await connect(url, { auth: { name: "guarded" } });

  const refused = once(socket, "refused");
  const ack = await new Promise((resolve) =>
    socket.timeout(300).emit("forbidden", 1, (err, answer) => resolve(err ? err.message : answer)),
  );
  check(ack, "operation has timed out", "a refused event gets no ack");
  check(await refused, ["not allowed", { event: "forbidden" }], "the error handler's report");

  const shout = await ask(socket, "shout", "hi", 2);
  check(shout, ["HI", 2], "the middleware rewrote the first argument");
  const [seen] = await ask(socket, "seen");
  check(seen, ["forbidden", "shout", "seen"], "onAny saw every event, the refused one too");

  socket.disconnect();
  return { ack, refused: await refused, shout, seen };
});
