//! The JSON data model: [`Value`], its [`Number`]s and its ordered [`Map`] (RFC 8259 §3).
//!
//! Socket.IO payloads are JSON (Socket.IO v5 "Packet encoding"), so every event argument,
//! ack answer and handshake body the upper layers see is a [`Value`]. This file only holds
//! the shapes and the ways to build and read them; `parse.rs` turns text into a `Value` and
//! `write.rs` turns one back into text.
//!
//! Choices the RFC leaves to us, and why:
//! - Objects keep their keys in the order they came (§4 calls objects "unordered", so any
//!   order is correct): payloads are written and read by people, and wire tests compare
//!   exact bytes.
//! - Numbers are an `i64` when the text was a plain integer that fits, else an `f64` (§6
//!   allows any range and precision; JavaScript peers hold every number as an `f64`).
//! - One variant that is not JSON at all, [`Value::Binary`], carries Socket.IO's binary
//!   attachments through the same tree as the JSON around them.

use std::collections::HashMap;
use std::ops::Index;

/// A JSON value (RFC 8259 §3), whose objects keep their keys in order.
///
/// Build one with the `From` impls (`Value::from("hi")`, `5.into()`), [`Value::object`] and
/// [`Value::binary`], or get one from [`Value::parse`]. Read one with the `as_*` methods or
/// by indexing: `value["user"]["name"]` and `value[0]` give [`Value::Null`] where nothing is.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
    /// Not JSON: raw bytes, for Socket.IO's binary attachments (Socket.IO v5 "Packet
    /// encoding", BINARY_EVENT). The socketio layer replaces each with a
    /// `{"_placeholder":true,"num":N}` before writing JSON and sends the bytes on their own.
    /// If one reaches the JSON writer anyway, it is written the way Node's
    /// `JSON.stringify(buffer)` writes a Buffer, `{"type":"Buffer","data":[1,2,3]}`, so the
    /// text is still JSON and the bytes are still there. The parser never produces one.
    Binary(Vec<u8>),
}

/// A JSON number (RFC 8259 §6): an integer when the text was one that fits an `i64`, else
/// the nearest `f64`.
///
/// The split is serde_json's: `7` and `-12` are [`Number::Int`]; `7.0`, `7e0`, `0.5` and
/// integers beyond `i64` are [`Number::Float`]. `-0` is a
/// `Float(-0.0)`, since an `i64` has no negative zero and JavaScript does. Two `Number`s are
/// `==` only if both variant and value match: use [`Number::as_f64`] to compare as
/// JavaScript would.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// The number as an `f64`, as a JavaScript peer holds it. An `Int` beyond 2^53 rounds.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(int) => int as f64,
            Number::Float(float) => float,
        }
    }

    /// The number as an `i64`, if it is a whole number in range.
    ///
    /// A `Float` with no fraction counts (`3.0` gives `Some(3)`): JavaScript has one number
    /// type, so a peer that sends `3.0` or `3e0` means the same 3 as one that sends `3`.
    /// (serde_json's `as_i64` says `None` there.)
    pub fn as_i64(self) -> Option<i64> {
        // 2^63 is exact as an f64; i64::MAX is not, so compare against the bound, not MAX.
        const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
        match self {
            Number::Int(int) => Some(int),
            Number::Float(float)
                if float.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&float) =>
            {
                Some(float as i64)
            }
            Number::Float(_) => None,
        }
    }
}

/// A JSON object (RFC 8259 §4) that keeps its keys in order: a list of pairs, looked up by
/// a linear scan, since the objects in our payloads have a handful of keys.
///
/// Each key appears once. [`Map::insert`] of a key already present replaces its value where
/// it stands; [`Map::from_pairs`] collapses repeats the way JavaScript's `JSON.parse` does.
/// `==` compares the order too (`{"a":1,"b":2}` is not `{"b":2,"a":1}`): the order is what
/// gets written, and the wire tests compare what gets written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

