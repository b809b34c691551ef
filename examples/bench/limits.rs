//! What the kernel allows, against what `cluster-scale` will ask of it: a thread per
//! connection on the server side and a thread per client on the client side, so every
//! limit on threads, memory maps, descriptors and ports is met at tens of thousands
//! (NOTES.md chapter 6). Read before the run and printed as a table, with the command that
//! raises each one; the run goes ahead either way, so that what breaks first can be seen.

use std::fs;

/// One limit: what a run needs, what this machine has, and how a user raises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    /// Why the run needs that much.
    pub need_why: String,
    pub need: u64,
    /// `None` if it could not be read, or is not enforced here.
    pub have: Option<u64>,
    pub raise: String,
}

impl Limit {
    pub fn short(&self) -> bool {
        self.have.is_some_and(|have| have < self.need)
    }
}

/// Memory maps per thread: its stack and the stack's guard page, its signal stack and that
/// one's guard page (NOTES.md chapter 6 counted 4).
const MAPS_PER_THREAD: u64 = 4;
/// Maps, descriptors and tasks a process has besides its connections: its code and
/// libraries, malloc's arenas, Redis's connections, the progress and flusher threads.
const SPARE: u64 = 1_000;

/// The limits a cluster of `nodes` processes holding `per_node` connections each (and as
/// many client processes, a client each) meets.
pub fn for_cluster(nodes: u64, per_node: u64) -> Vec<Limit> {
    let tasks_now = tasks_now().unwrap_or(0);
    let threads = 2 * nodes * per_node + (2 * nodes + 2) * 64;
    let capable = resource_limits_bypassed();
    vec![
        Limit {
            name: "open files per process (RLIMIT_NOFILE)",
            need_why: "a descriptor per connection, in each node and each client process \
                       (`ulimit -n` goes up to `ulimit -Hn`; past it, limits.conf)"
                .into(),
            need: per_node + SPARE,
            have: own_limit("Max open files"),
            raise: format!("ulimit -n {}", per_node + SPARE),
        },
        Limit {
            name: "vm.max_map_count",
            need_why: format!("{MAPS_PER_THREAD} maps per thread, a thread per connection"),
            need: MAPS_PER_THREAD * per_node + SPARE,
            have: sysctl("vm/max_map_count"),
            raise: format!(
                "sysctl -w vm.max_map_count={}",
                MAPS_PER_THREAD * per_node + SPARE
            ),
        },
        Limit {
            name: "kernel.threads-max",
            need_why: format!("{threads} threads, beside the {tasks_now} running now"),
            need: threads + tasks_now,
            have: sysctl("kernel/threads-max"),
            raise: format!("sysctl -w kernel.threads-max={}", 2 * (threads + tasks_now)),
        },
        Limit {
            name: "kernel.pid_max",
            need_why: "a pid per thread".into(),
            need: threads + tasks_now,
            have: sysctl("kernel/pid_max"),
            raise: "sysctl -w kernel.pid_max=4194304".into(),
        },
        Limit {
            name: "max user processes (RLIMIT_NPROC)",
            need_why: if capable {
                "every thread of the user; not enforced here (CAP_SYS_RESOURCE)".into()
            } else {
                "every thread of the user counts".into()
            },
            need: threads + tasks_now,
            have: own_limit("Max processes").filter(|_| !capable),
            raise: format!("ulimit -u {}", threads + tasks_now),
        },
        Limit {
            name: "net.ipv4.ip_local_port_range",
            need_why: "a local port per connection to one node (ports are reused across nodes)"
                .into(),
            need: per_node + SPARE,
            have: local_ports(),
            raise: "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\"".into(),
        },
    ]
}

/// The table, markdown, with a last column saying what to run where a limit is short.
pub fn print(limits: &[Limit]) {
    println!("| limit | needed | this machine | why | to raise it |");
    println!("|---|--:|--:|---|---|");
    for limit in limits {
        let have = limit
            .have
            .map_or("not enforced".to_string(), |h| h.to_string());
        let raise = if limit.short() {
            format!("**short**: `{}`", limit.raise)
        } else {
            format!("`{}`", limit.raise)
        };
        println!(
            "| {} | {} | {have} | {} | {raise} |",
            limit.name, limit.need, limit.need_why
        );
    }
}

fn sysctl(path: &str) -> Option<u64> {
    fs::read_to_string(format!("/proc/sys/{path}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `net.ipv4.ip_local_port_range` is two numbers: how many ports lie between them.
fn local_ports() -> Option<u64> {
    let range = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut ends = range.split_whitespace().map(|n| n.parse::<u64>());
    let (low, high) = (ends.next()?.ok()?, ends.next()?.ok()?);
    Some(high.saturating_sub(low) + 1)
}

/// The soft limit `name` of this process, from `/proc/self/limits`; the children inherit
/// it. `None` if unlimited or unreadable.
fn own_limit(name: &str) -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// Tasks (threads) on the machine now: the fourth field of `/proc/loadavg`, `running/total`.
fn tasks_now() -> Option<u64> {
    let loadavg = fs::read_to_string("/proc/loadavg").ok()?;
    let field = loadavg.split_whitespace().nth(3)?;
    field.split('/').nth(1)?.parse().ok()
}

/// Whether this process may pass `RLIMIT_NPROC`: the kernel lets a task with
/// `CAP_SYS_RESOURCE` (bit 24) or `CAP_SYS_ADMIN` (bit 21) create threads past it.
fn resource_limits_bypassed() -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    effective & (1 << 24 | 1 << 21) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_short_only_when_known_and_below_the_need() {
        let limit = |have| Limit {
            name: "vm.max_map_count",
            need_why: String::new(),
            need: 49_000,
            have,
            raise: String::new(),
        };
        assert!(limit(Some(48_999)).short());
        assert!(!limit(Some(65_530)).short());
        assert!(!limit(None).short());
    }
}
