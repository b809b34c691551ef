"""The Admin UI's part, played by python-socketio's sync client: log in to the admin
namespace, wait for `config` and one `server_stats`, and print one JSON line of what came.

Usage: admin_ui_stand_in.py URL NAMESPACE USERNAME PASSWORD
Prints {"connected": true, "config": ..., "server_stats": ..., "session": ...} or
{"connected": false, "error": "<the connect_error's message>"}.
"""
import json
import sys
import threading

import socketio

url, namespace, username, password = sys.argv[1:5]
seen = {}
done = threading.Event()
client = socketio.Client(reconnection=False)


@client.on("config", namespace=namespace)
def on_config(config):
    seen["config"] = config


@client.on("session", namespace=namespace)
def on_session(session_id):
    seen["session"] = session_id


@client.on("connect_error", namespace=namespace)
def on_refused(data):
    # The CONNECT_ERROR's payload, {"message": ...}: what the UI shows on its login form.
    seen["refusal"] = data.get("message") if isinstance(data, dict) else data


@client.on("server_stats", namespace=namespace)
def on_stats(stats):
    seen["server_stats"] = stats
    done.set()


try:
    client.connect(
        url,
        namespaces=[namespace],
        auth={"username": username, "password": password},
        wait_timeout=5,
    )
except socketio.exceptions.ConnectionError as e:
    print(json.dumps({"connected": False, "error": seen.get("refusal", str(e))}))
    sys.exit(0)
done.wait(timeout=10)
client.disconnect()
print(json.dumps({"connected": True, **seen}))
