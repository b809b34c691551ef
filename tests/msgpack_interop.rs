//! Our MessagePack (src/msgpack) against Node's notepack.io 3.0.1, the encoder the Node
//! Redis adapter uses by default, run by `tests/node/msgpack_peer.js`: a threadio node
//! shares a Redis cluster with Node nodes only if both write and read the same bytes.
//!
//! - samples: notepack encodes JavaScript values a Node node may publish (every format
//!   edge, Buffers and typed arrays, `undefined`, -0, NaN, a whole broadcast); we must read
//!   each as the value below, and write that value back as the very same bytes;
//! - round trips: generated values (tests/msgpack_corpus, kept to what a JavaScript number
//!   holds exactly) encoded by us, decoded and encoded again by notepack, must come back
//!   byte for byte.
//!
//! Needs `node` and `npm ci --prefix tests/node`; without them the tests print "skipped",
//! and fail under `THREADIO_REQUIRE_PEERS=1` (CI).

mod common;
mod msgpack_corpus;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use msgpack_corpus::{as_encoded, random_value, same, Rng, Shape};
use threadio::json::Value;
use threadio::msgpack::{self, MsgpackErrorKind};

/// `tests/node`, if node runs and notepack.io is installed there; else says why (skipped
/// or, under THREADIO_REQUIRE_PEERS=1, a failure) and gives `None`.
fn notepack_peer() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let node_runs = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !node_runs {
        common::peer_missing("node is not on the PATH");
        return None;
    }
    if !dir.join("node_modules/notepack.io/package.json").is_file() {
        common::peer_missing(
            "tests/node/node_modules/notepack.io is missing (run `npm ci --prefix tests/node`)",
        );
        return None;
    }
    Some(dir)
}

/// Runs `node msgpack_peer.js <mode>` in `dir` with `input` on its stdin; its stdout.
fn run_peer(dir: &PathBuf, mode: &str, input: String) -> String {
    let mut child = Command::new("node")
        .args(["msgpack_peer.js", mode])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node msgpack_peer.js");
    // Write from another thread: node answers line by line, and a full stdout pipe would
    // stop it reading while we are still writing.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("wait for node");
    writer
        .join()
        .expect("writer thread")
        .expect("write to node");
    assert!(
        output.status.success(),
        "node msgpack_peer.js {mode} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("node prints hex")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// What we read each sample of `msgpack_peer.js` as, and write back as the same bytes.
fn expected_samples() -> Vec<(&'static str, Value)> {
    let ints = |n: i64| (0..n).map(Value::from).collect::<Vec<_>>();
    let map = |n: i64| Value::object((0..n).map(|i| (format!("k{i}"), Value::from(i))));
    let packet = Value::object([
        ("type", Value::from(2)),
        (
            "data",
            Value::from(vec![
                Value::from("chat"),
                Value::binary([1, 2]),
                Value::object([
                    ("n", Value::from(1.5)),
                    ("deep", Value::from(vec![Value::Null, Value::from(-7)])),
                ]),
            ]),
        ),
        ("nsp", Value::from("/")),
    ]);
    let opts = Value::object([
        ("rooms", Value::from(vec!["r1"])),
        ("except", Value::from(Vec::<Value>::new())),
        ("flags", Value::object([("volatile", true)])),
    ]);
    vec![
        ("null", Value::Null),
        ("true", Value::from(true)),
        ("false", Value::from(false)),
        ("int_127", Value::from(127)),
        ("int_128", Value::from(128)),
        ("int_255", Value::from(255)),
        ("int_256", Value::from(256)),
        ("int_65535", Value::from(65535)),
        ("int_65536", Value::from(65536)),
        ("int_2_32_minus_1", Value::from(4_294_967_295i64)),
        ("int_2_32", Value::from(4_294_967_296i64)),
        ("int_max_safe", Value::from(9_007_199_254_740_991i64)),
        ("int_minus_32", Value::from(-32)),
        ("int_minus_33", Value::from(-33)),
        ("int_minus_128", Value::from(-128)),
        ("int_minus_129", Value::from(-129)),
        ("int_minus_32768", Value::from(-32768)),
        ("int_minus_32769", Value::from(-32769)),
        ("int_minus_2_31", Value::from(-2_147_483_648i64)),
        ("int_minus_2_31_minus_1", Value::from(-2_147_483_649i64)),
        ("int_min_safe", Value::from(-9_007_199_254_740_991i64)),
        // Beyond i64: read as the nearest f64, written back as a uint 64.
        ("int_2_63", Value::from(1u64 << 63)),
        ("float_0_1", Value::from(0.1)),
        ("float_minus_1_5", Value::from(-1.5)),
        ("float_tiny", Value::from(1e-300)),
        // notepack writes -0 as the integer 0 (`-0 >= 0`); so do we, from a Float(-0.0).
        ("minus_zero", Value::from(0)),
        ("nan", Value::from(f64::NAN)),
        ("infinity", Value::from(f64::INFINITY)),
        ("minus_infinity", Value::from(f64::NEG_INFINITY)),
        ("str_empty", Value::from("")),
        ("str_31", Value::from("a".repeat(31))),
        ("str_32", Value::from("a".repeat(32))),
        ("str_255", Value::from("a".repeat(255))),
        ("str_256", Value::from("a".repeat(256))),
        ("str_65535", Value::from("a".repeat(65535))),
        ("str_65536", Value::from("a".repeat(65536))),
        ("str_unicode", Value::from("héllo ✓ 😀")),
        ("bin_empty", Value::binary([])),
        ("bin_3", Value::binary([1, 2, 3])),
        ("bin_256", Value::binary([7; 256])),
        ("bin_65536", Value::binary(vec![1; 65536])),
        ("uint8array", Value::binary([4, 5])),
        ("arraybuffer", Value::binary([6])),
        ("array_15", Value::from(ints(15))),
        ("array_16", Value::from(ints(16))),
        ("map_15", map(15)),
        ("map_16", map(16)),
        // notepack writes `undefined` as nil in an array and leaves the property out.
        (
            "undefined_in_array",
            Value::from(vec![Value::from(1), Value::Null, Value::from(2)]),
        ),
        ("undefined_property", Value::object([("a", 1)])),
        (
            "broadcast",
            Value::from(vec![Value::from("Xy12ab"), packet, opts]),
        ),
    ]
}

/// The samples by name, as notepack encoded them.
fn notepack_samples(dir: &PathBuf) -> Vec<(String, Vec<u8>)> {
    run_peer(dir, "samples", String::new())
        .lines()
        .map(|line| {
            let (name, hex) = line.split_once(' ').expect("<name> <hex>");
            (name.to_owned(), unhex(hex))
        })
        .collect()
}

#[test]
fn we_read_notepacks_samples_and_write_them_back_byte_for_byte() {
    let Some(dir) = notepack_peer() else { return };
    let samples = notepack_samples(&dir);
    let expected = expected_samples();
    for (name, value) in &expected {
        let (_, bytes) = samples
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("msgpack_peer.js has no sample {name}"));
        let read = msgpack::decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            same(&read, value),
            "{name}: read {read:?}, expected {value:?}"
        );
        assert_eq!(
            hex(&msgpack::encode(value)),
            hex(bytes),
            "{name}: our bytes"
        );
    }
    let minus_zero = &samples.iter().find(|(n, _)| n == "minus_zero").unwrap().1;
    assert_eq!(&msgpack::encode(&Value::from(-0.0)), minus_zero);
    // Every sample is checked here or in the next test: a new one needs an expectation.
    let special = ["wrong_1e300", "wrong_2_64", "date"];
    for (name, _) in &samples {
        assert!(
            expected.iter().any(|(n, _)| n == name) || special.contains(&name.as_str()),
            "sample {name} has no expectation here"
        );
    }
}

