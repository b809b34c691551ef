// A middleware refuses `auth: { token: "bad" }`: the client's connect_error carries the
// middleware's message and data. Another token connects, and the server sees its auth.
"use strict";

const { scenario, ask, client, connect, refused, check } = require("./scenario");

scenario("auth", async (url) => {
  const refusal = await refused(client(url, { auth: { token: "bad" } }));
  check(refusal, { message: "Not authorized", data: { reason: "bad token" } }, "the refusal");

  const socket = await connect(url, { auth: { token: "good", name: "trusted" } });
  const [auth, id] = await ask(socket, "whoami");
  check(auth, { token: "good", name: "trusted" }, "the auth object the server got");
  check(id, socket.id, "the socket id the server has");

  socket.disconnect();
  return { refusal, auth };
});
