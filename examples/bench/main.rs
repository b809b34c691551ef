//! threadio's own bench, built on threadio's client side: how many messages a second, how
//! fast, whether any were lost, doubled or reordered, and what each connection costs the
//! server — over raw WebSocket, Socket.IO over WebSocket and Socket.IO over long-polling.
//!
//! ```text
//! cargo run --release --example bench                       # the default suite, under a minute
//! cargo run --release --example bench -- echo --transport sio-ws -c 100 -m 1000 -w 1
//! cargo run --release --example bench -- fanout --transport ws -c 500 -n 1000 -i 1000 --room
//! cargo run --release --example bench -- connect --transport sio-polling -c 1000 --hold 5
//! cargo run --release --example bench -- transports -n 2000 --no-strace
//! cargo run --release --example bench -- cluster-fanout -c 200 -n 1000 -i 2000
//! cargo run --release --example bench -- cluster-scale --nodes 4 --per-node 12000
//! cargo run --release --example bench -- --help
//! cargo test --example bench                                # its own unit tests
//! ```
//!
//! The workloads (each file says more):
//! - `echo.rs`: C clients send M messages each, W in flight, and wait for them to come back;
//! - `fanout.rs`: a publisher's N messages, one every I µs, to C receivers — everyone, or a
//!   room that half of them joined (the other half must receive nothing);
//! - `connect.rs`: C connections opened K at a time and held for T seconds;
//! - `transports.rs`: one tiny message as an HTTP request on a new connection, on a
//!   keep-alive connection, over long-polling and over WebSocket: latency, bytes on the
//!   wire and (with `strace` on PATH) the server's system calls per message;
//! - `cluster_fanout.rs`: the fanout across two nodes of a Redis cluster, receivers on
//!   both: what the trip through Redis adds (same-node against cross-node latency);
//! - `cluster_scale.rs`: N nodes holding C connections each, from N client processes
//!   (`client_process.rs`), then one emit that must reach them all; `limits.rs` says which
//!   of the kernel's limits that meets.
//!
//! The server is this same executable run again with `--serve 0` (`server.rs`), a fresh
//! child process per row, serving `examples/bench_server.rs`; its memory and threads come
//! from `/proc/<pid>/status`, and in `transports` its system calls from `strace -p`.
//! `--url ws://127.0.0.1:PORT --pid PID` measures a running one. The cluster workloads
//! start a `redis-server` (`redis_server.rs`) and several such servers, each with
//! `--redis URL` (`cluster.rs`).
//! The table goes to stdout as markdown, the progress line to stderr.
//!
//! How the clients speak each transport: `transport.rs` (the common handles),
//! `raw_websocket.rs` (threadio's WebSocket client), and `socketio_client.rs`: the crate's
//! own Socket.IO client, `threadio::client`, over either transport, so the bench measures
//! it too. `transports` counts bytes through `counting.rs`, which needs the socket in its
//! hands, so its five ways (`round_trip.rs`) speak the protocols by hand with threadio's
//! codecs over a counted socket: `wire_websocket.rs` (frames and handshake),
//! `wire_polling.rs` (with `http_client.rs`) and `wire_socketio.rs` (the packets). What is measured and how: `stamp.rs` (what each message carries),
//! `stats.rs` (percentiles; lost, duplicated, out of order), `proc_stats.rs` and
//! `strace.rs` (the server's memory, threads and system calls), `progress.rs`, `report.rs`.

mod args;
#[path = "../bench_server.rs"]
mod bench_server;
mod client_process;
mod cluster;
mod cluster_fanout;
mod cluster_scale;
mod connect;
mod counting;
mod echo;
mod error;
mod fanout;
mod http_client;
mod limits;
mod proc_stats;
mod progress;
mod raw_websocket;
mod redis_server;
mod report;
mod round_trip;
mod server;
mod socketio_client;
mod stamp;
mod stats;
mod strace;
mod transport;
mod transports;
mod wire_polling;
mod wire_socketio;
mod wire_websocket;

use args::{Command, USAGE};
use connect::ConnectPlan;
use echo::EchoPlan;
use fanout::FanoutPlan;
use report::Row;
use server::{Server, ServerChoice};

/// One row of the results table, to be run against a fresh server.
#[derive(Debug)]
pub enum Workload {
    Echo(EchoPlan),
    Fanout(FanoutPlan),
    Connect(ConnectPlan),
}

impl Workload {
    fn run(&self, server: &Server) -> Row {
        match self {
            Workload::Echo(plan) => echo::run(plan, server),
            Workload::Fanout(plan) => fanout::run(plan, server),
            Workload::Connect(plan) => connect::run(plan, server),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match args::parse(&args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("bench: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    match options.command {
        Command::Serve(options) => server::serve(&options),
        Command::ClientProcess(plan) => client_process::run(&plan),
        Command::ClusterFanout(plan) => cluster_fanout::run(&plan),
        Command::ClusterScale(plan) => cluster_scale::run(&plan),
        Command::Help => print!("{USAGE}"),
        Command::Run {
            workloads,
            transports,
        } => {
            if !workloads.is_empty() {
                let mut rows = run_rows(&workloads, &options.server);
                report::print_table(&mut rows);
                println!("\n{}\n", report::LEGEND);
            }
            if let Some(plan) = transports {
                transports::run(&plan, &options.server);
            }
        }
    }
}

/// Runs each workload against its own server, so no row inherits another's sessions.
fn run_rows(workloads: &[Workload], choice: &ServerChoice) -> Vec<Row> {
    let mut rows = Vec::new();
    for workload in workloads {
        match Server::start(choice) {
            Ok(server) => rows.push(workload.run(&server)),
            Err(e) => eprintln!("bench: {e}"),
        }
    }
    rows
}
