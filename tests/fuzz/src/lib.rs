//! What the fuzz targets share: cutting their input into the pieces a network would, and
//! comparing JSON values the way a peer sees them.
//!
//! TCP keeps the order of bytes but not where one `read` ends and the next begins, so every
//! decoder that resumes (the chunked body, the UTF-8 validator) must give the same answer
//! however its input is cut. The targets check that by feeding the same bytes once whole
//! and once in pieces. The cuts come from one byte of the fuzz input, expanded by a small
//! generator, rather than from a list of lengths in the input: that would make every seed
//! in the corpus carry a list, and a mutation that changes a length would also change
//! which bytes are data. One byte gives 256 ways to cut any input, and the fuzzer explores
//! them along with the data.

use threadio::json::Value;

/// The lengths of the pieces to cut `len` bytes into, as `seed` picks them: mostly 1 to 8
/// bytes (code points and CRLFs cut in every place), sometimes up to 64, sometimes an empty
/// piece (a `read` that brought nothing new, which a decoder must also survive). They add
/// up to exactly `len`.
pub fn piece_lengths(len: usize, seed: u8) -> Vec<usize> {
    // xorshift32 (Marsaglia 2003); the `| 1` keeps its state away from zero, where it stays.
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let mut lengths = Vec::new();
    let mut left = len;
    while left > 0 {
        let roll = next();
        let piece = match roll % 16 {
            0 => 0,
            1 | 2 => 9 + (roll >> 8) as usize % 56,
            _ => 1 + (roll >> 8) as usize % 8,
        };
        let piece = piece.min(left);
        lengths.push(piece);
        left -= piece;
    }
    lengths
}

/// `bytes` cut into pieces of [`piece_lengths`].
pub fn pieces(bytes: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut rest = bytes;
    piece_lengths(bytes.len(), seed)
        .into_iter()
        .map(|len| {
            let (piece, after) = rest.split_at(len);
            rest = after;
            piece
        })
        .collect()
}

/// The ends of the prefixes that a reader holding "everything read so far" sees after each
/// piece: a decoder called on `&bytes[..end]` for each `end` in turn, as the HTTP server
/// calls the chunked decoder. Ends with `len` itself.
pub fn prefix_ends(len: usize, seed: u8) -> Vec<usize> {
    let mut end = 0;
    let mut ends: Vec<usize> = piece_lengths(len, seed)
        .into_iter()
        .map(|piece| {
            end += piece;
            end
        })
        .collect();
    if ends.last() != Some(&len) {
        ends.push(len); // an empty input still gets one call, with nothing
    }
    ends
}

/// Whether `a` and `b` are the same value to the JavaScript peers we talk to: `==`, except
/// that a number is its `f64`, so `Int(3)` and `Float(3.0)` are one number. Our writer spells
/// a whole float as JavaScript does (`3`, not `3.0`), which reads back as an `Int`: the
/// round trips the targets check may turn one into the other, and nothing else. The sign
/// of zero still counts (`-0` is written `-0` to keep it).
pub fn same_value(a: &Value, b: &Value) -> bool {
    same_with(a, b, &|x, y| x.to_bits() == y.to_bits())
}

/// As [`same_value`], after a trip through MessagePack as notepack writes it, which writes
/// `-0` as the integer 0 (its `value >= 0` holds for -0): the sign of zero is lost there, as
/// between Node nodes.
pub fn same_after_msgpack(a: &Value, b: &Value) -> bool {
    same_with(a, b, &|x, y| x == y || (x.is_nan() && y.is_nan()))
}

fn same_with(a: &Value, b: &Value, number: &dyn Fn(f64, f64) -> bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number(x.as_f64(), y.as_f64()),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_with(x, y, number))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys.iter())
                    .all(|((kx, x), (ky, y))| kx == ky && same_with(x, y, number))
        }
        _ => a == b,
    }
}
