// The server disconnects a socket and closes its whole connection
// (`socket.disconnect(true)`): as with the reference server, every namespace of that
// client gets a DISCONNECT first, so each socket sees "io server disconnect".
"use strict";

const { scenario, manager, connected, once, check } = require("./scenario");

scenario("server_close", async (url) => {
  const connection = manager(url);
  const main = await connected(connection.socket("/", { auth: { name: "closer" } }));
  const admin = await connected(connection.socket("/admin", { auth: { name: "bystander" } }));

  const mainGone = once(main, "disconnect");
  const adminGone = once(admin, "disconnect");
  main.emit("kick-me-hard");
  const [mainReason] = await mainGone;
  const [adminReason] = await adminGone;
  check({ main: mainReason, admin: adminReason }, { main: "io server disconnect", admin: "io server disconnect" }, "the disconnect reasons");
  return { mainReason, adminReason };
});
