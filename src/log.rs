//! One line per event worth knowing: a connection refused, a protocol error, a slow client
//! dropped. The bar for threadio is "bad input gets a clear answer and a log line", and a log
//! line is only useful if it names the peer, what happened, and the rule or code involved.
//!
//! We write to standard error with `eprintln!`, which locks stderr for the whole line, so
//! lines from many connection threads never interleave mid-line. `THREADIO_LOG=off`
//! silences it (benchmarks); `THREADIO_LOG=debug` adds per-connection chatter.

use std::sync::OnceLock;

/// How much is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off,
    Info,
    Debug,
}

/// The level from `THREADIO_LOG`, read once: `off`, `info` (the default) or `debug`.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var("THREADIO_LOG").as_deref() {
        Ok("off") | Ok("0") | Ok("none") => Level::Off,
        Ok("debug") => Level::Debug,
        _ => Level::Info,
    })
}

/// Logs a line at `Info`: `log!("{peer} closed: {code}")`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        if $crate::log::level() >= $crate::log::Level::Info {
            eprintln!("[threadio] {}", format_args!($($arg)*));
        }
    };
}

/// Logs a line at `Debug`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::level() >= $crate::log::Level::Debug {
            eprintln!("[threadio] {}", format_args!($($arg)*));
        }
    };
}
