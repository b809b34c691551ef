// Connection state recovery (Socket.IO 4.6+) with the official client: connect, hear a
// `welcome` (the client then knows an offset), join a room, drop the transport from the
// client side (`socket.io.engine.close()`, which the server sees as "transport close"),
// and reconnect by the client's own reconnection. While it is away the server emits 100
// events to the room and 10 to the socket (the Rust test's disconnect handler does that).
// On reconnect the client must be `recovered`, with the same id, and get all 110 exactly
// once and in order, then a new event after them. The official client keeps the last
// offset itself: the offset arrives as each event's last argument.
//
// With RECOVERY_EXPECT=fresh (and a server whose max_disconnection_duration has passed by
// the time the client comes back) it checks the other side: not recovered, a new id.
//
// It prints what it saw, the events' names in the order they came (`got`) included, so that
// tests/recovery.rs can compare a run against threadio with a run against Node's own server
// (tests/node/recovery_server.js) field by field.
"use strict";

const { scenario, client, connected, once, ask, check } = require("./scenario");

const FRESH = process.env.RECOVERY_EXPECT === "fresh";

scenario("recovery", async (url) => {
  const socket = client(url, {
    auth: { name: "returner" },
    reconnection: true,
    reconnectionDelay: FRESH ? 600 : 200,
    reconnectionDelayMax: FRESH ? 600 : 200,
    randomizationFactor: 0,
  });
  const got = [];
  socket.on("welcome", () => got.push("welcome"));
  socket.on("n", (i) => got.push(`n${i}`));
  socket.on("direct", (i) => got.push(`d${i}`));
  socket.on("after", () => got.push("after"));
  await connected(socket);
  const first = { id: socket.id, recovered: socket.recovered };
  await ask(socket, "join", "lobby");
  while (!got.includes("welcome")) await new Promise((r) => setTimeout(r, 5));

  const disconnected = once(socket, "disconnect");
  socket.io.engine.close();
  const [reason] = await disconnected;
  await once(socket, "connect");
  const second = { id: socket.id, recovered: socket.recovered };
  await ask(socket, "after-please");
  while (!got.includes("after")) await new Promise((r) => setTimeout(r, 5));

  if (FRESH) {
    check(second.recovered, false, "recovered after the time was up");
    check(second.id === first.id, false, "the same id after the time was up");
  } else {
    const expected = ["welcome"]
      .concat(Array.from({ length: 100 }, (_, i) => `n${i}`))
      .concat(Array.from({ length: 10 }, (_, i) => `d${i}`))
      .concat(["after"]);
    check(second.recovered, true, "socket.recovered");
    check(second.id, first.id, "socket.id after the reconnect");
    check(got, expected, "every event, once, in order");
  }
  socket.disconnect();
  return { reason, first, second, received: got.length, got };
});
