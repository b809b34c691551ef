//! The Prometheus text exposition format, version 0.0.4: what `GET /metrics` answers.
//!
//! Prometheus's own document ("Exposition formats", text-based format) defines it; the
//! rules that matter here:
//!
//! - A metric family starts with `# HELP name text` and `# TYPE name kind`. In the help
//!   text a backslash is written `\\` and a line feed `\n`, so that it stays one line.
//! - Each sample is one line: `name{label="value",…} number`. In a label value a backslash
//!   is `\\`, a double quote `\"` and a line feed `\n`; nothing else is escaped (UTF-8 is
//!   fine). Names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`.
//! - Numbers are Go floats: `+Inf`, `-Inf` and `NaN` are spelled so.
//! - A counter's samples end in `_total` (a naming convention the format's parsers know); a
//!   histogram `h` is `h_bucket{le="…"}` lines, cumulative and ending with `le="+Inf"`,
//!   then `h_sum` and `h_count`, which equals the `+Inf` bucket.
//! - Every line ends in `\n`, the last one too. The content type says the version:
//!   [`CONTENT_TYPE`].
//!
//! The encoder does no I/O and knows no metric of ours: `endpoint.rs` decides what to say,
//! this file how to write it, and the tests at the foot pin the escaping and the histogram.

use std::fmt::Write;

use super::histogram::HistogramSnapshot;

/// The `Content-Type` of a 0.0.4 exposition, as Prometheus asks for it in `Accept`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `# TYPE` of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (its samples end in `_total`); Prometheus takes `rate()` of it.
    Counter,
    /// Goes up and down; read as it is.
    Gauge,
    /// `_bucket`, `_sum` and `_count` samples ([`Exposition::histogram`]).
    Histogram,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// A sample's number: a whole count, shown exactly, or a real number such as seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleValue {
    /// A count: written as digits (a `u64` past 2^53 would lose digits as a float).
    Whole(i128),
    /// Any other number; infinities and NaN are written as Go writes them.
    Real(f64),
}

impl From<u64> for SampleValue {
    fn from(n: u64) -> SampleValue {
        SampleValue::Whole(i128::from(n))
    }
}

impl From<usize> for SampleValue {
    fn from(n: usize) -> SampleValue {
        SampleValue::Whole(n as i128)
    }
}

impl From<i64> for SampleValue {
    fn from(n: i64) -> SampleValue {
        SampleValue::Whole(i128::from(n))
    }
}

impl From<f64> for SampleValue {
    fn from(x: f64) -> SampleValue {
        SampleValue::Real(x)
    }
}

/// An exposition being written: families and their samples, in the order added.
///
/// ```
/// use threadio::metrics::{Exposition, MetricKind};
///
/// let mut out = Exposition::new();
/// out.family("demo_jobs_total", MetricKind::Counter, "Jobs finished.");
/// out.sample("demo_jobs_total", &[("queue", "say \"hi\"")], 3u64);
/// let text = out.into_text();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines[0], "# HELP demo_jobs_total Jobs finished.");
/// assert_eq!(lines[1], "# TYPE demo_jobs_total counter");
/// assert_eq!(lines[2], r#"demo_jobs_total{queue="say \"hi\""} 3"#);
/// ```
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines. Its samples follow.
    ///
    /// # Panics
    /// If `name` is not a valid metric name: names are the program's, never a client's.
    pub fn family(&mut self, name: &str, kind: MetricKind, help: &str) {
        assert!(is_metric_name(name), "invalid metric name {name:?}");
        self.text.push_str("# HELP ");
        self.text.push_str(name);
        self.text.push(' ');
        escape_help(help, &mut self.text);
        self.text.push('\n');
        let _ = writeln!(self.text, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample line. Label values may hold anything (a namespace's name comes from a
    /// client): they are escaped here.
    ///
    /// # Panics
    /// If `name` or a label name is invalid, as for [`family`](Exposition::family).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<SampleValue>) {
        assert!(is_metric_name(name), "invalid metric name {name:?}");
        self.text.push_str(name);
        self.labels(labels, None);
        self.text.push(' ');
        write_value(value.into(), &mut self.text);
        self.text.push('\n');
    }

    /// A whole histogram family: `# HELP`, `# TYPE`, one cumulative `_bucket` line per
    /// bound and `+Inf`, then `_sum` and `_count`.
    pub fn histogram(&mut self, name: &str, help: &str, snapshot: &HistogramSnapshot) {
        self.family(name, MetricKind::Histogram, help);
        let bucket = format!("{name}_bucket");
        for &(le, count) in &snapshot.cumulative {
            self.text.push_str(&bucket);
            self.labels(&[], Some(SampleValue::Real(le)));
            let _ = writeln!(self.text, " {count}");
        }
        self.text.push_str(&bucket);
        self.labels(&[], Some(SampleValue::Real(f64::INFINITY)));
        let _ = writeln!(self.text, " {}", snapshot.count);
        self.sample(&format!("{name}_sum"), &[], snapshot.sum_seconds);
        self.sample(&format!("{name}_count"), &[], snapshot.count);
    }

    /// The text, every line ending in `\n`.
    pub fn into_text(self) -> String {
        self.text
    }

    /// `{a="1",b="2"}`, with `le` last if given; nothing at all for no labels.
    fn labels(&mut self, labels: &[(&str, &str)], le: Option<SampleValue>) {
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.text.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            assert!(is_label_name(label), "invalid label name {label:?}");
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(label);
            self.text.push_str("=\"");
            escape_label_value(value, &mut self.text);
            self.text.push('"');
        }
        if let Some(le) = le {
            if !labels.is_empty() {
                self.text.push(',');
            }
            self.text.push_str("le=\"");
            write_value(le, &mut self.text);
            self.text.push('"');
        }
        self.text.push('}');
    }
}

