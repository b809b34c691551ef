//! The command line, parsed by hand: a subcommand, then `--flag value` pairs. Every number
//! is bounded, so a typo cannot ask for a million threads.

use std::net::SocketAddr;
use std::time::Duration;

use crate::bench_server::Options as ServeOptions;
use crate::client_process::ClientProcessPlan;
use crate::cluster_fanout::ClusterFanoutPlan;
use crate::cluster_scale::ClusterScalePlan;
use crate::connect::ConnectPlan;
use crate::echo::EchoPlan;
use crate::fanout::FanoutPlan;
use crate::server::ServerChoice;
use crate::transport::Transport;
use crate::transports::TransportsPlan;
use crate::Workload;

pub const USAGE: &str = "\
threadio bench: echo, fanout and connect/hold over raw WebSocket, Socket.IO over WebSocket and
Socket.IO over long-polling, against a server it starts itself (a child process per row).

usage:
  bench                      the default suite (under a minute): every workload, every transport,
                             then `transports`
  bench echo       [--transport T] [-c CLIENTS] [-m MESSAGES] [-s BYTES] [-w WINDOW] [--warmup N]
  bench fanout     [--transport T] [-c RECEIVERS] [-n MESSAGES] [-i MICROS] [-s BYTES] [--room]
  bench connect    [--transport T] [-c CLIENTS] [--hold SECONDS] [--concurrency K]
  bench transports [-n ROUND_TRIPS] [--no-strace]
  bench cluster-fanout [-c RECEIVERS] [-n MESSAGES] [-i MICROS] [-s BYTES]
                             a redis-server and two nodes; receivers split across them: same-node
                             and cross-node latency (Socket.IO over WebSocket)
  bench cluster-scale  [--nodes N] [--per-node C] [--emits E] [--concurrency K]
                             a redis-server, N nodes holding C connections each (from N client
                             processes), then E single emits on node 1 that must reach all
  (through cargo: cargo run --release --example bench -- echo -c 100)

  defaults: echo -c 50 -m 1000 -s 64 -w 1 --warmup 20; fanout -c 100 -n 500 -i 2000 -s 64;
            connect -c 1000 --hold 5 --concurrency 50; transports -n 2000 --warmup 50;
            cluster-fanout -c 200 -n 1000 -i 2000 -s 64; cluster-scale --nodes 4
            --per-node 12000 --emits 3 --concurrency 25 --timeout 30

  --transport T   ws, sio-ws, sio-polling or all (default all)
  --url URL       measure a running server instead (ws://127.0.0.1:PORT; loopback only);
                  it must serve examples/bench_server.rs's routes
  --pid PID       that server's pid: RSS and threads from /proc/PID, strace attaches to it
  --timeout S     how long to wait for a message before counting it lost (default 5)
  --no-strace     transports: skip counting the server's system calls (by default, strace -f -c
                  counts them when strace is on PATH; --strace is accepted and changes nothing)
";

/// What to run.
#[derive(Debug)]
pub enum Command {
    /// Rows of the results table, one per workload, then the transport comparison if asked.
    Run {
        workloads: Vec<Workload>,
        transports: Option<TransportsPlan>,
    },
    /// Same-node against cross-node latency through Redis (`cluster_fanout.rs`).
    ClusterFanout(ClusterFanoutPlan),
    /// Many connections on several nodes, and one emit to all (`cluster_scale.rs`).
    ClusterScale(ClusterScalePlan),
    /// The hidden `--serve PORT`: be the server (see `server.rs`).
    Serve(ServeOptions),
    /// The hidden `--client-process ADDR`: be one client process of `cluster-scale`
    /// (`client_process.rs`).
    ClientProcess(ClientProcessPlan),
    Help,
}

/// The whole command line.
#[derive(Debug)]
pub struct Options {
    pub command: Command,
    pub server: ServerChoice,
}

/// The flags as given, before each subcommand fills in its defaults.
#[derive(Default)]
struct Flags {
    transport: Option<String>,
    clients: Option<u64>,
    messages: Option<u64>,
    size: Option<u64>,
    window: Option<u64>,
    warm_up: Option<u64>,
    interval_us: Option<u64>,
    hold_s: Option<u64>,
    concurrency: Option<u64>,
    timeout_s: Option<u64>,
    room: bool,
    no_strace: bool,
    url: Option<String>,
    pid: Option<u64>,
    nodes: Option<u64>,
    per_node: Option<u64>,
    emits: Option<u64>,
    serve: Option<u16>,
    redis: Option<String>,
    max_connections: Option<u64>,
    client_process: Option<String>,
}

