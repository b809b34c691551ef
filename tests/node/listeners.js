// Node's listener API on the server: two listeners of one event both run, in order, but
// the client's callback hears only the first answer; a `once` listener answers the first
// time only; `off` removes an event's listeners, after which nobody answers.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("listeners", async (url) => {
  const socket = await connect(url, { auth: { name: "listeners" } });

  const secondRan = once(socket, "second-ran");
  const twice = await ask(socket, "twice", "x");
  check(twice, ["first", "x"], "the first listener's answer, the only one sent");
  check(await secondRan, [true, "x"], "the second listener ran, with the arguments, after the answer");

  const first = await ask(socket, "once-then-on");
  const second = await ask(socket, "once-then-on");
  check([first, second], [["once"], ["on"]], "the once listener answers only the first time");

  const [removed] = await ask(socket, "off", "twice");
  check(removed, 2, "off removes both listeners of twice");
  const afterOff = await new Promise((resolve) =>
    socket.timeout(300).emit("twice", "y", (err) => resolve(err ? err.message : "answered")),
  );
  check(afterOff, "operation has timed out", "an event whose listeners are gone");

  socket.disconnect();
  return { twice, secondRan: await secondRan, onceThenOn: [first, second], removed, afterOff };
});
