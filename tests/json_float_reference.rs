//! Our float writer (src/json/write.rs) against references none of us wrote: serde_json
//! reads our text back, and Rust's `{:e}` (shortest round-trip digits, as ryu's are) says
//! which significant digits the text must hold.
//!
//! The forms differ on purpose (we write ECMA-262 `Number::toString`, §6.1.6.1.20: `1e+21`,
//! `3`; serde_json writes `1e21`, `3.0`), so we compare what the forms mean: the same f64,
//! bit for bit, spelled with the same, shortest, significant digits. The form itself is
//! checked against the rules in [`ecmascript_form_holds`].

use threadio::json::Value;

/// xorshift64 (Marsaglia 2003): deterministic, so a failure names a case that fails again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Checks one float: our text must read back through serde_json as the same bits, hold the
/// shortest digits, and take the form §6.1.6.1.20 picks for its magnitude.
fn check(float: f64) {
    let text = Value::from(float).to_json();
    if !float.is_finite() {
        assert_eq!(text, "null", "{float:e}");
        return;
    }
    let back: f64 = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(
        back.to_bits(),
        float.to_bits(),
        "{float:e} was written {text}"
    );
    assert_eq!(
        significant_digits(&text),
        shortest_digits(float),
        "{float:e} was written {text}"
    );
    assert!(
        ecmascript_form_holds(float, &text),
        "{float:e} was written {text}"
    );
}

/// The significant digits of a decimal text (sign, point, exponent and leading/trailing
/// zeros dropped): "-0.00150" and "1.5e-3" both give "15".
fn significant_digits(text: &str) -> String {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        "0".to_string()
    } else {
        digits.to_string()
    }
}

/// The shortest round-trip digits, from serde_json (ryu), checked for length against Rust's
/// `{:e}`. Where two digit strings of that length are equally close to the float (it lies
/// exactly halfway: 2^-25 = 2.98023223876953125e-8), ECMA-262 (§6.1.6.1.20, note 2) picks
/// the even one, as ryu and V8 do (Node prints 2.9802322387695312e-8) and `{:e}` does not
/// (…313): so ryu's digits are the reference, and `{:e}` confirms only the count.
fn shortest_digits(float: f64) -> String {
    let from_std = significant_digits(&format!("{float:e}"));
    let from_ryu = significant_digits(&serde_json::to_string(&float).expect("finite"));
    assert_eq!(
        from_std.len(),
        from_ryu.len(),
        "the references disagree on {float:e}: {from_std} against {from_ryu}"
    );
    from_ryu
}

/// §6.1.6.1.20 steps 6–10: for 1e-6 <= |x| < 1e21 no exponent and no trailing zeros after
/// a point; otherwise one digit, maybe a fraction, and `e+` or `e-`.
fn ecmascript_form_holds(float: f64, text: &str) -> bool {
    if float == 0.0 {
        return text == if float.is_sign_negative() { "-0" } else { "0" };
    }
    let plain = (1e-6..1e21).contains(&float.abs());
    match text.split_once('e') {
        None => plain && !(text.contains('.') && text.ends_with('0')),
        Some((mantissa, exponent)) => {
            let magnitude = mantissa.trim_start_matches('-');
            let whole = magnitude.split('.').next().unwrap_or("");
            !plain
                && whole.len() == 1
                && (exponent.starts_with('+') || exponent.starts_with('-'))
                && !mantissa.ends_with('0')
        }
    }
}

/// Floats exactly halfway between two shortest decimals: the even one, as Node writes them
/// (`node -e 'console.log(String(2**-25))'` and so on).
#[test]
fn ties_take_the_even_digit_as_javascript_does() {
    for (float, node_writes) in [
        (2f64.powi(-25), "2.9802322387695312e-8"),
        // Exactly 184682136014194.625 and -1149636667324797.25 (powers of two divide exactly).
        (5_909_828_352_454_228.0 / 32.0, "184682136014194.62"),
        (-4_598_546_669_299_189.0 / 4.0, "-1149636667324797.2"),
    ] {
        assert_eq!(Value::from(float).to_json(), node_writes);
        check(float);
    }
}

#[test]
fn a_sweep_of_bit_patterns_reads_back_exactly_with_the_shortest_digits() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..300_000 {
        check(f64::from_bits(rng.next()));
    }
}

#[test]
fn integers_and_short_decimals_read_back_exactly_with_the_shortest_digits() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..100_000 {
        let bits = rng.next();
        // Whole numbers across all magnitudes up to 2^64, and cents, and small decimals.
        let whole = (bits >> (bits % 64)) as f64;
        check(whole);
        check(-whole);
        check((bits % 100_000_000) as f64 / 100.0);
        check((bits % 1_000_000) as f64 / 1e6);
    }
}

#[test]
fn edge_cases_read_back_exactly_with_the_shortest_digits() {
    let two_53 = 9_007_199_254_740_992.0_f64;
    let mut cases = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE.next_down(),
        f64::from_bits(1),
        f64::from_bits(0x000F_FFFF_FFFF_FFFF),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        two_53,
        two_53 - 1.0,
        two_53 + 2.0,
        two_53 * 2.0,
        2f64.powi(63),
        2f64.powi(64),
        0.1,
        0.2 + 0.1,
        1.0 / 3.0,
        123_456_789_012_345_680_000.0,
    ];
    // Each side of the boundaries where the form changes: 1e21 and 1e-6/1e-7.
    for boundary in [1e21_f64, 1e-6, 1e-7, 1e20, 1.0, 10.0] {
        for float in [boundary, boundary.next_up(), boundary.next_down()] {
            cases.push(float);
            cases.push(-float);
        }
    }
    // Every power of ten a double holds, and every power of two.
    for exponent in -324..=308 {
        cases.push(format!("1e{exponent}").parse().expect("a decimal"));
    }
    for exponent in -1074..=1023 {
        cases.push(2f64.powi(exponent));
    }
    for float in cases {
        check(float);
    }
    assert_eq!(Value::from(1e21).to_json(), "1e+21");
    assert_eq!(
        Value::from(1e21_f64.next_down()).to_json(),
        "999999999999999900000"
    );
    assert_eq!(Value::from(1e-7).to_json(), "1e-7");
    assert_eq!(Value::from(1e-6).to_json(), "0.000001");
    assert_eq!(Value::from(two_53).to_json(), "9007199254740992");
    assert_eq!(Value::from(-0.0).to_json(), "-0");
}
