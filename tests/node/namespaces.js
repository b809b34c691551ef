// Namespaces: "/" and "/admin" multiplexed over one connection, each with its own handlers;
// leaving "/admin" leaves "/" alone; an unknown namespace gets "Invalid namespace".
"use strict";

const { scenario, ask, manager, connected, refused, check } = require("./scenario");

scenario("namespaces", async (url) => {
  const connection = manager(url);
  const main = await connected(connection.socket("/", { auth: { name: "main" } }));
  const admin = await connected(connection.socket("/admin", { auth: { name: "admin" } }));
  if (main.id === admin.id) throw new Error(`both namespaces gave the socket id ${main.id}`);

  const inMain = await ask(main, "whereami");
  const inAdmin = await ask(admin, "whereami");
  check(inMain, ["/", main.id], "whereami in /");
  check(inAdmin, ["/admin", admin.id], "whereami in /admin");

  const invalid = await refused(connection.socket("/nope"));
  check(invalid, { message: "Invalid namespace", data: undefined }, "connecting to /nope");

  admin.disconnect();
  const stillMain = await ask(main, "whereami");
  check(stillMain, ["/", main.id], "whereami in / after leaving /admin");
  if (connection.engine.readyState !== "open") throw new Error("leaving /admin closed the connection");

  main.disconnect();
  return { inMain, inAdmin, invalid: invalid.message, stillMain };
});
