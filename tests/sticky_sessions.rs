//! Sticky sessions behind HAProxy (issue 12): `examples/haproxy/haproxy.cfg`, the file as
//! shipped, run by Debian's `haproxy` on a free port in front of two demo nodes (the
//! `threadio` binary with `--redis`) that share rooms through one `redis-server`.
//!
//! - Without the cookie, a polling request is balanced like any other, reaches the node that
//!   does not hold its session, and gets `400 Session ID unknown`: why the proxy must be sticky.
//! - In Chromium (tests/browser/sticky_sessions.js), two people open the same proxy URL with
//!   the demo page's default transports, polling first and then the upgrade: they land on
//!   different nodes, every request of each session reaches its node (HAProxy's log, read
//!   here, names the node of each request and says the cookie was obeyed), they chat across
//!   the nodes, and after one node is killed its person's page reconnects to the other.
//!
//! Without haproxy, redis-server, node or Chromium each test prints `skipped: <why>`, unless
//! THREADIO_REQUIRE_PEERS=1 makes that a failure. Every process is killed on drop.

mod cluster;
mod common;

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use cluster::redis_server::{free_port, RedisServer};
use common::{
    append_lines, browser_peer, http, peer_missing, wait_until, Demo, KillOnDrop, ScenarioServers,
    READ_TIMEOUT,
};

/// The names the config gives the two nodes: server names, cookie values, log entries.
const NODES: [&str; 2] = ["node_a", "node_b"];

// ---- HAProxy and its log -------------------------------------------------------------------

/// `haproxy -f examples/haproxy/haproxy.cfg` on `127.0.0.1:PORT`, its log (one line per
/// request, on stdout) and its warnings kept for assertions and failure messages.
struct Proxy {
    _child: KillOnDrop,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    /// Starts it on `port` in front of `nodes` (in the order of [`NODES`]) and waits until
    /// it listens.
    fn start_on(port: u16, nodes: [u16; 2]) -> Proxy {
        let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/haproxy/haproxy.cfg");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut child = KillOnDrop(
            Command::new("haproxy")
                .arg("-f")
                .arg(&cfg)
                .env("THREADIO_PROXY", addr.to_string())
                .env("THREADIO_NODE_A", format!("127.0.0.1:{}", nodes[0]))
                .env("THREADIO_NODE_B", format!("127.0.0.1:{}", nodes[1]))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start haproxy"),
        );
        let log = Arc::new(Mutex::new(String::new()));
        append_lines(child.0.stdout.take().expect("stdout is piped"), &log);
        append_lines(child.0.stderr.take().expect("stderr is piped"), &log);
        let listening = wait_until(READ_TIMEOUT, || {
            TcpStream::connect(addr).is_ok() || child.0.try_wait().is_ok_and(|s| s.is_some())
        });
        let proxy = Proxy {
            _child: child,
            addr,
            log,
        };
        assert!(
            listening && TcpStream::connect(addr).is_ok(),
            "haproxy is not listening on {addr}; it said:\n{}",
            proxy.log()
        );
        proxy
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// The request lines of the log so far.
    fn requests(&self) -> Vec<Logged> {
        self.log().lines().filter_map(Logged::parse).collect()
    }
}

/// One request as `option httplog` logs it, with the config's `capture cookie`:
/// `127.0.0.1:40000 [date] threadio threadio_nodes/node_a 0/0/0/1/1 200 260 SERVERID=node_a -
/// --VN 1/1/0/0/0 0/0 "GET /socket.io/?EIO=4&transport=polling HTTP/1.1"`.
#[derive(Debug)]
struct Logged {
    /// The server that got it (`node_a`), or `<NOSRV>`.
    server: String,
    status: u16,
    /// The SERVERID the request carried, if any.
    cookie: Option<String>,
    /// The termination state's last two letters: the cookie as the request brought it (`N`
    /// none, `V` valid, `D` for a server that is down…) and what HAProxy did (`N` nothing,
    /// `I` inserted…).
    cookie_state: String,
    method: String,
    target: String,
}

impl Logged {
    /// A log line of a request; `None` for anything else HAProxy prints (startup, a server
    /// going down).
    fn parse(line: &str) -> Option<Logged> {
        let (head, request) = line.split_once('"')?;
        let fields: Vec<&str> = head.split_whitespace().collect();
        // client, [date], frontend, backend/server, timers, status, bytes, the captured
        // request and response cookies, termination state, connection counts, queues.
        let [_, _, _, server, _, status, _, cookie, _, state, _, _] = fields[..] else {
            return None;
        };
        let mut request = request.trim_end_matches('"').split(' ');
        Some(Logged {
            server: server.split_once('/')?.1.to_string(),
            status: status.parse().ok()?,
            cookie: cookie.strip_prefix("SERVERID=").map(str::to_string),
            cookie_state: state.get(2..4)?.to_string(),
            method: request.next()?.to_string(),
            target: request.next()?.to_string(),
        })
    }

