// One Node node of a Socket.IO cluster: the reference server (socket.io 4.8) with the reference
// Redis adapter (@socket.io/redis-adapter 8.3 over node-redis 4), for the cluster tests
// (tests/redis_cluster_node.rs, through tests/cluster/node_node.rs) to put beside threadio.
//
//   node cluster_node.js --port 0 --redis redis://127.0.0.1:6390 [--key socket.io]
//                        [--requests-timeout 5000]
//
// It listens on 127.0.0.1 (port 0: a free one) with the namespaces "/" and "/chat", and prints
// {"ready":true,"port":N,"uids":{"/":…,"/chat":…}} once it listens and Redis has confirmed the
// adapter's subscriptions (each namespace has an adapter of its own, with its own uid).
// Then each line on stdin is a command, a JSON object with an `id` and an `op`; each gets one
// JSON line on stdout, {"id":…,"ok":true,…} or {"id":…,"ok":false,"error":"…",…}. Bytes are
// {"$binary":"<hex>"} both ways (json_binary.js). The ops, with their fields:
//
//   emit              nsp, rooms, except, event, args, volatile, local, compress → {}
//   emitWithAck       … as emit, timeout (ms) → {responses} or {ok:false, error, responses}
//   fetchSockets      nsp, rooms, except, local → {sockets: [{id, handshake, rooms, data, local}]}
//   socketsJoin       nsp, rooms, except, room (a name or an array) → {}
//   socketsLeave      nsp, rooms, except, room → {}
//   disconnectSockets nsp, rooms, except, close → {}
//   serverSideEmit    nsp, event, args, ack → {} or, with ack, {responses} / {ok:false, …}
//   allRooms          nsp → {rooms} (sorted)
//   serverCount       nsp → {count}
//   serverSideSeen    → {events: [{nsp, event, args, ack}]}, every server-side event received
//
// Its own clients: each socket gets `socket.data = {node: "node", nick: auth.nick}` and joins
// the rooms of `auth.rooms`; it answers "join" and "leave" (a room; the ack is the socket's
// rooms, sorted) and "echo" (the ack is the arguments). Server-side, "ping-node" is answered
// with {from: "node"}, and "ping-empty" with an ack of no argument. The process exits when stdin ends, so a test that dies leaves no node.
"use strict";

const http = require("node:http");
const readline = require("node:readline");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");
const { fromJson, toJson } = require("./json_binary");

const NAMESPACES = ["/", "/chat"];

function options() {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
  };
  const redis = value("--redis");
  if (!redis) throw new Error("usage: node cluster_node.js --port N --redis URL");
  return {
    port: Number(value("--port", "0")),
    redis,
    key: value("--key", "socket.io"),
    requestsTimeout: Number(value("--requests-timeout", "5000")),
  };
}

const log = (line) => process.stderr.write(`cluster_node: ${line}\n`);
const print = (answer) => process.stdout.write(JSON.stringify(toJson(answer)) + "\n");
const sorted = (rooms) => [...rooms].sort();

// The server-side events this node received from other nodes, for `serverSideSeen`.
const serverSideSeen = [];

function setUpNamespace(nsp) {
  nsp.use((socket, next) => {
    socket.data = { node: "node", nick: socket.handshake.auth.nick };
    next();
  });
  nsp.on("connection", (socket) => {
    const rooms = socket.handshake.auth.rooms;
    if (Array.isArray(rooms)) socket.join(rooms);
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack(sorted(socket.rooms));
    });
    socket.on("leave", (room, ack) => {
      socket.leave(room);
      if (typeof ack === "function") ack(sorted(socket.rooms));
    });
    socket.on("echo", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
  });
  nsp.on("ping-node", (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack({ from: "node" });
  });
  nsp.on("ping-empty", (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack === "function") ack();
  });
  // Namespace#_onServerSideEmit is where the adapter hands over every server-side event
  // (socket.io 4.8, lib/namespace.ts); wrapping it records them all, whatever their name.
  const deliver = nsp._onServerSideEmit.bind(nsp);
  nsp._onServerSideEmit = (args) => {
    const ack = typeof args[args.length - 1] === "function";
    const [event, ...rest] = ack ? args.slice(0, -1) : args;
    serverSideSeen.push({ nsp: nsp.name, event, args: rest, ack });
    deliver(args);
  };
}

