// The server goes away (Ctrl-C) and comes back on the same port: while it is gone both pages
// show the banner and say disconnected; then they reconnect by themselves, count the reconnect,
// say the session is a new one (a restart forgets the sessions kept for recovery), hide the
// banner, and chat works again in the room they were in.
"use strict";

const {
  run, join, say, until, untilText, untilMessage, untilOnline, untilState, server, text, log,
} = require("./lib");

run(async ({ person, open }) => {
  const alice = await open(await person(), "alice");
  const bob = await open(await person(), "bob");
  await join(alice, "alice", "outage");
  await join(bob, "bob", "outage");
  await untilOnline(alice, ["alice", "bob"]);
  await say(alice, "before the outage");
  await untilMessage(bob, { text: "before the outage", from: "alice" });

  log("stopping the server");
  await server("stop");
  const outage = async (page) => {
    const state = await untilState(page, "disconnected");
    await until(page, "#banner is shown while disconnected", () => document.querySelector("#banner")?.hidden === false);
    return { state: "disconnected", label: state, banner_hidden: false, banner: await text(page, "#banner") };
  };
  const duringOutage = await outage(alice);
  await outage(bob);

  log("starting the server again");
  await server("start");
  const back = async (page) => {
    await untilState(page, "connected");
    // A restarted server has none of the sessions it kept for recovery: the page says so,
    // and the notice goes away by itself.
    const banner = await untilText(page, "#banner", "reconnected — new session", "#banner says the session is new");
    await until(page, "#banner is hidden again", () => document.querySelector("#banner")?.hidden === true);
    const reconnects = await until(page, "#reconnects counts at least one reconnect", () => {
      const n = Number(document.querySelector("#reconnects")?.textContent.trim());
      return n > 0 ? n : false;
    });
    return { reconnects, banner };
  };
  // Both at once: each banner hides itself a few seconds after its page is back.
  const [{ reconnects, banner }] = await Promise.all([back(alice), back(bob)]);

  // The page is back in its room without a person doing anything: both names are online again
  // and a message reaches the other page.
  await untilOnline(alice, ["alice", "bob"]);
  await untilOnline(bob, ["alice", "bob"]);
  await say(alice, "back again");
  const received = await untilMessage(bob, { text: "back again", from: "alice", mine: false });
  const sent = await untilMessage(alice, { text: "back again", mine: true, ticks: "✓✓" });
  await say(bob, "welcome back");
  await untilMessage(alice, { text: "welcome back", from: "bob", mine: false });
  return { during_outage: duringOutage, after: { reconnects, banner, received, sent } };
});
