//! The messages nodes exchange on Redis, in the Node adapter's shapes
//! (`@socket.io/redis-adapter` 8.x; `../shared/docs/redis-adapter.md` has the table).
//!
//! - A **broadcast** (on a broadcast channel) is `[uid, packet, opts]`, encoded with the
//!   parser: the sending node's id, the Socket.IO packet as an object
//!   (`{"type":2,"data":["event",…],"nsp":"/"}`, binary arguments inline), and the choice of
//!   sockets (`{"rooms":[…],"except":[…],"flags":{…}}`).
//! - A **request** (on the request channel) is an object with `uid`, a `type` from 0 to 7,
//!   a `requestId` when an answer is wanted, and the fields of its type. JSON, except the
//!   acked broadcast (type 7), which carries a packet and so uses the parser.
//! - An **answer** (on a response channel) is an object with the `requestId`; those to an
//!   acked broadcast also say their `type`, 8 (how many clients were asked) or 9 (one
//!   client's answer, with the parser).
//!
//! Everything here comes from other processes, so decoding checks every shape and says
//! what was wrong ([`MessageError`]); the adapter logs it and drops the message.

use std::fmt;
use std::time::Duration;

use crate::json::{Map, Value};
use crate::socketio::packet::RESERVED_EVENTS;
use crate::socketio::{BroadcastFlags, BroadcastOptions};

/// The request types, numbered as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
}

impl RequestType {
    fn of(number: i64) -> Option<RequestType> {
        use RequestType::*;
        [
            Sockets,
            AllRooms,
            RemoteJoin,
            RemoteLeave,
            RemoteDisconnect,
            RemoteFetch,
            ServerSideEmit,
            Broadcast,
            BroadcastClientCount,
            BroadcastAck,
        ]
        .into_iter()
        .find(|kind| *kind as i64 == number)
    }
}

/// Why a message from another node was not understood.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageError {
    /// Neither JSON nor MessagePack.
    Undecodable(String),
    /// Decoded, but not in the shape of any message: what was wrong.
    Shape(String),
    /// A request type this adapter does not know (a newer Node adapter's, say).
    UnknownType(i64),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::Undecodable(why) => write!(f, "undecodable: {why}"),
            MessageError::Shape(why) => write!(f, "not a message: {why}"),
            MessageError::UnknownType(number) => write!(f, "unknown request type {number}"),
        }
    }
}

impl std::error::Error for MessageError {}

fn shape(why: impl Into<String>) -> MessageError {
    MessageError::Shape(why.into())
}

/// An event to emit: its name and arguments (binary ones as `Value::Binary`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub args: Vec<Value>,
}

/// A broadcast published by a node, for the others to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub uid: String,
    /// The namespace the packet names (`/` when it names none).
    pub namespace: String,
    pub event: Event,
    pub options: BroadcastOptions,
}

impl Broadcast {
    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::from(self.uid.as_str()),
            packet_value(&self.event, &self.namespace),
            options_value(&self.options, true),
        ])
    }

    pub fn from_value(value: Value) -> Result<Broadcast, MessageError> {
        let Value::Array(items) = value else {
            return Err(shape("a broadcast is an array [uid, packet, opts]"));
        };
        let mut items = items.into_iter();
        let (Some(uid), Some(packet), options) = (items.next(), items.next(), items.next()) else {
            return Err(shape("a broadcast has a uid and a packet"));
        };
        let uid = string(&uid, "uid")?;
        let (namespace, event) = packet_of(packet)?;
        let options = options.map_or(Ok(BroadcastOptions::default()), |o| options_of(&o))?;
        Ok(Broadcast {
            uid,
            namespace,
            event,
            options,
        })
    }
}

/// Which sockets a join, leave or disconnect request is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Chosen {
    /// Those `opts` choose (`socketsJoin` and the like): no answer is sent.
    ByOptions(BroadcastOptions),
    /// One socket by its id, the message's `sid` field (the older `remoteJoin(sid, room)`
    /// form): answered.
    BySocketId(String),
}