/// Help text: `\` and line feeds escaped, so that `# HELP` stays one line.
fn escape_help(help: &str, out: &mut String) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A label value: `\`, `"` and line feeds escaped; everything else as it is.
fn escape_label_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A number as Go's `ParseFloat` reads it back. Rust's `Display` for `f64` writes the
/// shortest digits that round-trip and never an exponent, both of which Go accepts.
fn write_value(value: SampleValue, out: &mut String) {
    match value {
        SampleValue::Whole(n) => {
            let _ = write!(out, "{n}");
        }
        SampleValue::Real(x) if x.is_nan() => out.push_str("NaN"),
        SampleValue::Real(x) if x == f64::INFINITY => out.push_str("+Inf"),
        SampleValue::Real(x) if x == f64::NEG_INFINITY => out.push_str("-Inf"),
        SampleValue::Real(x) => {
            let _ = write!(out, "{x}");
        }
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`; names starting `__` are Prometheus's own, so we use none.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::histogram::Histogram;
    use std::time::Duration;

    #[test]
    fn label_values_escape_backslash_quote_and_line_feed_only() {
        let mut out = Exposition::new();
        out.sample("x", &[("ns", "a\\b\"c\nd\té/")], 1u64);
        assert_eq!(out.into_text(), "x{ns=\"a\\\\b\\\"c\\nd\té/\"} 1\n");
    }

    #[test]
    fn help_escapes_backslash_and_line_feed_but_not_quotes() {
        let mut out = Exposition::new();
        out.family("x_total", MetricKind::Counter, "C:\\ \"two\"\nlines");
        assert_eq!(
            out.into_text(),
            "# HELP x_total C:\\\\ \"two\"\\nlines\n# TYPE x_total counter\n"
        );
    }

    #[test]
    fn several_labels_are_comma_separated_and_numbers_spelled_as_go_reads_them() {
        let mut out = Exposition::new();
        out.sample("g", &[("a", "1"), ("b", "2")], -3i64);
        out.sample("g", &[], f64::INFINITY);
        out.sample("g", &[], f64::NAN);
        out.sample("g", &[], 0.000_25);
        out.sample("g", &[], u64::MAX);
        assert_eq!(
            out.into_text(),
            "g{a=\"1\",b=\"2\"} -3\ng +Inf\ng NaN\ng 0.00025\ng 18446744073709551615\n"
        );
    }

    #[test]
    fn histogram_lines_are_cumulative_end_in_inf_and_count_equals_inf() {
        let histogram = Histogram::new();
        histogram.observe(Duration::from_micros(20)); // <= 25 µs
        histogram.observe(Duration::from_micros(20));
        histogram.observe(Duration::from_millis(2)); // <= 2.5 ms
        histogram.observe(Duration::from_secs(10)); // +Inf only
        let mut out = Exposition::new();
        out.histogram("h_seconds", "Fan-out.", &histogram.snapshot());
        let text = out.into_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# HELP h_seconds Fan-out.");
        assert_eq!(lines[1], "# TYPE h_seconds histogram");
        assert_eq!(lines[2], "h_seconds_bucket{le=\"0.00001\"} 0");
        assert_eq!(lines[3], "h_seconds_bucket{le=\"0.000025\"} 2");
        assert!(lines.contains(&"h_seconds_bucket{le=\"0.001\"} 2"));
        assert!(lines.contains(&"h_seconds_bucket{le=\"0.0025\"} 3"));
        assert!(lines.contains(&"h_seconds_bucket{le=\"2.5\"} 3"));
        let n = lines.len();
        assert_eq!(lines[n - 3], "h_seconds_bucket{le=\"+Inf\"} 4");
        assert_eq!(lines[n - 2], "h_seconds_sum 10.00204");
        assert_eq!(lines[n - 1], "h_seconds_count 4");
        assert!(text.ends_with('\n'));
    }

    #[test]
    #[should_panic(expected = "invalid label name")]
    fn a_label_name_with_a_dash_is_a_program_error() {
        Exposition::new().sample("x", &[("name-space", "/")], 1u64);
    }
}
