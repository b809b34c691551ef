//! The cluster at scale: N nodes (`cluster.rs`: a `redis-server` and N bench servers with
//! the Redis adapter) holding C Socket.IO connections each, over WebSocket, from N client
//! processes (`client_process.rs`, C clients each) — then single emits on node 1 that must
//! reach every one of the N × C clients. The default is issue 12's: 4 × 12,000 = 48,000.
//!
//! The steps, each bounded in time:
//! 1. the limits this will meet, against this machine's (`limits.rs`);
//! 2. the cluster, then the client processes, which connect C clients each, K at a time;
//! 3. each node's RSS and threads with every client connected, less its RSS before:
//!    memory per connection;
//! 4. one publisher client on node 1 sends `chat` with a stamp: node 1 emits it to all
//!    (`io.emit`), its own clients directly and the other nodes' through Redis. First a
//!    warm-up, then E measured emits, one at a time, each waited for until every client has
//!    it (or the timeout): p50, p99 and the last delivery, per node and in all, with Redis's
//!    CPU time and each node's over that emit;
//! 5. the children go: client processes when their stdin closes, nodes and Redis likewise
//!    (`server.rs`, `redis_server.rs`), so nothing outlives the bench, even killed.
//!
//! Ages are measured on the system clock (`stamp.rs` `wall_ns`): the publisher is here, the
//! receivers are in other processes. "Time to the last delivery" runs from the publisher's
//! send — a loopback hop before node 1's `io.emit` — to the last client's read.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::client_process;
use crate::cluster::Cluster;
use crate::limits;
use crate::proc_stats::{CpuMeter, CpuUse, Snapshot};
use crate::progress::{thousands, Progress};
use crate::stamp::{wall_ns, Stamp};
use crate::stats::Latencies;
use crate::transport::{self, Outgoing, Route, Transport};

/// The cluster-scale workload's parameters.
#[derive(Debug, Clone)]
pub struct ClusterScalePlan {
    pub nodes: usize,
    /// Connections held on each node, from its own client process.
    pub per_node: usize,
    /// Measured emits, after one warm-up.
    pub emits: u64,
    /// Connections each client process opens at once.
    pub concurrency: usize,
    /// How long to wait for one emit to reach everyone.
    pub timeout: Duration,
}

/// How long all client processes together may take to connect.
const CONNECT_DEADLINE: Duration = Duration::from_secs(180);
/// A pause before sampling memory, for the nodes' last threads to settle, and between
/// emits, for the last one's writes to finish everywhere.
const SETTLE: Duration = Duration::from_secs(1);
/// How long a client process may take to exit once told.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// The size of each emitted message.
const MESSAGE_SIZE: usize = 64;

pub fn run(plan: &ClusterScalePlan) {
    println!(
        "## cluster-scale: {} nodes × {} connections\n",
        plan.nodes,
        thousands(plan.per_node as u64)
    );
    limits::print(&limits::for_cluster(
        plan.nodes as u64,
        plan.per_node as u64,
    ));
    println!();
    // Room for the publisher on node 1, and a few to spare.
    let cluster = match Cluster::start(plan.nodes, plan.per_node + 16) {
        Ok(cluster) => cluster,
        Err(e) => return eprintln!("bench: cluster-scale: {e}"),
    };
    let redis_run = CpuMeter::start(cluster.redis.pid());
    let before: Vec<Option<Snapshot>> = (cluster.nodes.iter())
        .map(|node| node.pid.and_then(Snapshot::read))
        .collect();
    let (lines, from_children) = mpsc::channel();
    let mut children = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        match ClientProcess::start(i, node.addr, plan, lines.clone()) {
            Ok(child) => children.push(child),
            Err(e) => return eprintln!("bench: cluster-scale: {e}"),
        }
    }
    let connected = match wait_until_ready(plan, &cluster, &from_children) {
        Ok(connected) => connected,
        Err(e) => return eprintln!("bench: cluster-scale: {e}"),
    };
    std::thread::sleep(SETTLE);
    print_held(&cluster, &before, &connected, &children);
    let (results, stopped) = emit_all(plan, &cluster, &mut children, &from_children);
    print_emits(&results, plan.nodes);
    if let Some(e) = stopped {
        println!("stopped early: {e}\n");
    }
    if let Some(cpu) = redis_run.and_then(|meter| meter.read()) {
        println!("Redis (pid {}), the whole run: {cpu}", cluster.redis.pid());
    }
    if let Some(stats) = cluster.redis.publish_stats() {
        println!(
            "  by its own count: {} PUBLISH, {} µs in all",
            stats.calls, stats.usec
        );
    }
    for i in 0..cluster.nodes.len() {
        println!("node {}: {}", i + 1, cluster.counts(i));
    }
    // All told at once, then waited for: before the nodes, which go as the cluster drops.
    children.iter_mut().for_each(ClientProcess::close_stdin);
    drop(children);
}