/// Parses `args` (without the program name).
///
/// # Errors
/// A message for the user: an unknown subcommand or flag, a missing or bad value.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut words = args.iter().map(String::as_str);
    let mut subcommand = None;
    let mut flags = Flags::default();
    while let Some(word) = words.next() {
        let mut value = |name: &str| words.next().ok_or(format!("{name} needs a value"));
        match word {
            "--serve" => {
                flags.serve = Some(value(word)?.parse().map_err(|_| "--serve needs a port")?)
            }
            "--redis" => flags.redis = Some(value(word)?.to_string()),
            "--max-connections" => {
                flags.max_connections = Some(number(word, value(word)?, 1, 100_000)?)
            }
            "--client-process" => flags.client_process = Some(value(word)?.to_string()),
            "-h" | "--help" => subcommand = Some("help"),
            "--transport" | "-t" => flags.transport = Some(value(word)?.to_string()),
            "-c" | "--clients" => flags.clients = Some(number(word, value(word)?, 1, 10_000)?),
            "-m" | "-n" | "--messages" => {
                flags.messages = Some(number(word, value(word)?, 1, 1_000_000)?)
            }
            "-s" | "--size" => flags.size = Some(number(word, value(word)?, 1, 512 * 1024)?),
            "-w" | "--window" => flags.window = Some(number(word, value(word)?, 1, 10_000)?),
            "--warmup" => flags.warm_up = Some(number(word, value(word)?, 0, 100_000)?),
            "-i" | "--interval" => {
                flags.interval_us = Some(number(word, value(word)?, 0, 10_000_000)?)
            }
            "--hold" => flags.hold_s = Some(number(word, value(word)?, 0, 3_600)?),
            "--concurrency" => flags.concurrency = Some(number(word, value(word)?, 1, 1_000)?),
            "--timeout" => flags.timeout_s = Some(number(word, value(word)?, 1, 600)?),
            "--room" => flags.room = true,
            "--strace" => {} // strace is the default now; kept so old command lines still run
            "--no-strace" => flags.no_strace = true,
            "--url" => flags.url = Some(value(word)?.to_string()),
            "--pid" => flags.pid = Some(number(word, value(word)?, 1, u32::MAX as u64)?),
            "--nodes" => flags.nodes = Some(number(word, value(word)?, 1, 8)?),
            // Past ~16,000 a process runs out of memory maps (NOTES.md chapter 6); the
            // bound leaves room to watch that happen.
            "--per-node" => flags.per_node = Some(number(word, value(word)?, 1, 30_000)?),
            "--emits" => flags.emits = Some(number(word, value(word)?, 1, 20)?),
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag}")),
            name if subcommand.is_none() => subcommand = Some(name),
            extra => return Err(format!("unexpected {extra:?}")),
        }
    }
    if let Some(port) = flags.serve {
        return Ok(serve(port, &flags));
    }
    if let Some(addr) = &flags.client_process {
        return client_process(addr, &flags);
    }
    let server = server_choice(&flags)?;
    let timeout = Duration::from_secs(flags.timeout_s.unwrap_or(5));
    let rows = |workloads| Command::Run {
        workloads,
        transports: None,
    };
    let command = match subcommand.unwrap_or("suite") {
        "suite" => suite(&flags, timeout),
        "help" => Command::Help,
        "echo" => rows(echo_plans(&flags, timeout)?),
        "fanout" => rows(fanout_plans(&flags, timeout)?),
        "connect" => rows(connect_plans(&flags, timeout)?),
        "transports" => Command::Run {
            workloads: Vec::new(),
            transports: Some(TransportsPlan {
                round_trips: flags.messages.unwrap_or(2_000),
                warm_up: flags.warm_up.unwrap_or(50),
                strace: !flags.no_strace,
                timeout,
            }),
        },
        "cluster-fanout" | "cluster-scale" if flags.url.is_some() => {
            return Err("the cluster workloads start their own Redis and nodes: no --url".into())
        }
        "cluster-fanout" => Command::ClusterFanout(cluster_fanout_plan(&flags, timeout)?),
        "cluster-scale" => Command::ClusterScale(cluster_scale_plan(&flags)),
        other => return Err(format!("unknown subcommand {other:?}")),
    };
    Ok(Options { command, server })
}

