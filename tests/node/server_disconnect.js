// The server disconnects one namespace (`socket.disconnect(false)`): that socket's client
// sees "io server disconnect" and does not reconnect; "/admin" on the same connection stays.
"use strict";

const { scenario, ask, manager, connected, once, check } = require("./scenario");

scenario("server_disconnect", async (url) => {
  const connection = manager(url);
  const main = await connected(connection.socket("/", { auth: { name: "kicked" } }));
  const admin = await connected(connection.socket("/admin", { auth: { name: "stays" } }));

  const gone = once(main, "disconnect");
  main.emit("kick-me");
  const [reason] = await gone;
  check(reason, "io server disconnect", "the disconnect reason");
  check(main.connected, false, "main.connected after the server's disconnect");

  const [where] = await ask(admin, "whereami");
  check(where, "/admin", "/admin still answers on the same connection");

  admin.disconnect();
  return { reason, adminAfter: where };
});
