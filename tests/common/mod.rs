//! What the integration tests share: starting a server on 127.0.0.1:0, and talking to it
//! with raw bytes where a well-behaved client (tungstenite) would never send them.
//!
//! Every socket here has a read timeout, so a bug makes a test fail, never hang.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::Duration;

use threadio::http::{Router, RunningServer, Server, ServerConfig};

/// How long any test read may wait before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts `router` on a free port of 127.0.0.1 with `config`.
pub fn start_with(config: ServerConfig, router: Router) -> RunningServer {
    let server = Server::bind("127.0.0.1:0", config).expect("bind 127.0.0.1:0");
    server.spawn(router).expect("start the server thread")
}

/// Starts `router` with the default configuration.
pub fn start(router: Router) -> RunningServer {
    start_with(ServerConfig::default(), router)
}

/// A router whose `/echo` WebSocket sends every message back.
pub fn echo_router() -> Router {
    let mut app = Router::new();
    app.websocket("/echo", |mut ws| {
        while let Ok(message) = ws.recv() {
            if ws.send(message).is_err() {
                break;
            }
        }
    });
    app
}

/// A TCP connection with a read timeout.
pub fn tcp(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream
}

/// Reads until the server closes the connection (or the read times out).
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `request` as raw bytes on a new connection and returns everything the server
/// answered before closing.
pub fn http_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tcp(addr);
    stream.write_all(request).unwrap();
    String::from_utf8_lossy(&read_to_end(&mut stream)).into_owned()
}

/// Reads one HTTP response head (through the blank line) and returns it as text.
pub fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The status code of a response's first line.
pub fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"))
}

/// Opens a WebSocket by hand (RFC 6455 §1.3's example key) and returns the raw stream,
/// positioned after the 101 response.
pub fn raw_websocket(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = tcp(addr);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let head = read_head(&mut stream);
    assert_eq!(status_of(&head), 101, "handshake refused: {head}");
    stream
}

/// Writes one frame as a client must: masked (RFC 6455 §5.3), with the given first byte
/// (FIN, RSV and opcode) and payload.
pub fn send_frame(stream: &mut TcpStream, first_byte: u8, payload: &[u8]) {
    stream
        .write_all(&client_frame(first_byte, payload))
        .unwrap();
}

/// The bytes of a masked client frame.
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![first_byte];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n < 65536 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// One frame from the server, parsed by hand: (first byte, payload). Server frames are
/// never masked (§5.1), which this asserts.
pub fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).ok()?;
    assert_eq!(head[1] & 0x80, 0, "a server frame must not be masked");
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            stream.read_exact(&mut b).ok()?;
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            stream.read_exact(&mut b).ok()?;
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).ok()?;
    Some((head[0], payload))
}

