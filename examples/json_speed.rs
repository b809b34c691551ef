//! How fast `threadio::json` writes floats, next to serde_json (issue 15).
//!
//! A benchmark, not a test: it prints figures and asserts nothing, because timings on a
//! shared machine say something only as medians over rounds. Two workloads: a million
//! varied floats (integers, short decimals like prices and coordinates, and random bit
//! patterns for the long shortest-digit cases), and a typical Socket.IO event with a few
//! floats in it. Each round writes the same values with both writers into a reused buffer,
//! so what is timed is the writing, not allocation of the output.
//!
//! Run with `cargo run --release --example json_speed [rounds]`.

use std::hint::black_box;
use std::time::Instant;

use threadio::json::{self, Value};

const FLOATS: usize = 1_000_000;
const EVENTS: usize = 200_000;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(7, |arg| arg.parse().expect("rounds is a number"));
    let floats = varied_floats(FLOATS);
    let ours_floats: Vec<Value> = floats.iter().map(|&f| Value::from(f)).collect();
    let event = typical_event();
    let serde_event: serde_json::Value =
        serde_json::from_str(&event.to_json()).expect("our text is JSON");

    let mut timings = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut out = String::with_capacity(32 * FLOATS);
    let mut bytes = Vec::with_capacity(32 * FLOATS);
    for _ in 0..rounds {
        timings[0].push(time_per(FLOATS, || {
            out.clear();
            for value in &ours_floats {
                json::write(value, &mut out);
                out.push(',');
            }
            black_box(&out);
        }));
        timings[1].push(time_per(FLOATS, || {
            bytes.clear();
            for &float in &floats {
                serde_json::to_writer(&mut bytes, &float).expect("writes to a Vec");
                bytes.push(b',');
            }
            black_box(&bytes);
        }));
        timings[2].push(time_per(EVENTS, || {
            out.clear();
            for _ in 0..EVENTS {
                json::write(black_box(&event), &mut out);
            }
            black_box(&out);
        }));
        timings[3].push(time_per(EVENTS, || {
            bytes.clear();
            for _ in 0..EVENTS {
                serde_json::to_writer(&mut bytes, black_box(&serde_event)).expect("writes");
            }
            black_box(&bytes);
        }));
    }
    let [ours, serde, ours_event, serde_event] = timings.map(median);
    println!("floats: threadio {ours:.1} ns/float, serde_json {serde:.1} ns/float");
    println!("event:  threadio {ours_event:.1} ns/event, serde_json {serde_event:.1} ns/event");
}

/// Nanoseconds per item of one run of `work`, which handles `items` items.
fn time_per(items: usize, mut work: impl FnMut()) -> f64 {
    let start = Instant::now();
    work();
    start.elapsed().as_nanos() as f64 / items as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A third whole numbers (counts, timestamps), a third short decimals (prices, coordinates,
/// `0.1`), a third arbitrary finite bit patterns (the 17-digit worst case), from a seeded
/// xorshift so every run writes the same values.
fn varied_floats(count: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut floats = Vec::with_capacity(count);
    while floats.len() < count {
        let bits = next();
        let float = match floats.len() % 3 {
            0 => (bits % 10_000_000) as f64,
            1 => (bits % 1_000_000) as f64 / 100.0,
            _ => f64::from_bits(bits),
        };
        if float.is_finite() {
            floats.push(float);
        }
    }
    floats
}

/// `["position",{"id":"…","x":…,"y":…,"heading":…,"speed":…,"t":…}]`: what a game or map
/// client sends many times a second.
fn typical_event() -> Value {
    Value::Array(vec![
        Value::from("position"),
        Value::object([
            ("id", Value::from("u-4821")),
            ("x", Value::from(412.75)),
            ("y", Value::from(-87.5)),
            ("heading", Value::from(std::f64::consts::FRAC_PI_2)),
            ("speed", Value::from(3.2)),
            ("t", Value::from(1_733_390_000_123.0)),
        ]),
    ])
}
