//! The shortest decimal digits that read back as a given `f64`: what ECMA-262's
//! `Number::toString` (§6.1.6.1.20, step 5) asks for, and so what `JSON.stringify` sends.
//!
//! Where it sits: `write.rs` writes whole numbers below 2^53 as integers and every other
//! finite float with the digits found here. They used to come from Rust's `{:e}`, through
//! the formatting machinery and a text to parse back, at about five times serde_json's time
//! per float (issue 15); an earlier shortcut for decimals of at most 15 digits (`19.99`)
//! is gone too, since this is faster than it was.
//!
//! The algorithm is Ryū (Ulf Adams, "Ryū: fast float-to-string conversion", PLDI 2018),
//! written here from the paper:
//!
//! 1. The float `m × 2^e` has neighbours; every decimal strictly between the midpoints to
//!    them (or on a midpoint, for an even `m`: round-half-even reads it back to us) reads
//!    back as our float. Scaled by 4 so the midpoints are whole: `4m − 2` (or `4m − 1` at a
//!    power of two, whose lower neighbour is closer), `4m`, `4m + 2`, times `2^(e−2)`.
//! 2. Multiply all three by a power of ten, `10^−q`, chosen so that the results keep about
//!    17 digits, giving the integers `vm < vr < vp` (and `e10 = q`, the decimal exponent).
//!    The power's 125-bit approximation comes from a table, so this is one 64×128-bit
//!    multiplication each; the paper proves it exact enough.
//! 3. Drop trailing digits while `vp / 10 > vm / 10`: each drop keeps one decimal inside the
//!    interval with one digit less. What is left, rounded by the last digit dropped, is the
//!    shortest decimal that reads back; among the shortest, the closest; and of two equally
//!    close, the even one — ECMA-262's own rule for ties (§6.1.6.1.20, note 2), which V8
//!    follows too: 2^-25 is `2.9802322387695312e-8` in Node, where Rust's `{:e}` ends in 3.
//!
//! The tables (5^i to 125 bits, and 2^k / 5^i) are computed once, at first use, with a
//! small big-number routine below, instead of being pasted in as 668 constants.
//! `tests/json_float_reference.rs` holds every result to serde_json's (ryu's) digits.

use std::sync::OnceLock;

/// Bits of precision of the tables' powers of five.
const POW5_BITS: i32 = 125;
/// Bits of precision of the tables' inverse powers of five.
const POW5_INV_BITS: i32 = 125;
/// The largest `q` the inverse table needs (for the largest binary exponent).
const POW5_INV_COUNT: usize = 342;
/// The largest `i` the table of powers needs (for the smallest binary exponent).
const POW5_COUNT: usize = 326;

/// The shortest digits of a finite, positive `float`, and where the point goes: the float
/// reads back from `digits × 10^exponent`. `digits` may end in zeros (step 3 stops at the
/// shortest *interval*, not at the last non-zero digit); the caller strips them.
pub(crate) fn shortest(float: f64) -> (u64, i32) {
    const MANTISSA_BITS: u32 = 52;
    const BIAS: i32 = 1023;
    let bits = float.to_bits();
    let mantissa = bits & ((1u64 << MANTISSA_BITS) - 1);
    let biased = ((bits >> MANTISSA_BITS) & 0x7FF) as i32;
    // Step 1: m × 2^e, then the interval's ends in units of 2^(e−2).
    let (m2, e2) = if biased == 0 {
        (mantissa, 1 - BIAS - MANTISSA_BITS as i32 - 2)
    } else {
        (
            mantissa | (1u64 << MANTISSA_BITS),
            biased - BIAS - MANTISSA_BITS as i32 - 2,
        )
    };
    let even = m2 & 1 == 0;
    let mv = 4 * m2;
    // At a power of two the lower neighbour is half as far: the interval is lopsided.
    let mm_shift = u64::from(mantissa != 0 || biased <= 1);

    // Step 2: times 10^−q.
    let tables = tables();
    let mut vm_trailing_zeros = false;
    let mut vr_trailing_zeros = false;
    let (e10, mut vr, mut vp, mut vm);
    if e2 >= 0 {
        let q = log10_pow2(e2) - i32::from(e2 > 3);
        e10 = q;
        let k = POW5_INV_BITS + pow5_bits(q) - 1;
        let shift = -e2 + q + k;
        let factor = tables.pow5_inv[q as usize];
        (vr, vp, vm) = multiply_all(m2, factor, shift, mm_shift);
        // Exactness: for small q the product may be a whole number, whose trailing zeros
        // step 3 must know about to round correctly.
        if q <= 21 {
            if mv % 5 == 0 {
                vr_trailing_zeros = multiple_of_power_of_5(mv, q);
            } else if even {
                vm_trailing_zeros = multiple_of_power_of_5(mv - 1 - mm_shift, q);
            } else {
                vp -= u64::from(multiple_of_power_of_5(mv + 2, q));
            }
        }
    } else {
        let q = log10_pow5(-e2) - i32::from(-e2 > 1);
        e10 = q + e2;
        let i = -e2 - q;
        let k = pow5_bits(i) - POW5_BITS;
        let shift = q - k;
        let factor = tables.pow5[i as usize];
        (vr, vp, vm) = multiply_all(m2, factor, shift, mm_shift);
        if q <= 1 {
            // mv = 4m2 has at least two trailing zero bits, so vr does too in base 10.
            vr_trailing_zeros = true;
            if even {
                vm_trailing_zeros = mm_shift == 1;
            } else {
                vp -= 1;
            }
        } else if q < 63 {
            vr_trailing_zeros = multiple_of_power_of_2(mv, q);
        }
    }

    // Step 3: drop digits while the interval still holds a shorter decimal.
    let mut removed = 0;
    let output = if vm_trailing_zeros || vr_trailing_zeros {
        // The rare, exact case: the interval's ends may themselves be decimals we may use.
        let mut last_removed = 0;
        while vp / 10 > vm / 10 {
            vm_trailing_zeros &= vm % 10 == 0;
            vr_trailing_zeros &= last_removed == 0;
            last_removed = vr % 10;
            vr /= 10;
            vp /= 10;
            vm /= 10;
            removed += 1;
        }
        if vm_trailing_zeros {
            while vm % 10 == 0 {
                vr_trailing_zeros &= last_removed == 0;
                last_removed = vr % 10;
                vr /= 10;
                vm /= 10;
                removed += 1;
            }
        }
        if vr_trailing_zeros && last_removed == 5 && vr % 2 == 0 {
            // Exactly halfway: round half to even.
            last_removed = 4;
        }
        let round_up = (vr == vm && (!even || !vm_trailing_zeros)) || last_removed >= 5;
        vr + u64::from(round_up)
    } else {
        // The common case: only the last digit dropped decides the rounding.
        let mut round_up = false;
        while vp / 10 > vm / 10 {
            round_up = vr % 10 >= 5;
            vr /= 10;
            vp /= 10;
            vm /= 10;
            removed += 1;
        }
        vr + u64::from(vr == vm || round_up)
    };
    (output, e10 + removed)
}