/// Reads frames until a close frame, and returns its status code (None for an empty close).
/// Panics if the connection ends without one.
pub fn read_close_code(stream: &mut TcpStream) -> Option<u16> {
    loop {
        let (first, payload) =
            read_frame(stream).expect("the server closed TCP without a close frame");
        if first & 0x0f == 0x8 {
            return (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    }
}

/// Whether `THREADIO_REQUIRE_PEERS=1` asks that no peer be skipped.
pub fn peers_required() -> bool {
    std::env::var("THREADIO_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Asserts that the server closed the connection: a read returns end-of-stream (not a
/// timeout, which would mean the server kept it open).
pub fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => continue, // the rest of a response, or a close frame
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

/// Says that a peer a test needs is not here: `skipped: <why>` on a developer's machine, a
/// panic under `THREADIO_REQUIRE_PEERS=1` — CI must never go green by skipping.
pub fn peer_missing(why: &str) {
    assert!(!peers_required(), "THREADIO_REQUIRE_PEERS=1, but {why}");
    println!("skipped: {why}");
}

/// How long a Node scenario may run before the test kills it. The scripts give up on their
/// own after 10 s; this is the backstop for a script that cannot even do that.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `node` is on the PATH and runs.
pub fn node_runs() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The official socket.io-client, as installed in `tests/node` by `npm ci`.
pub struct NodeClient {
    dir: PathBuf,
}

/// The Node project of `tests/node`, if `node` is on the PATH and `npm ci` has installed
/// socket.io-client there; otherwise [`peer_missing`] says why and this returns `None`.
pub fn node_client() -> Option<NodeClient> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    if !node_runs() {
        peer_missing("node is not on the PATH");
        return None;
    }
    if !dir
        .join("node_modules/socket.io-client/package.json")
        .is_file()
    {
        peer_missing(
            "tests/node/node_modules/socket.io-client is missing (run `npm ci` in tests/node)",
        );
        return None;
    }
    Some(NodeClient { dir })
}

impl NodeClient {
    /// Runs `node <scenario>.js <url>` in `tests/node` and returns the JSON line it printed
    /// last. Panics with the script's output if it exits non-zero, prints no JSON, or is
    /// still running after [`NODE_TIMEOUT`] (it is killed then).
    pub fn run(&self, scenario: &str, url: &str) -> serde_json::Value {
        self.try_run(scenario, url)
            .unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// As [`NodeClient::run`], with the failure returned, for a caller to add what it knows.
    pub fn try_run(&self, scenario: &str, url: &str) -> Result<serde_json::Value, String> {
        self.try_run_with(scenario, url, "websocket")
    }

    /// As [`NodeClient::try_run`], with the client's transports: `"websocket"`,
    /// `"polling"`, or `"default"` (polling, then the upgrade).
    pub fn try_run_with(
        &self,
        scenario: &str,
        url: &str,
        transports: &str,
    ) -> Result<serde_json::Value, String> {
        self.try_run_with_env(scenario, url, transports, &[])
    }

    /// As [`NodeClient::try_run_with`], with more environment for the scenario.
    pub fn try_run_with_env(
        &self,
        scenario: &str,
        url: &str,
        transports: &str,
        env: &[(&str, &str)],
    ) -> Result<serde_json::Value, String> {
        let mut env = env.to_vec();
        env.push(("THREADIO_TRANSPORTS", transports));
        run_node_script(&self.dir, &format!("{scenario}.js"), &[url], &env)
    }

    /// Starts `node <script> <args…>`, a Node socket.io server of `tests/node` (a reference
    /// for a scenario to run against besides threadio), and waits for its URL. `None`, after
    /// [`peer_missing`], if `npm ci` has not installed the `socket.io` server package.
    pub fn start_server(&self, script: &str, args: &[&str]) -> Option<NodeServer> {
        if !self
            .dir
            .join("node_modules/socket.io/package.json")
            .is_file()
        {
            peer_missing(
                "tests/node/node_modules/socket.io is missing (run `npm ci` in tests/node)",
            );
            return None;
        }
        Some(NodeServer::start(&self.dir, script, args))
    }
}

/// python-socketio's server running `tests/python/<script>` (the same contract as a Node
/// server script: it prints `reference: <url>` first and exits when its stdin closes), or
/// `None` after [`peer_missing`] if `python3` cannot import `socketio`, `simple_websocket`
/// and `werkzeug` (`pip install python-socketio simple-websocket werkzeug`).
pub fn python_socketio_server(script: &str, args: &[&str]) -> Option<NodeServer> {
    let imports = Command::new("python3")
        .args(["-c", "import socketio, simple_websocket, werkzeug"])
        .output();
    if !imports.is_ok_and(|out| out.status.success()) {
        peer_missing("python3 with python-socketio, simple-websocket and werkzeug is missing");
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    Some(NodeServer::start_program("python3", &dir, script, args))
}

/// A Node server script running as a child (or a Python one, [`python_socketio_server`]) (see [`NodeClient::start_server`]). The script
/// listens on a free port of 127.0.0.1 and prints `reference: <url>` first on stdout, as
/// tests/browser/reference_server.js does; each line after that is kept in
/// [`NodeServer::lines`]. Its stdin stays open while this lives and the script exits when it
/// closes, so it never outlives the test process; dropping this kills it, on a panic too.
pub struct NodeServer {
    child: KillOnDrop,
    _stdin: std::process::ChildStdin,
    url: String,
    lines: std::sync::Arc<Journal>,
    stderr: std::sync::Arc<Mutex<String>>,
}

impl NodeServer {
    fn start(dir: &std::path::Path, script: &str, args: &[&str]) -> NodeServer {
        NodeServer::start_program("node", dir, script, args)
    }

    /// As `start`, with another interpreter: `python3` for [`python_socketio_server`],
    /// whose scripts keep the same contract (URL first, exit when stdin closes).
    fn start_program(
        program: &str,
        dir: &std::path::Path,
        script: &str,
        args: &[&str],
    ) -> NodeServer {
        use std::io::BufRead;
        let command = format!("{program} {script} {}", args.join(" "));
        let mut child = KillOnDrop(
            Command::new(program)
                .arg(script)
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {command}: {e}")),
        );
        let stdin = child.0.stdin.take().expect("stdin is piped");
        let stderr = std::sync::Arc::new(Mutex::new(String::new()));
        append_lines(child.0.stderr.take().expect("stderr is piped"), &stderr);
        let lines = std::sync::Arc::new(Journal::default());
        let (first_tx, first) = mpsc::channel();
        let stdout = std::io::BufReader::new(child.0.stdout.take().expect("stdout is piped"));
        let later = std::sync::Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut read = stdout.lines().map_while(Result::ok);
            if let Some(line) = read.next() {
                let _ = first_tx.send(line);
            }
            for line in read {
                later.write(line);
            }
        });
        // A script that exits first ends stdout (the channel disconnects); one that hangs is
        // given up on after NODE_TIMEOUT. Either way `child` is killed as this panics.
        let url = first
            .recv_timeout(NODE_TIMEOUT)
            .ok()
            .and_then(|line| Some(line.strip_prefix("reference: ")?.trim().to_string()))
            .unwrap_or_else(|| {
                std::thread::sleep(Duration::from_millis(100)); // the rest of its stderr
                panic!(
                    "{command} printed no `reference: <url>` first; stderr:\n{}",
                    stderr.lock().expect("stderr lock")
                )
            });
        NodeServer {
            child,
            _stdin: stdin,
            url,
            lines,
            stderr,
        }
    }

    /// Where clients connect, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What it printed after its URL, one line each, as they come.
    pub fn lines(&self) -> &std::sync::Arc<Journal> {
        &self.lines
    }

    /// What it wrote on stderr so far, for a failure message.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }
}

/// Runs `node <script> <args…>` in `dir` with the extra environment `env`, and returns the
/// JSON line it printed last. Fails with the script's output if it exits non-zero, prints no
/// JSON, or is still running after [`NODE_TIMEOUT`] (it is killed then).
pub fn run_node_script(
    dir: &std::path::Path,
    script: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<serde_json::Value, String> {
    let command = format!("node {script} {}", args.join(" "));
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command}: {e}"))?;
    // Both pipes are read on their own threads, so a chatty script never blocks on a full
    // pipe; stdout ends when the script does.
    let stdout = read_pipe(child.stdout.take().expect("stdout is piped"));
    let stderr = read_pipe(child.stderr.take().expect("stderr is piped"));
    let Ok(stdout) = stdout.recv_timeout(NODE_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        let stderr = stderr.recv().unwrap_or_default();
        return Err(format!(
            "{command} still running after {NODE_TIMEOUT:?}; stderr:\n{stderr}"
        ));
    };
    let status = child.wait().map_err(|e| format!("wait for node: {e}"))?;
    let stderr = stderr.recv().unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "{command} failed ({status}):\n{stderr}\nstdout: {stdout}"
        ));
    }
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line)
        .map_err(|e| format!("{command} printed no JSON line ({e}): {stdout:?}\nstderr:\n{stderr}"))
}

