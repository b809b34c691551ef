// The picture for the closing note: two people chatting, side by side in one image at
// target/demo-screenshot.png (Alice's window on the left, Bob's, wire panel open, on the right),
// and Bob's page at a phone's size in target/demo-screenshot-phone.png.
"use strict";

const path = require("node:path");
const { run, join, say, untilMessage, untilOnline, untilText, text, TARGET, log } = require("./lib");

run(async ({ person, open, browser }) => {
  const size = { width: 760, height: 720 };
  const alice = await open(await person({ viewport: size }), "alice");
  const bob = await open(await person({ viewport: size }), "bob");
  await join(alice, "alice", "general");
  await join(bob, "bob", "general");
  await untilOnline(alice, ["alice", "bob"]);
  await untilOnline(bob, ["alice", "bob"]);

  await say(alice, "Hi Bob! This goes over a WebSocket to a Rust thread.");
  await untilMessage(bob, { text: "Hi Bob! This goes over a WebSocket to a Rust thread.", from: "alice" });
  await say(bob, "And back. Two ticks: the server has it, then you do.");
  await untilMessage(alice, { text: "And back. Two ticks: the server has it, then you do.", from: "bob" });
  await untilMessage(bob, { text: "And back. Two ticks: the server has it, then you do.", mine: true, ticks: "✓✓" });
  await say(alice, "Open the wire panel to see every packet.");
  await untilMessage(alice, { text: "Open the wire panel to see every packet.", mine: true, ticks: "✓✓" });
  await bob.click("#wire-toggle");
  await untilText(bob, "#wire", "chat", "bob's wire panel lists packets, a chat among them");
  // The page sends "typing" at most once per 2 s, so Alice types on, at a person's pace,
  // until Bob's page shows it.
  await alice.click("#text");
  for (const key of "Typing at a person's pace") {
    await alice.press("#text", key === " " ? "Space" : key);
    if ((await text(bob, "#typing")).includes("alice is typing")) break;
    await alice.waitForTimeout(120);
  }
  await untilText(bob, "#typing", "alice is typing", "bob sees alice typing");
  await untilText(alice, "#rtt", /\d+ ms/, "alice's round trip is measured");

  const left = await alice.screenshot();
  const right = await bob.screenshot();
  const phoneContext = await person({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
  const phone = await open(phoneContext, "phone");
  await join(phone, "carol", "general");
  await say(bob, "Carol is on her phone.");
  await untilMessage(phone, { text: "Carol is on her phone.", from: "bob" });

  // One image of both windows: a page of the two screenshots, side by side.
  const sideBySide = await browser.newPage({ viewport: { width: size.width * 2 + 24, height: size.height + 16 } });
  const img = (png) => `<img src="data:image/png;base64,${png.toString("base64")}" style="width:${size.width}px">`;
  await sideBySide.setContent(
    `<body style="margin:0;padding:8px;background:#555;display:flex;gap:8px">${img(left)}${img(right)}</body>`);
  const file = path.join(TARGET, "demo-screenshot.png");
  await sideBySide.screenshot({ path: file });
  const phoneFile = path.join(TARGET, "demo-screenshot-phone.png");
  await phone.screenshot({ path: phoneFile });
  log(`saved ${file} and ${phoneFile}`);
  return { screenshot: file, phone: phoneFile };
});
