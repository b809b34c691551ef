// The heartbeat, against a server with pingInterval 200 ms and pingTimeout 300 ms: the
// client answers three pings and stays connected; then it stops answering (its pongs are
// dropped) and the server closes the connection, which the client sees as
// "transport close". The Rust test checks that the server's reason was "ping timeout".
"use strict";

const { scenario, connect, once, check } = require("./scenario");

scenario("heartbeat", async (url) => {
  const socket = await connect(url, { auth: { name: "heart" } });
  const engine = socket.io.engine;
  let disconnected = null;
  socket.on("disconnect", (reason) => (disconnected = reason));

  // The Manager re-emits each Engine.IO ping the server sends (engine.io-client 6: the
  // client answers "3" and then emits "ping").
  const started = Date.now();
  let pings = 0;
  await new Promise((resolve) =>
    socket.io.on("ping", () => {
      pings += 1;
      if (pings === 3) resolve();
    }),
  );
  const threePingsMs = Date.now() - started;
  const answered = pings;
  check(disconnected, null, "a disconnect while pongs were being sent");
  check(socket.connected, true, "connected after three pings");

  // engine.io-client 6 answers a ping with `this._sendPacket("pong")`: drop those.
  if (typeof engine._sendPacket !== "function") {
    throw new Error("engine.io-client has no _sendPacket to intercept: was it upgraded?");
  }
  const send = engine._sendPacket.bind(engine);
  let dropped = 0;
  let firstDrop = 0;
  engine._sendPacket = (type, ...rest) => {
    if (type === "pong") {
      dropped += 1;
      firstDrop = firstDrop || Date.now();
      return;
    }
    send(type, ...rest);
  };
  const [reason] = await once(socket, "disconnect");
  const silentMs = Date.now() - firstDrop;
  check(reason, "transport close", "the client's disconnect reason once pongs stopped");
  if (dropped < 1) throw new Error("disconnected before any ping went unanswered");
  return { pings: answered, threePingsMs, reason, dropped, silentMs };
});
