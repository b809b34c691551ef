//! Typed values: a Rust type read out of a [`Value`] ([`FromValue`]) and written into one
//! (`Into<Value>`), for the std types a handler reaches for — so an event handler can
//! say what it expects instead of walking the tree by hand.
//!
//! ```
//! use threadio::json::{FromValue, Value};
//!
//! let value = Value::parse(r#"["general", 3, {"mute": true}]"#).unwrap();
//! let (room, count, flags): (String, u8, std::collections::BTreeMap<String, bool>) =
//!     FromValue::from_value(value).unwrap();
//! assert_eq!((room.as_str(), count, flags["mute"]), ("general", 3, true));
//!
//! let back = Value::from((room, count));
//! assert_eq!(back.to_json(), r#"["general",3]"#);
//! ```
//!
//! Choices, and why:
//! - **JavaScript has one number type**, so a float that is a whole number reads as an
//!   integer (`3.0` is a fine `u8`), and an integer reads as a float. An integer out of the
//!   target's range is a mismatch, never a silent wrap.
//! - **`null` is `None`**, and an `Option` field that is missing reads as `None` too, the
//!   way JavaScript's `undefined` and `null` both mean "nothing" to most handlers.
//! - **Bytes**: Socket.IO binary ([`Value::Binary`]) reads as a `Vec<u8>`; so does an
//!   array of numbers from 0 to 255.
//! - **A mismatch says where and what**: [`TypeMismatch`] names the path inside the value
//!   (`[1].name`), the type expected and the JSON type found, so the error a handler logs
//!   points at the client's mistake.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::value::{Map, Number, Value};

/// A value that is not of the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch {
    /// Where in the value, as JavaScript would index it: `""` for the value itself,
    /// `[1]`, `.name`, `[1].tags[0]`.
    pub path: String,
    /// What was expected: `a string`, `an integer from 0 to 255`.
    pub expected: String,
    /// The JSON type found there: `a number`, `null`, `an object`.
    pub found: &'static str,
}

impl TypeMismatch {
    /// A mismatch at the value itself.
    pub fn new(expected: impl Into<String>, found: &Value) -> TypeMismatch {
        TypeMismatch {
            path: String::new(),
            expected: expected.into(),
            found: type_name(found),
        }
    }

    /// The same mismatch, seen from one level up: inside element or field `step`
    /// (`[2]`, `.name`).
    pub fn inside(mut self, step: &str) -> TypeMismatch {
        self.path.insert_str(0, step);
        self
    }
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "expected {}, found {}", self.expected, self.found)
        } else {
            write!(
                f,
                "at {}: expected {}, found {}",
                self.path, self.expected, self.found
            )
        }
    }
}

impl std::error::Error for TypeMismatch {}

/// The JSON type of `value`, as an error names it.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Binary(_) => "binary data",
    }
}

/// A type that can be read from a [`Value`]. Implemented for `Value` itself, `bool`,
/// `String`, the integer and float types, `Option`, `Vec`, arrays, tuples (from a JSON
/// array of that length) and string-keyed `BTreeMap` and `HashMap`.
pub trait FromValue: Sized {
    /// Reads `Self` out of `value`.
    ///
    /// # Errors
    /// [`TypeMismatch`] if `value` (or something inside it) is not of the expected type.
    fn from_value(value: Value) -> Result<Self, TypeMismatch>;

    /// What a missing value reads as: a mismatch, except for `Option` (`None`).
    ///
    /// # Errors
    /// [`TypeMismatch`] found `undefined`, for every type but `Option`.
    fn from_missing(expected_where: &str) -> Result<Self, TypeMismatch> {
        // The type names what it expects when offered `null`, so its own words are borrowed
        // ("argument 2: expected a string, found nothing"); a type that takes `null`, as
        // `Value` does, can only be said to expect "a value".
        let expected = match Self::from_value(Value::Null) {
            Err(mismatch) => mismatch.expected,
            Ok(_) => "a value".to_string(),
        };
        Err(TypeMismatch {
            path: expected_where.to_string(),
            expected,
            found: "nothing (undefined)",
        })
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Value, TypeMismatch> {
        Ok(value)
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<bool, TypeMismatch> {
        value
            .as_bool()
            .ok_or_else(|| TypeMismatch::new("a boolean", &value))
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<String, TypeMismatch> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(TypeMismatch::new("a string", &other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<f64, TypeMismatch> {
        value
            .as_f64()
            .ok_or_else(|| TypeMismatch::new("a number", &value))
    }
}

impl FromValue for f32 {
    /// Rounded to the nearest `f32`, as `Math.fround` would.
    fn from_value(value: Value) -> Result<f32, TypeMismatch> {
        f64::from_value(value).map(|n| n as f32)
    }
}

/// Integers: from any JSON number that is a whole number within the type's range.
macro_rules! integer_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<$t, TypeMismatch> {
                let expected = || {
                    format!("an integer from {} to {}", <$t>::MIN, <$t>::MAX)
                };
                let n = match value.as_number() {
                    Some(Number::Int(n)) => i128::from(n),
                    // Above i64::MAX a JavaScript number is still whole; u64 needs those.
                    Some(Number::Float(f)) if f.fract() == 0.0 && f.abs() < 2f64.powi(64) => f as i128,
                    _ => return Err(TypeMismatch::new(expected(), &value)),
                };
                <$t>::try_from(n).map_err(|_| TypeMismatch::new(expected(), &value))
            }
        }
    )*};
}

integer_from_value!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl<T: FromValue> FromValue for Option<T> {
    /// `null` is `None`.
    fn from_value(value: Value) -> Result<Option<T>, TypeMismatch> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }

