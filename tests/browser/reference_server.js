// The reference: the demo's chat (examples/chat.rs) on the Node socket.io 4.8 server, with the
// demo's page (src/assets/) served next to it over plain http, so that the very browser scenarios
// that run against threadio run against the real Socket.IO too (tests/browser_e2e.rs).
//
// `node reference_server.js PORT` (0: a free one) listens on 127.0.0.1 and prints
// `reference: http://127.0.0.1:PORT/` first on stdout. It exits when its stdin closes, so it
// never outlives the test that started it.
//
// The events and their shapes are chat.rs's, handler for handler:
//   → join (nick, room, ack)     ack { room, members }; the room ← presence, notice "ann joined"
//   → leave (room)               the room ← presence, notice "ann left"
//   → chat ({ room, text }, ack) ack { id }; the others ← chat { id, room, from, sender, text, at }
//   → shown (room, sender, id)   from a member of room: the socket `sender` ← seen { id, room, by }
//   → typing (room)              the others ← typing { room, from }
//   → rtt (ack)                  ack at once
//   disconnect                   each of its rooms ← presence, notice "ann left"
// and, as the demo, connection state recovery on (Socket.IO 4.6+, its defaults: 2 minutes).
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { Server } = require("socket.io");

const ASSETS = path.resolve(__dirname, "../../src/assets");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("usage: node reference_server.js PORT (0: a free one)");
  process.exit(2);
}

// Only the demo's own files, by name: nothing else under src/assets or beyond is reachable.
const httpServer = http.createServer((req, res) => {
  const name = new URL(req.url, "http://127.0.0.1").pathname.replace(/^\/$/, "/index.html").slice(1);
  const file = ["index.html", "chat.js", "style.css", "threadio.js"].includes(name) ? path.join(ASSETS, name) : null;
  if (!file || req.method !== "GET") {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    return;
  }
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(`${err.message}\n`);
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)], "Cache-Control": "no-store" }).end(body);
  });
});

const io = new Server(httpServer, { serveClient: false, connectionStateRecovery: {} });
const main = io.of("/");

const nick = (socket) => socket.data.nick ?? `guest-${socket.id.slice(0, 4)}`;

/// The nicknames of `room`'s members but `leaving`, sorted.
function members(room, leaving) {
  const ids = main.adapter.rooms.get(room) ?? new Set();
  return [...ids].filter((id) => id !== leaving).map((id) => main.sockets.get(id))
    .filter(Boolean).map(nick).sort();
}

function announce(socket, room, verb, leaving) {
  main.to(room).emit("presence", { room, members: members(room, leaving) });
  main.to(room).emit("notice", { room, text: `${nick(socket)} ${verb}` });
}

const str = (v) => (typeof v === "string" && v !== "" ? v : null);

let lastId = 0;

main.on("connection", (socket) => {
  socket.on("join", (nickname, room, ack) => {
    if (!str(nickname) || !str(room)) return;
    socket.data.nick = nickname;
    socket.join(room);
    if (typeof ack === "function") ack({ room, members: members(room) });
    announce(socket, room, "joined");
  });

  socket.on("leave", (room) => {
    if (!str(room)) return;
    socket.leave(room);
    announce(socket, room, "left");
  });

  socket.on("chat", (message, ack) => {
    const room = str(message?.room);
    const text = str(message?.text);
    if (!room || !text || !socket.rooms.has(room)) return;
    const id = ++lastId;
    if (typeof ack === "function") ack({ id });
    socket.to(room).emit("chat", { id, room, from: nick(socket), sender: socket.id, text, at: Date.now() });
  });

  socket.on("shown", (room, sender, id) => {
    if (!str(room) || !str(sender) || !Number.isInteger(id)) return;
    if (!socket.rooms.has(room) || sender === socket.id) return;
    main.to(sender).emit("seen", { id, room, by: nick(socket) });
  });

  socket.on("typing", (room) => {
    if (str(room)) socket.to(room).emit("typing", { room, from: nick(socket) });
  });

  socket.on("rtt", (ack) => {
    if (typeof ack === "function") ack();
  });

  socket.on("disconnecting", () => {
    for (const room of socket.rooms) {
      if (room !== socket.id) announce(socket, room, "left", socket.id);
    }
  });
});

// `/moderators`, as in chat.rs: behind a token, `members` acks everyone's nickname.
const admin = io.of("/moderators");
admin.use((socket, next) => (socket.handshake.auth?.token === "secret" ? next() : next(new Error("Not authorized"))));
admin.on("connection", (socket) => {
  socket.on("members", (ack) => {
    if (typeof ack === "function") ack([...main.sockets.values()].map(nick));
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`reference: http://127.0.0.1:${httpServer.address().port}/`);
});

// Stdin closing means the test that started this is gone (or done): stop with it.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
