// Typed arguments: the server reads ("lobby", 3, "hi") as a (String, u8, Option<String>)
// and answers with a tuple; a second argument that is no integer gets the error that names
// it, and an omitted optional third argument reads as None (null on the way back).
"use strict";

const { scenario, ask, connect, check } = require("./scenario");

scenario("typed_args", async (url) => {
  const socket = await connect(url, { auth: { name: "typed" } });

  const full = await ask(socket, "typed", "lobby", 3, "hi");
  check(full, [true, "lobby", 3, "hi"], "three arguments read and written back");
  const omitted = await ask(socket, "typed", "lobby", 3);
  check(omitted, [true, "lobby", 3, null], "the optional argument left out");
  const wrong = await ask(socket, "typed", "lobby", "three");
  check(
    wrong,
    [false, "argument 2: expected an integer from 0 to 255, found a string"],
    "the mismatch, named",
  );
  const extra = await ask(socket, "typed", "lobby", 3, "hi", "ignored", 5);
  check(extra, [true, "lobby", 3, "hi"], "extra arguments are ignored");

  socket.disconnect();
  return { full, omitted, wrong, extra };
});
