// Two people behind HAProxy (examples/haproxy/haproxy.cfg), in front of two threadio nodes that
// share rooms through Redis. Both open the same proxy URL; the demo page's client, threadio.js,
// uses its default transports: HTTP long-polling first, then the upgrade to WebSocket. HAProxy's
// SERVERID cookie sends each person to a different node and keeps every request of a session on
// it: the handshake, the polling GETs and POSTs, and the WebSocket upgrade. They chat across
// the two nodes. Then the test kills alice's node: her page reconnects through the same proxy,
// lands on bob's node with a new session (sessions are not shared), and the chat goes on.
//
// The page's own requests are recorded (URL, the SERVERID they carried, status, Set-Cookie), so
// the result says what the browser sent; tests/sticky_sessions.rs checks it against HAProxy's
// log, which says which node got each request.
"use strict";

const {
  run, join, say, until, untilText, untilMessage, untilOnline, untilState, server,
} = require("./lib");

/// The value of SERVERID in a Cookie or Set-Cookie header, or null.
function serverId(header) {
  const match = /(?:^|[;\n]\s*)SERVERID=([^;\s]+)/.exec(header || "");
  return match ? match[1] : null;
}

/// Records every answered Engine.IO request of `context` (each of its pages): method,
/// transport, sid, the SERVERID the request carried, the status, the SERVERID HAProxy set in
/// the answer, and for a handshake the sid it opened. `settle()` waits for the records of the
/// answers seen so far.
function recordEngineIo(context) {
  const records = [];
  const pending = [];
  context.on("response", (response) => {
    const request = response.request();
    const url = new URL(request.url());
    if (url.pathname !== "/socket.io/") return;
    pending.push((async () => {
      const sent = await request.allHeaders();
      const answer = await response.allHeaders();
      const record = {
        method: request.method(),
        transport: url.searchParams.get("transport"),
        sid: url.searchParams.get("sid"),
        cookie: serverId(sent.cookie),
        status: response.status(),
        setCookie: serverId(answer["set-cookie"]),
      };
      if (record.sid === null && record.status === 200) {
        record.opened = /"sid":"([^"]+)"/.exec(await response.text())?.[1] ?? null;
      }
      records.push(record);
    })().catch((e) => records.push({ error: e.message })));
  });
  return { records, settle: () => Promise.all(pending) };
}

/// The node whose name HAProxy put in this person's SERVERID cookie.
async function nodeOf(context) {
  const cookie = (await context.cookies()).find((c) => c.name === "SERVERID");
  if (!cookie) throw new Error("no SERVERID cookie: did the page come through HAProxy?");
  return cookie.value;
}

/// Checks, from what the browser saw, that session `sid` polled through the proxy on `node`
/// and upgraded there: its handshake and every polling request carried SERVERID=`node` and
/// were answered 200 with no new cookie; a WebSocket was opened for the same sid. Returns a
/// summary for the Rust side to match against HAProxy's log.
function sessionOn(who, page, recorder, sid, node) {
  const mine = recorder.records.filter((r) => r.sid === sid || r.opened === sid);
  const handshake = mine.find((r) => r.opened === sid);
  const polls = mine.filter((r) => r.sid === sid);
  const gets = polls.filter((r) => r.method === "GET").length;
  const posts = polls.filter((r) => r.method === "POST").length;
  const fail = (what) => {
    throw new Error(`${who}, session ${sid} on ${node}: ${what}; requests: ${JSON.stringify(mine)}`);
  };
  if (!handshake || handshake.transport !== "polling") fail("no polling handshake opened it");
  if (gets === 0 || posts === 0) fail("no polling GET and POST after the handshake");
  for (const r of polls) {
    if (r.transport !== "polling") fail(`a ${r.transport} request was answered over HTTP`);
    if (r.cookie !== node) fail(`a request carried SERVERID=${r.cookie}`);
    if (r.status !== 200) fail(`a request was answered ${r.status}`);
    if (r.setCookie !== null) fail(`HAProxy set SERVERID=${r.setCookie} on a request that had a valid one`);
  }
  const websocket = page.websockets.find((u) => {
    const q = new URL(u).searchParams;
    return q.get("transport") === "websocket" && q.get("sid") === sid;
  });
  if (!websocket) fail(`no WebSocket for this sid among ${JSON.stringify(page.websockets)}`);
  return {
    node, sid, handshake: { cookie: handshake.cookie, setCookie: handshake.setCookie }, gets, posts,
    websocket: new URL(websocket).search,
  };
}

