// One page forced to HTTP long-polling (`?transport=polling`) chats with one that upgrades to
// WebSocket: the status bars say so, the polling page never opens a WebSocket, and messages and
// ticks go both ways across the two transports.
"use strict";

const { run, join, say, untilText, untilMessage, untilOnline, untilState, text } = require("./lib");

run(async ({ person, open }) => {
  const polly = await open(await person(), "polly", "?transport=polling");
  const wes = await open(await person(), "wes");
  await untilState(polly, "connected");
  await untilState(wes, "connected");
  await untilText(polly, "#transport", /^polling$/, "polly's #transport says polling");
  const wesTransport = await untilText(wes, "#transport", /^websocket$/,
    "wes's #transport becomes websocket (after the upgrade)");

  await join(polly, "polly", "transports");
  await join(wes, "wes", "transports");
  await untilOnline(polly, ["polly", "wes"]);
  await untilOnline(wes, ["polly", "wes"]);

  await say(polly, "sent over polling");
  const wesReceived = await untilMessage(wes, { text: "sent over polling", from: "polly", mine: false });
  const pollySent = await untilMessage(polly, { text: "sent over polling", mine: true, ticks: "✓✓" });
  await say(wes, "sent over websocket");
  const pollyReceived = await untilMessage(polly, { text: "sent over websocket", from: "wes", mine: false });
  const wesSent = await untilMessage(wes, { text: "sent over websocket", mine: true, ticks: "✓✓" });

  // Still polling after all that traffic: the status bar says so, and no WebSocket was opened.
  const pollyTransport = await text(polly, "#transport");
  if (pollyTransport !== "polling") throw new Error(`polly's #transport went to ${JSON.stringify(pollyTransport)}`);
  if (polly.websockets.length) throw new Error(`polly opened WebSockets: ${polly.websockets.join(", ")}`);
  if (!wes.websockets.some((u) => u.includes("transport=websocket"))) {
    throw new Error(`wes opened no Engine.IO WebSocket: ${JSON.stringify(wes.websockets)}`);
  }
  return {
    polling: { transport: pollyTransport, websockets_opened: polly.websockets.length, sent: pollySent, received: pollyReceived },
    websocket: { transport: wesTransport, websockets: wes.websockets, sent: wesSent, received: wesReceived },
  };
});
