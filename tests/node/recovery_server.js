// The reference for connection state recovery (issue 13): Node's own socket.io 4.8 server with
// `connectionStateRecovery` on, doing what `serve()` in tests/recovery.rs does on threadio,
// handler for handler, so that the official client's scenario (recovery.js) can be run against
// both and what it saw compared (tests/recovery.rs).
//
// `node recovery_server.js [MAX_DISCONNECTION_DURATION_MS]` (default 120000, the reference's
// own default of 2 minutes) listens on a free port of 127.0.0.1 and prints
// `reference: http://127.0.0.1:PORT` first on stdout. After that it prints one line per thing
// its handlers saw, in the words the Rust test's server journals them:
//   connect <id> fresh|recovered
//   disconnect <id> <reason>
// It exits when its stdin closes, so it never outlives the test that started it.
//
// The handlers, as in serve():
//   connection          unless recovered, the socket ← welcome (so its client knows an offset)
//   → join (room, ack)  the socket joins the room; ack()
//   → after-please (ack) the socket ← after; ack()
//   disconnect (reason) if the reason is recoverable: 100 × `n` (i) to the room `lobby`, then
//                       10 × `direct` (i) to the socket's own id, while it is away
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const maxDisconnectionDuration = Number(process.argv[2] ?? 2 * 60 * 1000);
if (!Number.isInteger(maxDisconnectionDuration) || maxDisconnectionDuration <= 0) {
  console.error("usage: node recovery_server.js [MAX_DISCONNECTION_DURATION_MS]");
  process.exit(2);
}

// socket.io's RECOVERABLE_DISCONNECT_REASONS (lib/socket.ts), which it does not export: the
// reasons for which it keeps the session. threadio's `DisconnectReason::is_recoverable` is
// this list.
const RECOVERABLE = new Set([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
]);

const httpServer = http.createServer();
const io = new Server(httpServer, {
  serveClient: false,
  // `skipMiddlewares` stays at its default (true); there are no middlewares anyway.
  connectionStateRecovery: { maxDisconnectionDuration },
});
const main = io.of("/");

main.on("connection", (socket) => {
  console.log(`connect ${socket.id} ${socket.recovered ? "recovered" : "fresh"}`);
  // With recovery on, socket.emit goes through the adapter's broadcast to the socket's own
  // room (socket.io lib/socket.ts `emit`), so `welcome` carries an offset as threadio's does.
  if (!socket.recovered) socket.emit("welcome");
  socket.on("join", (room, ack) => {
    if (typeof room === "string") socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("after-please", (ack) => {
    socket.emit("after");
    if (typeof ack === "function") ack();
  });
  socket.on("disconnect", (reason) => {
    console.log(`disconnect ${socket.id} ${reason}`);
    if (!RECOVERABLE.has(reason)) return;
    for (let i = 0; i < 100; i++) main.to("lobby").emit("n", i);
    for (let i = 0; i < 10; i++) main.to(socket.id).emit("direct", i);
  });
});

httpServer.listen(0, "127.0.0.1", () => {
  console.log(`reference: http://127.0.0.1:${httpServer.address().port}`);
});

// Stdin closing means the test that started this is gone (or done): stop with it.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
