// Per-socket data (`socket.data`) and a catch-all handler (`socket.onAny`), seen through
// events whose server handlers read and write them.
"use strict";

const { scenario, ask, connect, check } = require("./scenario");

scenario("data_any", async (url) => {
  const first = await connect(url, { auth: { name: "first" } });
  const second = await connect(url, { auth: { name: "second" } });

  await ask(first, "set-data", { score: 7, tags: ["a", "b"] });
  const [data] = await ask(first, "get-data");
  check(data, { score: 7, tags: ["a", "b"] }, "first's data");
  const [otherData] = await ask(second, "get-data");
  check(otherData, null, "second's data, never set");

  first.emit("nobody-handles-this", 1, 2);
  const [seen] = await ask(first, "seen");
  check(seen, ["set-data", "get-data", "nobody-handles-this", "seen"], "the events onAny saw");

  first.disconnect();
  second.disconnect();
  return { data, otherData, seen };
});
