// Rooms, with three clients: join and leave, `io.to(room)` (several rooms, each socket
// once), `socket.to(room)` (not the sender), `io.except(room)`, `socket.broadcast` and
// `io.emit`. Each step is triggered with an ack, which the server sends after its emit, so
// the next step starts only once the previous one's messages are on their way; a last round
// trip per client then makes sure everything sent to it has arrived.
"use strict";

const { scenario, ask, connect, check } = require("./scenario");

scenario("rooms", async (url) => {
  const names = ["a", "b", "c"];
  const sockets = {};
  const received = {};
  for (const name of names) {
    sockets[name] = await connect(url, { auth: { name } });
    received[name] = [];
    sockets[name].on("room-msg", (msg) => received[name].push(msg));
  }
  const { a, b, c } = sockets;

  const [aRooms] = await ask(a, "join", "red");
  check(aRooms, [a.id, "red"].sort(), "a's rooms after joining red");
  await ask(b, "join", "red");
  await ask(c, "to-room", ["red"], "1 io.to(red) from c");
  await ask(a, "socket-to-room", "red", "2 a.to(red)");
  await ask(a, "except-room", "red", "3 io.except(red)");
  await ask(a, "broadcast", "4 a.broadcast");
  await ask(a, "all", "5 io.emit");
  const [bRooms] = await ask(b, "leave", "red");
  check(bRooms, [b.id], "b's rooms after leaving red");
  await ask(c, "to-room", ["red"], "6 io.to(red) after b left");
  await ask(a, "join", "blue");
  await ask(c, "join", "blue");
  await ask(c, "to-room", ["red", "blue"], "7 io.to(red).to(blue)");
  await ask(b, "to-room", [c.id], "8 io.to(c's id)");
  for (const name of names) await ask(sockets[name], "rooms");

  const expected = {
    a: ["1 io.to(red) from c", "5 io.emit", "6 io.to(red) after b left", "7 io.to(red).to(blue)"],
    b: ["1 io.to(red) from c", "2 a.to(red)", "4 a.broadcast", "5 io.emit"],
    c: ["3 io.except(red)", "4 a.broadcast", "5 io.emit", "7 io.to(red).to(blue)", "8 io.to(c's id)"],
  };
  check(received, expected, "what each client received");
  for (const name of names) sockets[name].disconnect();
  return { received };
});
