//! How the Redis adapter is set up: the options of Node's `createAdapter(pub, sub, opts)`
//! (`@socket.io/redis-adapter` 8.x `RedisAdapterOptions`), which every node of one cluster
//! must share, and the encoding of what goes on Redis.

use std::time::Duration;

use crate::json::{self, Value};
use crate::msgpack;
use crate::redis::{Backoff, RedisConfig};

/// The options of the Redis adapter; the defaults are the Node adapter's.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisAdapterConfig {
    /// The prefix of every channel (`key`): `socket.io`. Nodes with different keys are
    /// different clusters on one Redis.
    pub key: String,
    /// How long a question to the other nodes (`fetch_sockets`, `all_rooms`) waits for
    /// their answers (`requestsTimeout`): 5 s.
    pub requests_timeout: Duration,
    /// Answer each request on a channel of the asking node's own
    /// (`{key}-response#{nsp}#{uid}#`) rather than the one all nodes hear
    /// (`publishOnSpecificResponseChannel`): `false`, the Node adapter's default. Either way
    /// this node hears both, so it can mix with nodes configured either way.
    pub publish_on_specific_response_channel: bool,
    /// How broadcasts (and acked-broadcast requests and answers) are encoded: MessagePack,
    /// as Node's default `notepack.io` parser writes it.
    pub parser: Parser,
    /// The most messages waiting to be published before new ones are dropped and counted
    /// (Redis slow or down): 65,536. The reference's Redis client queues without bound
    /// while disconnected; a bound keeps a long outage from eating the process's memory.
    pub max_queued_publishes: usize,
    /// Timeouts and limits of the two Redis connections (commands, and subscriptions).
    pub connection: RedisConfig,
    /// How the subscription connection waits between attempts to reconnect.
    pub reconnect: Backoff,
}

impl Default for RedisAdapterConfig {
    fn default() -> RedisAdapterConfig {
        RedisAdapterConfig {
            key: "socket.io".to_string(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
            parser: Parser::MsgPack,
            max_queued_publishes: 65_536,
            connection: RedisConfig::default(),
            reconnect: Backoff::default(),
        }
    }
}

/// The encoding of broadcasts on Redis (the Node adapter's `parser` option). Requests and
/// most answers are JSON whatever this says, as in the Node adapter; a reader tells the
/// two apart by the first byte, `{` for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// `notepack.io`'s MessagePack (the default): binary arguments stay bytes.
    MsgPack,
    /// `JSON.stringify`/`JSON.parse`, for clusters configured with `parser: JSON`: binary
    /// arguments travel as `{"type":"Buffer","data":[…]}` and arrive as that object.
    Json,
}

impl Parser {
    pub fn encode(self, value: &Value) -> Vec<u8> {
        match self {
            Parser::MsgPack => msgpack::encode(value),
            Parser::Json => value.to_json().into_bytes(),
        }
    }

    /// Decodes what another node published, by its first byte as the Node adapter does
    /// (JSON starts with `{` or `[`; MessagePack maps and arrays never do), so a node
    /// reads either encoding whatever it writes.
    pub fn decode(bytes: &[u8]) -> Result<Value, String> {
        match bytes.first() {
            Some(b'{') | Some(b'[') => std::str::from_utf8(bytes)
                .map_err(|_| "JSON that is not UTF-8".to_string())
                .and_then(|text| json::parse(text).map_err(|e| e.to_string())),
            Some(_) => msgpack::decode(bytes).map_err(|e| e.to_string()),
            None => Err("an empty message".to_string()),
        }
    }
}