/// `4m`, `4m + 2` and `4m − 1 − mm_shift`, each times `factor`, shifted right by `shift`.
fn multiply_all(m2: u64, factor: u128, shift: i32, mm_shift: u64) -> (u64, u64, u64) {
    let mv = 4 * m2;
    (
        multiply_shift(mv, factor, shift),
        multiply_shift(mv + 2, factor, shift),
        multiply_shift(mv - 1 - mm_shift, factor, shift),
    )
}

/// `(m × factor) >> shift` for a 64-bit `m` and a 128-bit `factor`, where the result fits
/// 64 bits (`shift` is always past 64).
fn multiply_shift(m: u64, factor: u128, shift: i32) -> u64 {
    let low = u128::from(m) * (factor & u128::from(u64::MAX));
    let high = u128::from(m) * (factor >> 64);
    (((low >> 64) + high) >> (shift - 64)) as u64
}

/// `⌈log2(5^e)⌉` (exactly: the bit length of 5^e), for `0 ≤ e ≤ 3528`.
fn pow5_bits(e: i32) -> i32 {
    ((e as u32 * 1_217_359) >> 19) as i32 + 1
}

/// `⌊log10(2^e)⌋` for `0 ≤ e ≤ 1650`.
fn log10_pow2(e: i32) -> i32 {
    ((e as u32 * 78_913) >> 18) as i32
}

/// `⌊log10(5^e)⌋` for `0 ≤ e ≤ 2620`.
fn log10_pow5(e: i32) -> i32 {
    ((e as u32 * 732_923) >> 20) as i32
}

fn multiple_of_power_of_5(mut value: u64, p: i32) -> bool {
    let mut count = 0;
    while value > 0 && value.is_multiple_of(5) {
        value /= 5;
        count += 1;
    }
    count >= p
}

fn multiple_of_power_of_2(value: u64, p: i32) -> bool {
    value.trailing_zeros() as i32 >= p
}

/// The two tables of step 2.
struct Tables {
    /// `5^i`, its top 125 bits (`i < 326`).
    pow5: Vec<u128>,
    /// `⌊2^(bits(5^q) − 1 + 125) / 5^q⌋ + 1` (`q < 342`): 1/5^q, scaled to 125 bits,
    /// rounded up.
    pow5_inv: Vec<u128>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut power = Big::one();
        let mut pow5 = Vec::with_capacity(POW5_COUNT);
        let mut pow5_inv = Vec::with_capacity(POW5_INV_COUNT);
        for i in 0..POW5_INV_COUNT {
            let length = power.bit_length() as i32;
            if i < POW5_COUNT {
                pow5.push(power.top_bits(length - POW5_BITS));
            }
            let dividend_bit = (length - 1 + POW5_INV_BITS) as usize;
            pow5_inv.push(Big::quotient_of_power_of_two(dividend_bit, &power) + 1);
            power.multiply_by_5();
        }
        Tables { pow5, pow5_inv }
    })
}

