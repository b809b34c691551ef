//! Who can be written to right now: the clients that are connected, with the socket id
//! that reaches each (its own room). A sender picks its addressee here; a client leaves the
//! roster as it begins to leave, so that few messages are aimed at a client already going.
//! Few, not none — a sender may pick a client in the instant before it leaves — and the
//! ledger counts those apart, as "the receiver left".

use std::sync::{Arc, Mutex};

use crate::ledger::ClientNo;
use crate::xorshift::Xorshift;

/// The addressable clients. A few hundred at most: a `Vec` searched in order is enough.
#[derive(Default)]
pub struct Roster {
    present: Mutex<Vec<(ClientNo, Arc<str>)>>,
}

impl Roster {
    pub fn add(&self, no: ClientNo, socket_id: &str) {
        self.lock().push((no, socket_id.into()));
    }

    pub fn remove(&self, no: ClientNo) {
        let mut present = self.lock();
        if let Some(index) = present.iter().position(|(n, _)| *n == no) {
            present.swap_remove(index);
        }
    }

    /// Someone other than `me`, at random: their number and socket id.
    pub fn pick(&self, rng: &mut Xorshift, me: ClientNo) -> Option<(ClientNo, Arc<str>)> {
        let present = self.lock();
        let others = present.iter().filter(|(no, _)| *no != me).count() as u64;
        if others == 0 {
            return None;
        }
        let chosen = rng.below(others) as usize;
        present
            .iter()
            .filter(|(no, _)| *no != me)
            .nth(chosen)
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(ClientNo, Arc<str>)>> {
        self.present.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_never_picks_itself_and_the_gone_are_not_picked() {
        let roster = Roster::default();
        let mut rng = Xorshift::new(3);
        roster.add(1, "a");
        assert!(
            roster.pick(&mut rng, 1).is_none(),
            "alone: nobody to write to"
        );
        roster.add(2, "b");
        for _ in 0..20 {
            assert_eq!(roster.pick(&mut rng, 1).map(|(no, _)| no), Some(2));
        }
        roster.remove(2);
        assert!(roster.pick(&mut rng, 1).is_none());
    }
}
