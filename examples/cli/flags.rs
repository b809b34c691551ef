//! The command line of the demo and of every example: `--port N`, the few flags each one
//! adds, `--help`; an unknown flag, a flag without its value or a value that does not
//! parse is an error that prints the usage line and exits with status 2 — never silently
//! ignored, so `--prot 8080` cannot start a server on the default port unnoticed.
//!
//! Not a module of the library: each program includes this file
//! (`#[path = "cli/flags.rs"] mod flags;`), since a command line is the program's business.

// Each program uses the part of this file it needs.
#![allow(dead_code)]

use std::fmt;
use std::str::FromStr;

/// The flags a program was given: `--name value` pairs in order, and bare arguments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pairs: Vec<(String, String)>,
    positional: Vec<String>,
}

/// What a program accepts: its usage line, the flags it knows (each takes one value) and
/// how many bare arguments it takes.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub usage: &'static str,
    pub flags: &'static [&'static str],
    pub positional: usize,
}

/// Why a command line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// A `--name` the program does not know.
    Unknown(String),
    /// A known flag at the end of the line, with no value after it.
    MissingValue(String),
    /// More bare arguments than the program takes.
    Unexpected(String),
    /// A value that does not parse as the flag's type.
    BadValue { flag: String, value: String },
    /// `--help` or `-h`: not an error, but the program stops after the usage line.
    HelpAsked,
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagError::Unknown(flag) => write!(f, "unknown flag {flag}"),
            FlagError::MissingValue(flag) => write!(f, "{flag} needs a value"),
            FlagError::Unexpected(arg) => write!(f, "unexpected argument {arg:?}"),
            FlagError::BadValue { flag, value } => write!(f, "{flag} {value:?}: not a valid value"),
            FlagError::HelpAsked => write!(f, "help asked"),
        }
    }
}

impl Flags {
    /// The flags of this process (`std::env::args`), or the end of it: the usage line and
    /// exit status 0 for `--help`, the error and the usage line and status 2 otherwise.
    pub fn parse(spec: Spec) -> Flags {
        Flags::parse_from(std::env::args().skip(1), spec).unwrap_or_else(|e| exit_with(&spec, &e))
    }

    /// Parses `args` (without the program's name).
    ///
    /// # Errors
    /// As [`FlagError`] says.
    pub fn parse_from(
        args: impl IntoIterator<Item = String>,
        spec: Spec,
    ) -> Result<Flags, FlagError> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Err(FlagError::HelpAsked);
            }
            if arg.starts_with('-') && arg.len() > 1 {
                if !spec.flags.contains(&arg.as_str()) {
                    return Err(FlagError::Unknown(arg));
                }
                let value = args
                    .next()
                    .ok_or_else(|| FlagError::MissingValue(arg.clone()))?;
                flags.pairs.push((arg, value));
            } else if flags.positional.len() < spec.positional {
                flags.positional.push(arg);
            } else {
                return Err(FlagError::Unexpected(arg));
            }
        }
        Ok(flags)
    }

    /// The last value given for `flag`, parsed.
    ///
    /// # Errors
    /// [`FlagError::BadValue`] if it does not parse.
    pub fn try_value<T: FromStr>(&self, flag: &str) -> Result<Option<T>, FlagError> {
        let Some((_, value)) = self.pairs.iter().rev().find(|(name, _)| name == flag) else {
            return Ok(None);
        };
        value.parse().map(Some).map_err(|_| FlagError::BadValue {
            flag: flag.to_string(),
            value: value.clone(),
        })
    }

    /// [`Flags::try_value`], or the end of the process with the error and the usage line.
    pub fn value<T: FromStr>(&self, flag: &str, spec: Spec) -> Option<T> {
        self.try_value(flag)
            .unwrap_or_else(|e| exit_with(&spec, &e))
    }

    /// Every value given for a flag that may repeat, in order.
    pub fn values(&self, flag: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(name, _)| name == flag)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// The bare arguments, in order.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }
}

/// For a program whose only flag is `--port N`: its value, or `default`.
pub fn port_flag(usage: &'static str, default: u16) -> u16 {
    let spec = Spec {
        usage,
        flags: &["--port"],
        positional: 0,
    };
    Flags::parse(spec).value("--port", spec).unwrap_or(default)
}

fn exit_with(spec: &Spec, error: &FlagError) -> ! {
    if *error == FlagError::HelpAsked {
        println!("usage: {}", spec.usage);
        std::process::exit(0);
    }
    eprintln!("{error}\nusage: {}", spec.usage);
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        usage: "prog [--port N] [--allow-origin ORIGIN]...",
        flags: &["--port", "--allow-origin"],
        positional: 0,
    };

    fn parse(args: &[&str], spec: Spec) -> Result<Flags, FlagError> {
        Flags::parse_from(args.iter().map(|a| a.to_string()), spec)
    }

    #[test]
    fn known_flags_take_their_values_and_may_repeat() {
        let flags = parse(
            &[
                "--port",
                "8080",
                "--allow-origin",
                "a",
                "--allow-origin",
                "b",
            ],
            SPEC,
        )
        .unwrap();
        assert_eq!(flags.try_value::<u16>("--port"), Ok(Some(8080)));
        assert_eq!(flags.values("--allow-origin"), ["a", "b"]);
        assert_eq!(flags.try_value::<u16>("--other"), Ok(None));
    }

    #[test]
    fn an_unknown_or_misspelt_flag_is_an_error_not_ignored() {
        assert_eq!(
            parse(&["--prot", "8080"], SPEC),
            Err(FlagError::Unknown("--prot".into()))
        );
        assert_eq!(
            parse(&["--port"], SPEC),
            Err(FlagError::MissingValue("--port".into()))
        );
        assert_eq!(
            parse(&["8080"], SPEC),
            Err(FlagError::Unexpected("8080".into()))
        );
        assert_eq!(parse(&["-h"], SPEC), Err(FlagError::HelpAsked));
    }

    #[test]
    fn a_value_that_does_not_parse_is_an_error() {
        let flags = parse(&["--port", "eighty"], SPEC).unwrap();
        assert_eq!(
            flags.try_value::<u16>("--port"),
            Err(FlagError::BadValue {
                flag: "--port".into(),
                value: "eighty".into()
            })
        );
    }

    #[test]
    fn bare_arguments_only_where_the_program_takes_them() {
        let spec = Spec {
            positional: 2,
            ..SPEC
        };
        let flags = parse(&["3000", "--port", "4000", "500"], spec).unwrap();
        assert_eq!(flags.positional(), ["3000", "500"]);
        assert_eq!(
            parse(&["1", "2", "3"], spec),
            Err(FlagError::Unexpected("3".into()))
        );
    }
}