    fn from_missing(_: &str) -> Result<Option<T>, TypeMismatch> {
        Ok(None)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    /// From an array; binary data reads as its bytes (each a number from 0 to 255).
    fn from_value(value: Value) -> Result<Vec<T>, TypeMismatch> {
        let items = match value {
            Value::Array(items) => items,
            Value::Binary(bytes) => bytes.into_iter().map(Value::from).collect(),
            other => return Err(TypeMismatch::new("an array", &other)),
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| T::from_value(item).map_err(|e| e.inside(&format!("[{i}]"))))
            .collect()
    }
}

impl<T: FromValue, const N: usize> FromValue for [T; N] {
    /// From an array of exactly `N` elements.
    fn from_value(value: Value) -> Result<[T; N], TypeMismatch> {
        let length = match &value {
            Value::Array(items) => items.len(),
            Value::Binary(bytes) => bytes.len(),
            _ => N,
        };
        if length != N {
            return Err(TypeMismatch::new(format!("an array of {N}"), &value));
        }
        let items = Vec::<T>::from_value(value)?;
        Ok(items
            .try_into()
            .unwrap_or_else(|_| unreachable!("the length was checked")))
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: Value) -> Result<BTreeMap<String, T>, TypeMismatch> {
        object_entries(value)?.collect()
    }
}

impl<T: FromValue> FromValue for HashMap<String, T> {
    fn from_value(value: Value) -> Result<HashMap<String, T>, TypeMismatch> {
        object_entries(value)?.collect()
    }
}

/// The fields of an object, each read as a `T`.
fn object_entries<T: FromValue>(
    value: Value,
) -> Result<impl Iterator<Item = Result<(String, T), TypeMismatch>>, TypeMismatch> {
    let Value::Object(map) = value else {
        return Err(TypeMismatch::new("an object", &value));
    };
    Ok(map.into_iter().map(|(key, item)| {
        let item = T::from_value(item).map_err(|e| e.inside(&format!(".{key}")))?;
        Ok((key, item))
    }))
}

/// Tuples read from an array of the same length, element by element; the same pattern
/// makes the event arguments (`socketio::Args`) readable as a tuple.
macro_rules! tuple_from_value {
    ($len:literal: $($name:ident $i:tt),+) => {
        impl<$($name: FromValue),+> FromValue for ($($name,)+) {
            fn from_value(value: Value) -> Result<($($name,)+), TypeMismatch> {
                let Value::Array(items) = value else {
                    return Err(TypeMismatch::new(concat!("an array of ", $len), &value));
                };
                if items.len() != $len {
                    let found = Value::Array(items);
                    return Err(TypeMismatch::new(concat!("an array of ", $len), &found));
                }
                let mut items = items.into_iter();
                Ok(($(
                    $name::from_value(items.next().unwrap_or(Value::Null))
                        .map_err(|e| e.inside(concat!("[", $i, "]")))?,
                )+))
            }
        }

        /// An array of the tuple's elements.
        impl<$($name: Into<Value>),+> From<($($name,)+)> for Value {
            fn from(tuple: ($($name,)+)) -> Value {
                Value::Array(vec![$(tuple.$i.into()),+])
            }
        }
    };
}

tuple_from_value!(1: A 0);
tuple_from_value!(2: A 0, B 1);
tuple_from_value!(3: A 0, B 1, C 2);
tuple_from_value!(4: A 0, B 1, C 2, D 3);
tuple_from_value!(5: A 0, B 1, C 2, D 3, E 4);
tuple_from_value!(6: A 0, B 1, C 2, D 3, E 4, F 5);

// ---- The other direction: the std types into a Value, beside value.rs's own `From`s ----

macro_rules! small_number_into_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number::Int(n.into()))
            }
        }
    )*};
}

small_number_into_value!(i8, i16, u8, u16);

/// As for `i64` (`isize` is never wider on the targets Rust supports today).
impl From<isize> for Value {
    fn from(n: isize) -> Value {
        Value::from(n as i64)
    }
}

