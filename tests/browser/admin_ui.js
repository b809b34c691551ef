// The official Socket.IO Admin UI (npm @socket.io/admin-ui 0.5.1, its built files served by the
// demo with --admin-ui) watching the demo, unchanged: it shows the right socket count, the chat
// page's socket with its transport and rooms, the chat's events live, and its "disconnect"
// button disconnects that chat page, whose banner says so. Screenshots go to target/.
//
// The UI links fonts and icons on CDNs: those requests are aborted (refuseOffsite), so its
// buttons show no icons; the buttons are found by their icon's class, as the UI renders it.
"use strict";

const path = require("node:path");
const { run, join, say, until, untilText, refuseOffsite, TARGET, log } = require("./lib");

/// Opens the Admin UI in a new page, told (as a person would type it) to connect to `url`'s
/// `/admin` namespace: the UI keeps the server's URL in localStorage.
async function openAdminUi(context, url, pages) {
  await refuseOffsite(context);
  const server = `${url.replace(/\/$/, "")}/admin`;
  await context.addInitScript((s) => localStorage.setItem("server_url", s), server);
  const ui = await context.newPage();
  ui.threadioName = "admin-ui";
  ui.consoleLines = [];
  ui.on("console", (m) => ui.consoleLines.push(`${m.type()}: ${m.text()}`));
  ui.on("pageerror", (e) => ui.consoleLines.push(`pageerror: ${e.message}`));
  pages.push(ui);
  await ui.goto(`${url}admin-ui/#/sockets/`, { waitUntil: "load" });
  await untilText(ui, "header", /Status:\s*connected/i, "the Admin UI says it is connected");
  return ui;
}

/// The rows of the UI's table on the current page, as text cells.
function rows(ui) {
  return ui.evaluate(() => [...document.querySelectorAll("main table tbody tr")]
    .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
}

run(async ({ person, open, url, pages }) => {
  const alice = await open(await person(), "alice");
  await join(alice, "alice", "general");
  await untilText(alice, "#transport", "websocket", "alice's page is on WebSocket");

  const ui = await openAdminUi(await person({ viewport: { width: 1280, height: 800 } }), url, pages);

  // Sockets of "/": exactly alice's, on WebSocket.
  const sockets = await until(ui, "the sockets table lists one socket, on WebSocket", () => {
    const trs = [...document.querySelectorAll("main table tbody tr")];
    const cells = trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim()));
    return cells.length === 1 && cells[0].includes("WebSocket") ? cells : false;
  });
  const socketId = sockets[0][0];
  log(`the UI lists socket ${socketId}`);

  // The dashboard: one socket in "/", one (the UI itself) in "/admin".
  await ui.goto(`${url}admin-ui/#/`);
  const namespaces = await until(ui, "the dashboard counts one socket in / and one in /admin", () => {
    const counts = {};
    for (const tr of document.querySelectorAll("main table tbody tr")) {
      const [name, count] = [...tr.querySelectorAll("td")].map((td) => td.textContent.trim());
      if (name && name.startsWith("/")) counts[name] = Number(count);
    }
    return counts["/"] === 1 && counts["/admin"] === 1 ? counts : false;
  });
  const clients = await until(ui, "the dashboard counts two WebSocket clients", () => {
    const text = document.querySelector("main").innerText;
    return /WebSocket\s+2\b/.test(text) ? "WebSocket 2" : false;
  });

  // The socket's page: its transport and its rooms (its own and "general").
  await ui.goto(`${url}admin-ui/#/n/${encodeURIComponent("/")}/sockets/${socketId}`);
  await untilText(ui, "main", "general", "the socket's page lists room general");
  const details = await ui.innerText("main");
  const transportShown = details.includes("WebSocket");
  await ui.screenshot({ path: path.join(TARGET, "admin-ui-socket.png") });

  // Live events: alice says something, and the events page shows it as it arrives. (Events
  // from before the UI connected are not shown: it keeps only what it was told live.)
  await ui.goto(`${url}admin-ui/#/events/`);
  await untilText(ui, "main", "Timestamp", "the events page");
  await say(alice, "hello, admin");
  const events = await until(ui, "the events page lists alice's chat event, received", (id) => {
    const cells = [...document.querySelectorAll("main table tbody tr")]
      .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim().replace(/\s+/g, " ")));
    const chat = cells.find((c) => c[1] === id && c[2] === "Event received" && c[3] === "Event name: chat");
    return chat ? cells : false;
  }, socketId);
  await ui.screenshot({ path: path.join(TARGET, "admin-ui-events.png") });

  // The dashboard again, once server_stats has brought the chat's messages and bytes to the
  // UI's store (its charts draw from there): the picture the README shows. Each report hands
  // over what was counted since the last one, to the UIs connected then (as the reference's
  // EventBuffer does): alice's connection, and even the UI's own when a report fell between
  // its session's opening and its joining /admin, may have gone to nobody. So bob connects
  // now, while the UI listens, for a connection the store must hold.
  const bob = await open(await person(), "bob");
  await join(bob, "bob", "general");
  await ui.goto(`${url}admin-ui/#/`);
  const aggregated = await until(ui, "the UI's store holds bytes received and sent", () => {
    const events = document.querySelector("#app").__vue__.$store.state.main.aggregatedEvents;
    const types = new Set(events.map((e) => e.type));
    return ["rawConnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"].every((t) => types.has(t))
      ? [...types].sort() : false;
  });
  // For the picture only (nothing is asserted from it): the page fades in, and chart.js
  // draws its charts over about a second.
  await until(ui, "the dashboard's transitions are over", () => document.getAnimations().length === 0);
  await ui.waitForTimeout(1500);
  await ui.screenshot({ path: path.join(TARGET, "admin-ui-dashboard.png"), animations: "disabled" });

  // "Disconnect this socket", on the socket's page (its button shows the mdi-logout icon).
  await ui.goto(`${url}admin-ui/#/n/${encodeURIComponent("/")}/sockets/${socketId}`);
  await untilText(ui, "main", "general", "the socket's page again");
  await ui.locator("main button:has(.mdi-logout)").first().click();
  const banner = await untilText(alice, "#banner", "Disconnected by the server",
    "alice's banner says the server disconnected her");
  const state = await alice.evaluate(() => document.querySelector("#status").dataset.state);
  await untilText(ui, "main", /disconnected/i, "the UI shows the socket as disconnected");
  await ui.screenshot({ path: path.join(TARGET, "admin-ui-disconnected.png") });

  return { socketId, sockets, namespaces, clients, transportShown, events, aggregated, banner, state };
});