/// Reads a child's pipe to its end on a thread; the text arrives on the channel.
fn read_pipe(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

/// Appends each line of a child's pipe to `output`, on a thread, until the pipe ends: the
/// child never blocks on a full pipe, and a failure message can show what it printed.
pub fn append_lines(pipe: impl Read + Send + 'static, output: &std::sync::Arc<Mutex<String>>) {
    use std::io::BufRead;
    let output = std::sync::Arc::clone(output);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut output = output.lock().expect("output lock");
            output.push_str(&line);
            output.push('\n');
        }
    });
}

/// What a test's server handlers saw, one line each (a disconnect and its reason), for the
/// test to wait for: handlers run on the connections' threads, so a line may come a little
/// after the client that caused it is done.
#[derive(Default)]
pub struct Journal {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

impl Journal {
    pub fn write(&self, line: String) {
        self.lines.lock().expect("journal lock").push(line);
        self.changed.notify_all();
    }

    /// Waits at most `timeout` for `line` to be written; returns whether it was.
    pub fn wait_for(&self, line: &str, timeout: Duration) -> bool {
        let lines = self.lines.lock().expect("journal lock");
        let (lines, _) = self
            .changed
            .wait_timeout_while(lines, timeout, |lines| !lines.iter().any(|l| l == line))
            .expect("journal lock");
        lines.iter().any(|l| l == line)
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("journal lock").clone()
    }
}

/// One HTTP response read off the wire: the status, the header fields as sent, and the
/// body (framed by `Content-Length`, which every threadio response carries).
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of the first field called `name` (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (polling bodies and Engine.IO errors are UTF-8).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// Asserts that this is an Engine.IO error (Engine.IO v4 "Transports", the reference
    /// server's `Server.errors`): status 400, a JSON body with exactly this code and message.
    pub fn assert_engine_error(&self, code: u64, message: &str, case: &str) {
        assert_eq!(self.status, 400, "{case}: {self:?}");
        assert_eq!(
            self.header("Content-Type"),
            Some("application/json"),
            "{case}"
        );
        let json: serde_json::Value = serde_json::from_str(self.text())
            .unwrap_or_else(|e| panic!("{case}: the error body is not JSON ({e}): {self:?}"));
        assert_eq!(
            json,
            serde_json::json!({"code": code, "message": message}),
            "{case}"
        );
    }
}

/// Writes one HTTP/1.1 request on a new connection (with a read timeout) and returns the
/// connection, for the caller to read the answer when it chooses: a held polling GET is
/// sent now and read later. `Content-Length` is added for a POST or a non-empty body.
pub fn send_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> TcpStream {
    let mut stream = tcp(addr);
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).expect("write the request");
    stream
}

