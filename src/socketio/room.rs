//! Rooms: named groups of sockets within a namespace, for broadcasting to a subset.
//!
//! Socket.IO v4 "Rooms": a socket joins and leaves rooms on the server (the client never
//! knows), every socket is in a room named by its own id, and a room exists while it has
//! members. Both directions are kept — room → socket ids to broadcast, socket id → rooms to
//! leave them all at disconnect, and to answer "is it in this room?" without a scan — and
//! every method updates both, so they cannot disagree.
//!
//! How many rooms one socket may be in is capped (`IoConfig::max_rooms_per_socket`; the
//! reference has no cap): every room a socket is in is held twice here, and leaving them
//! all at disconnect happens under the namespace's write lock, which every other join,
//! leave and broadcast of the namespace waits for.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// Why a socket could not join a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomError {
    /// The socket is in `max` rooms besides its own already (`IoConfig::max_rooms_per_socket`).
    TooManyRooms { max: usize },
    /// The socket is not connected to its namespace: not yet (a middleware is still
    /// deciding), or no longer.
    NotConnected,
}

impl fmt::Display for RoomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomError::TooManyRooms { max } => write!(
                f,
                "the socket is in {max} rooms already, the most it may join besides its own"
            ),
            RoomError::NotConnected => write!(f, "the socket is not connected to its namespace"),
        }
    }
}

impl std::error::Error for RoomError {}

/// The rooms of one namespace.
#[derive(Debug)]
pub struct Rooms {
    members: HashMap<String, HashSet<String>>,
    rooms_of: HashMap<String, HashSet<String>>,
    /// The most rooms a socket may join besides its own.
    max_per_socket: usize,
}

impl Rooms {
    /// No rooms yet; each socket may join up to `max_per_socket` besides its own.
    pub fn new(max_per_socket: usize) -> Rooms {
        Rooms {
            members: HashMap::new(),
            rooms_of: HashMap::new(),
            max_per_socket,
        }
    }

    /// Puts socket `socket_id` in `room`. A room it is in already changes nothing and is never
    /// refused, even at the cap.
    ///
    /// # Errors
    /// [`RoomError::TooManyRooms`] if the socket is in `max_per_socket` rooms besides its
    /// own; it stays in those.
    pub fn join(&mut self, socket_id: &str, room: &str) -> Result<(), RoomError> {
        if self.contains(socket_id, room) {
            return Ok(());
        }
        // Its own room is the server's, not the application's: it does not count, so the
        // cap is the number of rooms the application may choose, whether or not the socket
        // has left its own.
        if room != socket_id && self.joined_besides_own(socket_id) >= self.max_per_socket {
            return Err(RoomError::TooManyRooms {
                max: self.max_per_socket,
            });
        }
        self.insert(socket_id, room);
        Ok(())
    }

    /// Puts socket `socket_id` in the room named by its id (Socket.IO v4 "Rooms"), which no cap
    /// refuses.
    pub fn join_own_room(&mut self, socket_id: &str) {
        self.insert(socket_id, socket_id);
    }

    /// Takes socket `socket_id` out of `room`; an emptied room disappears.
    pub fn leave(&mut self, socket_id: &str, room: &str) {
        self.remove_member(room, socket_id);
        if let Some(rooms) = self.rooms_of.get_mut(socket_id) {
            rooms.remove(room);
            if rooms.is_empty() {
                self.rooms_of.remove(socket_id);
            }
        }
    }

    /// Takes socket `socket_id` out of every room (at disconnect).
    pub fn leave_all(&mut self, socket_id: &str) {
        for room in self.rooms_of.remove(socket_id).into_iter().flatten() {
            self.remove_member(&room, socket_id);
        }
    }

    /// Whether socket `socket_id` is in `room`: two hash lookups, whatever the number of rooms.
    pub fn contains(&self, socket_id: &str, room: &str) -> bool {
        self.rooms_of
            .get(socket_id)
            .is_some_and(|rooms| rooms.contains(room))
    }