/// `--serve PORT [--redis URL] [--max-connections N]`: a child server's own arguments.
fn serve(port: u16, flags: &Flags) -> Options {
    let options = ServeOptions {
        port,
        max_connections: flags.max_connections.unwrap_or(12_000) as usize,
        redis: flags.redis.clone(),
    };
    Options {
        command: Command::Serve(options),
        server: ServerChoice::OwnChild,
    }
}

/// `--client-process ADDR --per-node C --concurrency K --timeout S`: a client process's
/// own arguments.
fn client_process(addr: &str, flags: &Flags) -> Result<Options, String> {
    let plan = ClientProcessPlan {
        server: loopback_addr(addr)?,
        clients: flags.per_node.unwrap_or(1) as usize,
        concurrency: flags.concurrency.unwrap_or(25) as usize,
        timeout: Duration::from_secs(flags.timeout_s.unwrap_or(10)),
    };
    Ok(Options {
        command: Command::ClientProcess(plan),
        server: ServerChoice::OwnChild,
    })
}

fn cluster_fanout_plan(flags: &Flags, timeout: Duration) -> Result<ClusterFanoutPlan, String> {
    let receivers = flags.clients.unwrap_or(200).max(2);
    let messages = flags.messages.unwrap_or(1_000);
    if receivers * messages > 10_000_000 {
        return Err("cluster-fanout: receivers × messages is capped at 10 million".into());
    }
    Ok(ClusterFanoutPlan {
        receivers: receivers as usize,
        messages,
        interval: Duration::from_micros(flags.interval_us.unwrap_or(2_000)),
        size: flags.size.unwrap_or(64) as usize,
        timeout,
        concurrency: flags.concurrency.unwrap_or(32) as usize,
    })
}

fn cluster_scale_plan(flags: &Flags) -> ClusterScalePlan {
    ClusterScalePlan {
        nodes: flags.nodes.unwrap_or(4) as usize,
        per_node: flags.per_node.unwrap_or(12_000) as usize,
        emits: flags.emits.unwrap_or(3),
        concurrency: flags.concurrency.unwrap_or(25) as usize,
        // A delivery to tens of thousands may take seconds on two busy cores.
        timeout: Duration::from_secs(flags.timeout_s.unwrap_or(30)),
    }
}

/// `--transport`: one, or all three.
fn transports(flags: &Flags) -> Result<Vec<Transport>, String> {
    match flags.transport.as_deref() {
        None | Some("all") => Ok(Transport::ALL.to_vec()),
        Some(name) => Transport::from_name(name).map(|t| vec![t]).ok_or(format!(
            "unknown transport {name:?}: ws, sio-ws, sio-polling or all"
        )),
    }
}

/// The default suite: every workload over every transport, small enough to finish in about
/// a minute on two cores, then the transport comparison.
fn suite(flags: &Flags, timeout: Duration) -> Command {
    let mut workloads = Vec::new();
    for transport in Transport::ALL {
        workloads.push(Workload::Echo(EchoPlan {
            transport,
            clients: 50,
            messages: 500,
            size: 64,
            window: 1,
            warm_up: 20,
            timeout,
            concurrency: 32,
        }));
    }
    for room in [false, true] {
        for transport in Transport::ALL {
            workloads.push(Workload::Fanout(FanoutPlan {
                transport,
                receivers: 200,
                messages: 300,
                interval: Duration::from_micros(1_000),
                size: 64,
                room,
                timeout,
                concurrency: 32,
            }));
        }
    }
    for transport in Transport::ALL {
        workloads.push(Workload::Connect(ConnectPlan {
            transport,
            clients: 1_000,
            hold: Duration::from_secs(2),
            concurrency: 50,
            timeout,
        }));
    }
    Command::Run {
        workloads,
        transports: Some(TransportsPlan {
            round_trips: 1_000,
            warm_up: 50,
            strace: !flags.no_strace,
            timeout,
        }),
    }
}

fn echo_plans(flags: &Flags, timeout: Duration) -> Result<Vec<Workload>, String> {
    let clients = flags.clients.unwrap_or(50) as usize;
    let messages = flags.messages.unwrap_or(1_000);
    if clients as u64 * messages > 10_000_000 {
        return Err("echo: clients × messages is capped at 10 million".into());
    }
    let plan = |transport| EchoPlan {
        transport,
        clients,
        messages,
        size: flags.size.unwrap_or(64) as usize,
        window: flags.window.unwrap_or(1),
        warm_up: flags.warm_up.unwrap_or(20),
        timeout,
        concurrency: flags.concurrency.unwrap_or(32) as usize,
    };
    Ok(transports(flags)?
        .into_iter()
        .map(plan)
        .map(Workload::Echo)
        .collect())
}

