//! Rooms: named groups of sockets within a namespace, for broadcasting to a subset.
//!
//! Socket.IO v4 "Rooms": a socket joins and leaves rooms on the server (the client never
//! knows), every socket is in a room named by its own id, and a room exists while it has
//! members. Both directions are kept — room → socket ids to broadcast, socket id → rooms to
//! leave them all at disconnect — and every method updates both, so they cannot disagree.

use std::collections::{HashMap, HashSet};

/// The rooms of one namespace.
#[derive(Debug, Default)]
pub struct Rooms {
    members: HashMap<String, HashSet<String>>,
    rooms_of: HashMap<String, HashSet<String>>,
}

impl Rooms {
    /// Puts socket `sid` in `room` (no effect if it is there already).
    pub fn join(&mut self, sid: &str, room: &str) {
        self.members
            .entry(room.to_string())
            .or_default()
            .insert(sid.to_string());
        self.rooms_of
            .entry(sid.to_string())
            .or_default()
            .insert(room.to_string());
    }

    /// Takes socket `sid` out of `room`; an emptied room disappears.
    pub fn leave(&mut self, sid: &str, room: &str) {
        if let Some(members) = self.members.get_mut(room) {
            members.remove(sid);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
        if let Some(rooms) = self.rooms_of.get_mut(sid) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.rooms_of.remove(sid);
            }
        }
    }

    /// Takes socket `sid` out of every room (at disconnect).
    pub fn leave_all(&mut self, sid: &str) {
        for room in self.rooms(sid) {
            self.leave(sid, &room);
        }
    }

    /// The rooms socket `sid` is in, sorted.
    pub fn rooms(&self, sid: &str) -> Vec<String> {
        let mut rooms: Vec<String> = self
            .rooms_of
            .get(sid)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        rooms.sort();
        rooms
    }

    /// The ids of the sockets in `room`.
    pub fn members(&self, room: &str) -> impl Iterator<Item = &str> {
        self.members
            .get(room)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_agree_after_join_and_leave() {
        let mut rooms = Rooms::default();
        rooms.join("a", "lobby");
        rooms.join("b", "lobby");
        rooms.join("a", "a");
        assert_eq!(rooms.rooms("a"), ["a", "lobby"]);
        rooms.leave("a", "lobby");
        assert_eq!(rooms.members("lobby").collect::<Vec<_>>(), ["b"]);
        assert_eq!(rooms.rooms("a"), ["a"]);
    }

    #[test]
    fn leaving_everything_empties_rooms_and_forgets_the_socket() {
        let mut rooms = Rooms::default();
        rooms.join("a", "x");
        rooms.join("a", "y");
        rooms.leave_all("a");
        assert!(rooms.rooms("a").is_empty());
        assert_eq!(rooms.members("x").count(), 0);
        assert!(rooms.members.is_empty() && rooms.rooms_of.is_empty());
    }
}
