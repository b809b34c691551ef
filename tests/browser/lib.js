// What the browser scenarios share: Debian's Chromium launched so that it can reach nothing but
// loopback, pages of the demo, waits that fail with what the page shows, and the line protocol
// by which a scenario asks tests/browser_e2e.rs to stop or start the server.
//
// Each scenario is `node <scenario>.js <url>`: it prints progress on stderr and, last, one JSON
// line on stdout (`{"ok":true,...}`); any failure exits non-zero with the reason on stderr and
// a screenshot of each open page under target/browser-failures/.

"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");
const { chromium } = require("playwright-core");

/// The system Chromium (Debian's package): playwright-core never downloads a browser here.
const CHROMIUM = process.env.THREADIO_CHROMIUM || "/usr/bin/chromium";

/// How long one wait for something on a page may take before the scenario fails.
const WAIT_MS = 10_000;

/// The whole scenario's budget: it gives up on its own well before the Rust side kills it.
const SCENARIO_MS = 60_000;

const TARGET = path.resolve(__dirname, "../../target");

/// The server's URL, from the command line (`http://127.0.0.1:PORT/`).
function serverUrl() {
  const url = process.argv[2];
  if (!url || !/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(url)) {
    throw new Error(`usage: node ${path.basename(process.argv[1])} http://127.0.0.1:PORT/`);
  }
  return url.endsWith("/") ? url : `${url}/`;
}

function log(...parts) {
  console.error(`[${path.basename(process.argv[1], ".js")}]`, ...parts);
}

/// Launches Chromium with everything but loopback unreachable: the resolver maps every name
/// but 127.0.0.1 and localhost to nothing, QUIC is off, background services are off.
async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-domain-reliability",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
    ],
  });
}

/// A fresh browser context (its own cookies and storage: a second person) whose every request
/// is checked: anything not addressed to 127.0.0.1 or localhost is recorded in `offsite`, and
/// `run` fails the scenario if there is any.
async function newPerson(browser, offsite, options = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, ...options });
  context.on("request", (request) => {
    const url = new URL(request.url());
    const local = ["127.0.0.1", "localhost"].includes(url.hostname);
    if (!local && !["data:", "blob:", "about:"].includes(url.protocol)) {
      (context.offsiteRefused ? context.offsiteRefused : offsite).push(request.url());
    }
  });
  return context;
}

/// For a page that is not ours and links to a CDN (the Admin UI's fonts and icons): every
/// request off this machine is aborted before it leaves, and listed in
/// `context.offsiteRefused` rather than failing the scenario.
async function refuseOffsite(context) {
  context.offsiteRefused = [];
  await context.route((url) => !["127.0.0.1", "localhost"].includes(url.hostname), (route) => route.abort());
}

/// Opens the demo in a new page of `context`; `query` is added to the URL (`?transport=polling`).
async function openDemo(context, url, name, query = "") {
  const page = await context.newPage();
  page.threadioName = name;
  page.consoleLines = [];
  page.websockets = []; // the URL of every WebSocket the page opened, to tell transports apart
  page.on("websocket", (ws) => page.websockets.push(ws.url()));
  page.on("console", (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => page.consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(`${url}${query}`, { waitUntil: "load" });
  return page;
}

/// Waits until `fn(arg)`, run in the page, returns something truthy, and returns it. On a
/// timeout it fails with `what` and what a person would see on the page at that moment.
async function until(page, what, fn, arg) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 50 });
    return await handle.jsonValue();
  } catch (e) {
    const seen = await describe(page).catch((d) => `(cannot read the page: ${d.message})`);
    throw new Error(`${page.threadioName || "page"}: ${what} — not within ${WAIT_MS} ms.\n` +
      `The page shows:\n${seen}\n(${e.message.split("\n")[0]})`);
  }
}

/// The text of an element, trimmed ("" if there is none).
function text(page, selector) {
  return page.evaluate((s) => (document.querySelector(s)?.textContent ?? "").trim(), selector);
}

