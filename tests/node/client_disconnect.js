// The client leaves (`socket.disconnect()`): it sees "io client disconnect", and the server
// sees "client namespace disconnect" — asked here through a second connection, whose
// handler waits (at most 5 s) for the server's journal to hold that line.
"use strict";

const { scenario, ask, connect, once, check } = require("./scenario");

scenario("client_disconnect", async (url) => {
  const socket = await connect(url, { auth: { name: "leaver" } });
  await ask(socket, "whoami"); // the server has the socket and its handlers
  const gone = once(socket, "disconnect");
  socket.disconnect();
  const [reason] = await gone;
  check(reason, "io client disconnect", "the client's own disconnect reason");

  const observer = await connect(url, { auth: { name: "observer" } });
  const expected = "/ leaver disconnect: client namespace disconnect";
  const [seen, journal] = await ask(observer, "journal-wait", expected);
  if (!seen) throw new Error(`the server never wrote ${JSON.stringify(expected)}; it has ${JSON.stringify(journal)}`);
  observer.disconnect();
  return { reason, serverSaw: expected };
});