// The broadcast operator a command describes: its namespace, rooms, except and flags.
function operator(io, command) {
  let op = io.of(command.nsp || "/").to(command.rooms || []).except(command.except || []);
  if (command.local) op = op.local;
  if (command.volatile) op = op.volatile;
  if (command.compress !== undefined) op = op.compress(command.compress);
  return op;
}

// Runs one command; resolves to the fields of its answer.
async function run(io, command) {
  const nsp = io.of(command.nsp || "/");
  const args = fromJson(command.args || []);
  switch (command.op) {
    case "emit":
      operator(io, command).emit(command.event, ...args);
      return {};
    case "emitWithAck":
      return new Promise((resolve) => {
        const op = operator(io, command).timeout(command.timeout ?? 2000);
        op.emit(command.event, ...args, (err, responses) =>
          resolve(err ? { ok: false, error: err.message, responses } : { responses }),
        );
      });
    case "fetchSockets": {
      const sockets = await operator(io, command).fetchSockets();
      return {
        sockets: sockets.map((s) => {
          const { sessionStore, ...handshake } = s.handshake;
          return { id: s.id, handshake, rooms: sorted(s.rooms), data: s.data, local: nsp.sockets.has(s.id) };
        }),
      };
    }
    case "socketsJoin":
      operator(io, command).socketsJoin(command.room);
      return {};
    case "socketsLeave":
      operator(io, command).socketsLeave(command.room);
      return {};
    case "disconnectSockets":
      operator(io, command).disconnectSockets(!!command.close);
      return {};
    case "serverSideEmit":
      if (!command.ack) {
        nsp.serverSideEmit(command.event, ...args);
        return {};
      }
      return new Promise((resolve) => {
        nsp.serverSideEmit(command.event, ...args, (err, responses) =>
          resolve(err ? { ok: false, error: err.message, responses } : { responses }),
        );
      });
    case "allRooms":
      return { rooms: sorted(await nsp.adapter.allRooms()) };
    case "serverCount":
      return { count: await nsp.adapter.serverCount() };
    case "serverSideSeen":
      return { events: serverSideSeen };
    default:
      throw new Error(`unknown op ${JSON.stringify(command.op)}`);
  }
}

async function main() {
  const opts = options();
  const pub = createClient({ url: opts.redis });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on("error", (e) => log(`redis: ${e.message}`));
  await Promise.all([pub.connect(), sub.connect()]);

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    serveClient: false,
    adapter: createAdapter(pub, sub, { key: opts.key, requestsTimeout: opts.requestsTimeout }),
  });
  for (const name of NAMESPACES) setUpNamespace(io.of(name));
  // Each adapter sent its SUBSCRIBE and PSUBSCRIBE on `sub` without waiting. Redis answers a
  // connection's commands in order, so once one more SUBSCRIBE is confirmed, theirs are too:
  // a test may publish to this node as soon as it says it is ready.
  const marker = `${opts.key}-ready#${process.pid}`;
  await sub.subscribe(marker, () => {});
  await sub.unsubscribe(marker);
  await new Promise((resolve) => httpServer.listen(opts.port, "127.0.0.1", resolve));
  const uids = Object.fromEntries(NAMESPACES.map((name) => [name, io.of(name).adapter.uid]));
  print({ ready: true, port: httpServer.address().port, uids });

  const lines = readline.createInterface({ input: process.stdin });
  lines.on("line", async (line) => {
    let command;
    try {
      command = JSON.parse(line);
    } catch (e) {
      print({ ok: false, error: `not JSON: ${e.message}` });
      return;
    }
    try {
      print({ id: command.id, ok: true, ...(await run(io, command)) });
    } catch (e) {
      print({ id: command.id, ok: false, error: e.message });
    }
  });
  lines.on("close", () => {
    // A close that hangs (a Redis that is down) must not keep the process alive.
    setTimeout(() => process.exit(0), 1000).unref();
    io.close();
    Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
  });
}

main().catch((e) => {
  log(`failed: ${e.stack || e}`);
  process.exit(1);
});
