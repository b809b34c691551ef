//! A [`Handshake`] as JSON, in the shape Node's socket.io 4.8 gives `socket.handshake`, so
//! that it can travel between the nodes of a cluster.
//!
//! The Redis adapter answers a `fetchSockets()` from another node (`@socket.io/redis-adapter`
//! 8.3, the REMOTE_FETCH response) with each socket's `handshake` as plain JSON. Node
//! builds that object in `Socket#buildHandshake` (socket.io `lib/socket.ts`), from Node's
//! own `http.IncomingMessage`, and a Node node reads ours with the same expectations. So we
//! write what Node writes, field for field and in its order:
//!
//! ```text
//! {"headers":{"host":"127.0.0.1:3000",…},"time":"…","address":"::ffff:127.0.0.1",
//!  "xdomain":false,"secure":false,"issued":1700000000123,
//!  "url":"/socket.io/?EIO=4&transport=websocket","query":{"EIO":"4",…},"auth":{…}}
//! ```
//!
//! Node's rules for the pieces, and where they come from:
//! - `headers` follows `IncomingMessage.headers` (Node docs, "http › message.headers"):
//!   names lowercased; a repeated field joined with `", "`, a repeated `cookie` with `"; "`;
//!   `set-cookie` always an array; repeats of single-valued fields (`host`, `user-agent`,
//!   `authorization`, …: `FIRST_ONLY_HEADERS`) dropped, keeping the first.
//! - `query` is engine.io's parsed query string. Up to engine.io 6.6.4 (`querystring.parse`)
//!   a repeated key is an array of its values; from 6.6.5 (`URLSearchParams` through
//!   `Object.fromEntries`) only its last value is kept, as a string. We write the arrays, which
//!   lose nothing, and read both.
//! - `address` is `remoteAddress`: the IP alone, no port. On a dual-stack socket an IPv4
//!   peer shows as `::ffff:1.2.3.4` (RFC 4291 §2.5.5.2).
//!
//! Reading is lenient, as a reader of another program's output should be: a missing field
//! takes its default, a value of an unexpected type in a header or query entry is skipped.
//! Only a value from which no handshake can be read at all is refused
//! ([`HandshakeShapeError`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::handshake::Handshake;
use crate::http::Headers;
use crate::json::{type_name, Map, Value};

/// Header fields of which Node keeps only the first when a request repeats them (Node
/// docs, "http › message.headers": their values cannot be joined into a list).
const FIRST_ONLY_HEADERS: [&str; 18] = [
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// Why [`Handshake::from_value`] could not read a handshake: the value is not shaped like
/// Node's `socket.handshake` at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeShapeError {
    /// The value is not a JSON object.
    NotAnObject { found: &'static str },
    /// `headers` or `query` is there but is no object: name/value pairs cannot be read
    /// from it. (A missing or `null` one reads as empty.)
    FieldNotAnObject {
        field: &'static str,
        found: &'static str,
    },
}

impl fmt::Display for HandshakeShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeShapeError::NotAnObject { found } => {
                write!(f, "a handshake must be a JSON object, found {found}")
            }
            HandshakeShapeError::FieldNotAnObject { field, found } => {
                write!(
                    f,
                    "a handshake's {field:?} must be a JSON object, found {found}"
                )
            }
        }
    }
}

impl std::error::Error for HandshakeShapeError {}

impl Handshake {
    /// This handshake as Node's socket.io writes `socket.handshake`: header names
    /// lowercased and repeats merged as Node merges them, `address` as the IP alone (or
    /// `null` if unknown), a repeated query key as an array.
    pub fn to_value(&self) -> Value {
        Value::object([
            ("headers", headers_to_value(&self.headers)),
            ("time", self.time.clone().into()),
            ("address", self.address.map(|a| a.ip().to_string()).into()),
            ("xdomain", self.xdomain.into()),
            ("secure", self.secure.into()),
            ("issued", self.issued.into()),
            ("url", self.url.clone().into()),
            ("query", query_to_value(&self.query)),
            ("auth", self.auth.clone()),
        ])
    }