/// What a request asks.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// The ids of the sockets in any of `rooms` (every socket if none).
    Sockets {
        rooms: Vec<String>,
    },
    AllRooms,
    Join {
        chosen: Chosen,
        rooms: Vec<String>,
    },
    Leave {
        chosen: Chosen,
        rooms: Vec<String>,
    },
    Disconnect {
        chosen: Chosen,
        close: bool,
    },
    Fetch {
        options: BroadcastOptions,
    },
    /// `[event, ...args]` for the server-side handlers.
    ServerSideEmit {
        data: Vec<Value>,
    },
    /// An acked broadcast: emit, then answer with the client count and each client's ack.
    Broadcast {
        event: Event,
        options: BroadcastOptions,
    },
}

/// A request from node `uid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub uid: String,
    /// Present when the asker wants an answer.
    pub request_id: Option<String>,
    pub ask: Ask,
}

impl Request {
    /// The request as an object, in the Node adapter's field order.
    pub fn to_value(&self, namespace: &str) -> Value {
        let mut map = Map::new();
        map.insert("uid", self.uid.as_str());
        if let Some(id) = &self.request_id {
            map.insert("requestId", id.as_str());
        }
        map.insert("type", self.request_type() as i64);
        match &self.ask {
            Ask::Sockets { rooms } => map.insert("rooms", strings(rooms)),
            Ask::AllRooms => {}
            Ask::Join { chosen, rooms } | Ask::Leave { chosen, rooms } => {
                insert_chosen(&mut map, chosen);
                match chosen {
                    Chosen::ByOptions(_) => map.insert("rooms", strings(rooms)),
                    Chosen::BySocketId(_) => map.insert(
                        "room",
                        rooms.first().map_or(Value::Null, |r| r.as_str().into()),
                    ),
                }
            }
            Ask::Disconnect { chosen, close } => {
                insert_chosen(&mut map, chosen);
                map.insert("close", *close);
            }
            Ask::Fetch { options } => map.insert("opts", options_value(options, false)),
            Ask::ServerSideEmit { data } => map.insert("data", Value::Array(data.clone())),
            Ask::Broadcast { event, options } => {
                map.insert("packet", packet_value(event, namespace));
                map.insert("opts", options_value(options, true));
            }
        }
        Value::Object(map)
    }

    fn request_type(&self) -> RequestType {
        match &self.ask {
            Ask::Sockets { .. } => RequestType::Sockets,
            Ask::AllRooms => RequestType::AllRooms,
            Ask::Join { .. } => RequestType::RemoteJoin,
            Ask::Leave { .. } => RequestType::RemoteLeave,
            Ask::Disconnect { .. } => RequestType::RemoteDisconnect,
            Ask::Fetch { .. } => RequestType::RemoteFetch,
            Ask::ServerSideEmit { .. } => RequestType::ServerSideEmit,
            Ask::Broadcast { .. } => RequestType::Broadcast,
        }
    }

    /// Whether this request carries a packet, and so goes with the parser, not JSON.
    pub fn uses_parser(&self) -> bool {
        matches!(self.ask, Ask::Broadcast { .. })
    }

    pub fn from_value(value: Value) -> Result<Request, MessageError> {
        let Value::Object(mut map) = value else {
            return Err(shape("a request is an object"));
        };
        // `@socket.io/redis-emitter` sends its joins, leaves and disconnects with no uid: it
        // is no node, and expects no answer.
        let uid = match map.get("uid") {
            None | Some(Value::Null) => String::new(),
            Some(uid) => string(uid, "uid")?,
        };
        let request_id = map.get("requestId").map(request_id_of).transpose()?;
        let number = map
            .get("type")
            .and_then(Value::as_i64)
            .ok_or_else(|| shape("a request has a numeric type"))?;
        let kind = RequestType::of(number).ok_or(MessageError::UnknownType(number))?;
        let ask = match kind {
            RequestType::Sockets => Ask::Sockets {
                rooms: rooms_field(&map, "rooms")?,
            },
            RequestType::AllRooms => Ask::AllRooms,
            RequestType::RemoteJoin => Ask::Join {
                chosen: chosen_of(&map)?,
                rooms: join_rooms_of(&map)?,
            },
            RequestType::RemoteLeave => Ask::Leave {
                chosen: chosen_of(&map)?,
                rooms: join_rooms_of(&map)?,
            },
            RequestType::RemoteDisconnect => Ask::Disconnect {
                chosen: chosen_of(&map)?,
                close: map.get("close").and_then(Value::as_bool).unwrap_or(false),
            },
            RequestType::RemoteFetch => Ask::Fetch {
                options: options_field(&map)?,
            },
            RequestType::ServerSideEmit => match map.remove("data") {
                Some(Value::Array(data)) => Ask::ServerSideEmit { data },
                _ => return Err(shape("a server-side emit has data, an array")),
            },
            RequestType::Broadcast => {
                let packet = map
                    .remove("packet")
                    .ok_or_else(|| shape("an acked broadcast has a packet"))?;
                let (_, event) = packet_of(packet)?;
                Ask::Broadcast {
                    event,
                    options: options_field(&map)?,
                }
            }
            RequestType::BroadcastClientCount | RequestType::BroadcastAck => {
                return Err(shape("an answer on the request channel"));
            }
        };
        Ok(Request {
            uid,
            request_id,
            ask,
        })
    }
}

