// A slow network, made deterministic: every polling POST of one page waits 500 ms before it
// leaves the browser. The page must still connect, upgrade and chat. Engine.IO v4 says a
// client upgrading pauses polling first — its held GET *and* any POST in flight — before it
// sends "5"; the server refuses polling requests once the upgrade is done, so a CONNECT
// ("40") still on its way in a POST would be lost and the page would say "connecting" for
// ever. And a client never has two POSTs in flight: the server closes such a session.
"use strict";

const { run, join, say, untilMessage, untilOnline, untilState, untilText, text } = require("./lib");

const POST_DELAY_MS = 500;

run(async ({ person, open }) => {
  const slowContext = await person();
  let delayed = 0;
  await slowContext.route(/\/socket\.io\//, async (route) => {
    if (route.request().method() === "POST") {
      delayed++;
      await new Promise((resolve) => setTimeout(resolve, POST_DELAY_MS));
    }
    await route.continue();
  });
  const slow = await open(slowContext, "slow");
  const quick = await open(await person(), "quick");

  await untilState(slow, "connected");
  await untilText(slow, "#transport", /^websocket$/, "the slow page upgrades to websocket");
  await join(slow, "slow", "latency");
  await join(quick, "quick", "latency");
  await untilOnline(slow, ["slow", "quick"]);
  await say(slow, "sent through a slow start");
  await untilMessage(quick, { text: "sent through a slow start", from: "slow" });
  await untilMessage(slow, { text: "sent through a slow start", mine: true, ticks: "✓✓" });
  const reconnects = await text(slow, "#reconnects");
  if (reconnects !== "0") throw new Error(`the slow page reconnected ${reconnects} times`);
  if (delayed === 0) throw new Error("no POST was delayed: the scenario tested nothing");
  return { delayed_posts: delayed, transport: await text(slow, "#transport"), reconnects };
});
