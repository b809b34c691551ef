//! An event's arguments, typed both ways: [`Args`] is what a listener gets, read with
//! [`Args::parse`] into a tuple of Rust types; [`IntoArgs`] is what an emit or an
//! acknowledgement takes, so `socket.emit("tick", (n, "ok"))` needs no `Value` in sight
//! (Socket.IO v5 "Packet encoding": an EVENT's data is an array, the event's name and then
//! its arguments; an ACK's data is the array of the answer's arguments).
//!
//! Where it sits: `listeners.rs` cuts the name off an EVENT and hands listeners the rest as
//! `Args`; the client's answer to `emit_with_ack` comes as `Args` too. Each argument is read
//! with `json::FromValue`, whose choices (JavaScript's one number type, `null` as `None`)
//! are explained in `json/convert.rs`.
//!
//! ```
//! use threadio::json::Value;
//! use threadio::socketio::Args;
//!
//! // What the client sent: socket.emit("chat", "lobby", "hi")
//! let args = Args::from(vec![Value::from("lobby"), Value::from("hi")]);
//! let (room, text, mood): (String, String, Option<String>) = args.parse().unwrap();
//! assert_eq!((room.as_str(), text.as_str(), mood), ("lobby", "hi", None));
//! ```
//!
//! Choices, and why, all as a JavaScript listener reads its parameters:
//! - **Positional.** Argument 1 is the tuple's first element, and so on.
//! - **A missing trailing argument is `undefined`**: it reads as `FromValue::from_missing`,
//!   so an `Option` may be left out by the client and anything else is an error.
//! - **Extra arguments are ignored**, as a JavaScript function ignores arguments it has no
//!   parameter for (the reference passes them all; a listener names the ones it wants).
//!   Ask for `Vec<Value>` or keep the `Args` to see them all.
//! - **A mismatch names the argument**, counted from 1 as a person counts them
//!   ("argument 2"), and wraps the [`TypeMismatch`] that says where inside it and what.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::json::{FromValue, TypeMismatch, Value};

/// An event's (or an acknowledgement's) arguments, in the order the sender gave them.
///
/// It derefs to `[Value]` (`args.first()`, `args.len()`, `&args[1]`), iterates by value,
/// and reads as Rust types with [`Args::parse`]. Build one from a `Vec<Value>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args(Vec<Value>);

impl Args {
    /// No arguments.
    pub fn new() -> Args {
        Args::default()
    }

    /// The arguments as a slice, to match on: `if let [room, rest @ ..] = args.as_slice()`.
    pub fn as_slice(&self) -> &[Value] {
        &self.0
    }

    /// The arguments as a vector.
    pub fn into_vec(self) -> Vec<Value> {
        self.0
    }

    /// Reads the arguments as `T`: a tuple of [`FromValue`] types, one element per argument
    /// (`(String,)` for one), or `Vec<Value>` for all of them.
    ///
    /// # Errors
    /// [`ArgsError`] for the first argument that is missing or not of its type.
    pub fn parse<T: FromArgs>(self) -> Result<T, ArgsError> {
        T::from_args(self)
    }
}

impl Deref for Args {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.0
    }
}

/// A middleware may rewrite an argument in place, as the reference's middlewares may change
/// the packet's array.
impl DerefMut for Args {
    fn deref_mut(&mut self) -> &mut [Value] {
        &mut self.0
    }
}

impl From<Vec<Value>> for Args {
    fn from(values: Vec<Value>) -> Args {
        Args(values)
    }
}

impl From<Args> for Vec<Value> {
    fn from(args: Args) -> Vec<Value> {
        args.0
    }
}

impl IntoIterator for Args {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Args {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One argument that is missing or not of the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError {
    /// Which argument, counted from 1: the client's `socket.emit("e", a, b)` has `a` as
    /// argument 1.
    pub argument: usize,
    /// What was wrong with it, and where inside it.
    pub mismatch: TypeMismatch,
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TypeMismatch {
            path,
            expected,
            found,
        } = &self.mismatch;
        write!(f, "argument {}", self.argument)?;
        if !path.is_empty() {
            write!(f, ", at {path}")?;
        }
        write!(f, ": expected {expected}, found {found}")
    }
}

impl std::error::Error for ArgsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.mismatch)
    }
}

/// What [`Args::parse`] can read: tuples of up to six [`FromValue`] types, `Vec<Value>`
/// (every argument, as sent) and `Args` itself.
pub trait FromArgs: Sized {
    /// Reads `Self` out of `args`.
    ///
    /// # Errors
    /// [`ArgsError`] for the first argument that does not read.
    fn from_args(args: Args) -> Result<Self, ArgsError>;
}

impl FromArgs for Vec<Value> {
    fn from_args(args: Args) -> Result<Vec<Value>, ArgsError> {
        Ok(args.0)
    }
}

impl FromArgs for Args {
    fn from_args(args: Args) -> Result<Args, ArgsError> {
        Ok(args)
    }
}