/// The sid of the one session `recorder` saw opened and not in `known`.
function newSession(who, recorder, known) {
  const opened = recorder.records.filter((r) => r.opened && !known.includes(r.opened)).map((r) => r.opened);
  if (opened.length !== 1) {
    throw new Error(`${who}: expected one new session, saw ${JSON.stringify(opened)} besides ${JSON.stringify(known)}`);
  }
  return opened[0];
}

/// Waits until the page says it is connected on a WebSocket.
async function untilUpgraded(page) {
  await untilState(page, "connected");
  return untilText(page, "#transport", "websocket", `${page.threadioName}'s #transport says websocket (the upgrade)`);
}

run(async ({ person, open }) => {
  // One after the other, so that each person's first request (the page) is the only one
  // HAProxy balances for them: roundrobin then gives them different nodes.
  const people = {};
  for (const name of ["alice", "bob"]) {
    const context = await person();
    const recorder = recordEngineIo(context);
    const page = await open(context, name); // no ?transport=polling: the default transports
    people[name] = { context, recorder, page };
  }
  const { alice, bob } = people;
  for (const p of [alice, bob]) {
    await untilUpgraded(p.page);
    p.node = await nodeOf(p.context);
  }
  if (alice.node === bob.node) {
    throw new Error(`alice and bob both landed on ${alice.node}: roundrobin should have split them`);
  }

  await join(alice.page, "alice", "haproxy");
  await join(bob.page, "bob", "haproxy");
  const online = {
    alice: await untilOnline(alice.page, ["alice", "bob"]),
    bob: await untilOnline(bob.page, ["alice", "bob"]),
  };
  await say(alice.page, "hello from alice's node");
  const bobReceived = await untilMessage(bob.page, { text: "hello from alice's node", from: "alice", mine: false });
  await say(bob.page, "hello from bob's node");
  const aliceReceived = await untilMessage(alice.page, { text: "hello from bob's node", from: "bob", mine: false });
  const aliceTicks = await untilMessage(alice.page, { text: "hello from alice's node", mine: true, ticks: "✓✓" },
    "alice's message shows ✓✓ once bob, on the other node, has acknowledged it");

  for (const p of [alice, bob]) await p.recorder.settle();
  const first = {
    alice: sessionOn("alice", alice.page, alice.recorder, newSession("alice", alice.recorder, []), alice.node),
    bob: sessionOn("bob", bob.page, bob.recorder, newSession("bob", bob.recorder, []), bob.node),
  };

  // Alice's node dies. Her WebSocket ends with it; threadio.js reconnects through the proxy with
  // the old cookie, HAProxy redispatches to the node that is up and sets a new cookie, and a new
  // session opens there, polling first again, then upgrading. chat.js rejoins her rooms.
  await server(`kill ${alice.node}`);
  await until(alice.page, "alice's page counts a reconnection",
    () => Number(document.querySelector("#reconnects")?.textContent) > 0);
  await untilUpgraded(alice.page);
  const aliceNodeAfter = await nodeOf(alice.context);
  if (aliceNodeAfter !== bob.node) {
    throw new Error(`after ${alice.node} died, alice's cookie names ${aliceNodeAfter}, not ${bob.node}`);
  }
  const onlineAfter = await untilOnline(alice.page, ["alice", "bob"]);
  await say(alice.page, "back, on bob's node");
  const bobReceivedAfter = await untilMessage(bob.page, { text: "back, on bob's node", from: "alice", mine: false });
  await say(bob.page, "welcome back");
  const aliceReceivedAfter = await untilMessage(alice.page, { text: "welcome back", from: "bob", mine: false });

  await alice.recorder.settle();
  const secondSid = newSession("alice", alice.recorder, [first.alice.sid]);
  const second = sessionOn("alice", alice.page, alice.recorder, secondSid, bob.node);
  if (second.handshake.cookie !== alice.node || second.handshake.setCookie !== bob.node) {
    throw new Error(`alice's new handshake carried SERVERID=${second.handshake.cookie} and got ` +
      `${second.handshake.setCookie}; expected ${alice.node}, replaced by ${bob.node}`);
  }
  const errors = [alice, bob].flatMap((p) => p.recorder.records.filter((r) => r.error));
  if (errors.length) throw new Error(`reading requests failed: ${JSON.stringify(errors)}`);

  return {
    nodes: { alice: alice.node, bob: bob.node },
    first,
    chat: { online, bobReceived, aliceReceived, aliceTicks },
    after_kill: {
      alice: second,
      online: onlineAfter,
      bobReceived: bobReceivedAfter,
      aliceReceived: aliceReceivedAfter,
    },
  };
});
