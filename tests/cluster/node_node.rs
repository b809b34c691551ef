//! Node nodes of a Socket.IO cluster, as child processes: tests/node/cluster_node.js (socket.io
//! 4.8 with @socket.io/redis-adapter 8.3) and tests/node/emitter.js (@socket.io/redis-emitter
//! 5.1). They are the reference a threadio node must interoperate with on one Redis.
//!
//! A [`NodeNode`] is driven by JSON lines: [`NodeNode::request`] writes
//! `{"id":N,"op":…}` on its stdin and waits for the line `{"id":N,"ok":…}` on its stdout. The
//! ops and their fields are listed at the top of cluster_node.js. Answers may come out of
//! order (an `emitWithAck` waits for clients while a later `emit` is answered at once), so a
//! reader thread files them by id. The process is killed when the `NodeNode` is dropped, and
//! exits by itself when its stdin closes, so no test leaves one behind.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{node_runs, peer_missing, run_node_script};

/// How long a node may take to start: node itself, both Redis connections, the subscriptions.
const STARTUP: Duration = Duration::from_secs(20);

/// How long an answer may take: beyond the adapter's default `requestsTimeout` (5 s), so a
/// cluster request that times out is answered with its error before this fires.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The npm packages the cluster scripts need, all pinned in tests/node/package.json.
const PACKAGES: [&str; 4] = [
    "socket.io",
    "@socket.io/redis-adapter",
    "@socket.io/redis-emitter",
    "redis",
];

/// The adapter's options, the same for every node of one cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The channels' prefix (`key`, default `socket.io`).
    pub key: String,
    /// How long a node waits for the others' answers (`requestsTimeout`, default 5 s).
    pub requests_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            key: "socket.io".into(),
            requests_timeout: Duration::from_secs(5),
        }
    }
}

/// Node with the cluster packages installed in tests/node (by `npm ci`).
pub struct NodePeer {
    dir: PathBuf,
}

impl NodePeer {
    /// The peer, if `node` runs and every package is installed; otherwise [`peer_missing`]
    /// says which is not and this returns `None`.
    pub fn find() -> Option<NodePeer> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
        if !node_runs() {
            peer_missing("node is not on the PATH");
            return None;
        }
        for package in PACKAGES {
            if !dir.join("node_modules").join(package).is_dir() {
                peer_missing(&format!(
                    "tests/node/node_modules/{package} is missing (run `npm ci` in tests/node)"
                ));
                return None;
            }
        }
        Some(NodePeer { dir })
    }

    /// Starts a Node node on a free port, on the Redis at `redis_url`, and waits until it is
    /// ready: listening, and subscribed on Redis.
    pub fn start_node(&self, redis_url: &str, options: &ClusterOptions) -> NodeNode {
        NodeNode::start(&self.dir, redis_url, options)
    }

    /// Runs tests/node/emitter.js once: publishes `command` (its `op` and fields are listed
    /// at the top of that script) on the Redis at `redis_url`, and returns once Redis has it.
    pub fn emitter(&self, redis_url: &str, command: &Value) {
        let answer = run_node_script(
            &self.dir,
            "emitter.js",
            &[redis_url, &command.to_string()],
            &[],
        )
        .unwrap_or_else(|failure| panic!("{failure}"));
        assert_eq!(answer, json!({"ok": true}), "emitter.js {command}");
    }
}

/// A running Node node. Dropping it kills the process.
pub struct NodeNode {
    child: Child,
    stdin: Mutex<ChildStdin>,
    answers: Arc<Answers>,
    stderr: Arc<Mutex<String>>,
    port: u16,
    /// Each namespace's adapter uid, as the ready line gave them.
    uids: Value,
    next_id: AtomicU64,
}

/// The answers read from the node's stdout, by id, for the callers waiting on them.
#[derive(Default)]
struct Answers {
    state: Mutex<AnswersState>,
    arrived: Condvar,
}

#[derive(Default)]
struct AnswersState {
    /// The `{"ready":true,"port":N}` line, once printed.
    ready: Option<Value>,
    by_id: HashMap<u64, Value>,
    /// Lines that were neither: kept for failure messages.
    other: Vec<String>,
    /// stdout ended: the process is gone.
    ended: bool,
}