/// Up to this many pairs, [`Map::from_pairs`] checks each key against those before it;
/// beyond, it indexes them in a `HashMap`. Nearly every payload object is under the limit.
const LINEAR_PAIRS: usize = 16;

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// A map from pairs that may repeat a key, as parsed JSON may: RFC 8259 §4 says names
    /// SHOULD be unique and that receivers then differ. We do what JavaScript's `JSON.parse`
    /// does: a repeated key keeps the place it first had and the value it last had. (Its
    /// lookups agree with serde_json's, which also keeps the last value.)
    ///
    /// Linear time however many pairs come: a peer chooses how many keys it sends, and one
    /// [`Map::insert`] per key would make a 1 MB object of 100 000 keys cost 5·10⁹ compares.
    pub fn from_pairs(pairs: Vec<(String, Value)>) -> Map {
        let mut map = Map {
            entries: Vec::with_capacity(pairs.len()),
        };
        if pairs.len() <= LINEAR_PAIRS {
            for (key, value) in pairs {
                map.insert(key, value);
            }
            return map;
        }
        let mut slot_of: HashMap<String, usize> = HashMap::with_capacity(pairs.len());
        for (key, value) in pairs {
            if let Some(&slot) = slot_of.get(&key) {
                map.entries[slot].1 = value;
            } else {
                slot_of.insert(key.clone(), map.entries.len());
                map.entries.push((key, value));
            }
        }
        map
    }

    /// Sets `key` to `value`. A key already present keeps its place and gets the new value,
    /// so building `{"a":1,"b":2}` and then setting `a` still writes `a` first.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value under `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value under `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Takes `key` out, keeping the others in order.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(index).1)
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The pairs in order, as a slice: the writer keeps its place in one with a plain
    /// `slice::Iter`.
    pub(super) fn entries(&self) -> &[(String, Value)] {
        &self.entries
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Map {
        let pairs = pairs.into_iter().map(|(k, v)| (k.into(), v.into()));
        Map::from_pairs(pairs.collect())
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Value {
    /// An object from pairs, in order: `Value::object([("sid", "abc".into())])`. A repeated
    /// key keeps its first place and its last value, as in [`Map::from_pairs`].
    pub fn object<K: Into<String>, V: Into<Value>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        Value::Object(pairs.into_iter().collect())
    }

    /// Raw bytes for a binary attachment (see [`Value::Binary`]). A function rather than
    /// `From<Vec<u8>>`, which would be ambiguous: bytes, or an array of small numbers?
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Binary(bytes.into())
    }

    /// The field `key` of an object; `None` for a missing key or a value that is no object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number as an `i64`, under [`Number::as_i64`]'s rules (`3.0` counts).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    /// A number as an `f64`, as a JavaScript peer holds it.
    pub fn as_f64(&self) -> Option<f64> {
        Some(self.as_number()?.as_f64())
    }

    /// A number as it was parsed or built, integer or float.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value of `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The pairs of an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The bytes of a binary attachment.
    pub fn as_binary(&self) -> Option<&[u8]> {
        match self {
            Value::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// What indexing gives where nothing is: a `'static` `Null` to borrow from.
static NULL: Value = Value::Null;

/// `value["key"]`: the field, or `Null` if it is missing or `value` is no object — reading a
/// payload that lacks a field is normal, so this does not panic (serde_json does the same).
impl Index<&str> for Value {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[i]`: the element, or `Null` if out of range or `value` is no array.
impl Index<usize> for Value {
    type Output = Value;

    fn index(&self, index: usize) -> &Value {
        self.as_array().and_then(|a| a.get(index)).unwrap_or(&NULL)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(Number::Int(n.into()))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Number::Int(n))
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Number(Number::Int(n.into()))
    }
}

/// Above `i64::MAX` the number becomes the nearest `f64`, as a JavaScript peer would hold it.
impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(i64::try_from(n).map_or(Number::Float(n as f64), Number::Int))
    }
}

/// As for `u64`: above `i64::MAX` (only possible on 64-bit targets), the nearest `f64`.
impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::from(n as u64)
    }
}

/// NaN and the infinities are kept, but JSON cannot write them: they are written as `null`,
/// as `JSON.stringify` does.
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(Number::Float(n))
    }
}

/// An array. (`Vec<Value>` is among these: a `Value` is `Into<Value>`, and `collect`
/// reuses its buffer.)
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
    }
}

/// `None` is `null`, the way an absent optional field is sent.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(option: Option<T>) -> Value {
        option.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_insert_of_an_existing_key_replaces_the_value_in_place() {
        let mut map = Map::new();
        map.insert("a", 1);
        map.insert("b", 2);
        map.insert("a", 3);
        let pairs: Vec<(&str, &Value)> = map.iter().collect();
        assert_eq!(pairs, [("a", &Value::from(3)), ("b", &Value::from(2))]);
    }

    #[test]
    fn repeated_keys_keep_first_place_and_last_value_like_json_parse_per_rfc8259_section_4() {
        for count in [3, LINEAR_PAIRS + 10] {
            // a0, a1, ..., then a0 again with a new value: both the linear and hashed paths.
            let mut pairs: Vec<(String, Value)> = (0..count)
                .map(|i| (format!("a{i}"), Value::from(i)))
                .collect();
            pairs.push(("a0".to_owned(), Value::from("last")));
            let map = Map::from_pairs(pairs);
            assert_eq!(map.len(), count, "{count} pairs");
            assert_eq!(map.keys().next(), Some("a0"));
            assert_eq!(map.get("a0"), Some(&Value::from("last")));
        }
    }

    #[test]
    fn map_remove_keeps_the_others_in_order() {
        let mut map: Map = [("a", 1), ("b", 2), ("c", 3)].into_iter().collect();
        assert_eq!(map.remove("b"), Some(Value::from(2)));
        assert_eq!(map.remove("b"), None);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert!(map.contains_key("c") && !map.is_empty());
    }

    #[test]
    fn indexing_a_missing_field_or_element_gives_null_like_serde_json() {
        let value = Value::object([("list", Value::from(vec![Value::from(true)]))]);
        assert_eq!(value["list"][0], Value::Bool(true));
        assert!(value["list"][1].is_null());
        assert!(value["missing"]["deeper"].is_null());
        assert!(Value::from(5)[0].is_null());
    }

    #[test]
    fn integers_past_i64_become_the_nearest_f64_as_javascript_holds_them() {
        assert_eq!(Value::from(7u64), Value::Number(Number::Int(7)));
        assert_eq!(
            Value::from(u64::MAX),
            Value::Number(Number::Float(18_446_744_073_709_551_615.0))
        );
        assert_eq!(Value::from(None::<i32>), Value::Null);
        assert_eq!(Value::from(Some("x")), Value::from("x"));
    }

    #[test]
    fn whole_floats_read_as_integers_because_javascript_has_one_number_type() {
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(-0.0).as_i64(), Some(0));
        assert_eq!(Number::Float(3.5).as_i64(), None);
        assert_eq!(Number::Float(2f64.powi(63)).as_i64(), None);
        assert_eq!(Number::Float(-(2f64.powi(63))).as_i64(), Some(i64::MIN));
        assert_eq!(Number::Float(f64::NAN).as_i64(), None);
        assert_eq!(Value::from(2).as_f64(), Some(2.0));
    }

    #[test]
    fn accessors_answer_only_for_their_own_variant() {
        let bytes = Value::binary([1, 2]);
        assert_eq!(bytes.as_binary(), Some(&[1u8, 2][..]));
        assert_eq!(bytes.as_str(), None);
        assert_eq!(Value::from("s").as_str(), Some("s"));
        assert_eq!(Value::from(false).as_bool(), Some(false));
        assert_eq!(Value::Null.as_object(), None);
        assert_eq!(Value::from(1).get("a"), None);
    }
}
