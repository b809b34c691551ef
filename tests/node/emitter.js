// @socket.io/redis-emitter 5.1 from a plain Node process: a publisher with no Socket.IO server
// of its own, the way a worker or a cron job reaches a cluster's clients. The cluster tests
// (tests/redis_cluster_node.rs) run it against Node nodes and threadio nodes alike.
//
//   node emitter.js redis://127.0.0.1:6390 '{"op":"emit","nsp":"/","rooms":["r"],"event":"news","args":[1]}'
//
// The command is one JSON object, with bytes as {"$binary":"<hex>"} (json_binary.js):
//
//   emit              nsp, rooms, except, event, args, volatile, compress
//   socketsJoin       nsp, rooms, except, room (a name or an array)
//   socketsLeave      nsp, rooms, except, room
//   disconnectSockets nsp, rooms, except, close
//   serverSideEmit    nsp, event, args (the emitter takes no acknowledgement)
//
// and `key` (default "socket.io"), the adapter's prefix. It publishes, waits until Redis has
// taken the PUBLISH (QUIT is answered after it), prints {"ok":true} and exits.
"use strict";

const { Emitter } = require("@socket.io/redis-emitter");
const { createClient } = require("redis");
const { fromJson } = require("./json_binary");

// The broadcast operator a command describes.
function operator(emitter, command) {
  let op = emitter.of(command.nsp || "/").to(command.rooms || []).except(command.except || []);
  if (command.volatile) op = op.volatile;
  if (command.compress !== undefined) op = op.compress(command.compress);
  return op;
}

function publish(emitter, command) {
  const args = fromJson(command.args || []);
  switch (command.op) {
    case "emit":
      return operator(emitter, command).emit(command.event, ...args);
    case "socketsJoin":
      return operator(emitter, command).socketsJoin(command.room);
    case "socketsLeave":
      return operator(emitter, command).socketsLeave(command.room);
    case "disconnectSockets":
      return operator(emitter, command).disconnectSockets(!!command.close);
    case "serverSideEmit":
      return emitter.of(command.nsp || "/").serverSideEmit(command.event, ...args);
    default:
      throw new Error(`unknown op ${JSON.stringify(command.op)}`);
  }
}

async function main() {
  const [url, json] = process.argv.slice(2);
  if (!url || !json) throw new Error("usage: node emitter.js REDIS_URL COMMAND_JSON");
  const command = JSON.parse(json);
  const client = createClient({ url });
  client.on("error", (e) => process.stderr.write(`emitter: redis: ${e.message}\n`));
  await client.connect();
  publish(new Emitter(client, { key: command.key || "socket.io" }), command);
  // The emitter does not wait for its PUBLISH; QUIT goes after it on the same connection.
  await client.quit();
  process.stdout.write(JSON.stringify({ ok: true }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`emitter: failed: ${e.stack || e}\n`);
  process.exit(1);
});
