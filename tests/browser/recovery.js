// Connection state recovery in the demo (issue 13): bob's page drops its connection, alice
// writes three messages while he is away, and when bob's page is back it has the same socket
// id (`socket.recovered`), its banner says "reconnected — recovered 3 missed messages", and
// the three are in his room, in order, before anything new; alice's ticks go to ✓✓ as bob's
// page shows them late.
//
// The drop comes from the page, as the official client's own test does it:
// `socket.io.engine.close()` ends the Engine.IO session the way a lost connection does for
// the server ("transport close": kept for recovery), and the client's reconnection brings it
// back. So that alice surely writes while bob is away, bob's page cannot reach the server
// until she has: its requests to /socket.io/ are refused (a reconnection starts with a
// polling handshake), then let through again.
"use strict";

const { run, join, say, until, untilText, untilMessage, untilOnline, untilState, log } = require("./lib");

const MISSED = ["while you were away 1", "while you were away 2", "while you were away 3"];

run(async ({ person, open }) => {
  const alice = await open(await person(), "alice");
  const bob = await open(await person(), "bob");
  await untilState(alice, "connected");
  await untilState(bob, "connected");
  await join(alice, "alice", "tunnel");
  await join(bob, "bob", "tunnel");
  await untilOnline(alice, ["alice", "bob"]);
  await say(alice, "before the tunnel");
  await untilMessage(bob, { text: "before the tunnel", from: "alice" });
  const before = await bob.evaluate(() => ({ id: state.socket.id, recovered: state.socket.recovered }));

  // Bob's page retries quickly once it is let through (the backoff would otherwise have grown
  // to several seconds while it was held back).
  await bob.evaluate(() => { state.socket.io.opts.reconnectionDelayMax = 500; });
  const blocked = (route) => route.abort("connectionrefused");
  await bob.route(/\/socket\.io\//, blocked);
  log("bob's page drops its connection");
  await bob.evaluate(() => state.socket.io.engine.close());
  await untilState(bob, "disconnected");
  const away = await untilText(bob, "#banner", "Disconnected", "bob's banner says he is disconnected");
  await untilText(alice, "#messages", "bob left", "alice sees \"bob left\"");

  for (const message of MISSED) await say(alice, message);
  // The first tick on each: the server has them (and keeps them for bob).
  for (const message of MISSED) await untilMessage(alice, { text: message, mine: true, ticks: "✓" });

  log("bob's page may reach the server again");
  await bob.unroute(/\/socket\.io\//, blocked);
  await untilState(bob, "connected");
  const banner = await untilText(bob, "#banner", /^reconnected — /, "bob's banner says he is back");
  const after = await bob.evaluate(() => ({ id: state.socket.id, recovered: state.socket.recovered }));
  if (!after.recovered || after.id !== before.id) {
    throw new Error(`bob came back as ${JSON.stringify(after)}; expected recovered, with id ${before.id}`);
  }
  if (banner !== "reconnected — recovered 3 missed messages") {
    throw new Error(`bob's banner says "${banner}"; expected "reconnected — recovered 3 missed messages"`);
  }

  // Something new, after the missed ones.
  await say(alice, "welcome back");
  await untilMessage(bob, { text: "welcome back", from: "alice" });
  const seenByBob = await bob.evaluate(() => [...document.querySelectorAll("#messages li.message .text")]
    .map((el) => el.textContent.trim()));
  const expected = ["before the tunnel", ...MISSED, "welcome back"];
  if (JSON.stringify(seenByBob) !== JSON.stringify(expected)) {
    throw new Error(`bob's messages are ${JSON.stringify(seenByBob)}; expected ${JSON.stringify(expected)}`);
  }
  // Bob's page showed the missed messages late, and said so: alice's second ticks.
  const ticks = [];
  for (const message of MISSED) ticks.push((await untilMessage(alice, { text: message, mine: true, ticks: "✓✓" })).ticks);
  await untilOnline(alice, ["alice", "bob"]);
  // The banner is a notice, not a state: it goes away by itself.
  await until(bob, "bob's banner hides itself", () => document.querySelector("#banner").hidden);
  return { before, after, away, banner, bob_messages: seenByBob, alice_ticks: ticks };
});
