# The python-socketio reference server for threadio's Rust client (tests/rust_client.rs):
# the handlers of tests/node/rust_client_server.js, on python-socketio's own server in its
# threading mode (WebSocket through simple-websocket, HTTP through Werkzeug).
#
# `python3 rust_client_server.py [PORT [PING_MS]]` listens on 127.0.0.1 (PORT, or a free
# one for 0) and prints `reference: http://127.0.0.1:PORT` first. PING_MS, if given, is
# both ping_interval and ping_timeout (the heartbeat test). It exits when its stdin closes.
#
#   /        → echo (...args, ack)   ack(...args)
#            → push ()               ← pushed ("text", <09 08 07>)
#            → ask-me (ack)          ← question (1, <01 02 03>, ack); the answer goes back
#            → kick ()               disconnect: "io server disconnect" on the client
#            → big ()                ← big (a string of 10 MiB): past the client's limit
#   /admin   connect handler wants auth {token: "secret"}, else ConnectionRefusedError
#            ("not authorized", {reason: "bad token"})
#            → whoami (ack)          ack(auth.token, query.tag, headers["x-peer"])
#
# python-socketio has no connection state recovery: the recovery checks are not run here.
import os
import sys
import threading
import urllib.parse

import socketio
from werkzeug.serving import make_server

PING = {}
if len(sys.argv) > 2:
    PING = {"ping_interval": int(sys.argv[2]) / 1000, "ping_timeout": int(sys.argv[2]) / 1000}
sio = socketio.Server(async_mode="threading", cors_allowed_origins="*", **PING)
app = socketio.WSGIApp(sio)
auths = {}
environs = {}


@sio.on("echo")
def echo(sid, *args):
    return args


@sio.on("push")
def push(sid):
    sio.emit("pushed", ("text", b"\x09\x08\x07"), to=sid)


@sio.on("ask-me")
def ask_me(sid):
    try:
        answer = sio.call("question", (1, b"\x01\x02\x03"), to=sid, timeout=5)
    except socketio.exceptions.TimeoutError:
        return "no answer"
    return answer if isinstance(answer, tuple) else (answer,)


@sio.on("big")
def big(sid):
    sio.emit("big", "a" * (10 << 20), to=sid)


@sio.on("kick")
def kick(sid):
    sio.disconnect(sid)


@sio.on("connect", namespace="/admin")
def admin_connect(sid, environ, auth):
    if not isinstance(auth, dict) or auth.get("token") != "secret":
        raise socketio.exceptions.ConnectionRefusedError("not authorized", {"reason": "bad token"})
    auths[sid] = auth
    environs[sid] = environ


@sio.on("whoami", namespace="/admin")
def whoami(sid):
    environ = environs.get(sid, {})
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    tag = query.get("tag", [None])[0]
    return auths[sid].get("token"), tag, environ.get("HTTP_X_PEER")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"reference: http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