    /// The rooms socket `socket_id` is in, in no particular order: sorting is left to the caller,
    /// who can do it after letting go of the namespace's lock.
    pub fn rooms(&self, socket_id: &str) -> Vec<String> {
        self.rooms_of
            .get(socket_id)
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// The ids of the sockets in `room`.
    pub fn members(&self, room: &str) -> impl Iterator<Item = &str> {
        self.members
            .get(room)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The names of the rooms that have members, sockets' own rooms included.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    /// How many rooms have members, sockets' own rooms left out: a room is some socket's
    /// own exactly when that socket, named like the room, is among its members.
    pub fn count_besides_own(&self) -> usize {
        self.members
            .iter()
            .filter(|(room, members)| !members.contains(room.as_str()))
            .count()
    }

    /// How many rooms socket `socket_id` is in, its own left out.
    fn joined_besides_own(&self, socket_id: &str) -> usize {
        self.rooms_of.get(socket_id).map_or(0, |rooms| {
            rooms.len() - usize::from(rooms.contains(socket_id))
        })
    }

    fn insert(&mut self, socket_id: &str, room: &str) {
        self.members
            .entry(room.to_string())
            .or_default()
            .insert(socket_id.to_string());
        self.rooms_of
            .entry(socket_id.to_string())
            .or_default()
            .insert(room.to_string());
    }

    /// Takes `socket_id` out of `room`'s members; an emptied room disappears.
    fn remove_member(&mut self, room: &str, socket_id: &str) {
        if let Some(members) = self.members.get_mut(room) {
            members.remove(socket_id);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut rooms: Vec<String>) -> Vec<String> {
        rooms.sort();
        rooms
    }

    #[test]
    fn own_rooms_are_not_counted_but_shared_ones_are() {
        let mut rooms = Rooms::new(10);
        rooms.join_own_room("a");
        rooms.join_own_room("b");
        rooms.join("a", "red").unwrap();
        rooms.join("b", "red").unwrap();
        rooms.join("b", "blue").unwrap();
        assert_eq!(rooms.count_besides_own(), 2);
        rooms.leave_all("b");
        assert_eq!(rooms.count_besides_own(), 1);
    }

    #[test]
    fn both_directions_agree_after_join_and_leave() {
        let mut rooms = Rooms::new(10);
        rooms.join("a", "lobby").unwrap();
        rooms.join("b", "lobby").unwrap();
        rooms.join_own_room("a");
        assert_eq!(sorted(rooms.rooms("a")), ["a", "lobby"]);
        rooms.leave("a", "lobby");
        assert_eq!(rooms.members("lobby").collect::<Vec<_>>(), ["b"]);
        assert_eq!(rooms.rooms("a"), ["a"]);
    }

    #[test]
    fn leaving_everything_empties_rooms_and_forgets_the_socket() {
        let mut rooms = Rooms::new(10);
        rooms.join("a", "x").unwrap();
        rooms.join("a", "y").unwrap();
        rooms.leave_all("a");
        assert!(rooms.rooms("a").is_empty());
        assert_eq!(rooms.members("x").count(), 0);
        assert!(rooms.members.is_empty() && rooms.rooms_of.is_empty());
    }

    #[test]
    fn contains_follows_join_and_leave() {
        let mut rooms = Rooms::new(10);
        assert!(!rooms.contains("a", "x"));
        rooms.join("a", "x").unwrap();
        assert!(rooms.contains("a", "x"));
        assert!(!rooms.contains("b", "x"), "another socket");
        assert!(!rooms.contains("a", "y"), "another room");
        rooms.leave("a", "x");
        assert!(!rooms.contains("a", "x"));
    }

    #[test]
    fn a_join_past_the_cap_is_refused_and_changes_nothing() {
        let mut rooms = Rooms::new(2);
        rooms.join_own_room("a");
        rooms.join("a", "x").unwrap();
        rooms.join("a", "y").unwrap();
        assert_eq!(
            rooms.join("a", "z"),
            Err(RoomError::TooManyRooms { max: 2 })
        );
        assert_eq!(sorted(rooms.rooms("a")), ["a", "x", "y"]);
        assert_eq!(rooms.members("z").count(), 0, "no empty room left behind");
    }

    #[test]
    fn at_the_cap_a_room_already_joined_and_the_own_room_are_still_ok() {
        let mut rooms = Rooms::new(1);
        rooms.join("a", "x").unwrap();
        assert_eq!(rooms.join("a", "x"), Ok(()), "already in it");
        assert_eq!(rooms.join("a", "a"), Ok(()), "its own room does not count");
        assert_eq!(sorted(rooms.rooms("a")), ["a", "x"]);
    }

    #[test]
    fn leaving_a_room_frees_its_slot() {
        let mut rooms = Rooms::new(1);
        rooms.join("a", "x").unwrap();
        assert!(rooms.join("a", "y").is_err());
        rooms.leave("a", "x");
        assert_eq!(rooms.join("a", "y"), Ok(()));
    }

    #[test]
    fn each_socket_has_a_cap_of_its_own() {
        let mut rooms = Rooms::new(1);
        rooms.join("a", "x").unwrap();
        assert_eq!(rooms.join("b", "x"), Ok(()));
        assert_eq!(
            rooms.join("b", "y"),
            Err(RoomError::TooManyRooms { max: 1 })
        );
    }
}
