// The server-side operations on chosen sockets: fetchSockets, socketsJoin, socketsLeave and
// disconnectSockets, each driven by an event whose handler calls it.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("server_ops", async (url) => {
  const a = await connect(url, { auth: { name: "a" } });
  const b = await connect(url, { auth: { name: "b" } });
  const c = await connect(url, { auth: { name: "c" } });
  const entry = (socket, name) => ({ id: socket.id, name });

  const [all] = await ask(b, "fetch", null);
  check(all, [entry(a, "a"), entry(b, "b"), entry(c, "c")], "fetchSockets() of all");
  await ask(a, "join", "red");
  const [red] = await ask(b, "fetch", "red");
  check(red, [entry(a, "a")], "fetchSockets() in red");

  await ask(b, "sockets-join", "red", "blue"); // io.in(red).socketsJoin(blue)
  const [aRooms] = await ask(a, "rooms");
  check(aRooms, [a.id, "blue", "red"].sort(), "a's rooms after socketsJoin");
  await ask(b, "sockets-join", null, "green"); // io.socketsJoin(green)
  const [cRooms] = await ask(c, "rooms");
  check(cRooms, [c.id, "green"].sort(), "c's rooms after socketsJoin to all");
  await ask(b, "sockets-leave", "red", "green"); // io.in(red).socketsLeave(green)
  const [green] = await ask(b, "fetch", "green");
  check(green, [entry(b, "b"), entry(c, "c")], "fetchSockets() in green after socketsLeave");

  const aGone = once(a, "disconnect");
  await ask(b, "disconnect-sockets", "blue"); // io.in(blue).disconnectSockets()
  const [aReason] = await aGone;
  check(aReason, "io server disconnect", "a's disconnect reason");
  const [left] = await ask(c, "fetch", null);
  check(left, [entry(b, "b"), entry(c, "c")], "fetchSockets() after disconnectSockets");

  b.disconnect();
  c.disconnect();
  return { all, red, aRooms, cRooms, green, aReason, left };
});
