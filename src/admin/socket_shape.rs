//! A socket as the Admin UI reads it — `SerializedSocket` of the reference's
//! `typed-events.ts`: `id`, `clientId`, `transport`, `nsp`, `data`, `handshake`, `rooms` —
//! and the dates its events carry, which JavaScript's `JSON.stringify(new Date())` writes as
//! ISO 8601 in UTC with milliseconds (`2026-12-05T06:30:00.123Z`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::json::{Map, Value};
use crate::socketio::RemoteSocket;

/// The reference shows the first 12 characters of the Engine.IO id as the client's id.
const CLIENT_ID_CHARS: usize = 12;

/// `socket` of namespace `nsp`, shaped for the UI. A socket of another node has no
/// transport or client id to read here; a Node node's carries them in `data._admin` (where
/// the reference keeps them), and we take them from there.
pub(crate) fn serialize(socket: &RemoteSocket, nsp: &str) -> Value {
    let (client_id, transport) = match socket.local() {
        Some(local) => (
            Value::from(short_client_id(local.client_id())),
            Value::from(local.transport()),
        ),
        None => {
            let admin = socket.data().get("_admin");
            let field = |key| admin.and_then(|a| a.get(key)).cloned();
            (
                field("clientId").unwrap_or(Value::Null),
                field("transport").unwrap_or(Value::Null),
            )
        }
    };
    let mut rooms: Vec<Value> = socket
        .rooms()
        .iter()
        .map(|r| Value::from(r.as_str()))
        .collect();
    rooms.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Value::Object(Map::from_pairs(vec![
        ("id".into(), socket.id().into()),
        ("clientId".into(), client_id),
        ("transport".into(), transport),
        ("nsp".into(), nsp.into()),
        ("data".into(), data_without_admin(socket.data())),
        ("handshake".into(), handshake(socket)),
        ("rooms".into(), Value::Array(rooms)),
    ]))
}

/// The first characters of an Engine.IO id: enough to tell clients apart in the UI, and
/// not the whole sid, which is a polling client's credential.
pub(crate) fn short_client_id(sid: &str) -> String {
    sid.chars().take(CLIENT_ID_CHARS).collect()
}

/// The socket's data as the UI shows it: without the reference's bookkeeping field.
pub(crate) fn data_without_admin(data: &Value) -> Value {
    match data {
        Value::Object(map) => {
            let mut map = map.clone();
            map.remove("_admin");
            Value::Object(map)
        }
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    }
}

/// The handshake as Node's `socket.handshake`, without `auth` (the reference leaves it out:
/// it may hold a token), and with the address a proxy says it forwarded for, if any.
fn handshake(socket: &RemoteSocket) -> Value {
    let mut value = socket.handshake().to_value();
    if let Value::Object(map) = &mut value {
        map.remove("auth");
        let forwarded = ["cf-connecting-ip", "x-forwarded-for"]
            .iter()
            .find_map(|name| socket.handshake().header(name).map(str::to_string));
        if let Some(address) = forwarded {
            map.insert("address", address);
        }
    }
    value
}

/// `t` as JavaScript's `Date#toJSON` writes it.
pub(crate) fn iso_date(t: SystemTime) -> String {
    let millis = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let (seconds, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = crate::http::date::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Now, as a date the UI reads.
pub(crate) fn now() -> Value {
    Value::from(iso_date(SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_written_as_javascript_writes_them() {
        // new Date(1764916200123).toJSON() in Node: "2025-12-05T06:30:00.123Z"
        let t = UNIX_EPOCH + Duration::from_millis(1_764_916_200_123);
        assert_eq!(iso_date(t), "2025-12-05T06:30:00.123Z");
        assert_eq!(iso_date(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn data_drops_the_admin_field_and_null_is_an_empty_object() {
        let data = Value::object([("_admin", Value::Null), ("user", Value::from("ann"))]);
        assert_eq!(
            data_without_admin(&data),
            Value::object([("user", Value::from("ann"))])
        );
        assert_eq!(data_without_admin(&Value::Null), Value::Object(Map::new()));
    }

    #[test]
    fn the_client_id_is_the_first_twelve_characters() {
        assert_eq!(short_client_id("abcdefghijklmnopqrst"), "abcdefghijkl");
        assert_eq!(short_client_id("short"), "short");
    }
}