    /// Reads a handshake that another node wrote in Node's shape (see [`Handshake::to_value`]).
    ///
    /// Missing fields take defaults: no headers or query, `time` and `url` empty, `issued`
    /// 0, both flags `false`, `auth` `{}`. An array in `headers` or `query` becomes repeated
    /// entries, in order. `address` carries no port, so it reads as port 0, which means
    /// "the other node did not say"; an address that is not an IP reads as `None`.
    /// `::ffff:1.2.3.4` stays the IPv6 address it names, not `1.2.3.4`: written back, it
    /// is the same text again, and it says how the peer reached the other node (a dual-stack
    /// socket); `ip().to_canonical()` gives the IPv4 address to whoever wants it.
    ///
    /// # Errors
    /// [`HandshakeShapeError::NotAnObject`] if `value` is no object;
    /// [`HandshakeShapeError::FieldNotAnObject`] if its `headers` or `query` is no object.
    pub fn from_value(value: &Value) -> Result<Handshake, HandshakeShapeError> {
        let fields = value.as_object().ok_or(HandshakeShapeError::NotAnObject {
            found: type_name(value),
        })?;
        let mut headers = Headers::new();
        for (name, value) in string_pairs(fields, "headers")? {
            headers.append(name, value);
        }
        let text = |key| fields.get(key).and_then(Value::as_str).unwrap_or_default();
        let flag = |key| fields.get(key).and_then(Value::as_bool).unwrap_or(false);
        Ok(Handshake {
            headers,
            query: string_pairs(fields, "query")?,
            address: fields
                .get("address")
                .and_then(Value::as_str)
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(|ip| SocketAddr::new(ip, 0)),
            time: text("time").to_string(),
            issued: fields
                .get("issued")
                .and_then(Value::as_i64)
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or(0),
            url: text("url").to_string(),
            secure: flag("secure"),
            xdomain: flag("xdomain"),
            auth: fields
                .get("auth")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
        })
    }
}

/// The header fields as Node's `IncomingMessage.headers` holds them.
fn headers_to_value(headers: &Headers) -> Value {
    let mut node = Map::new();
    for (name, value) in headers.iter() {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "set-cookie" => push_repeated(&mut node, name, value, true),
            single if FIRST_ONLY_HEADERS.contains(&single) => {
                if !node.contains_key(&name) {
                    node.insert(name, value);
                }
            }
            "cookie" => join_repeated(&mut node, name, value, "; "),
            _ => join_repeated(&mut node, name, value, ", "),
        }
    }
    Value::Object(node)
}

/// Adds `value` under `key`, after `separator` if the key already has a string.
fn join_repeated(map: &mut Map, key: String, value: &str, separator: &str) {
    match map.get_mut(&key) {
        Some(Value::String(joined)) => {
            joined.push_str(separator);
            joined.push_str(value);
        }
        _ => map.insert(key, value),
    }
}

/// The query pairs as engine.io 6.6.4's `querystring.parse` gives them: a repeated key as
/// an array, in the place its first occurrence had.
fn query_to_value(query: &[(String, String)]) -> Value {
    let mut node = Map::new();
    for (key, value) in query {
        push_repeated(&mut node, key.clone(), value, false);
    }
    Value::Object(node)
}

/// Adds `value` under `key`: alone as a string the first time (unless `always_array`),
/// and from the second time on as one more element of an array.
fn push_repeated(map: &mut Map, key: String, value: &str, always_array: bool) {
    match map.get_mut(&key) {
        Some(Value::Array(values)) => values.push(value.into()),
        Some(slot) => {
            let first = std::mem::replace(slot, Value::Null);
            *slot = Value::Array(vec![first, value.into()]);
        }
        None if always_array => map.insert(key, vec![value]),
        None => map.insert(key, value),
    }
}