/// What a client process reported when it was ready.
struct Ready {
    connected: u64,
    failed: u64,
    first_error: String,
}

/// Waits until every client process says `ready`, showing the connections on stderr.
fn wait_until_ready(
    plan: &ClusterScalePlan,
    cluster: &Cluster,
    from_children: &Receiver<(usize, String)>,
) -> Result<Vec<Ready>, String> {
    let total = (plan.nodes * plan.per_node) as u64;
    let label = "cluster-scale: connecting".to_string();
    let progress = Progress::start(label, total, "conns", cluster.nodes[0].pid);
    let counter = progress.counter();
    let mut attempted = vec![0u64; plan.nodes];
    let mut ready: Vec<Option<Ready>> = (0..plan.nodes).map(|_| None).collect();
    let started = Instant::now();
    let deadline = started + CONNECT_DEADLINE;
    while ready.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (i, line) = from_children
            .recv_timeout(left)
            .map_err(|_| "the client processes did not connect within 180 s".to_string())?;
        let words: Vec<&str> = line.splitn(4, ' ').collect();
        match words.as_slice() {
            ["progress", n] => {
                let n: u64 = n.parse().unwrap_or(0);
                counter.add(n.saturating_sub(attempted[i]));
                attempted[i] = attempted[i].max(n);
            }
            ["ready", connected, failed, rest @ ..] => {
                ready[i] = Some(Ready {
                    connected: connected.parse().unwrap_or(0),
                    failed: failed.parse().unwrap_or(0),
                    first_error: rest.join(" "),
                });
            }
            ["exited"] => return Err(format!("client process {} exited early", i + 1)),
            _ => {}
        }
    }
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let ready: Vec<Ready> = ready.into_iter().flatten().collect();
    let connected: u64 = ready.iter().map(|r| r.connected).sum();
    println!(
        "{} connections in {seconds:.1} s ({:.0}/s), {} at a time per client process\n",
        thousands(connected),
        connected as f64 / seconds,
        plan.concurrency * plan.nodes
    );
    Ok(ready)
}

/// The table of what each node and each client process holds with everyone connected.
fn print_held(
    cluster: &Cluster,
    before: &[Option<Snapshot>],
    ready: &[Ready],
    children: &[ClientProcess],
) {
    println!(
        "| node | connections | failed | node RSS before → held, MiB | node KiB/conn | node \
         threads | client process RSS MiB | client threads |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|");
    let mut threads = 0;
    for (i, node) in cluster.nodes.iter().enumerate() {
        let held = node.pid.and_then(Snapshot::read).unwrap_or_default();
        let base = before[i].unwrap_or_default();
        let per_conn =
            held.rss_kib.saturating_sub(base.rss_kib) as f64 / ready[i].connected.max(1) as f64;
        let client = Snapshot::read(children[i].pid).unwrap_or_default();
        threads += held.threads + client.threads;
        println!(
            "| {} | {} | {} | {:.1} → {:.1} | {per_conn:.1} | {} | {:.1} | {} |",
            i + 1,
            thousands(ready[i].connected),
            ready[i].failed,
            base.rss_mib(),
            held.rss_mib(),
            held.threads,
            client.rss_mib(),
            client.threads
        );
    }
    println!(
        "\nthreads in the nodes and client processes: {}",
        thousands(threads)
    );
    for (i, r) in ready.iter().enumerate().filter(|(_, r)| r.failed > 0) {
        println!("client process {}: first error: {}", i + 1, r.first_error);
    }
    println!();
}

/// One emit's outcome.
struct EmitResult {
    key: String,
    /// Per node: clients alive, unique deliveries, duplicates, ages in ns.
    nodes: Vec<NodeArrivals>,
    redis: Option<CpuUse>,
    node_cpu: Vec<Option<CpuUse>>,
    client_cpu: Vec<Option<CpuUse>>,
}