/// Reads one response: the head through its blank line, then `Content-Length` bytes.
pub fn read_response(stream: &mut TcpStream) -> HttpResponse {
    let head = read_head(stream);
    assert!(
        head.ends_with("\r\n\r\n"),
        "no complete response head: {head:?}"
    );
    let status = status_of(&head);
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))
        .map_or(0, |(_, value)| {
            value.parse::<usize>().expect("a numeric Content-Length")
        });
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the response body");
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// One request and its response, on a connection of its own.
pub fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    read_response(&mut send_request(addr, method, target, headers, body))
}

/// Asserts that no byte of a response arrives on `stream` within `window`: a polling GET
/// that the server is holding. `peek` waits without consuming; the read timeout is put back
/// afterwards. An early answer fails the test with what it said.
pub fn assert_held(stream: &mut TcpStream, window: Duration, case: &str) {
    stream.set_read_timeout(Some(window)).unwrap();
    let mut byte = [0u8; 1];
    match stream.peek(&mut byte) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        Ok(0) => panic!("{case}: the server closed the connection instead of holding the GET"),
        Ok(_) => {
            stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
            let early = read_response(stream);
            panic!(
                "{case}: the server answered within {window:?} instead of holding the GET: \
                 {} {:?}",
                early.status,
                early.text()
            )
        }
        Err(e) => panic!("{case}: {e}"),
    }
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns
/// whether it held. For state with no event to wait on (a session table emptying on a
/// timer thread): never a fixed sleep standing in for "long enough".
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The record separator between packets of a polling payload (Engine.IO v4 "Packet
/// encoding › HTTP long-polling").
pub const RS: char = '\u{1e}';

/// One Engine.IO session over HTTP long-polling, driven by hand: each request on a new
/// connection, as a browser may.
pub struct Polling {
    pub addr: SocketAddr,
    pub sid: String,
}

impl Polling {
    /// The handshake, `GET /socket.io/?EIO=4&transport=polling`: the session and the open
    /// packet's JSON.
    pub fn open(addr: SocketAddr) -> (Polling, serde_json::Value) {
        let response = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", &[], b"");
        assert_eq!(response.status, 200, "the handshake: {response:?}");
        let json = response
            .text()
            .strip_prefix('0')
            .unwrap_or_else(|| panic!("not an open packet: {:?}", response.text()));
        let open: serde_json::Value = serde_json::from_str(json).expect("the open packet's JSON");
        let sid = open["sid"].as_str().expect("a string sid").to_string();
        (Polling { addr, sid }, open)
    }

    /// A session that has joined "/" (Socket.IO CONNECT): returns it and its socket id.
    pub fn joined(addr: SocketAddr) -> (Polling, String) {
        let (session, _) = Polling::open(addr);
        let post = session.post("40");
        assert_eq!((post.status, post.text()), (200, "ok"), "POST 40");
        let id = session.next_connect_answer();
        (session, id)
    }

    /// The query of this session's requests.
    pub fn target(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// Sends a GET and returns its connection without reading: the server may hold it.
    pub fn start_get(&self) -> TcpStream {
        send_request(self.addr, "GET", &self.target(), &[], b"")
    }

    /// A GET, read to its end.
    pub fn get(&self) -> HttpResponse {
        read_response(&mut self.start_get())
    }

    /// A GET that must succeed: its payload's packets, split at the record separator.
    pub fn get_packets(&self) -> Vec<String> {
        let response = self.get();
        assert_eq!(response.status, 200, "GET: {response:?}");
        response.text().split(RS).map(str::to_string).collect()
    }

    /// A POST of `body` (a payload: packets joined by the record separator).
    pub fn post(&self, body: &str) -> HttpResponse {
        http(self.addr, "POST", &self.target(), &[], body.as_bytes())
    }

    /// GETs until the answer to CONNECT arrives (answering any ping on the way) and returns
    /// the socket id it carries.
    pub fn next_connect_answer(&self) -> String {
        loop {
            for packet in self.get_packets() {
                if packet == "2" {
                    self.post("3");
                    continue;
                }
                let id = packet
                    .strip_prefix("40{\"sid\":\"")
                    .and_then(|rest| rest.strip_suffix("\"}"))
                    .unwrap_or_else(|| panic!("not a CONNECT answer: {packet:?}"));
                return id.to_string();
            }
        }
    }
}

/// A raw WebSocket upgrade request for `target` (RFC 6455 §1.3's example key), for the
/// Engine.IO endpoint to accept or refuse.
pub fn upgrade_request(addr: SocketAddr, target: &str) -> HttpResponse {
    let headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ];
    http(addr, "GET", target, &headers, b"")
}

/// A WebSocket client (tungstenite) on a stream with a read timeout.
pub type Ws = tungstenite::WebSocket<TcpStream>;

/// Opens the WebSocket that will take over polling session `session`
/// (`transport=websocket&sid=…`), sends `2probe` and checks the `3probe` answer (Engine.IO
/// v4 "Upgrade"). The caller sends `5` to finish the upgrade, or not.
pub fn probe_websocket(session: &Polling) -> Ws {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&sid={}",
        session.addr, session.sid
    );
    let (mut ws, response) =
        tungstenite::client(url, tcp(session.addr)).expect("the WebSocket handshake");
    assert_eq!(response.status().as_u16(), 101);
    ws_send(&mut ws, "2probe");
    assert_eq!(ws_read_text(&mut ws), "3probe");
    ws
}

