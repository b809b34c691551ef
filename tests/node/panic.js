// A handler that panics disconnects only its own socket: that client sees
// "io server disconnect"; another client, connected before and after, keeps working.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("panic", async (url) => {
  const victim = await connect(url, { auth: { name: "victim" } });
  const bystander = await connect(url, { auth: { name: "bystander" } });
  const broadcasts = [];
  bystander.on("room-msg", (msg) => broadcasts.push(msg));

  const gone = once(victim, "disconnect");
  victim.emit("panic");
  const [reason] = await gone;
  check(reason, "io server disconnect", "the panicking socket's disconnect reason");

  const echoed = await ask(bystander, "echo", "still here");
  check(echoed, ["still here"], "the other client's ack after the panic");
  await ask(bystander, "all", "after the panic");
  check(broadcasts, ["after the panic"], "the other client's broadcasts");
  const late = await connect(url, { auth: { name: "late" } });
  const lateEcho = await ask(late, "echo", "new");
  check(lateEcho, ["new"], "a client that connects after the panic");

  bystander.disconnect();
  late.disconnect();
  return { reason, echoed, broadcasts };
});