#[derive(Default)]
struct NodeArrivals {
    alive: u64,
    duplicated: u64,
    ages: Latencies,
    first_ns: Option<u64>,
    last_ns: u64,
    count: u64,
}

/// The warm-up emit, then the measured ones, each waited for before the next. Returns
/// what was measured, and why it stopped early if it did.
fn emit_all(
    plan: &ClusterScalePlan,
    cluster: &Cluster,
    children: &mut [ClientProcess],
    from_children: &Receiver<(usize, String)>,
) -> (Vec<EmitResult>, Option<String>) {
    let node1 = cluster.nodes[0].addr;
    let route = Route::Everyone;
    let publisher =
        match transport::connect(Transport::SocketIoWebSocket, node1, &route, plan.timeout) {
            Ok(publisher) => publisher,
            Err(e) => {
                return (
                    Vec::new(),
                    Some(format!("the publisher could not connect: {e}")),
                )
            }
        };
    let (outgoing, mut incoming) = (publisher.outgoing, publisher.incoming);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // The publisher is one of everyone: read what it is sent, so it does not pile up.
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                if incoming.recv(Duration::from_millis(200)).is_err() {
                    break;
                }
            }
        });
        let mut results = Vec::new();
        let stopped = (0..=plan.emits).find_map(|seq| {
            match emit_one(seq, &outgoing, plan, cluster, children, from_children) {
                Ok(result) => {
                    results.push(result);
                    std::thread::sleep(SETTLE);
                    None
                }
                Err(e) => Some(e),
            }
        });
        // On every path, or the scope would wait for the reader forever.
        stop.store(true, Ordering::Relaxed);
        (results, stopped)
    })
}

/// Emit `seq` (0: the warm-up): send it, ask every client process for its arrivals, and
/// meter Redis, the nodes and the client processes meanwhile.
fn emit_one(
    seq: u64,
    publisher: &Outgoing,
    plan: &ClusterScalePlan,
    cluster: &Cluster,
    children: &mut [ClientProcess],
    from_children: &Receiver<(usize, String)>,
) -> Result<EmitResult, String> {
    let stamp = Stamp {
        sender: 0,
        seq,
        sent_at_ns: 0,
        warm_up: seq == 0,
    };
    let key = client_process::key(&stamp);
    let redis = CpuMeter::start(cluster.redis.pid());
    let nodes: Vec<_> = (cluster.nodes.iter())
        .map(|node| node.pid.and_then(CpuMeter::start))
        .collect();
    let clients: Vec<_> = children.iter().map(|c| CpuMeter::start(c.pid)).collect();
    let stamp = Stamp {
        sent_at_ns: wall_ns(),
        ..stamp
    };
    publisher
        .send(&stamp.message(MESSAGE_SIZE))
        .map_err(|e| format!("the publisher could not send: {e}"))?;
    let timeout_ms = plan.timeout.as_millis();
    for child in children.iter_mut() {
        child.say(&format!("collect {key} {timeout_ms}"));
    }
    let arrivals = collect(&key, children.len(), plan.timeout, from_children)?;
    let read = |meters: &[Option<CpuMeter>]| meters.iter().map(|m| m.as_ref()?.read()).collect();
    Ok(EmitResult {
        key,
        nodes: arrivals,
        redis: redis.and_then(|m| m.read()),
        node_cpu: read(&nodes),
        client_cpu: read(&clients),
    })
}

/// Reads each client process's `arrivals` line for `key`.
fn collect(
    key: &str,
    processes: usize,
    timeout: Duration,
    from_children: &Receiver<(usize, String)>,
) -> Result<Vec<NodeArrivals>, String> {
    let deadline = Instant::now() + timeout + Duration::from_secs(10);
    let mut nodes: Vec<Option<NodeArrivals>> = (0..processes).map(|_| None).collect();
    while nodes.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (i, line) = from_children
            .recv_timeout(left)
            .map_err(|_| format!("no answer from the client processes for {key}"))?;
        let words: Vec<&str> = line.splitn(5, ' ').collect();
        if let ["arrivals", k, alive, duplicated, ages] = words.as_slice() {
            if *k != key {
                continue;
            }
            let mut node = NodeArrivals {
                alive: alive.parse().unwrap_or(0),
                duplicated: duplicated.parse().unwrap_or(0),
                ..NodeArrivals::default()
            };
            for age in ages.split(',').filter_map(|a| a.parse::<u64>().ok()) {
                node.ages.record(age);
                node.first_ns = Some(node.first_ns.map_or(age, |first| first.min(age)));
                node.last_ns = node.last_ns.max(age);
                node.count += 1;
            }
            nodes[i] = Some(node);
        } else if line == "exited" {
            return Err(format!("client process {} exited", i + 1));
        }
    }
    Ok(nodes.into_iter().flatten().collect())
}