    /// A query parameter of the request's target.
    fn param(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }
}

// ---- The cluster behind it -----------------------------------------------------------------

/// Redis, two demo nodes on it, HAProxy in front. Fields drop in reverse order of need:
/// the proxy first, Redis last; each kills its process.
struct Cluster {
    proxy: Proxy,
    nodes: [Demo; 2],
    _redis: RedisServer,
}

impl Cluster {
    /// Starts all of it, or says which program is missing and returns `None`.
    fn start() -> Option<Cluster> {
        if !Command::new("haproxy")
            .arg("-v")
            .output()
            .is_ok_and(|out| out.status.success())
        {
            peer_missing("haproxy is not on the PATH (apt-get install haproxy)");
            return None;
        }
        let redis = RedisServer::start(&[])?;
        // The proxy's port is chosen first: the nodes must accept WebSockets from pages of
        // its origin (the demo's own origin check, RFC 6455 §10.2).
        let proxy_port = free_port();
        let redis_url = redis.url_text("", 0);
        let origin = format!("http://127.0.0.1:{proxy_port}");
        let args = ["--redis", &redis_url, "--allow-origin", &origin];
        let nodes = [Demo::start_with(0, &args), Demo::start_with(0, &args)];
        let proxy = Proxy::start_on(proxy_port, [nodes[0].port(), nodes[1].port()]);
        Some(Cluster {
            proxy,
            nodes,
            _redis: redis,
        })
    }

    fn describe(&self) -> String {
        format!(
            "--- haproxy:\n{}\n--- {}:\n{}\n--- {}:\n{}",
            self.proxy.log(),
            NODES[0],
            self.nodes[0].output(),
            NODES[1],
            self.nodes[1].output()
        )
    }
}

impl ScenarioServers for Cluster {
    /// `kill node_a`: the node dies as in a crash.
    fn act(&mut self, action: &str) {
        let node = action
            .strip_prefix("kill ")
            .and_then(|name| NODES.iter().position(|n| *n == name))
            .unwrap_or_else(|| panic!("no such @server action: {action:?}"));
        self.nodes[node].kill();
    }

    fn output(&self) -> String {
        self.describe()
    }
}

/// The SERVERID that a `Set-Cookie` sets (`SERVERID=node_a; path=/; HttpOnly` → `node_a`).
fn server_id(set_cookie: Option<&str>) -> Option<&str> {
    set_cookie?.strip_prefix("SERVERID=")?.split(';').next()
}

/// The log lines of the requests of session `sid`, once there are at least `count`.
fn logged_for(proxy: &Proxy, sid: &str, count: usize) -> Vec<Logged> {
    let of_sid = || -> Vec<Logged> {
        let requests = proxy.requests();
        requests
            .into_iter()
            .filter(|r| r.param("sid") == Some(sid))
            .collect()
    };
    wait_until(READ_TIMEOUT, || of_sid().len() >= count);
    of_sid()
}

// ---- Why: without the cookie, the session is on the other node -----------------------------

#[test]
fn without_the_cookie_a_polling_request_can_reach_the_other_node_which_knows_no_such_session() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let addr = cluster.proxy.addr;
    let handshake = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", &[], b"");
    assert_eq!(
        handshake.status,
        200,
        "{handshake:?}\n{}",
        cluster.describe()
    );
    let holder = server_id(handshake.header("Set-Cookie"))
        .expect("HAProxy inserts SERVERID on the first answer")
        .to_string();
    let open: serde_json::Value =
        serde_json::from_str(&handshake.text()[1..]).expect("the open packet's JSON");
    let sid = open["sid"].as_str().expect("a sid");
    let target = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");

    // Without a cookie each request is balanced anew (roundrobin: by turns). A noop packet
    // ("6", Engine.IO v4 "Packet encoding") changes nothing in the session it reaches.
    let mut nodes_seen = Vec::new();
    for _ in 0..4 {
        let stray = http(addr, "POST", &target, &[], b"6");
        let node = server_id(stray.header("Set-Cookie"))
            .expect("a request without the cookie gets one")
            .to_string();
        if node == holder {
            assert_eq!((stray.status, stray.text()), (200, "ok"), "on {node}");
        } else {
            stray.assert_engine_error(1, "Session ID unknown", "a POST on the other node");
        }
        nodes_seen.push(node);
    }
    assert!(
        nodes_seen.iter().any(|node| *node != holder),
        "roundrobin never sent a cookieless request to the other node: {nodes_seen:?}"
    );

    // With the cookie, always the node that holds the session, and no new cookie.
    let cookie = format!("SERVERID={holder}");
    for _ in 0..4 {
        let sticky = http(addr, "POST", &target, &[("Cookie", &cookie)], b"6");
        assert_eq!((sticky.status, sticky.text()), (200, "ok"), "{sticky:?}");
        assert_eq!(sticky.header("Set-Cookie"), None, "indirect: set once");
    }

    // HAProxy's log says the same from its side: the sticky POSTs went to the holder with a
    // valid cookie ("VN"); the cookieless ones had none and got one inserted ("NI").
    let logged = logged_for(&cluster.proxy, sid, 8);
    let (sticky, stray): (Vec<&Logged>, Vec<&Logged>) =
        logged.iter().partition(|r| r.cookie.is_some());
    assert_eq!((sticky.len(), stray.len()), (4, 4), "{logged:#?}");
    for r in sticky {
        assert_eq!(
            (r.server.as_str(), r.status),
            (holder.as_str(), 200),
            "{r:?}"
        );
        assert_eq!(r.cookie_state, "VN", "{r:?}");
    }
    for r in stray {
        let expected = if r.server == holder { 200 } else { 400 };
        assert_eq!(
            (r.status, r.cookie_state.as_str()),
            (expected, "NI"),
            "{r:?}"
        );
    }
}