/// An answer to request `request_id`. What it holds depends on what was asked, which only
/// the asker knows; so it stays an object, read by the asker (`pending.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub request_id: String,
    pub body: Map,
}

impl Answer {
    pub fn from_value(value: Value) -> Result<Answer, MessageError> {
        let Value::Object(body) = value else {
            return Err(shape("an answer is an object"));
        };
        let request_id = request_id_of(body.get("requestId").unwrap_or(&Value::Null))?;
        Ok(Answer { request_id, body })
    }

    /// An answer with these fields after its `requestId` (and `type`, if given).
    pub fn to_value(
        request_id: &str,
        kind: Option<RequestType>,
        fields: Vec<(&str, Value)>,
    ) -> Value {
        let mut map = Map::new();
        if let Some(kind) = kind {
            map.insert("type", kind as i64);
        }
        map.insert("requestId", request_id);
        for (key, value) in fields {
            map.insert(key, value);
        }
        Value::Object(map)
    }

    /// The `type` of an answer to an acked broadcast (8 or 9); `None` for the others.
    pub fn kind(&self) -> Option<RequestType> {
        self.body
            .get("type")
            .and_then(Value::as_i64)
            .and_then(RequestType::of)
    }
}

/// A request id: Node's are 6-character strings; a number is read as its text.
fn request_id_of(value: &Value) -> Result<String, MessageError> {
    match value {
        Value::String(id) => Ok(id.clone()),
        Value::Number(n) => Ok(Value::Number(*n).to_json()),
        _ => Err(shape("a requestId is a string")),
    }
}

fn string(value: &Value, what: &str) -> Result<String, MessageError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| shape(format!("{what} is a string")))
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect())
}

/// `{"type":2,"data":[name, ...args],"nsp":…}`: an EVENT, as Node's adapter hands packets
/// around (binary arguments inline; the Socket.IO encoder makes the attachments later).
fn packet_value(event: &Event, namespace: &str) -> Value {
    let mut data = Vec::with_capacity(1 + event.args.len());
    data.push(Value::from(event.name.as_str()));
    data.extend(event.args.iter().cloned());
    let mut packet = Map::new();
    packet.insert("type", 2);
    packet.insert("data", Value::Array(data));
    packet.insert("nsp", namespace);
    Value::Object(packet)
}

/// A packet's namespace and event. EVENT (2), or BINARY_EVENT (5) from a peer that marked
/// its binary arguments so; anything else is not something to broadcast.
fn packet_of(packet: Value) -> Result<(String, Event), MessageError> {
    let Value::Object(mut packet) = packet else {
        return Err(shape("a packet is an object"));
    };
    match packet.get("type").and_then(Value::as_i64) {
        Some(2) | Some(5) => {}
        _ => return Err(shape("a broadcast packet is an EVENT (type 2)")),
    }
    let namespace = match packet.get("nsp") {
        None | Some(Value::Null) => "/".to_string(),
        Some(nsp) => string(nsp, "nsp")?,
    };
    let Some(Value::Array(data)) = packet.remove("data") else {
        return Err(shape("an EVENT's data is an array"));
    };
    let mut data = data.into_iter();
    let name = match data.next() {
        Some(Value::String(name)) if !RESERVED_EVENTS.contains(&name.as_str()) => name,
        Some(Value::String(name)) => return Err(shape(format!("{name:?} is reserved"))),
        _ => return Err(shape("an EVENT's data starts with its name")),
    };
    Ok((
        namespace,
        Event {
            name,
            args: data.collect(),
        },
    ))
}