/// The table of emits: a row per emit, every client's delivery in it.
fn print_emits(results: &[EmitResult], nodes: usize) {
    let per_node: Vec<String> = (1..=nodes).map(|i| format!("node {i}")).collect();
    println!(
        "| emit | delivered | missing | dup | p50 ms | p99 ms | last ms | first–last ms on {} | Redis \
         CPU ms | nodes' CPU ms | client processes' CPU ms |",
        per_node.join(" / ")
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for result in results {
        let mut all = Latencies::default();
        let (mut delivered, mut alive, mut duplicated, mut last) = (0, 0, 0, 0);
        for node in &result.nodes {
            all.merge(node.ages.clone());
            delivered += node.count;
            alive += node.alive;
            duplicated += node.duplicated;
            last = last.max(node.last_ns);
        }
        let ms = |ns: u64| format!("{:.1}", ns as f64 / 1e6);
        let mut quantile = |q| {
            all.quantile_ms(q)
                .map_or("–".into(), |ms| format!("{ms:.1}"))
        };
        let (p50, p99) = (quantile(0.5), quantile(0.99));
        let spans: Vec<String> = (result.nodes.iter())
            .map(|n| format!("{}–{}", n.first_ns.map_or("–".into(), ms), ms(n.last_ns)))
            .collect();
        let cpu = |c: &Option<CpuUse>| c.map_or("?".into(), |c| c.cpu.as_millis().to_string());
        let node_cpu: Vec<String> = result.node_cpu.iter().map(cpu).collect();
        let client_cpu: Vec<String> = result.client_cpu.iter().map(cpu).collect();
        let label = match result.key.strip_prefix('w') {
            Some(_) => "warm-up".to_string(),
            None => result.key.clone(),
        };
        println!(
            "| {label} | {} | {} | {duplicated} | {p50} | {p99} | {} | {} | {} | {} | {} |",
            thousands(delivered),
            alive.saturating_sub(delivered),
            ms(last),
            spans.join(" / "),
            cpu(&result.redis),
            node_cpu.join(" / "),
            client_cpu.join(" / ")
        );
    }
    println!(
        "\nAges: the publisher's send (node 1) to each client's read, system clock. missing: \
         clients connected that did not get it within the timeout. CPU: /proc/<pid>/stat, \
         utime + stime, in 10 ms ticks, from the send until every client had it.\n"
    );
}

/// One client process, killed if it has not exited when this is dropped.
struct ClientProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pid: u32,
}

impl ClientProcess {
    /// Starts client process `i` for the node at `node`; its stdout lines arrive on
    /// `lines` as `(i, line)`, then `(i, "exited")`.
    fn start(
        i: usize,
        node: SocketAddr,
        plan: &ClusterScalePlan,
        lines: Sender<(usize, String)>,
    ) -> Result<ClientProcess, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find our executable: {e}"))?;
        let mut child = Command::new(exe)
            .args(["--client-process", &node.to_string()])
            .args(["--per-node", &plan.per_node.to_string()])
            .args(["--concurrency", &plan.concurrency.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start a client process: {e}"))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send((i, line));
            }
            let _ = lines.send((i, "exited".to_string()));
        });
        Ok(ClientProcess {
            pid: child.id(),
            stdin: child.stdin.take(),
            child,
        })
    }

    /// End of file on its stdin: the process exits (`client_process.rs`).
    fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    fn say(&mut self, line: &str) {
        if let Some(stdin) = &mut self.stdin {
            let _ = writeln!(stdin, "{line}").and_then(|_| stdin.flush());
        }
    }
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        self.close_stdin();
        let deadline = Instant::now() + EXIT_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