/// What an emit or an acknowledgement takes as its arguments: `()` for none, a tuple of up
/// to six things that convert `Into<Value>`, or a `Vec<Value>` or `Args` of them all.
///
/// One argument is a 1-tuple, `("hi",)`: a lone value cannot be `IntoArgs` as well, since a
/// `Vec<Value>` is itself `Into<Value>` (as one array) and would be ambiguous.
pub trait IntoArgs {
    /// The arguments, in order.
    fn into_args(self) -> Args;
}

impl IntoArgs for Args {
    fn into_args(self) -> Args {
        self
    }
}

impl IntoArgs for Vec<Value> {
    fn into_args(self) -> Args {
        Args(self)
    }
}

impl IntoArgs for () {
    fn into_args(self) -> Args {
        Args::new()
    }
}

/// Argument `index` (from 0) of a listener's tuple; a missing one is JavaScript's
/// `undefined`, which only an `Option` accepts.
fn read_argument<T: FromValue>(value: Option<Value>, index: usize) -> Result<T, ArgsError> {
    let read = match value {
        Some(value) => T::from_value(value),
        None => T::from_missing(""),
    };
    read.map_err(|mismatch| ArgsError {
        argument: index + 1,
        mismatch,
    })
}

/// A tuple reads one argument per element and ignores the rest; it writes one per element.
macro_rules! tuple_args {
    ($($name:ident $i:tt),+) => {
        impl<$($name: FromValue),+> FromArgs for ($($name,)+) {
            fn from_args(args: Args) -> Result<($($name,)+), ArgsError> {
                let mut values = args.0.into_iter();
                Ok(($(read_argument::<$name>(values.next(), $i)?,)+))
            }
        }

        impl<$($name: Into<Value>),+> IntoArgs for ($($name,)+) {
            fn into_args(self) -> Args {
                Args(vec![$(self.$i.into()),+])
            }
        }
    };
}

tuple_args!(A 0);
tuple_args!(A 0, B 1);
tuple_args!(A 0, B 1, C 2);
tuple_args!(A 0, B 1, C 2, D 3);
tuple_args!(A 0, B 1, C 2, D 3, E 4);
tuple_args!(A 0, B 1, C 2, D 3, E 4, F 5);

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments of a client's `socket.emit("e", …)`, from their JSON array.
    fn sent(json: &str) -> Args {
        match Value::parse(json).expect("valid JSON") {
            Value::Array(values) => Args::from(values),
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn a_tuple_reads_one_argument_per_element() {
        let (room, count, mute): (String, u8, bool) =
            sent(r#"["lobby", 3, true]"#).parse().unwrap();
        assert_eq!((room.as_str(), count, mute), ("lobby", 3, true));
        let (only,): (String,) = sent(r#"["one"]"#).parse().unwrap();
        assert_eq!(only, "one");
    }

    #[test]
    fn a_wrong_type_names_the_argument_from_one_and_the_type_expected() {
        let err = sent(r#"["lobby", "three"]"#)
            .parse::<(String, u8)>()
            .unwrap_err();
        assert_eq!(err.argument, 2);
        assert_eq!(err.mismatch.expected, "an integer from 0 to 255");
        assert_eq!(
            err.to_string(),
            "argument 2: expected an integer from 0 to 255, found a string"
        );
    }

    #[test]
    fn a_mismatch_deep_inside_an_argument_says_where() {
        let err = sent(r#"[{"tags": ["a", 7]}]"#)
            .parse::<(std::collections::BTreeMap<String, Vec<String>>,)>()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "argument 1, at .tags[1]: expected a string, found a number"
        );
    }

    #[test]
    fn a_missing_argument_is_undefined_which_only_an_option_accepts() {
        let (room, mood): (String, Option<String>) = sent(r#"["lobby"]"#).parse().unwrap();
        assert_eq!((room.as_str(), mood), ("lobby", None));
        let err = sent(r#"["lobby"]"#)
            .parse::<(String, String)>()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "argument 2: expected a string, found nothing (undefined)"
        );
    }

    #[test]
    fn extra_arguments_are_ignored_as_a_javascript_function_ignores_them() {
        let (first,): (u32,) = sent("[1, 2, 3]").parse().unwrap();
        assert_eq!(first, 1);
        let all: Vec<Value> = sent("[1, 2, 3]").parse().unwrap();
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn emits_take_tuples_unit_and_vectors() {
        assert_eq!(
            Value::Array((7u64, "ok").into_args().into_vec()).to_json(),
            r#"[7,"ok"]"#
        );
        assert!(().into_args().is_empty());
        let values = vec![Value::from(1), Value::Null];
        assert_eq!(values.clone().into_args().into_vec(), values);
        // What a listener got can be passed on as it is.
        assert_eq!(sent("[1]").into_args(), sent("[1]"));
    }

    #[test]
    fn args_read_like_the_slice_they_are() {
        let mut args = sent(r#"["a", "b"]"#);
        assert_eq!(args.len(), 2);
        assert_eq!(args[1].as_str(), Some("b"));
        args[0] = Value::from("z");
        let names: Vec<&str> = (&args).into_iter().filter_map(Value::as_str).collect();
        assert_eq!(names, ["z", "b"]);
    }
}