/// An unsigned integer of as many 64-bit limbs as it needs (least significant first): just
/// enough arithmetic to build the tables once.
struct Big {
    limbs: Vec<u64>,
}

impl Big {
    fn one() -> Big {
        Big { limbs: vec![1] }
    }

    fn multiply_by_5(&mut self) {
        let mut carry = 0u128;
        for limb in &mut self.limbs {
            let product = u128::from(*limb) * 5 + carry;
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry > 0 {
            self.limbs.push(carry as u64);
        }
    }

    fn bit_length(&self) -> u32 {
        let top = self.limbs.len() - 1;
        top as u32 * 64 + (64 - self.limbs[top].leading_zeros())
    }

    fn bit(&self, index: usize) -> bool {
        self.limbs
            .get(index / 64)
            .is_some_and(|limb| limb >> (index % 64) & 1 == 1)
    }

    /// The number shifted right by `shift` bits (left, if negative), as 128 bits: the
    /// caller picks `shift` so that it fits.
    fn top_bits(&self, shift: i32) -> u128 {
        let mut out = 0u128;
        for j in (0..128).rev() {
            let source = j + shift;
            if source >= 0 && self.bit(source as usize) {
                out |= 1 << j;
            }
        }
        out
    }

    /// `⌊2^power / divisor⌋`, by schoolbook long division, one bit at a time; the caller
    /// picks `power` so that the quotient fits 128 bits.
    fn quotient_of_power_of_two(power: usize, divisor: &Big) -> u128 {
        let mut remainder = Big { limbs: vec![0] };
        let mut quotient = 0u128;
        for index in (0..=power).rev() {
            remainder.double_plus(index == power);
            if remainder.at_least(divisor) {
                remainder.subtract(divisor);
                assert!(index < 128, "the quotient must fit 128 bits");
                quotient |= 1 << index;
            }
        }
        quotient
    }

    fn double_plus(&mut self, bit: bool) {
        let mut carry = u64::from(bit);
        for limb in &mut self.limbs {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry > 0 {
            self.limbs.push(carry);
        }
    }

    fn at_least(&self, other: &Big) -> bool {
        let length = self.limbs.len().max(other.limbs.len());
        for i in (0..length).rev() {
            let (a, b) = (
                self.limbs.get(i).copied().unwrap_or(0),
                other.limbs.get(i).copied().unwrap_or(0),
            );
            if a != b {
                return a > b;
            }
        }
        true
    }

    fn subtract(&mut self, other: &Big) {
        let mut borrow = 0u64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let b = other.limbs.get(i).copied().unwrap_or(0);
            let (step, under1) = limb.overflowing_sub(b);
            let (step, under2) = step.overflowing_sub(borrow);
            *limb = step;
            borrow = u64::from(under1 || under2);
        }
        while self.limbs.len() > 1 && self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits serde_json (ryu, another implementation of the same rule) writes, as
    /// (digits, exponent) with trailing zeros stripped.
    fn reference(float: f64) -> (u64, i32) {
        let text = serde_json::to_string(&float).unwrap();
        let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap();
        let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
        let digits: u64 = mantissa.replace('.', "").parse().unwrap();
        strip((digits, exponent - fraction))
    }

    fn strip((mut digits, mut exponent): (u64, i32)) -> (u64, i32) {
        while digits % 10 == 0 && digits != 0 {
            digits /= 10;
            exponent += 1;
        }
        (digits, exponent)
    }

    #[test]
    fn the_tables_start_where_the_paper_says() {
        let tables = tables();
        assert_eq!(tables.pow5[0], 1 << 124, "5^0 to 125 bits");
        assert_eq!(tables.pow5_inv[0], (1 << 125) + 1, "2^125 / 1, rounded up");
        assert_eq!(tables.pow5.len(), POW5_COUNT);
        assert_eq!(tables.pow5_inv.len(), POW5_INV_COUNT);
    }

    #[test]
    fn edge_values_have_the_digits_of_the_reference() {
        for float in [
            f64::MIN_POSITIVE,
            f64::MAX,
            5e-324,
            1e-323,
            f64::from_bits(0x000F_FFFF_FFFF_FFFF), // the largest subnormal
            0.1,
            0.3,
            1.0 / 3.0,
            2.0 / 3.0,
            9007199254740993.0,
            1e21,
            1e22,
            1e23,
            123456789012345680.0,
            5e-7,
            1.7976931348623157e308,
            4.35,
            0.000001,
        ] {
            assert_eq!(strip(shortest(float)), reference(float), "{float:e}");
        }
    }

    #[test]
    fn random_bit_patterns_have_the_digits_of_the_reference() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let float = f64::from_bits(state >> 1); // positive
            if !float.is_finite() || float == 0.0 {
                continue;
            }
            assert_eq!(strip(shortest(float)), reference(float), "{float:e}");
        }
    }
}