impl From<f32> for Value {
    fn from(n: f32) -> Value {
        Value::from(f64::from(n))
    }
}

impl<T: Into<Value>, const N: usize> From<[T; N]> for Value {
    fn from(items: [T; N]) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<BTreeMap<String, T>> for Value {
    fn from(map: BTreeMap<String, T>) -> Value {
        Value::Object(map.into_iter().map(|(k, v)| (k, v.into())).collect::<Map>())
    }
}

/// The keys in the map's own (arbitrary) order; use a `BTreeMap` for sorted keys.
impl<T: Into<Value>> From<HashMap<String, T>> for Value {
    fn from(map: HashMap<String, T>) -> Value {
        Value::Object(map.into_iter().map(|(k, v)| (k, v.into())).collect::<Map>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        Value::parse(text).expect("valid JSON")
    }

    #[test]
    fn scalars_read_as_their_rust_types() {
        assert_eq!(String::from_value(parse(r#""hi""#)), Ok("hi".to_string()));
        assert_eq!(bool::from_value(parse("true")), Ok(true));
        assert_eq!(f64::from_value(parse("2.5")), Ok(2.5));
        assert_eq!(i64::from_value(parse("-7")), Ok(-7));
        assert_eq!(Value::from_value(parse("[1]")), Ok(parse("[1]")));
    }

    #[test]
    fn javascript_numbers_read_as_integers_when_whole_and_in_range() {
        assert_eq!(u8::from_value(parse("3.0")), Ok(3));
        assert_eq!(f64::from_value(parse("3")), Ok(3.0));
        assert_eq!(
            u64::from_value(parse("18446744073709549568")),
            Ok(18446744073709549568)
        );
        let over = u8::from_value(parse("256")).unwrap_err();
        assert_eq!(over.expected, "an integer from 0 to 255");
        assert_eq!(over.found, "a number");
        assert!(i32::from_value(parse("1.5")).is_err());
        assert!(u32::from_value(parse("-1")).is_err());
    }

    #[test]
    fn null_and_missing_are_none() {
        assert_eq!(Option::<String>::from_value(Value::Null), Ok(None));
        assert_eq!(Option::<u8>::from_value(parse("4")), Ok(Some(4)));
        assert_eq!(Option::<u8>::from_missing("[2]"), Ok(None));
        let missing = String::from_missing("[2]").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "at [2]: expected a string, found nothing (undefined)"
        );
        let anything = Value::from_missing("").unwrap_err();
        assert_eq!(
            anything.expected, "a value",
            "Value takes null, so no type to name"
        );
    }

    #[test]
    fn containers_read_element_by_element_and_say_where_one_fails() {
        assert_eq!(Vec::<u8>::from_value(parse("[1,2]")), Ok(vec![1, 2]));
        assert_eq!(Vec::<u8>::from_value(Value::binary([9, 8])), Ok(vec![9, 8]));
        assert_eq!(<[u8; 2]>::from_value(parse("[1,2]")), Ok([1, 2]));
        assert!(<[u8; 3]>::from_value(parse("[1,2]")).is_err());
        let map = BTreeMap::<String, Vec<String>>::from_value(parse(r#"{"a":["x"]}"#));
        assert_eq!(map.unwrap()["a"], ["x"]);
        let err =
            Vec::<BTreeMap<String, u8>>::from_value(parse(r#"[{"a":1},{"b":"x"}]"#)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at [1].b: expected an integer from 0 to 255, found a string"
        );
    }

    #[test]
    fn tuples_read_from_arrays_of_their_length() {
        let (a, b): (String, Option<bool>) = FromValue::from_value(parse(r#"["x",null]"#)).unwrap();
        assert_eq!((a.as_str(), b), ("x", None));
        let short = <(String, u8)>::from_value(parse(r#"["x"]"#)).unwrap_err();
        assert_eq!(short.expected, "an array of 2");
        let wrong = <(String, u8)>::from_value(parse(r#"["x","y"]"#)).unwrap_err();
        assert_eq!(wrong.path, "[1]");
    }

    #[test]
    fn rust_values_write_as_json_with_tuples_and_arrays_as_arrays() {
        assert_eq!(Value::from((1u8, "a", true)).to_json(), r#"[1,"a",true]"#);
        assert_eq!(Value::from([1.5f32, 2.0]).to_json(), "[1.5,2]");
        let map: BTreeMap<String, i16> = [("b".to_string(), 2), ("a".to_string(), 1)].into();
        assert_eq!(Value::from(map).to_json(), r#"{"a":1,"b":2}"#);
        // And back: what we write, we read.
        let round: (u8, String, bool) =
            FromValue::from_value(Value::from((1u8, "a", true))).unwrap();
        assert_eq!(round, (1, "a".to_string(), true));
    }
}