#[test]
fn where_we_part_from_notepack_whole_numbers_beyond_64_bits_and_dates() {
    let Some(dir) = notepack_peer() else { return };
    let samples = notepack_samples(&dir);
    let sample = |name: &str| &samples.iter().find(|(n, _)| n == name).unwrap().1;
    // notepack writes 1e300 and 2^64 as a uint 64 of 0; we write the float 64 they are.
    for (name, float) in [("wrong_1e300", 1e300), ("wrong_2_64", 2f64.powi(64))] {
        assert_eq!(
            hex(sample(name)),
            "cf0000000000000000",
            "{name}: notepack's bytes"
        );
        let mut ours = vec![0xcb];
        ours.extend_from_slice(&float.to_be_bytes());
        assert_eq!(msgpack::encode(&Value::from(float)), ours, "{name}: ours");
    }
    // A Date is a timestamp extension (type -1): refused, not guessed at.
    let error = msgpack::decode(sample("date")).unwrap_err();
    assert_eq!(
        error.kind,
        MsgpackErrorKind::UnsupportedExtension {
            type_code: -1,
            len: 4
        }
    );
}

#[test]
fn notepack_decodes_and_reencodes_our_bytes_unchanged() {
    let Some(dir) = notepack_peer() else { return };
    let shape = Shape {
        js_safe: true,
        max_depth: 4,
    };
    let mut rng = Rng(0x5eed_0004);
    let values: Vec<Value> = (0..2000)
        .map(|_| as_encoded(&random_value(&mut rng, shape, 0)))
        .collect();
    let ours: Vec<Vec<u8>> = values.iter().map(msgpack::encode).collect();
    let input: String = ours.iter().map(|bytes| hex(bytes) + "\n").collect();
    let answers = run_peer(&dir, "roundtrip", input);
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), values.len(), "one answer per value");
    for (case, ((value, bytes), answer)) in values.iter().zip(&ours).zip(answers).enumerate() {
        assert_eq!(
            answer,
            hex(bytes),
            "case {case}: notepack re-encoded {value:?}"
        );
        let back = msgpack::decode(&unhex(answer)).expect("we read notepack's bytes");
        assert!(same(&back, value), "case {case}");
    }
}
