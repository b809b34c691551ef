//! What every client thread of the soak shares: where the server is, the delivery ledger,
//! the roster of addressable clients, the tally of how clients' lives ended, and the flag
//! that ends the run. One `Arc<World>`, handed to each slot of the population.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use crate::fates::Fates;
use crate::ledger::{ClientNo, Ledger};
use crate::roster::Roster;

pub struct World {
    pub server: SocketAddr,
    pub ledger: Ledger,
    pub roster: Roster,
    pub fates: Fates,
    stopping: AtomicBool,
    alive: AtomicUsize,
    last_no: AtomicU32,
}

impl World {
    pub fn new(server: SocketAddr) -> World {
        World {
            server,
            ledger: Ledger::default(),
            roster: Roster::default(),
            fates: Fates::default(),
            stopping: AtomicBool::new(false),
            alive: AtomicUsize::new(0),
            last_no: AtomicU32::new(0),
        }
    }

    /// The number of the next client to arrive, from 1.
    pub fn next_client(&self) -> ClientNo {
        self.last_no.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Asks every client to end its life now (each in its own way) and no new one to start.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// A client's life begins or ends: how many are running, for the samples.
    pub fn alive_changed(&self, begins: bool) {
        match begins {
            true => self.alive.fetch_add(1, Ordering::Relaxed),
            false => self.alive.fetch_sub(1, Ordering::Relaxed),
        };
    }

    pub fn alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }

    /// Sleeps `total`, in short steps, unless the soak stops first; `false` if it did.
    pub fn sleep_unless_stopped(&self, total: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + total;
        while std::time::Instant::now() < until {
            if self.stopping() {
                return false;
            }
            let left = until.saturating_duration_since(std::time::Instant::now());
            std::thread::sleep(left.min(std::time::Duration::from_millis(200)));
        }
        true
    }
}
