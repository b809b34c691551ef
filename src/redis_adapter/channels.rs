//! The Redis channels of one namespace, named as the Node adapter names them
//! (`@socket.io/redis-adapter` 8.x, `lib/index.ts`; `../shared/docs/redis-adapter.md`).
//!
//! - broadcasts: `{key}#{nsp}#`, or `{key}#{nsp}#{room}#` for a broadcast to exactly one
//!   room — so a node could subscribe to the rooms it has members in. Every node takes the
//!   whole namespace with the pattern `{key}#{nsp}#*`, and drops a single-room broadcast
//!   for a room it has no member of without decoding it.
//! - requests: `{key}-request#{nsp}#`, heard by every node; `PUBSUB NUMSUB` of it is the
//!   number of nodes serving the namespace.
//! - answers: `{key}-response#{nsp}#`, and `{key}-response#{nsp}#{uid}#` for answers meant
//!   for this node alone.

/// The channels of one namespace, for a node with id `uid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Channels {
    /// `{key}#{nsp}#`
    pub broadcast: String,
    /// `{key}#{nsp}#*`
    pub broadcast_pattern: String,
    /// `{key}-request#{nsp}#`
    pub request: String,
    /// `{key}-response#{nsp}#`
    pub response: String,
    /// `{key}-response#{nsp}#{uid}#`
    pub own_response: String,
}

impl Channels {
    pub(crate) fn new(key: &str, namespace: &str, uid: &str) -> Channels {
        let broadcast = format!("{key}#{namespace}#");
        let response = format!("{key}-response#{namespace}#");
        Channels {
            broadcast_pattern: format!("{broadcast}*"),
            own_response: format!("{response}{uid}#"),
            broadcast,
            request: format!("{key}-request#{namespace}#"),
            response,
        }
    }

    /// Where a broadcast to `rooms` goes: the room's own channel when there is one room.
    pub(crate) fn broadcast_to(&self, rooms: &[String]) -> String {
        match rooms {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }

    /// The room a broadcast channel names (`None` for the namespace's own channel), or
    /// `None` for a channel that is not one of this namespace's broadcast channels.
    pub(crate) fn room_of<'a>(&self, channel: &'a str) -> Option<Option<&'a str>> {
        let rest = channel.strip_prefix(self.broadcast.as_str())?;
        match rest {
            "" => Some(None),
            _ => rest.strip_suffix('#').map(Some),
        }
    }

    /// Where the answer to a request from node `asker` goes.
    pub(crate) fn answer_to(&self, asker: &str, specific: bool) -> String {
        if specific {
            format!("{}{asker}#", self.response)
        } else {
            self.response.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_adapters_names() {
        let channels = Channels::new("socket.io", "/chat", "abc123");
        assert_eq!(channels.broadcast, "socket.io#/chat#");
        assert_eq!(channels.broadcast_pattern, "socket.io#/chat#*");
        assert_eq!(channels.request, "socket.io-request#/chat#");
        assert_eq!(channels.response, "socket.io-response#/chat#");
        assert_eq!(channels.own_response, "socket.io-response#/chat#abc123#");
        assert_eq!(
            channels.answer_to("xyz", true),
            "socket.io-response#/chat#xyz#"
        );
        assert_eq!(
            channels.answer_to("xyz", false),
            "socket.io-response#/chat#"
        );
    }

    #[test]
    fn one_room_has_a_channel_of_its_own() {
        let channels = Channels::new("socket.io", "/", "u");
        let one = ["lobby".to_string()];
        let two = ["a".to_string(), "b".to_string()];
        assert_eq!(channels.broadcast_to(&one), "socket.io#/#lobby#");
        assert_eq!(channels.broadcast_to(&two), "socket.io#/#");
        assert_eq!(channels.broadcast_to(&[]), "socket.io#/#");
        assert_eq!(channels.room_of("socket.io#/#lobby#"), Some(Some("lobby")));
        assert_eq!(channels.room_of("socket.io#/#"), Some(None));
        assert_eq!(channels.room_of("socket.io#/chat#"), None);
    }
}
