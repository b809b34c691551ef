// The reference server for threadio's Rust client (tests/rust_client.rs): Node's own
// socket.io 4.8, with the same handlers as the threadio server that test builds, so that
// one set of client checks runs against both.
//
// `node rust_client_server.js [PORT [PING_MS [MAX_BYTES]]]` listens on 127.0.0.1 (PORT, or
// a free one for 0: a restart test passes the old one) and prints
// `reference: http://127.0.0.1:PORT` first. PING_MS, if given and not 0, is both
// pingInterval and pingTimeout (the heartbeat test); MAX_BYTES is maxHttpBufferSize, the
// `maxPayload` of its handshake (the POST-splitting test). It exits when its stdin
// closes, so it never outlives the test that started it.
//
//   /        connection state recovery on (2 minutes)
//     → echo (...args, ack)       ack(...args): acks and binary, both ways
//     → push ()                   ← pushed ("text", <09 08 07>)
//     → ask-me (ack)              ← question (1, <01 02 03>, ack) with a 5 s timeout; the
//                                 client's answer goes back in ack(...answer)
//     → kick ()                   socket.disconnect(): "io server disconnect" on the client
//     → drop-transport ()         socket.conn.close(): the client sees the transport close;
//                                 while it is away its room gets `missed` ("while away")
//   /admin   a middleware wants auth { token: "secret" }, else Error("not authorized")
//            with data { reason: "bad token" }
//     → whoami (ack)              ack(auth.token, query.tag, headers["x-peer"])
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] ?? 0);
const ping = Number(process.argv[3] ?? 0) === 0 ? {} : {
  pingInterval: Number(process.argv[3]),
  pingTimeout: Number(process.argv[3]),
};
const maxBytes = process.argv[4] === undefined ? {} : {
  maxHttpBufferSize: Number(process.argv[4]),
};
const httpServer = http.createServer();
const io = new Server(httpServer, {
  ...ping,
  ...maxBytes,
  serveClient: false,
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
});

io.of("/").on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("push", () => socket.emit("pushed", "text", Buffer.from([9, 8, 7])));
  socket.on("ask-me", (ack) => {
    socket.timeout(5000).emit("question", 1, Buffer.from([1, 2, 3]), (err, ...answer) => {
      ack(...(err ? ["no answer"] : answer));
    });
  });
  socket.on("kick", () => socket.disconnect());
  socket.on("drop-transport", () => socket.conn.close());
  socket.on("disconnect", (reason) => {
    console.log(`disconnect ${socket.id} ${reason}`);
    if (reason !== "client namespace disconnect" && reason !== "server namespace disconnect") {
      io.to(socket.id).emit("missed", "while away");
    }
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
  const err = new Error("not authorized");
  err.data = { reason: "bad token" };
  next(err);
});
admin.on("connection", (socket) => {
  socket.on("whoami", (ack) => {
    ack(socket.handshake.auth.token, socket.handshake.query.tag ?? null,
      socket.handshake.headers["x-peer"] ?? null);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`reference: http://127.0.0.1:${httpServer.address().port}`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