/// Sends one text frame.
pub fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(tungstenite::Message::text(text))
        .expect("send a text frame");
}

/// The next text frame; WebSocket pings and pongs are skipped (tungstenite answers them).
pub fn ws_read_text(ws: &mut Ws) -> String {
    loop {
        match ws.read().expect("read a frame") {
            tungstenite::Message::Text(text) => return text.as_str().to_string(),
            tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Sends a WebSocket upgrade request for `target` by hand: `Some(stream)` positioned after
/// a 101, or `None` if the server refused with a 4xx before switching protocols.
pub fn raw_websocket_or_refusal(addr: SocketAddr, target: &str) -> Option<TcpStream> {
    let mut stream = tcp(addr);
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let head = read_head(&mut stream);
    match status_of(&head) {
        101 => Some(stream),
        400..=499 => None,
        other => panic!("neither 101 nor a refusal ({other}): {head}"),
    }
}

// ---- The demo binary and the browser (tests/browser_e2e.rs) -----------------------------------

/// The demo as a user runs it: the `threadio` binary on 127.0.0.1, its output drained on
/// threads (kept for failure messages). Dropping it kills the process.
pub struct Demo {
    child: std::process::Child,
    port: u16,
    /// The arguments after `--port`, kept so that a restart is the same demo.
    args: Vec<String>,
    output: std::sync::Arc<Mutex<String>>,
}

impl Demo {
    /// Starts the binary on `port` (0: a free one) and waits for the address it prints
    /// first (`threadio demo: http://127.0.0.1:PORT/ ...`).
    pub fn start(port: u16) -> Demo {
        Demo::start_with(port, &[])
    }

    /// As [`Demo::start`], with more arguments: `["--redis", url, "--allow-origin", origin]`
    /// makes it a node of a cluster behind a proxy.
    pub fn start_with(port: u16, args: &[&str]) -> Demo {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_threadio"))
            .args(["--port", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the demo binary starts");
        let output = std::sync::Arc::new(Mutex::new(String::new()));
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        output.lock().expect("output lock").push_str(&first);
        append_lines(stdout, &output);
        append_lines(child.stderr.take().expect("stderr is piped"), &output);
        let port = first
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_else(|| panic!("the demo printed no http://127.0.0.1:PORT: {first:?}"));
        Demo {
            child,
            port,
            args: args.iter().map(|arg| arg.to_string()).collect(),
            output,
        }
    }

    /// Starts it again on the same port with the same arguments (after [`Demo::stop`]).
    pub fn restart(&mut self) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        *self = Demo::start_with(self.port, &args);
    }

    /// Kills it at once (SIGKILL, as in a crash: no close frame, no goodbye to anyone).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The page's URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the demo printed so far, stdout and stderr.
    pub fn output(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }

    /// Stops it as Ctrl-C does (SIGINT: a graceful shutdown) and waits for it to exit; it is
    /// killed if it has not exited after [`READ_TIMEOUT`].
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let exited = wait_until(READ_TIMEOUT, || {
            self.child.try_wait().is_ok_and(|s| s.is_some())
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("the demo did not exit within {READ_TIMEOUT:?} of SIGINT");
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a browser scenario's `@server <action>` lines act on (tests/browser/lib.js,
/// `server(action)`): the servers of one test.
pub trait ScenarioServers {
    /// Carries out `action`, the words after `@server`; one it does not know fails the test.
    fn act(&mut self, action: &str);
    /// What the servers printed so far, for a failure message.
    fn output(&self) -> String;
}

impl ScenarioServers for Demo {
    fn act(&mut self, action: &str) {
        match action {
            "stop" => self.stop(),
            "start" => self.restart(),
            other => panic!("the demo knows no @server action {other:?}"),
        }
    }

    fn output(&self) -> String {
        Demo::output(self)
    }
}

/// A child process killed and reaped when this is dropped, also when a test panics.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How long a browser scenario may run before the test kills it. The scripts give up on
/// their own after 60 s; this is the backstop for one that cannot even do that.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// Chromium driven by playwright-core from `tests/browser` (after `npm ci` there).
pub struct BrowserPeer {
    dir: PathBuf,
    chromium: PathBuf,
}

/// One scenario at a time: two Chromiums at once on a two-core machine make each slow
/// enough to miss a wait.
static BROWSER_IN_USE: Mutex<()> = Mutex::new(());

/// Holds the browser for a test that runs a scenario without [`BrowserPeer::run`].
pub fn one_browser_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    BROWSER_IN_USE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The browser peer, if `node`, Debian's Chromium (or `THREADIO_CHROMIUM`) and
/// `tests/browser/node_modules` are all here; otherwise [`peer_missing`] says which is not and
/// this returns `None`.
pub fn browser_peer() -> Option<BrowserPeer> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = PathBuf::from(
        std::env::var("THREADIO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if !node_runs() {
        peer_missing("node is not on the PATH");
        return None;
    }
    if !chromium.is_file() {
        peer_missing(&format!(
            "no Chromium at {} (apt-get install chromium, or set THREADIO_CHROMIUM)",
            chromium.display()
        ));
        return None;
    }
    for package in ["playwright-core", "socket.io-client"] {
        if !dir.join("node_modules").join(package).is_dir() {
            peer_missing(&format!(
                "tests/browser/node_modules/{package} is missing (run `npm ci` in tests/browser)"
            ));
            return None;
        }
    }
    Some(BrowserPeer { dir, chromium })
}

impl BrowserPeer {
    /// Runs `node <scenario>.js <demo's url>` in `tests/browser` and returns the JSON line it
    /// printed last, after asserting `"ok": true`. While it runs, a line `@server stop` or
    /// `@server start` on its stdout stops or starts `demo` (on the same port), answered
    /// with `ok` on its stdin. Panics with the script's and the demo's output on a failure.
    pub fn run(&self, scenario: &str, demo: &mut Demo) -> serde_json::Value {
        let url = demo.url();
        self.run_at(scenario, &url, demo)
    }

    /// As [`BrowserPeer::run`], against `url` (a proxy, say), with its `@server <action>`
    /// lines carried out by `servers`.
    pub fn run_at(
        &self,
        scenario: &str,
        url: &str,
        servers: &mut dyn ScenarioServers,
    ) -> serde_json::Value {
        use std::io::BufRead;
        let _one_at_a_time = BROWSER_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        let mut child = KillOnDrop(
            Command::new("node")
                .arg(format!("{scenario}.js"))
                .arg(url)
                .env("THREADIO_CHROMIUM", &self.chromium)
                .current_dir(&self.dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start node {scenario}.js: {e}")),
        );
        let mut stdin = child.0.stdin.take().expect("stdin is piped");
        let stderr = read_pipe(child.0.stderr.take().expect("stderr is piped"));
        let (lines_tx, lines) = mpsc::channel();
        let stdout = std::io::BufReader::new(child.0.stdout.take().expect("stdout is piped"));
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });

        let deadline = std::time::Instant::now() + BROWSER_TIMEOUT;
        let mut printed = Vec::new();
        let finished = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    let Some(action) = line.trim().strip_prefix("@server ") else {
                        printed.push(line);
                        continue;
                    };
                    servers.act(action);
                    let _ = stdin.write_all(b"ok\n").and_then(|()| stdin.flush());
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break true,
                Err(mpsc::RecvTimeoutError::Timeout) => break false,
            }
        };
        if !finished {
            let _ = child.0.kill();
        }
        let status = child.0.wait().expect("wait for node");
        let stderr = stderr.recv().unwrap_or_default();
        let report = |what: &str| {
            format!(
                "node {scenario}.js {what}\n--- its stderr:\n{stderr}\n--- its stdout:\n{}\n\
                 --- the servers' output:\n{}",
                printed.join("\n"),
                servers.output()
            )
        };
        assert!(
            finished,
            "{}",
            report(&format!("ran over {BROWSER_TIMEOUT:?}"))
        );
        assert!(
            status.success(),
            "{}",
            report(&format!("failed ({status})"))
        );
        let result: serde_json::Value = printed
            .last()
            .and_then(|line| serde_json::from_str(line).ok())
            .unwrap_or_else(|| panic!("{}", report("printed no JSON line last")));
        assert_eq!(result["ok"], true, "{}", report("did not say ok"));
        result
    }
}