/// The name/value pairs of the object under `field`: a string value is one pair, an array
/// one pair per string in it. Other values are skipped: Node writes none, and one odd entry
/// should not cost the others.
fn string_pairs(
    fields: &Map,
    field: &'static str,
) -> Result<Vec<(String, String)>, HandshakeShapeError> {
    let object = match fields.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(HandshakeShapeError::FieldNotAnObject {
                field,
                found: type_name(other),
            })
        }
    };
    let mut pairs = Vec::new();
    for (name, value) in object.iter() {
        let values = match value {
            Value::Array(values) => values.as_slice(),
            single => std::slice::from_ref(single),
        };
        let strings = values.iter().filter_map(Value::as_str);
        pairs.extend(strings.map(|v| (name.to_string(), v.to_string())));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `socket.handshake` as Node 20 with socket.io 4.8.1 (engine.io 6.6.4) writes it for a
    /// WebSocket client on a dual-stack listener, with a `set-cookie` array (a proxy in
    /// front may add one to a request) and the repeated query key `room` as an array.
    const NODE_HANDSHAKE: &str = r#"{
        "headers": {
            "host": "127.0.0.1:3000",
            "connection": "Upgrade",
            "pragma": "no-cache",
            "cache-control": "no-cache",
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            "upgrade": "websocket",
            "origin": "http://127.0.0.1:3000",
            "sec-websocket-version": "13",
            "accept-encoding": "gzip, deflate, br, zstd",
            "accept-language": "en-US,en;q=0.9",
            "cookie": "io=abc; theme=dark",
            "set-cookie": ["a=1; Path=/", "b=2; Path=/"],
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "sec-websocket-extensions": "permessage-deflate; client_max_window_bits"
        },
        "time": "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)",
        "address": "::ffff:127.0.0.1",
        "xdomain": true,
        "secure": false,
        "issued": 1700000000123,
        "url": "/socket.io/?EIO=4&transport=websocket&room=a&room=b",
        "query": {"EIO": "4", "transport": "websocket", "room": ["a", "b"]},
        "auth": {"token": "s3cret"}
    }"#;

    fn headers(fields: &[(&str, &str)]) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.append(*name, *value);
        }
        headers
    }

    fn ours() -> Handshake {
        let headers = headers(&[
            ("Host", "127.0.0.1:3000"),
            ("Cookie", "io=abc"),
            ("Accept", "text/html"),
            ("Accept", "*/*"),
            ("Set-Cookie", "a=1"),
        ]);
        let query = [("EIO", "4"), ("room", "a"), ("room", "b"), ("t", "x")];
        Handshake {
            headers,
            query: query.map(|(k, v)| (k.to_string(), v.to_string())).to_vec(),
            address: Some("192.0.2.7:50123".parse().unwrap()),
            time: "Tue, 14 Nov 2023 22:13:20 GMT".to_string(),
            issued: 1_700_000_000_123,
            url: "/socket.io/?EIO=4&room=a&room=b&t=x".to_string(),
            secure: false,
            xdomain: true,
            auth: Value::object([("token", "t")]),
        }
    }

    #[test]
    fn ours_writes_node_shape_and_reads_back_with_port_0() {
        let handshake = ours();
        let value = handshake.to_value();
        assert_eq!(
            value["headers"].to_json(),
            r#"{"host":"127.0.0.1:3000","cookie":"io=abc","accept":"text/html, */*","set-cookie":["a=1"]}"#
        );
        assert_eq!(value["address"], Value::from("192.0.2.7"));
        assert_eq!(value["query"]["room"].to_json(), r#"["a","b"]"#);

        let back = Handshake::from_value(&value).unwrap();
        // Port 0: Node's `address` has no port, so the other node cannot say which.
        assert_eq!(back.address, Some("192.0.2.7:0".parse().unwrap()));
        // Names come back lowercased, and repeated `Accept` lines as the one list they mean
        // (RFC 9110 §5.3); everything else is as it was.
        let expected = Handshake {
            address: back.address,
            headers: headers(&[
                ("host", "127.0.0.1:3000"),
                ("cookie", "io=abc"),
                ("accept", "text/html, */*"),
                ("set-cookie", "a=1"),
            ]),
            ..handshake
        };
        assert_eq!(back, expected);
    }

    #[test]
    fn node_merges_repeated_headers_by_its_own_rules() {
        let repeated = headers(&[
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
            ("Host", "first"),
            ("Host", "second"),
            ("Set-Cookie", "x=1"),
            ("set-cookie", "y=2"),
        ]);
        assert_eq!(
            headers_to_value(&repeated).to_json(),
            r#"{"cookie":"a=1; b=2","host":"first","set-cookie":["x=1","y=2"]}"#
        );
    }

    #[test]
    fn a_node_handshake_reads_with_arrays_as_repeated_entries() {
        let value = Value::parse(NODE_HANDSHAKE).unwrap();
        let handshake = Handshake::from_value(&value).unwrap();
        let set_cookies: Vec<&str> = handshake.headers.get_all("set-cookie").collect();
        assert_eq!(set_cookies, ["a=1; Path=/", "b=2; Path=/"]);
        assert_eq!(handshake.header("Cookie"), Some("io=abc; theme=dark"));
        assert_eq!(handshake.headers.len(), 15);
        let rooms: Vec<&str> = (handshake.query.iter())
            .filter(|(key, _)| key == "room")
            .map(|(_, room)| room.as_str())
            .collect();
        assert_eq!(
            (rooms, handshake.query_param("EIO")),
            (vec!["a", "b"], Some("4"))
        );
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(mapped.is_ipv6(), "kept as the IPv6 address Node named");
        assert_eq!(handshake.address, Some(SocketAddr::new(mapped, 0)));
        assert_eq!(handshake.issued, 1_700_000_000_123);
        assert!(handshake.time.starts_with("Tue Nov 14 2023"));
        assert_eq!((handshake.xdomain, handshake.secure), (true, false));
        assert_eq!(handshake.auth["token"], Value::from("s3cret"));
        // Written back, it is what Node wrote.
        assert_eq!(handshake.to_value(), value);
    }

    #[test]
    fn missing_fields_take_defaults_and_a_bad_address_is_none() {
        let handshake = Handshake::from_value(&Value::parse(r#"{"address":"nope"}"#).unwrap());
        let handshake = handshake.unwrap();
        assert!(handshake.headers.is_empty() && handshake.query.is_empty());
        assert_eq!((handshake.address, handshake.issued), (None, 0));
        assert_eq!((handshake.time.as_str(), handshake.url.as_str()), ("", ""));
        assert_eq!(handshake.auth, Value::Object(Map::new()));
        // The last-value-only query of engine.io 6.6.5 and later reads too.
        let newer = Value::parse(r#"{"query":{"room":"b"}}"#).unwrap();
        assert_eq!(
            Handshake::from_value(&newer).unwrap().query_param("room"),
            Some("b")
        );
    }

    #[test]
    fn only_a_non_object_or_non_object_headers_or_query_is_refused() {
        let refused = |text: &str| Handshake::from_value(&Value::parse(text).unwrap());
        assert_eq!(
            refused("[]"),
            Err(HandshakeShapeError::NotAnObject { found: "an array" })
        );
        assert_eq!(
            refused(r#"{"headers":"host: x"}"#).unwrap_err().to_string(),
            r#"a handshake's "headers" must be a JSON object, found a string"#
        );
        assert!(refused(r#"{"query":[1]}"#).is_err());
        assert!(refused(r#"{"headers":null,"issued":"soon","secure":1}"#).is_ok());
    }
}
