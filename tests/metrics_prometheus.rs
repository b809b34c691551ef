//! A real Prometheus scrapes the demo's `/metrics` and answers, through its HTTP query API,
//! how many connections are live: the exposition is one Prometheus itself parses, and the
//! numbers in it are the server's.
//!
//! The peer is Debian's `prometheus` package (`.ci/run` installs it). The test runs the
//! binary itself — never the system service — on a free port of 127.0.0.1, with its own
//! scrape configuration (the demo, every second) and its own data folder, and stops it and
//! removes the folder whatever the outcome (`PrometheusServer`'s `Drop`). Without the
//! binary it prints `skipped: …`, and fails under `THREADIO_REQUIRE_PEERS=1`.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{peer_missing, wait_until, ws_read_text, ws_send, Demo, Ws, READ_TIMEOUT};

/// How long Prometheus may take to start, or to show a change it scrapes every second.
const PROMETHEUS_WAIT: Duration = Duration::from_secs(30);

/// A Prometheus process of this test's own; dropping it stops the process and removes its
/// configuration and data.
struct PrometheusServer {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

impl PrometheusServer {
    /// Starts `binary` scraping `target` (`127.0.0.1:PORT`) every second and waits until it
    /// says it is ready.
    fn start(binary: &Path, target: &str) -> PrometheusServer {
        let dir = std::env::temp_dir().join(format!(
            "threadio-prometheus-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(dir.join("data")).expect("a folder for Prometheus");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: threadio\n    scrape_interval: 1s\n    \
             scrape_timeout: 1s\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).expect("write prometheus.yml");
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("a log file");
        let child = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let prometheus = PrometheusServer { child, dir, addr };
        let ready = wait_until(PROMETHEUS_WAIT, || {
            get(prometheus.addr, "/-/ready").is_some_and(|(status, _)| status == 200)
        });
        assert!(ready, "Prometheus not ready:\n{}", prometheus.log());
        prometheus
    }

    /// The value of `query`'s single result now, if it has exactly one.
    fn query(&self, query: &str) -> Option<f64> {
        let (status, body) = get(self.addr, &format!("/api/v1/query?query={}", encode(query)))?;
        assert_eq!(status, 200, "query {query}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(answer["status"], "success", "{answer}");
        let results = answer["data"]["result"].as_array()?;
        match results.as_slice() {
            [one] => one["value"][1].as_str()?.parse().ok(),
            _ => None,
        }
    }

    /// Waits until `query` answers `expected`; returns the last answer if it never does.
    fn wait_for(&self, query: &str, expected: f64) -> Result<(), Option<f64>> {
        let mut last = None;
        let reached = wait_until(PROMETHEUS_WAIT, || {
            last = self.query(query);
            last == Some(expected)
        });
        if reached {
            Ok(())
        } else {
            Err(last)
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `prometheus` executable on `PATH`, if there is one.
fn prometheus_binary() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("prometheus"))
            .find(|candidate| candidate.is_file())
    })
}

/// A port that was free a moment ago (the OS picks it).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("its address").port()
}

/// Percent-encodes everything but letters and digits (RFC 3986 §2.1): PromQL's braces,
/// quotes and `=` must not reach the query string raw.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET path` with `Connection: close`: the status and the body (de-chunked if Go chunked
/// it); `None` if nothing listens yet.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head
        .lines()
        .any(|line| line.eq_ignore_ascii_case("transfer-encoding: chunked"));
    Some((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

/// The body of a chunked response (RFC 9112 §7.1): sizes in hex, each chunk after its line.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16);
        match size {
            Ok(0) | Err(_) => break,
            Ok(size) => {
                body.push_str(&after[..size.min(after.len())]);
                rest = after.get(size + 2..).unwrap_or("");
            }
        }
    }
    body
}

/// A Socket.IO client in the demo's "/" over a WebSocket (tungstenite).
fn chat_client(port: u16) -> Ws {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect(addr).expect("connect to the demo");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, stream).expect("the WebSocket handshake");
    assert!(ws_read_text(&mut ws).starts_with("0{"), "the open packet");
    ws_send(&mut ws, "40");
    loop {
        // The demo may greet with events of its own; the CONNECT answer is what we wait for.
        if ws_read_text(&mut ws).starts_with("40{\"sid\":") {
            return ws;
        }
    }
}

#[test]
fn prometheus_scrapes_the_demo_and_reports_its_live_connections() {
    let Some(binary) = prometheus_binary() else {
        return peer_missing("no prometheus on PATH (Debian: apt-get install prometheus)");
    };
    let demo = Demo::start(0);
    let prometheus = PrometheusServer::start(&binary, &format!("127.0.0.1:{}", demo.port()));
    let report = |what: &str, last: Option<f64>| {
        format!(
            "{what}: Prometheus last answered {last:?}\nits log:\n{}\nthe demo:\n{}",
            prometheus.log(),
            demo.output()
        )
    };

    // Prometheus's own linter, from the same package, on the exposition as the demo serves
    // it: the format parses, and names, units and help follow the conventions it checks.
    lint_with_promtool(&binary, demo.port());

    // Prometheus could parse what it scraped: `up` is 1 only for a scrape that succeeded.
    let up = prometheus.wait_for("up{job=\"threadio\"}", 1.0);
    up.unwrap_or_else(|last| panic!("{}", report("the demo is not up", last)));

    let mut clients: Vec<Ws> = (0..3).map(|_| chat_client(demo.port())).collect();
    let live = "threadio_connections{job=\"threadio\",kind=\"websocket\"}";
    prometheus
        .wait_for(live, 3.0)
        .unwrap_or_else(|last| panic!("{}", report("3 live WebSockets", last)));
    let sockets = "threadio_socketio_sockets{job=\"threadio\",namespace=\"/\"}";
    prometheus
        .wait_for(sockets, 3.0)
        .unwrap_or_else(|last| panic!("{}", report("3 sockets in /", last)));

    // One leaves: the next scrapes say so. The count is live, not a high-water mark.
    drop(clients.pop());
    prometheus
        .wait_for(live, 2.0)
        .unwrap_or_else(|last| panic!("{}", report("2 live WebSockets", last)));

    // A counter through PromQL: every one of the three opened a WebSocket session.
    let opened =
        "threadio_engineio_sessions_opened_total{job=\"threadio\",transport=\"websocket\"}";
    prometheus
        .wait_for(opened, 3.0)
        .unwrap_or_else(|last| panic!("{}", report("3 sessions opened", last)));
}

/// `promtool check metrics` (beside `prometheus` in the package) on the demo's `/metrics`:
/// it fails on text it cannot parse and prints each naming problem (a counter without
/// `_total`, a unit that is not a base unit, a missing HELP), which the test rejects too.
fn lint_with_promtool(prometheus: &Path, port: u16) {
    let promtool = prometheus.with_file_name("promtool");
    if !promtool.is_file() {
        return peer_missing("no promtool beside prometheus");
    }
    let (status, exposition) =
        get(SocketAddr::from(([127, 0, 0, 1], port)), "/metrics").expect("the demo answers");
    assert_eq!(status, 200);
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin
        .write_all(exposition.as_bytes())
        .expect("feed promtool");
    drop(stdin);
    let output = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}\n{exposition}"
    );
}
