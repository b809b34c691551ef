// Two people (two browser contexts) join the same room and chat both ways: each sees the other's
// name and message, the join notice, both names online, "alice is typing…", and the sender's
// ticks going to ✓✓ once the other page has the message.
"use strict";

const {
  run, join, say, until, untilText, untilMessage, untilOnline, untilState, text,
} = require("./lib");

run(async ({ person, open }) => {
  const alice = await open(await person(), "alice");
  const bob = await open(await person(), "bob");
  await untilState(alice, "connected");
  await untilState(bob, "connected");

  await join(alice, "alice", "rust");
  await join(bob, "bob", "rust");
  await untilText(alice, "#messages", "bob joined", "alice sees the notice \"bob joined\" in #messages");
  const online = {
    alice: await untilOnline(alice, ["alice", "bob"]),
    bob: await untilOnline(bob, ["alice", "bob"]),
  };

  // Alice types: Bob sees her typing before the message arrives.
  await alice.click("#text");
  await alice.locator("#text").pressSequentially("hello", { delay: 20 });
  const typing = await untilText(bob, "#typing", "alice is typing", "bob's #typing says alice is typing");
  await alice.locator("#text").pressSequentially(" bob", { delay: 5 });
  await alice.press("#text", "Enter");
  const bobReceived = await untilMessage(bob, { text: "hello bob", from: "alice", mine: false });
  const aliceSent = await untilMessage(alice, { text: "hello bob", mine: true, ticks: "✓✓" },
    "alice's own \"hello bob\" (li.message.mine) shows ✓✓ once bob has it");
  const composerCleared = (await alice.inputValue("#text")) === "";

  await say(bob, "hi alice");
  const aliceReceived = await untilMessage(alice, { text: "hi alice", from: "bob", mine: false });
  const bobSent = await untilMessage(bob, { text: "hi alice", mine: true, ticks: "✓✓" },
    "bob's own \"hi alice\" shows ✓✓ once alice has it");

  // The status bar, as each person sees it.
  const bar = async (page) => ({
    transport: await text(page, "#transport"),
    rtt: await untilText(page, "#rtt", /^\d+(\.\d+)? ms$/, "#rtt shows a round trip like \"3 ms\""),
    reconnects: await text(page, "#reconnects"),
  });
  const status = { alice: await bar(alice), bob: await bar(bob) };
  for (const [who, s] of Object.entries(status)) {
    if (!["polling", "websocket"].includes(s.transport)) throw new Error(`${who}: #transport is ${JSON.stringify(s.transport)}`);
    if (s.reconnects !== "0") throw new Error(`${who}: #reconnects is ${JSON.stringify(s.reconnects)} without any outage`);
  }
  await until(alice, "#banner is hidden while connected", () => document.querySelector("#banner")?.hidden === true);

  return {
    alice: { sent: aliceSent, received: aliceReceived, online: online.alice, composerCleared },
    bob: { sent: bobSent, received: bobReceived, online: online.bob, typing },
    status,
  };
});
