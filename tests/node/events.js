// Events both ways: the server greets on connection, and echoes an event with arguments of
// every JSON kind (nested, unicode, escapes, a 100 KB string) back as the same event.
"use strict";

const { scenario, client, connected, once, check } = require("./scenario");

scenario("events", async (url) => {
  const socket = client(url, { auth: { name: "ada" } });
  const welcome = once(socket, "welcome"); // sent right after CONNECT: listen first
  await connected(socket);
  const [greeted] = await welcome;
  check(greeted, socket.id, "the welcome event carries the socket id");

  const args = [
    "hi",
    42,
    -3.5,
    true,
    false,
    null,
    { nested: { list: [1, "two", null, { deep: [[]] }] } },
    [],
    {},
    'üñí € 😀 "quoted" \\ / \n\t\u0001',
    "x".repeat(100_000),
  ];
  const echo = once(socket, "echo");
  socket.emit("echo", ...args);
  check(await echo, args, "the echoed event's arguments");

  const bare = once(socket, "echo");
  socket.emit("echo");
  check(await bare, [], "an event with no arguments echoed");

  const id = socket.id; // a disconnected socket has none
  socket.disconnect();
  return { id, welcome: greeted, echoed: (await echo).slice(0, 10), bare: await bare };
});