// ---- In a browser: polling, then the upgrade, each on its own node ---------------------------

#[test]
fn two_pages_behind_haproxy_poll_then_upgrade_each_on_its_node_and_chat_across_nodes() {
    let Some(browser) = browser_peer() else {
        return;
    };
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.proxy.url();
    let seen = browser.run_at("sticky_sessions", &url, &mut cluster);
    println!("sticky_sessions: {seen}");

    let (alice, bob) = (&seen["nodes"]["alice"], &seen["nodes"]["bob"]);
    assert!(
        NODES.iter().any(|n| alice == n) && NODES.iter().any(|n| bob == n) && alice != bob,
        "alice and bob must be on the two nodes: {seen}"
    );
    assert_eq!(seen["chat"]["bobReceived"]["from"], "alice", "{seen}");
    assert_eq!(seen["chat"]["aliceReceived"]["from"], "bob", "{seen}");
    assert_eq!(seen["chat"]["aliceTicks"]["ticks"], "✓✓", "{seen}");
    assert_eq!(seen["after_kill"]["alice"]["node"], *bob, "{seen}");
    // No ghost of alice's socket on the dead node: it left Redis with its node.
    assert_eq!(
        seen["after_kill"]["online"],
        serde_json::json!(["alice", "bob"]),
        "{seen}"
    );
    assert_eq!(
        seen["after_kill"]["aliceReceived"]["text"], "welcome back",
        "{seen}"
    );

    // What the browser saw, against what HAProxy logged: each session's requests, polling and
    // the upgrade alike, all reached the node its cookie named, and HAProxy obeyed the cookie.
    let sessions = [
        ("alice", &seen["first"]["alice"]),
        ("bob", &seen["first"]["bob"]),
        ("alice after the kill", &seen["after_kill"]["alice"]),
    ];
    for (who, session) in sessions {
        let sid = session["sid"].as_str().expect("a sid");
        let node = session["node"].as_str().expect("a node");
        let polls =
            (session["gets"].as_u64().unwrap() + session["posts"].as_u64().unwrap()) as usize;
        // The WebSocket is logged when its tunnel ends: alice's first when her node died,
        // the others when the browser closed.
        let logged = logged_for(&cluster.proxy, sid, polls + 1);
        let context = || {
            format!(
                "{who}, session {sid} on {node}: {logged:#?}\n{}",
                cluster.describe()
            )
        };
        for r in &logged {
            assert_eq!(r.server, node, "{}", context());
            assert_eq!(r.cookie.as_deref(), Some(node), "{}", context());
            assert_eq!(r.cookie_state, "VN", "{}", context());
        }
        let by = |transport: &str, method: &str, status: u16| {
            logged
                .iter()
                .filter(|r| r.param("transport") == Some(transport) && r.method == method)
                .inspect(|r| assert_eq!(r.status, status, "{}", context()))
                .count()
        };
        assert!(by("polling", "GET", 200) >= 1, "{}", context());
        assert!(by("polling", "POST", 200) >= 1, "{}", context());
        assert_eq!(by("websocket", "GET", 101), 1, "{}", context());
    }

    // Alice's reconnection: a handshake that named her dead node reached bob's.
    let dead = alice.as_str().unwrap();
    let redispatched: Vec<Logged> = cluster
        .proxy
        .requests()
        .into_iter()
        .filter(|r| r.cookie.as_deref() == Some(dead) && r.server != dead)
        .collect();
    assert!(
        redispatched.iter().any(|r| r.server == *bob
            && r.param("transport") == Some("polling")
            && r.param("sid").is_none()),
        "no handshake that named {dead} reached {bob}: {redispatched:#?}\n{}",
        cluster.describe()
    );
    println!("redispatched after {dead} died: {redispatched:#?}");
}