/// Waits until the element's text satisfies `test` (a string it must contain, or a RegExp).
async function untilText(page, selector, test, what) {
  const pattern = test instanceof RegExp ? { source: test.source, flags: test.flags } : null;
  return until(page, what || `${selector} shows ${test}`, ([s, needle, re]) => {
    const el = document.querySelector(s);
    if (!el) return false;
    const t = el.textContent.trim();
    const ok = re ? new RegExp(re.source, re.flags).test(t) : t.includes(needle);
    return ok ? t : false;
  }, [selector, pattern ? null : test, pattern]);
}

/// The status bar and the rest of what a person sees, for failure messages.
async function describe(page) {
  return page.evaluate(() => {
    const t = (s) => (document.querySelector(s)?.textContent ?? "(none)").trim().replace(/\s+/g, " ");
    const all = (s) => [...document.querySelectorAll(s)].map((e) => e.textContent.trim().replace(/\s+/g, " "));
    const status = document.querySelector("#status");
    const banner = document.querySelector("#banner");
    return [
      `  url: ${location.href}`,
      `  #status[data-state=${status?.dataset.state}]: ${t("#status")}`,
      `  #transport: ${t("#transport")}   #rtt: ${t("#rtt")}   #reconnects: ${t("#reconnects")}`,
      `  #banner: ${banner ? (banner.hidden ? "hidden" : `shown: ${t("#banner")}`) : "(none)"}`,
      `  #rooms: ${JSON.stringify(all("#rooms li"))}`,
      `  #online: ${JSON.stringify(all("#online li"))}`,
      `  #typing: ${t("#typing")}`,
      `  #messages: ${JSON.stringify(all("#messages li"))}`,
      `  last wire packets: ${JSON.stringify(all("#wire li.packet").slice(-8))}`,
    ].join("\n");
  }).then((s) => `${s}\n  console: ${JSON.stringify((page.consoleLines || []).slice(-10))}`);
}

/// Sets the nickname and joins `room`, as a person does: type both, press Join.
async function join(page, nick, room) {
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  await page.click("#join");
  await until(page, `room ${room} is in #rooms after joining`,
    (r) => [...document.querySelectorAll("#rooms li[data-room]")].some((li) => li.dataset.room === r), room);
}

/// Types `message` into the composer key by key (so the page sees typing) and presses Enter.
async function say(page, message) {
  await page.click("#text");
  await page.locator("#text").pressSequentially(message, { delay: 5 });
  await page.press("#text", "Enter");
}

/// The messages of #messages as a person reads them: who, what, the ticks, and whether mine.
function messages(page) {
  return page.evaluate(() => [...document.querySelectorAll("#messages li.message")].map((li) => ({
    from: (li.querySelector(".from")?.textContent ?? "").trim(),
    text: (li.querySelector(".text")?.textContent ?? "").trim(),
    ticks: (li.querySelector(".ticks")?.textContent ?? "").trim(),
    mine: li.classList.contains("mine"),
  })));
}

/// Waits for a message with this text (and, if given, from this sender) and returns it.
function untilMessage(page, { text: wanted, from, mine, ticks }, what) {
  return until(page, what || `a message ${JSON.stringify({ text: wanted, from, mine, ticks })} in #messages`,
    ([w, f, m, k]) => {
      for (const li of document.querySelectorAll("#messages li.message")) {
        const msg = {
          from: (li.querySelector(".from")?.textContent ?? "").trim(),
          text: (li.querySelector(".text")?.textContent ?? "").trim(),
          ticks: (li.querySelector(".ticks")?.textContent ?? "").trim(),
          mine: li.classList.contains("mine"),
        };
        if (msg.text === w && (f == null || msg.from.includes(f)) && (m == null || msg.mine === m) &&
          (k == null || msg.ticks === k)) return msg;
      }
      return false;
    }, [wanted, from ?? null, mine ?? null, ticks ?? null]);
}

