// A page built on the official socket.io browser bundle (socket.io-client's dist/socket.io.min.js
// from node_modules, served by this script through page.route on the demo's own origin) chats
// with the demo page, which runs our threadio.js: the same events, acks and delivery receipts.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const {
  run, join, until, untilText, untilMessage, untilOnline, untilState,
} = require("./lib");

const BUNDLE = path.join(__dirname, "node_modules/socket.io-client/dist/socket.io.min.js");
const VERSION = require("socket.io-client/package.json").version;

// The official client's page: what it receives is shown as a person would read it, and the test
// drives it through window.joinRoom and window.send (the same emits the demo's buttons make).
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>socket.io-client ${VERSION}</title>
<p id="state">connecting</p>
<ul id="messages"></ul>
<p id="typing"></p>
<script src="/official/socket.io.min.js"></script>
<script>
  const socket = io(); // this page's origin, path /socket.io/, polling then the upgrade
  const messages = document.querySelector("#messages");
  const show = (kind, line) => {
    const li = document.createElement("li");
    li.className = kind;
    li.textContent = line;
    messages.append(li);
  };
  window.seen = { chats: [], receipts: [], presence: [] };
  socket.on("connect", () => {
    document.querySelector("#state").textContent = "connected";
  });
  socket.on("chat", (m) => {
    window.seen.chats.push(m);
    show("chat", m.from + ": " + m.text);
    socket.emit("shown", m.room, m.sender, m.id); // as the demo page does: the second tick
  });
  socket.on("notice", (n) => show("notice", n.text));
  socket.on("presence", (p) => window.seen.presence.push(p));
  socket.on("typing", (t) => {
    document.querySelector("#typing").textContent = t.from + " is typing…";
  });
  socket.on("seen", (s) => window.seen.receipts.push(s));
  window.joinRoom = (nick, room) => new Promise((done) => socket.emit("join", nick, room, done));
  window.send = (room, text) => new Promise((done) => socket.emit("chat", { room, text }, done));
  window.transport = () => socket.io.engine.transport.name;
</script>`;

run(async ({ person, open, pages, url }) => {
  const alice = await open(await person(), "alice");
  await join(alice, "alice", "interop");

  const carolContext = await person();
  // Chromium's Local Network Access checks take a page fulfilled by page.route (it has no
  // address it came from) for a public one, and refuse its WebSocket to 127.0.0.1
  // (net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS; polling, same-origin, passes). A person
  // would be asked to allow it; this context is allowed, for the demo's origin only.
  await carolContext.grantPermissions(["local-network-access"], { origin: new URL(url).origin });
  const carol = await carolContext.newPage();
  carol.threadioName = "official";
  carol.consoleLines = [];
  carol.on("pageerror", (e) => carol.consoleLines.push(`pageerror: ${e.message}`));
  pages.push(carol);
  await carol.route(`${url}official.html`, (route) =>
    route.fulfill({ contentType: "text/html; charset=utf-8", body: PAGE }));
  await carol.route(`${url}official/socket.io.min.js`, (route) =>
    route.fulfill({ contentType: "text/javascript", body: fs.readFileSync(BUNDLE) }));
  await carol.goto(`${url}official.html`);
  await untilText(carol, "#state", "connected", "the official client connects");

  // Join: the ack carries the room's members; the demo page hears about it.
  const joined = await carol.evaluate(() => window.joinRoom("carol", "interop"));
  const members = JSON.stringify(joined?.members);
  if (joined?.room !== "interop" || !members.includes("alice") || !members.includes("carol")) {
    throw new Error(`the join ack is ${JSON.stringify(joined)}; expected {room:"interop", members:[alice, carol]}`);
  }
  await untilText(alice, "#messages", "carol joined", "alice sees \"carol joined\"");
  await untilOnline(alice, ["alice", "carol"]);

  // The demo page types and sends; the official page sees both, and acknowledges delivery.
  await alice.click("#text");
  await alice.locator("#text").pressSequentially("hello", { delay: 20 });
  const typing = await untilText(carol, "#typing", "alice is typing", "the official page hears alice typing");
  await alice.locator("#text").pressSequentially(" official", { delay: 5 });
  await alice.press("#text", "Enter");
  const officialReceived = await untilText(carol, "#messages li.chat", "alice: hello official",
    "the official page shows \"alice: hello official\"");
  const aliceSent = await untilMessage(alice, { text: "hello official", mine: true, ticks: "✓✓" },
    "alice's message shows ✓✓ once the official page has acknowledged it");

  // The official page sends; its ack has the message's id, and the demo page's receipt comes back.
  const ack = await carol.evaluate(() => window.send("interop", "hello threadio.js"));
  if (ack?.id === undefined) throw new Error(`the chat ack is ${JSON.stringify(ack)}; expected {id}`);
  const demoReceived = await untilMessage(alice, { text: "hello threadio.js", from: "carol", mine: false });
  const receipt = await until(carol, `the official page gets "seen" for message ${ack.id}`,
    (id) => window.seen.receipts.find((r) => r.id === id), ack.id);
  if (receipt.by !== "alice" || receipt.room !== "interop") {
    throw new Error(`seen is ${JSON.stringify(receipt)}; expected alice's, in interop`);
  }

  await untilState(alice, "connected");
  const officialTransport = await until(carol, "the official client upgrades to websocket",
    () => window.transport() === "websocket" && "websocket");
  return {
    official: {
      version: VERSION, transport: officialTransport, join_ack: joined, chat_ack: ack,
      received: officialReceived.split("\n")[0], typing, receipt,
    },
    demo: { sent: aliceSent, received: demoReceived },
  };
});