/// `{"rooms":[…],"except":[…]}`, and `"flags"` for a broadcast.
fn options_value(options: &BroadcastOptions, with_flags: bool) -> Value {
    let mut map = Map::new();
    map.insert("rooms", strings(&options.rooms));
    map.insert("except", strings(&options.except));
    if with_flags {
        let mut flags = Map::new();
        if options.flags.volatile {
            flags.insert("volatile", true);
        }
        if let Some(timeout) = options.flags.timeout {
            flags.insert("timeout", timeout.as_millis() as u64);
        }
        map.insert("flags", Value::Object(flags));
    }
    Value::Object(map)
}

fn options_field(map: &Map) -> Result<BroadcastOptions, MessageError> {
    options_of(map.get("opts").unwrap_or(&Value::Null))
}

/// The options of a broadcast or request. Missing lists are empty; a flag this adapter
/// does not know (`compress`, say) is ignored, as it changes nothing between nodes.
fn options_of(value: &Value) -> Result<BroadcastOptions, MessageError> {
    let map = match value {
        Value::Object(map) => map,
        Value::Null => return Ok(BroadcastOptions::default()),
        _ => return Err(shape("opts is an object")),
    };
    let flags = map.get("flags").and_then(Value::as_object);
    let flag = |name: &str| flags.and_then(|f| f.get(name));
    Ok(BroadcastOptions {
        rooms: rooms_field(map, "rooms")?,
        except: rooms_field(map, "except")?,
        flags: BroadcastFlags {
            volatile: flag("volatile").and_then(Value::as_bool).unwrap_or(false),
            local: false,
            timeout: flag("timeout")
                .and_then(Value::as_f64)
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Duration::from_millis(ms as u64)),
        },
    })
}

/// A list of room names. Node allows numbers as room names; they are matched by their
/// text, which is how the Node adapter finds them too (`hasRoom` tries both).
fn rooms_field(map: &Map, key: &str) -> Result<Vec<String>, MessageError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(room_name).collect(),
        Some(_) => Err(shape(format!("{key} is an array of rooms"))),
    }
}

fn room_name(value: &Value) -> Result<String, MessageError> {
    match value {
        Value::String(room) => Ok(room.clone()),
        Value::Number(n) => Ok(Value::Number(*n).to_json()),
        _ => Err(shape("a room is a string")),
    }
}

/// The sockets a join, leave or disconnect is for: the `opts` field, or the `sid` field (a
/// socket id).
fn chosen_of(map: &Map) -> Result<Chosen, MessageError> {
    match (map.get("opts"), map.get("sid")) {
        (Some(opts), _) if !opts.is_null() => Ok(Chosen::ByOptions(options_of(opts)?)),
        (_, Some(socket_id)) => Ok(Chosen::BySocketId(string(socket_id, "sid")?)),
        _ => Err(shape(
            "a remote join, leave or disconnect has opts or a sid",
        )),
    }
}

fn insert_chosen(map: &mut Map, chosen: &Chosen) {
    match chosen {
        Chosen::ByOptions(options) => map.insert("opts", options_value(options, false)),
        Chosen::BySocketId(socket_id) => map.insert("sid", socket_id.as_str()),
    }
}

