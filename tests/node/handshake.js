// socket.handshake(): a namespace whose middleware reads a request header (as cookie or
// token authentication does) refuses a client without it; the client with it gets back what
// the server saw of its handshake — its query, the header, its auth, the peer, the time.
"use strict";

const { scenario, client, connected, once, refused, check } = require("./scenario");

scenario("handshake", async (url) => {
  const refusal = await refused(client(`${url}/secure`));
  check(refusal.message, "no x-token header", "the refusal of a client without the header");

  const before = Date.now();
  const socket = client(`${url}/secure`, {
    extraHeaders: { "x-token": "letmein" },
    query: { room: "a b", n: "1" },
    auth: { name: "ann" },
  });
  const seen = once(socket, "handshake");
  await connected(socket);
  const [handshake] = await seen;
  check(handshake.query.room, "a b", "the query, decoded");
  check(handshake.token, "letmein", "the header the middleware read");
  check(handshake.auth, { name: "ann" }, "the auth payload");
  check(handshake.address, "127.0.0.1", "the peer's address");
  check([handshake.secure, handshake.xdomain], [false, false], "secure and xdomain");
  if (!(handshake.issued >= before - 1000 && handshake.issued <= Date.now() + 1000)) {
    throw new Error(`issued ${handshake.issued} is not around ${before}`);
  }
  if (!handshake.url.startsWith("/socket.io/?") || !handshake.url.includes("room=a%20b")) {
    throw new Error(`url ${handshake.url}`);
  }
  socket.disconnect();
  return { refusal, handshake };
});