/// The names in #online, in order.
function online(page) {
  return page.evaluate(() => [...document.querySelectorAll("#online li")].map((li) => li.textContent.trim()));
}

/// Waits until #online lists every one of `nicks` (an entry may carry more, like "(you)").
function untilOnline(page, nicks) {
  return until(page, `#online lists ${nicks.join(" and ")}`, (ns) => {
    const names = [...document.querySelectorAll("#online li")].map((li) => li.textContent.trim());
    return ns.every((n) => names.some((name) => name.includes(n))) ? names : false;
  }, nicks);
}

/// Waits until #status says `state` in its data-state, and returns its text.
function untilState(page, state) {
  return until(page, `#status[data-state="${state}"]`, (s) => {
    const el = document.querySelector("#status");
    return el?.dataset.state === s ? el.textContent.trim() || s : false;
  }, state);
}

// ---- The server, stopped and started by tests/browser_e2e.rs on request ---------------------

let replies = null;

/// Asks the Rust test to `stop` or `start` the server, and waits until it says it did. The
/// request is a line on stdout (`@server stop`); the answer a line on stdin (`ok`).
async function server(action) {
  if (!replies) {
    replies = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  }
  process.stdout.write(`@server ${action}\n`);
  const answer = await Promise.race([
    replies.next(),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer to @server ${action}`)), WAIT_MS)),
  ]);
  if (answer.done || answer.value.trim() !== "ok") {
    throw new Error(`@server ${action}: the test answered ${JSON.stringify(answer.value)}`);
  }
}

// ---- Running a scenario -----------------------------------------------------------------------

/// Runs `scenario(tools)` with a launched browser; prints its result as the last JSON line.
/// `tools` has the browser, `url`, `person()` (a new context) and `pages` (filled by `open`).
function run(scenario) {
  const started = Date.now();
  const offsite = [];
  const pages = [];
  let browser = null;
  const budget = setTimeout(() => {
    log(`still running after ${SCENARIO_MS} ms: giving up`);
    process.exit(3);
  }, SCENARIO_MS);
  (async () => {
    const url = serverUrl();
    browser = await launch();
    log(`Chromium ${browser.version()} at ${CHROMIUM}; server ${url}`);
    const tools = {
      browser,
      url,
      pages,
      person: (options) => newPerson(browser, offsite, options),
      open: async (context, name, query) => {
        const page = await openDemo(context, url, name, query);
        pages.push(page);
        return page;
      },
    };
    const result = await scenario(tools);
    if (offsite.length) {
      throw new Error(`the browser asked for something off this machine: ${offsite.join(", ")}`);
    }
    // An exception thrown in threadio.js or chat.js fails the scenario, even if the page
    // still came to show what was expected.
    const thrown = pages.flatMap((p) =>
      p.consoleLines.filter((l) => l.startsWith("pageerror:")).map((l) => `${p.threadioName}: ${l}`));
    if (thrown.length) {
      throw new Error(`a page threw:\n${thrown.join("\n")}`);
    }
    await browser.close();
    clearTimeout(budget);
    console.log(JSON.stringify({ ok: true, ms: Date.now() - started, ...result }));
    process.exit(0); // stdin, read for the server's answers, would keep Node running
  })().catch(async (e) => {
    log(`FAILED: ${e.stack || e}`);
    if (offsite.length) log(`requests off this machine: ${offsite.join(", ")}`);
    const dir = path.join(TARGET, "browser-failures");
    fs.mkdirSync(dir, { recursive: true });
    for (const page of pages) {
      const file = path.join(dir, `${path.basename(process.argv[1], ".js")}-${page.threadioName}.png`);
      await page.screenshot({ path: file, timeout: 3000 }).then(() => log(`screenshot: ${file}`), () => {});
      await describe(page).then((d) => log(`${page.threadioName} at the end:\n${d}`), () => {});
    }
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  });
}

module.exports = {
  TARGET, WAIT_MS, log, run, refuseOffsite, until, untilText, text, describe, join, say, messages, untilMessage,
  online, untilOnline, untilState, server,
};