/// The rooms of a join or leave: `rooms` (the `opts` form) or `room` (the `sid` field's form).
fn join_rooms_of(map: &Map) -> Result<Vec<String>, MessageError> {
    match map.get("room") {
        Some(room) if !room.is_null() => Ok(vec![room_name(room)?]),
        _ => rooms_field(map, "rooms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn json(text: &str) -> Value {
        parse(text).unwrap()
    }

    #[test]
    fn a_broadcast_round_trips_in_the_node_shape() {
        let broadcast = Broadcast {
            uid: "abc123".into(),
            namespace: "/chat".into(),
            event: Event {
                name: "hello".into(),
                args: vec![1.into(), Value::binary(vec![1, 2])],
            },
            options: BroadcastOptions {
                rooms: vec!["r".into()],
                except: vec!["x".into()],
                flags: BroadcastFlags {
                    volatile: true,
                    ..BroadcastFlags::default()
                },
            },
        };
        let value = broadcast.to_value();
        assert_eq!(
            value.to_json(),
            r#"["abc123",{"type":2,"data":["hello",1,{"type":"Buffer","data":[1,2]}],"nsp":"/chat"},{"rooms":["r"],"except":["x"],"flags":{"volatile":true}}]"#
        );
        assert_eq!(Broadcast::from_value(value).unwrap(), broadcast);
    }

    #[test]
    fn a_packet_without_nsp_is_for_the_main_namespace() {
        let value = json(r#"["emitter",{"type":2,"data":["hi"]},{"rooms":[],"except":[]}]"#);
        let broadcast = Broadcast::from_value(value).unwrap();
        assert_eq!(broadcast.namespace, "/");
        assert_eq!(broadcast.uid, "emitter");
    }

    #[test]
    fn reserved_names_and_other_shapes_are_refused() {
        for text in [
            r#"["u",{"type":2,"data":["disconnect"]},{}]"#,
            r#"["u",{"type":0,"data":["hi"]},{}]"#,
            r#"["u",{"type":2,"data":[1]},{}]"#,
            r#"{"uid":"u"}"#,
            r#"["u"]"#,
        ] {
            assert!(Broadcast::from_value(json(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn requests_read_as_the_node_adapter_writes_them() {
        let join =
            json(r#"{"uid":"n1","type":2,"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}"#);
        assert_eq!(
            Request::from_value(join).unwrap().ask,
            Ask::Join {
                chosen: Chosen::ByOptions(BroadcastOptions {
                    rooms: vec!["a".into()],
                    ..BroadcastOptions::default()
                }),
                rooms: vec!["b".into()],
            }
        );
        let old = json(r#"{"uid":"n1","requestId":"r1","type":3,"sid":"s1","room":"b"}"#);
        let old = Request::from_value(old).unwrap();
        assert_eq!(old.request_id.as_deref(), Some("r1"));
        assert_eq!(
            old.ask,
            Ask::Leave {
                chosen: Chosen::BySocketId("s1".into()),
                rooms: vec!["b".into()]
            }
        );
        let from_emitter = json(r#"{"type":4,"opts":{"rooms":["vip"],"except":[]},"close":true}"#);
        let from_emitter = Request::from_value(from_emitter).unwrap();
        assert_eq!(from_emitter.uid, "");
        assert!(matches!(
            from_emitter.ask,
            Ask::Disconnect { close: true, .. }
        ));
        let emit = json(r#"{"uid":"n1","type":6,"data":["ev",1]}"#);
        assert_eq!(
            Request::from_value(emit).unwrap().ask,
            Ask::ServerSideEmit {
                data: vec!["ev".into(), 1.into()]
            }
        );
        assert_eq!(
            Request::from_value(json(r#"{"uid":"n1","type":42}"#)),
            Err(MessageError::UnknownType(42))
        );
    }

    #[test]
    fn requests_write_the_node_adapters_fields() {
        let fetch = Request {
            uid: "me".into(),
            request_id: Some("q1".into()),
            ask: Ask::Fetch {
                options: BroadcastOptions {
                    rooms: vec!["r".into()],
                    ..BroadcastOptions::default()
                },
            },
        };
        assert_eq!(
            fetch.to_value("/").to_json(),
            r#"{"uid":"me","requestId":"q1","type":5,"opts":{"rooms":["r"],"except":[]}}"#
        );
        let round = Request::from_value(fetch.to_value("/")).unwrap();
        assert_eq!(round, fetch);
    }

    #[test]
    fn answers_keep_their_fields_for_the_asker() {
        let answer = Answer::from_value(json(r#"{"type":8,"requestId":"q","clientCount":3}"#));
        let answer = answer.unwrap();
        assert_eq!(answer.kind(), Some(RequestType::BroadcastClientCount));
        assert_eq!(answer.body.get("clientCount"), Some(&Value::from(3)));
        assert!(Answer::from_value(json(r#"{"sockets":[]}"#)).is_err());
    }
}
