//! Reading RESP2 pub/sub pushes: what a reply on a subscribed connection means.
//!
//! Once a connection has subscribed (RESP2 spec, "Pub/Sub"; Redis's `SUBSCRIBE` docs), every
//! reply is an array whose first element names its kind: `message` (channel, payload),
//! `pmessage` (pattern, channel, payload), a `subscribe`/`psubscribe` confirmation (name,
//! count), an `unsubscribe`/`punsubscribe` one, or `pong`. This file turns a [`Reply`] into
//! a [`PubSubPush`] and nothing else — no socket, no state — so that every shape, good and
//! bad, is unit-tested here; `subscriber.rs` acts on the result.

use super::error::RedisError;
use super::resp::Reply;

/// One message that Redis pushed to the subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubMessage {
    /// The channel it was published on.
    pub channel: Vec<u8>,
    /// The pattern it matched, for a `PSUBSCRIBE` delivery; `None` for a `SUBSCRIBE` one.
    pub pattern: Option<Vec<u8>>,
    /// The published bytes, as they were published.
    pub payload: Vec<u8>,
}

/// `SUBSCRIBE` or `PSUBSCRIBE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionKind {
    /// `SUBSCRIBE`: one channel by name.
    Channel,
    /// `PSUBSCRIBE`: every channel a glob pattern matches.
    Pattern,
}

impl SubscriptionKind {
    /// The command that adds a subscription of this kind.
    pub fn subscribe_verb(self) -> &'static [u8] {
        match self {
            SubscriptionKind::Channel => b"SUBSCRIBE",
            SubscriptionKind::Pattern => b"PSUBSCRIBE",
        }
    }

    /// The command that removes one.
    pub fn unsubscribe_verb(self) -> &'static [u8] {
        match self {
            SubscriptionKind::Channel => b"UNSUBSCRIBE",
            SubscriptionKind::Pattern => b"PUNSUBSCRIBE",
        }
    }
}

/// What a reply on a subscribed connection means.
pub enum PubSubPush {
    /// A published message.
    Message(PubSubMessage),
    /// Redis confirmed a subscription.
    Confirmed(SubscriptionKind, Vec<u8>),
    /// A PONG, an UNSUBSCRIBE confirmation, a logged refusal: nothing to do.
    Nothing,
}

/// Reads a reply as a pub/sub push; moves the payload out rather than copying it.
pub fn push_of(reply: Reply) -> Result<PubSubPush, RedisError> {
    let unexpected = |reply: &Reply| RedisError::UnexpectedReply {
        command: "(pub/sub)",
        reply: format!("{reply:?}"),
    };
    let mut items = match reply {
        Reply::Array(items) => items,
        // PING before anything is subscribed answers a plain PONG.
        Reply::Simple(pong) if pong == "PONG" => return Ok(PubSubPush::Nothing),
        // A refused command leaves the connection in step: say so and carry on.
        Reply::Error(message) => {
            crate::log!("redis subscriber: Redis refused a command: {message}");
            return Ok(PubSubPush::Nothing);
        }
        other => return Err(unexpected(&other)),
    };
    let kind = match items.first() {
        // Copied (a few bytes) so that `items` can be taken apart below.
        Some(Reply::Bulk(kind)) => kind.clone(),
        _ => return Err(unexpected(&Reply::Array(items))),
    };
    let push = match (kind.as_slice(), items.len()) {
        (b"message", 3) => {
            let (payload, channel) = (bulk(items.pop()), bulk(items.pop()));
            channel.zip(payload).map(|(channel, payload)| {
                PubSubPush::Message(PubSubMessage {
                    channel,
                    pattern: None,
                    payload,
                })
            })
        }
        (b"pmessage", 4) => {
            let (payload, channel, pattern) =
                (bulk(items.pop()), bulk(items.pop()), bulk(items.pop()));
            match (pattern, channel, payload) {
                (Some(pattern), Some(channel), Some(payload)) => {
                    Some(PubSubPush::Message(PubSubMessage {
                        channel,
                        pattern: Some(pattern),
                        payload,
                    }))
                }
                _ => None,
            }
        }
        (b"subscribe", 3) => bulk(Some(items.swap_remove(1)))
            .map(|n| PubSubPush::Confirmed(SubscriptionKind::Channel, n)),
        (b"psubscribe", 3) => bulk(Some(items.swap_remove(1)))
            .map(|n| PubSubPush::Confirmed(SubscriptionKind::Pattern, n)),
        (b"unsubscribe" | b"punsubscribe", 3) | (b"pong", 2) => Some(PubSubPush::Nothing),
        _ => None,
    };
    // `items` may have been taken apart by now; the error names the kind only.
    push.ok_or_else(|| RedisError::UnexpectedReply {
        command: "(pub/sub)",
        reply: "a push of an unknown kind or shape".to_string(),
    })
}

fn bulk(reply: Option<Reply>) -> Option<Vec<u8>> {
    match reply {
        Some(Reply::Bulk(bytes)) => Some(bytes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(bytes: &[u8]) -> Reply {
        Reply::Bulk(bytes.to_vec())
    }

    #[test]
    fn messages_and_pattern_messages() {
        let message = Reply::Array(vec![bulk(b"message"), bulk(b"ch"), bulk(b"\x00\r\n")]);
        match push_of(message).unwrap() {
            PubSubPush::Message(m) => {
                assert_eq!(
                    (m.channel, m.pattern, m.payload),
                    (b"ch".to_vec(), None, b"\x00\r\n".to_vec())
                )
            }
            _ => panic!("not a message"),
        }
        let pmessage = Reply::Array(vec![
            bulk(b"pmessage"),
            bulk(b"c*"),
            bulk(b"c1"),
            bulk(b"x"),
        ]);
        match push_of(pmessage).unwrap() {
            PubSubPush::Message(m) => assert_eq!(m.pattern.as_deref(), Some(&b"c*"[..])),
            _ => panic!("not a message"),
        }
    }

    #[test]
    fn confirmations_and_chatter() {
        let confirmed = Reply::Array(vec![bulk(b"psubscribe"), bulk(b"p*"), Reply::Integer(1)]);
        assert!(matches!(
            push_of(confirmed).unwrap(),
            PubSubPush::Confirmed(SubscriptionKind::Pattern, name) if name == b"p*"
        ));
        let pong = Reply::Array(vec![bulk(b"pong"), bulk(b"")]);
        assert!(matches!(push_of(pong).unwrap(), PubSubPush::Nothing));
        let gone = Reply::Array(vec![bulk(b"unsubscribe"), Reply::Nil, Reply::Integer(0)]);
        assert!(matches!(push_of(gone).unwrap(), PubSubPush::Nothing));
        assert!(matches!(
            push_of(Reply::Error("ERR x".into())).unwrap(),
            PubSubPush::Nothing
        ));
    }

    #[test]
    fn wrong_shapes_are_unexpected_replies() {
        for reply in [
            Reply::Integer(1),
            Reply::Array(vec![]),
            Reply::Array(vec![Reply::Integer(1)]),
            Reply::Array(vec![bulk(b"message"), bulk(b"ch")]),
            Reply::Array(vec![bulk(b"message"), bulk(b"ch"), Reply::Integer(3)]),
            Reply::Array(vec![bulk(b"pmessage"), Reply::Nil, bulk(b"c"), bulk(b"x")]),
            Reply::Array(vec![bulk(b"hello"), bulk(b"ch"), bulk(b"x")]),
        ] {
            let shown = format!("{reply:?}");
            assert!(
                matches!(push_of(reply), Err(RedisError::UnexpectedReply { .. })),
                "{shown}"
            );
        }
    }
}
