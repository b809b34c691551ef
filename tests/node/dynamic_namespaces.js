// Dynamic namespaces (io.of_matching): `/org-42` is created on the first CONNECT, shares the
// parent's middleware and handlers, and reports its own name; two clients in it talk to
// each other. A name the matcher refuses is "Invalid namespace"; the parent's middleware
// refuses a client it does not want.
"use strict";

const { scenario, client, connected, once, refused, check } = require("./scenario");

async function member(url, name) {
  const socket = client(`${url}/org-42`, { auth: { name } });
  const where = once(socket, "where");
  await connected(socket);
  const [namespace] = await where;
  return { socket, namespace };
}

scenario("dynamic_namespaces", async (url) => {
  const ann = await member(url, "ann");
  const bob = await member(url, "bob");
  check([ann.namespace, bob.namespace], ["/org-42", "/org-42"], "the child's name");

  const heard = once(ann.socket, "org-chat");
  bob.socket.emit("org-chat", "hi from bob");
  const [message] = await heard;
  check(message, "hi from bob", "a broadcast within the child");

  const unknown = await refused(client(`${url}/org-x`));
  check(unknown.message, "Invalid namespace", "a name the matcher refuses");
  const blocked = await refused(client(`${url}/org-7`, { auth: { name: "mallory" } }));
  check(blocked.message, "not a member", "the parent's middleware");

  ann.socket.disconnect();
  bob.socket.disconnect();
  return { namespace: ann.namespace, unknown: unknown.message, blocked: blocked.message };
});
