//! A wiretap on Redis: one more subscriber, with `PSUBSCRIBE *`, that keeps every message
//! published while it listens — what the nodes and the emitter said to each other, byte for
//! byte. Tests assert channels and decoded bodies with it; printed, it is the wire sample a
//! threadio adapter must match.
//!
//! A pattern subscriber does not count in `PUBSUB NUMSUB`, so the adapter's server count (the
//! subscribers of its request channel) does not see the tap.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use threadio::redis::{Backoff, RedisConfig, Subscriber, SubscriberEvent};

use super::redis_server::RedisServer;

/// One message published on Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tapped {
    pub channel: String,
    pub payload: Vec<u8>,
}

impl Tapped {
    /// Whether the body is JSON: the adapter's first-byte rule (`{`, 0x7B), as it reads them.
    pub fn is_json(&self) -> bool {
        self.payload.first() == Some(&b'{')
    }

    /// The body as JSON: parsed if it is JSON text, else decoded from MessagePack (bytes
    /// become `{"$binary": hex}`, as everywhere in this harness).
    pub fn body(&self) -> serde_json::Value {
        if self.is_json() {
            return serde_json::from_slice(&self.payload).expect("a JSON body");
        }
        let value = rmpv::decode::read_value(&mut &self.payload[..]).expect("a MessagePack body");
        msgpack_to_json(&value)
    }

    /// One line for a report: the channel, then the JSON text, or the hex of a MessagePack
    /// body and what it decodes to.
    pub fn describe(&self) -> String {
        if self.is_json() {
            return format!(
                "{}  {}",
                self.channel,
                String::from_utf8_lossy(&self.payload)
            );
        }
        let hex: String = self.payload.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}  msgpack {hex}  = {}", self.channel, self.body())
    }
}

/// The subscriber and what it heard.
pub struct Wiretap {
    _subscriber: Subscriber,
    heard: Arc<(Mutex<Vec<Tapped>>, Condvar)>,
}

impl Wiretap {
    /// Starts listening to every channel of `redis`; returns once Redis confirmed it.
    pub fn start(redis: &RedisServer) -> Wiretap {
        let heard = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let sink = Arc::clone(&heard);
        let backoff = Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
        };
        let url = redis.url("", 0);
        let subscriber = Subscriber::connect(&url, RedisConfig::default(), backoff, move |event| {
            if let SubscriberEvent::Message(message) = event {
                let (heard, arrived) = &*sink;
                heard.lock().expect("wiretap lock").push(Tapped {
                    channel: String::from_utf8_lossy(&message.channel).into_owned(),
                    payload: message.payload,
                });
                arrived.notify_all();
            }
        })
        .expect("the wiretap connects");
        subscriber.psubscribe(b"*").expect("PSUBSCRIBE *");
        Wiretap {
            _subscriber: subscriber,
            heard,
        }
    }

    /// Everything heard so far, in order.
    pub fn heard(&self) -> Vec<Tapped> {
        self.heard.0.lock().expect("wiretap lock").clone()
    }

    /// Forgets everything heard so far.
    pub fn clear(&self) {
        self.heard.0.lock().expect("wiretap lock").clear();
    }

    /// Waits at most `timeout` until `count` messages have been heard; returns them all.
    pub fn wait_for_count(&self, count: usize, timeout: Duration) -> Vec<Tapped> {
        let deadline = Instant::now() + timeout;
        let (heard, arrived) = &*self.heard;
        let mut heard = heard.lock().expect("wiretap lock");
        while heard.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            heard = arrived.wait_timeout(heard, left).expect("wiretap lock").0;
        }
        heard.clone()
    }
}

/// An independent reading of MessagePack (rmpv, not our src/msgpack) as JSON, bytes as
/// `{"$binary": hex}`.
fn msgpack_to_json(value: &rmpv::Value) -> serde_json::Value {
    use rmpv::Value as M;
    use serde_json::Value as J;
    match value {
        M::Nil => J::Null,
        M::Boolean(b) => J::Bool(*b),
        M::Integer(i) => i
            .as_i64()
            .map(J::from)
            .or_else(|| i.as_u64().map(J::from))
            .unwrap_or(J::Null),
        M::F32(f) => J::from(f64::from(*f)),
        M::F64(f) => J::from(*f),
        M::String(s) => J::String(s.as_str().unwrap_or_default().to_string()),
        M::Binary(bytes) => super::sio_client::binary(bytes),
        M::Array(items) => J::Array(items.iter().map(msgpack_to_json).collect()),
        M::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or_default().to_string(),
                        msgpack_to_json(v),
                    )
                })
                .collect(),
        ),
        M::Ext(kind, bytes) => {
            serde_json::json!({ "$ext": kind, "bytes": super::sio_client::binary(bytes) })
        }
    }
}
