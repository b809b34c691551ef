//! Session watchers: functions that hear when one Engine.IO session upgrades its transport
//! or ends — the reference's `socket.on("upgrade")` and `socket.on("close")` on an
//! `engine.io` socket, which instruments such as the Admin UI (`crate::admin`) listen to.
//!
//! Where it sits: `session.rs` owns one `SessionWatchers` per session and calls
//! `SessionWatchers::upgraded` after the switch to WebSocket (Engine.IO v4 "Upgrade") and
//! `SessionWatchers::closed` once, when the session ends. Both run with no session lock
//! held, on the thread that made the change, so a watcher may send to the session.
//!
//! Watchers are dropped when the session ends: one that holds a handle to the session (or
//! to a Socket.IO socket on it) would otherwise keep it alive in a cycle.

use std::sync::{Arc, Mutex};

use super::session::CloseReason;

/// Hears that the session now runs on the named transport (`"websocket"`).
pub type UpgradeWatcher = Arc<dyn Fn(&'static str) + Send + Sync>;
/// Hears why the session ended.
pub type CloseWatcher = Arc<dyn Fn(CloseReason) + Send + Sync>;

/// The watchers of one session, behind one mutex: added from any thread, taken out whole
/// to be run, so none runs under the lock.
#[derive(Default)]
pub(crate) struct SessionWatchers {
    lists: Mutex<Lists>,
}

#[derive(Default)]
struct Lists {
    upgrade: Vec<UpgradeWatcher>,
    close: Vec<CloseWatcher>,
    /// Set at the end: a watcher added after it runs at once (close) or never (upgrade).
    ended: Option<CloseReason>,
}

impl SessionWatchers {
    /// Adds a watcher of the upgrade.
    pub(crate) fn add_upgrade(&self, watcher: UpgradeWatcher) {
        let mut lists = self.lock();
        if lists.ended.is_none() {
            lists.upgrade.push(watcher);
        }
    }

    /// Adds a watcher of the end; if the session has ended already, it runs now.
    pub(crate) fn add_close(&self, watcher: CloseWatcher) {
        let ended = {
            let mut lists = self.lock();
            if lists.ended.is_none() {
                lists.close.push(watcher.clone());
            }
            lists.ended
        };
        if let Some(reason) = ended {
            watcher(reason);
        }
    }

    /// The session switched to `transport`.
    pub(crate) fn upgraded(&self, transport: &'static str) {
        let watchers = self.lock().upgrade.clone();
        for watcher in watchers {
            watcher(transport);
        }
    }

    /// The session ended: every close watcher runs once, and all are let go.
    pub(crate) fn closed(&self, reason: CloseReason) {
        let watchers = {
            let mut lists = self.lock();
            lists.ended = Some(reason);
            lists.upgrade.clear();
            std::mem::take(&mut lists.close)
        };
        for watcher in watchers {
            watcher(reason);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lists> {
        // Poisoned only by a panic while pushing to a Vec: nothing to recover.
        self.lists.lock().expect("session watchers lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn close_watchers_run_once_and_a_late_one_runs_at_once() {
        let watchers = SessionWatchers::default();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        watchers.add_close(Arc::new(move |_| {
            seen.fetch_add(1, Ordering::Relaxed);
        }));
        watchers.closed(CloseReason::TransportClose);
        watchers.closed(CloseReason::TransportClose);
        assert_eq!(count.load(Ordering::Relaxed), 1);
        let seen = Arc::clone(&count);
        watchers.add_close(Arc::new(move |reason| {
            assert_eq!(reason, CloseReason::TransportClose);
            seen.fetch_add(10, Ordering::Relaxed);
        }));
        assert_eq!(count.load(Ordering::Relaxed), 11);
    }

    #[test]
    fn upgrade_watchers_hear_the_transport_and_none_after_the_end() {
        let watchers = SessionWatchers::default();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        watchers.add_upgrade(Arc::new(move |t| log.lock().unwrap().push(t)));
        watchers.upgraded("websocket");
        watchers.closed(CloseReason::ForcedClose);
        watchers.upgraded("websocket");
        assert_eq!(*heard.lock().unwrap(), vec!["websocket"]);
    }
}
