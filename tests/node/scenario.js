// How every scenario in this folder runs: the official socket.io-client against a threadio
// server that tests/socketio_official_client.rs started.
//
// A scenario is `node <name>.js <server url>`. It connects with the transports the Rust test
// chose (THREADIO_TRANSPORTS, below), does one thing, checks what it saw, and prints one JSON line
// of its observations for the Rust test to assert again. It exits 0 on success; on a failed
// check, a connect_error it did not expect, or after HARD_TIMEOUT_MS, it prints
// "<name>: FAILED: <why>" to stderr and exits 1. The client never reconnects on its own
// (`reconnection: false`): a reconnect would hide the disconnect a scenario is looking for.

"use strict";

const { io, Manager } = require("socket.io-client");
const { isDeepStrictEqual, inspect } = require("node:util");

// A scenario that has not finished by then is stuck: a lost event, an ack never answered.
const HARD_TIMEOUT_MS = 10_000;

// The transports the Rust test asks for (THREADIO_TRANSPORTS): "websocket" only, "polling"
// only, or "default" — the client's own default, polling first and then the upgrade.
const TRANSPORTS = {
  websocket: ["websocket"],
  polling: ["polling"],
  default: undefined,
}[process.env.THREADIO_TRANSPORTS || "websocket"];

// The options every client here uses: those transports, no reconnection, and its own
// connection (`forceNew`) so that two clients in one script are two Engine.IO sessions.
const CLIENT_OPTIONS = {
  reconnection: false,
  forceNew: true,
  ...(TRANSPORTS ? { transports: TRANSPORTS } : {}),
};

// Runs `body(url)`, which resolves to the observations to print.
function scenario(name, body) {
  const url = process.argv[2];
  const fail = (why) => {
    process.stderr.write(`${name}: FAILED: ${why}\n`, () => process.exit(1));
  };
  if (!url) {
    fail(`usage: node ${name}.js <server url, e.g. http://127.0.0.1:3000>`);
    return;
  }
  const timer = setTimeout(() => fail(`not done after ${HARD_TIMEOUT_MS} ms`), HARD_TIMEOUT_MS);
  body(url).then(
    async (observed) => {
      await settled();
      const transports = await transportsAtEnd();
      clearTimeout(timer);
      const line = JSON.stringify({ scenario: name, ok: true, transports, ...observed }, bufferAsHex);
      // A write to a pipe completes later: exit only once it has.
      process.stdout.write(line + "\n", () => process.exit(0));
    },
    (err) => fail(err && err.stack ? err.stack : String(err)),
  );
}

// A client socket, not yet connected: attach listeners for what the server sends right
// after CONNECT (those events may come in the same TCP read as the CONNECT answer).
function client(url, options = {}) {
  const socket = io(url, { ...CLIENT_OPTIONS, ...options });
  managers.push(socket.io);
  return socket;
}

// Every Manager (Engine.IO connection) a scenario made, so that it can wait for them below.
const managers = [];

// Resolves once every connection has sent what it was asked to send. Over WebSocket a send
// is in the kernel at once; over polling it is a POST still in flight, which exiting the
// process would abort — and the server would never hear the client's last packets (its
// DISCONNECT, say). The client keeps a packet in `writeBuffer` until its POST completes.
async function settled() {
  const deadline = Date.now() + 2000;
  const busy = () =>
    managers.some((m) => m.engine && m.engine.readyState !== "closed" && m.engine.writeBuffer.length > 0);
  while (busy() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The transport every connection ended on (or is on, if still open). With the client's
// default transports a connection starts on polling and upgrades to WebSocket within a few
// round trips (Engine.IO v4 "Upgrade"); an open one gets up to 2 s more. The Rust test
// asserts it, so that the "default" suite cannot quietly be the polling suite again.
async function transportsAtEnd() {
  const open = () => managers.filter((m) => m.engine && m.engine.readyState === "open");
  const deadline = Date.now() + 2000;
  while (
    TRANSPORTS === undefined &&
    open().some((m) => m.engine.transport.name !== "websocket") &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return managers.filter((m) => m.engine).map((m) => m.engine.transport.name);
}

// Resolves once `socket` is connected; rejects on connect_error.
function connected(socket) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) =>
      reject(new Error(`connect_error: ${err.message} ${inspect(err.data)}`)),
    );
  });
}

// A client socket, connected.
function connect(url, options = {}) {
  return connected(client(url, options));
}

// A Manager (one Engine.IO connection) for several namespaces at once.
function manager(url, options = {}) {
  const created = new Manager(url, { ...CLIENT_OPTIONS, ...options });
  managers.push(created);
  return created;
}

// Resolves with the arguments of the next `event` on `emitter`.
function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

// Resolves with the next connect_error's message and data; rejects if it connects instead.
function refused(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("connected, but a refusal was expected")));
    socket.once("connect_error", (err) => resolve({ message: err.message, data: err.data }));
  });
}

// Emits `event` asking for an ack; resolves with every argument of the answer.
function ask(socket, event, ...args) {
  return new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply)));
}

// Throws unless `actual` deeply equals `expected` (Buffers by content).
function check(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}: expected ${inspect(expected, { depth: 9 })}, got ${inspect(actual, { depth: 9 })}`);
  }
}

// JSON.stringify's replacer: a Buffer prints as {"buffer":"<hex>"}, so the Rust side can see
// that bytes arrived as bytes (a Buffer's own toJSON runs first and gives {type,data}).
function bufferAsHex(_key, value) {
  if (value && value.type === "Buffer" && Array.isArray(value.data)) {
    return { buffer: Buffer.from(value.data).toString("hex") };
  }
  return value;
}

module.exports = { scenario, client, connected, connect, manager, once, ask, refused, check };