impl NodeNode {
    fn start(dir: &std::path::Path, redis_url: &str, options: &ClusterOptions) -> NodeNode {
        let timeout_ms = options.requests_timeout.as_millis().to_string();
        let mut child = Command::new("node")
            .arg("cluster_node.js")
            .args(["--port", "0", "--redis", redis_url, "--key", &options.key])
            .args(["--requests-timeout", &timeout_ms])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node cluster_node.js");
        let stdin = child.stdin.take().expect("stdin is piped");
        let answers = Arc::new(Answers::default());
        let stderr = Arc::new(Mutex::new(String::new()));
        read_answers(child.stdout.take().expect("stdout is piped"), &answers);
        collect_text(child.stderr.take().expect("stderr is piped"), &stderr);
        let mut node = NodeNode {
            child,
            stdin: Mutex::new(stdin),
            answers,
            stderr,
            port: 0,
            uids: Value::Null,
            next_id: AtomicU64::new(1),
        };
        let ready = node.wait_for(STARTUP, "the ready line", |state| state.ready.take());
        node.port = ready["port"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or_else(|| panic!("no port in the ready line {ready}"));
        node.uids = ready["uids"].clone();
        node
    }

    /// The uid of this node's adapter for `nsp` ("/" or "/chat"): the sender's name in every
    /// broadcast and request it publishes.
    pub fn uid(&self, nsp: &str) -> &str {
        self.uids[nsp]
            .as_str()
            .unwrap_or_else(|| panic!("no uid for {nsp} in {}", self.uids))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where its clients connect: `http://127.0.0.1:PORT` (see `SioClient::connect`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends `command` (an object with an `op`) and waits for its answer, which is returned
    /// without its `id`: `{"ok":true,…}`, or `{"ok":false,"error":…}` when the operation
    /// failed. Panics, with the node's stderr, if no answer comes within [`REQUEST_TIMEOUT`].
    pub fn request(&self, command: Value) -> Value {
        let id = self.send(command);
        self.answer(id)
    }

    /// Sends `command` and returns its id, for [`NodeNode::answer`] later: the test can do
    /// something else meanwhile, such as answer the acks an `emitWithAck` waits for.
    pub fn send(&self, mut command: Value) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        assert!(
            command.is_object(),
            "a command is a JSON object, not {command}"
        );
        command["id"] = id.into();
        let mut line = command.to_string();
        line.push('\n');
        let mut stdin = self.stdin.lock().expect("stdin lock");
        if let Err(e) = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
        {
            panic!(
                "cannot write to the node ({e}); its stderr:\n{}",
                self.stderr()
            );
        }
        id
    }

    /// Waits for the answer to the command `id` was returned for.
    pub fn answer(&self, id: u64) -> Value {
        let mut answer = self.wait_for(REQUEST_TIMEOUT, &format!("the answer to #{id}"), |state| {
            state.by_id.remove(&id)
        });
        if let Some(fields) = answer.as_object_mut() {
            fields.remove("id");
        }
        answer
    }

    /// What the node wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Kills the process now (SIGKILL: a crash, for Redis and the other nodes).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until `take` finds what it wants in the answers; panics with everything the
    /// node said if the process ends or `timeout` passes first.
    fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        mut take: impl FnMut(&mut AnswersState) -> Option<Value>,
    ) -> Value {
        let deadline = std::time::Instant::now() + timeout;
        let mut state = self.answers.state.lock().expect("answers lock");
        loop {
            if let Some(value) = take(&mut state) {
                return value;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if state.ended || left.is_zero() {
                let why = if state.ended {
                    "the node exited"
                } else {
                    "timed out"
                };
                let other = state.other.join("\n");
                drop(state);
                panic!(
                    "no {what} from node cluster_node.js ({why}); other lines:\n{other}\n\
                     stderr:\n{}",
                    self.stderr()
                );
            }
            state = self
                .answers
                .arrived
                .wait_timeout(state, left)
                .expect("answers lock")
                .0;
        }
    }
}

impl Drop for NodeNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads the node's stdout on a thread, filing each JSON line as the ready line or by its id.
fn read_answers(stdout: impl Read + Send + 'static, answers: &Arc<Answers>) {
    let answers = Arc::clone(answers);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let value: Option<Value> = serde_json::from_str(&line).ok();
            let mut state = answers.state.lock().expect("answers lock");
            match value {
                Some(v) if v["ready"] == true => state.ready = Some(v),
                Some(v) if v["id"].is_u64() => {
                    let id = v["id"].as_u64().expect("checked by the guard");
                    state.by_id.insert(id, v);
                }
                _ => state.other.push(line),
            }
            answers.arrived.notify_all();
        }
        answers.state.lock().expect("answers lock").ended = true;
        answers.arrived.notify_all();
    });
}

/// Appends everything `pipe` says to `text`, on a thread, for failure messages.
fn collect_text(pipe: impl Read + Send + 'static, text: &Arc<Mutex<String>>) {
    let text = Arc::clone(text);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = text.lock().expect("stderr lock");
            text.push_str(&line);
            text.push('\n');
        }
    });
}
