// The upgrade from polling to WebSocket with traffic in flight both ways (Engine.IO v4
// "Upgrade"): run with THREADIO_TRANSPORTS=default, so the client opens with polling and
// then probes a WebSocket. The client emits `num` 0…999, a few at a time; the server answers
// each with `echo-num`, and bursts `tick` 0…999 from a thread of its own once asked
// (`start-ticks`). Every one must arrive exactly once and in order, whatever transport
// carried it. tests/polling_upgrade.rs runs this and asserts what it prints.
//
// Left alone, socket.io-client finishes the upgrade before its `connect` event fires (the
// probe starts on the Engine.IO open packet, while CONNECT is still in flight), so nothing
// an app sends on `connect` would cross the switch. To make the switch happen mid-stream,
// the probe is held back until traffic flows both ways over polling: the engine's private
// `_probe` (engine.io-client 6.6) is wrapped so that it starts once the client has sent
// PROBE_AFTER numbers and heard PROBE_AFTER echoes — and then sending goes on, through the
// probe, the pause of polling and the `5`. The upgrade itself is the client's own code.
//
// Each transport object is watched: `send` counts the numbers it carries, its "packet"
// event the echoes and ticks. The "carried" counts in the output come from there (the
// event handlers run a tick later, after the engine may already have switched).
"use strict";

const { scenario, client, connected, once, ask, check } = require("./scenario");

const COUNT = 1000;
const PROBE_AFTER = 100;
const PER_TICK = 10; // numbers emitted per turn of the event loop

scenario("upgrade", async (url) => {
  const socket = client(url, { auth: { name: "upgrader" } });
  const engine = socket.io.engine;
  if (typeof engine._probe !== "function") {
    throw new Error("engine.io-client has no _probe to hold back: was it upgraded?");
  }

  // Which transport carried what: { polling: {num, "echo-num", tick}, websocket: {…} }.
  const carried = { polling: {}, websocket: {} };
  const count = (transport, event) => {
    carried[transport.name][event] = (carried[transport.name][event] || 0) + 1;
  };
  const eventOf = (data) => typeof data === "string" && (/^2\["([a-z-]+)"/.exec(data) || [])[1];
  const watch = (transport) => {
    const send = transport.send.bind(transport);
    transport.send = (packets) => {
      for (const packet of packets) {
        if (packet.type === "message" && eventOf(packet.data)) count(transport, eventOf(packet.data));
      }
      return send(packets);
    };
    transport.on("packet", (packet) => {
      if (packet.type === "message" && eventOf(packet.data)) count(transport, eventOf(packet.data));
    });
  };
  watch(engine.transport);

  // The state of the switch, as the engine reports it, and what was emitted meanwhile.
  let phase = "polling";
  const emitted = { polling: 0, upgrading: 0, websocket: 0 };
  engine.on("upgrading", (transport) => {
    phase = "upgrading";
    watch(transport);
  });
  const upgraded = once(engine, "upgrade");
  engine.on("upgrade", () => (phase = "websocket"));

  const echoes = [];
  const ticks = [];
  let enough = () => {};
  const trafficFlows = new Promise((resolve) => (enough = resolve));
  let allArrived = () => {};
  const arrived = new Promise((resolve) => (allArrived = resolve));
  const progress = () => {
    if (echoes.length >= PROBE_AFTER && emitted.polling >= PROBE_AFTER) enough();
    if (echoes.length === COUNT && ticks.length === COUNT) allArrived();
  };
  socket.on("echo-num", (n) => {
    echoes.push(n);
    progress();
  });
  socket.on("tick", (n) => {
    ticks.push(n);
    progress();
  });

  const probe = engine._probe.bind(engine);
  let probeStartedAt = null;
  engine._probe = (name) =>
    trafficFlows.then(() => {
      probeStartedAt = { sent: emitted.polling, echoes: echoes.length };
      socket.emit("start-ticks");
      probe(name);
    });

  await connected(socket);
  const atConnect = engine.transport.name;
  for (let i = 0; i < COUNT; i++) {
    socket.emit("num", i);
    emitted[phase] += 1;
    if (i % PER_TICK === PER_TICK - 1) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      progress();
    }
    // Keep some numbers for after the switch however slow the probe is.
    if (i === COUNT - 200 && phase !== "websocket") await upgraded;
  }
  const [upgradedTo] = await upgraded;
  await arrived;

  const expected = [...Array(COUNT).keys()];
  check(echoes, expected, "the echoes, in order, once each");
  check(ticks, expected, "the ticks, in order, once each");
  const [serverGot] = await ask(socket, "received");
  check(serverGot, COUNT, "how many numbers the server got");
  const after = engine.transport.name;
  const id = socket.id;
  socket.disconnect();
  return {
    id,
    atConnect,
    upgradeEvent: upgradedTo.name,
    after,
    emitted,
    carried,
    probeStartedAt,
    serverGot,
  };
});