fn fanout_plans(flags: &Flags, timeout: Duration) -> Result<Vec<Workload>, String> {
    let receivers = flags.clients.unwrap_or(100) as usize;
    let messages = flags.messages.unwrap_or(500);
    if receivers as u64 * messages > 10_000_000 {
        return Err("fanout: receivers × messages is capped at 10 million".into());
    }
    let plan = |transport| FanoutPlan {
        transport,
        receivers,
        messages,
        interval: Duration::from_micros(flags.interval_us.unwrap_or(2_000)),
        size: flags.size.unwrap_or(64) as usize,
        room: flags.room,
        timeout,
        concurrency: flags.concurrency.unwrap_or(32) as usize,
    };
    Ok(transports(flags)?
        .into_iter()
        .map(plan)
        .map(Workload::Fanout)
        .collect())
}

fn connect_plans(flags: &Flags, timeout: Duration) -> Result<Vec<Workload>, String> {
    let plan = |transport| ConnectPlan {
        transport,
        clients: flags.clients.unwrap_or(1_000) as usize,
        hold: Duration::from_secs(flags.hold_s.unwrap_or(5)),
        concurrency: flags.concurrency.unwrap_or(50) as usize,
        timeout,
    };
    Ok(transports(flags)?
        .into_iter()
        .map(plan)
        .map(Workload::Connect)
        .collect())
}

/// `--url` and `--pid`, or our own child server.
fn server_choice(flags: &Flags) -> Result<ServerChoice, String> {
    let Some(url) = &flags.url else {
        if flags.pid.is_some() {
            return Err("--pid goes with --url: without it the bench starts its own server".into());
        }
        return Ok(ServerChoice::OwnChild);
    };
    Ok(ServerChoice::AlreadyRunning {
        addr: loopback_addr(url)?,
        pid: flags.pid.map(|pid| pid as u32),
    })
}

/// `ws://127.0.0.1:3000/anything` → 127.0.0.1:3000. Loopback only: the bench opens
/// thousands of connections, and is not meant to do that to someone else's machine.
fn loopback_addr(url: &str) -> Result<SocketAddr, String> {
    let rest = ["ws://", "http://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .unwrap_or(url);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.replacen("localhost", "127.0.0.1", 1);
    let addr: SocketAddr = host_port
        .parse()
        .map_err(|_| format!("--url {url:?}: expected ws://127.0.0.1:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--url {url:?}: only loopback addresses (127.0.0.1, [::1])"
        ));
    }
    Ok(addr)
}

fn number(flag: &str, text: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.replace('_', "").parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{flag} {text:?}: expected a number from {min} to {max}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn only_loopback_urls_are_accepted() {
        let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3000);
        assert_eq!(loopback_addr("ws://127.0.0.1:3000/echo"), Ok(local));
        assert_eq!(loopback_addr("localhost:3000"), Ok(local));
        assert!(loopback_addr("ws://10.0.0.1:3000").is_err());
    }

    #[test]
    fn a_child_server_takes_its_redis_and_its_cap_after_serve() {
        let args: Vec<String> = ["--serve", "0", "--redis", "redis://127.0.0.1:7000"]
            .into_iter()
            .chain(["--max-connections", "12016"])
            .map(String::from)
            .collect();
        let expected = ServeOptions {
            port: 0,
            max_connections: 12_016,
            redis: Some("redis://127.0.0.1:7000".into()),
        };
        match parse(&args).expect("a valid command line").command {
            Command::Serve(options) => assert_eq!(options, expected),
            other => panic!("not a child server: {other:?}"),
        }
    }

    #[test]
    fn transports_counts_syscalls_unless_no_strace_and_still_accepts_strace() {
        let strace = |words: &[&str]| {
            let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            match parse(&args).expect("a valid command line").command {
                Command::Run {
                    transports: Some(plan),
                    ..
                } => plan.strace,
                other => panic!("not a transports run: {other:?}"),
            }
        };
        assert!(strace(&["transports"]));
        assert!(strace(&["transports", "--strace"]));
        assert!(!strace(&["transports", "--no-strace"]));
    }
}
