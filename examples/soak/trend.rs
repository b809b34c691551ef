//! Whether a series is growing, told robustly: the Theil–Sen estimator (Theil 1950, Sen
//! 1968) — the median of the slopes between every pair of samples — and plain medians.
//!
//! Why not the least-squares line: the server's RSS under a random load is not a smooth
//! curve. A burst of slow readers puts megabytes in flight for a few seconds, and one such
//! spike near the end of the window tilts a least-squares line by itself. The median of the
//! pairwise slopes ignores up to 29 % of outliers and still follows a steady climb — a leak
//! — sample after sample. It costs n²/2 slopes: for an hour sampled every 5 s, 720 samples,
//! about 260,000 divisions.

/// The median of `values` (which it sorts); `None` if empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(match values.len() % 2 {
        1 => values[mid],
        _ => (values[mid - 1] + values[mid]) / 2.0,
    })
}

/// The Theil–Sen slope of `points` (x, y): y's change per unit of x. `None` with fewer than
/// two distinct x.
pub fn theil_sen_slope(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, &(x1, y1)) in points.iter().enumerate() {
        for &(x2, y2) in &points[i + 1..] {
            if x2 != x1 {
                slopes.push((y2 - y1) / (x2 - x1));
            }
        }
    }
    median(&mut slopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn a_steady_climb_is_seen_and_a_spike_is_not_mistaken_for_one() {
        let climb: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 10.0 + 0.5 * i as f64)).collect();
        assert_eq!(theil_sen_slope(&climb), Some(0.5));

        let mut flat: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 10.0)).collect();
        flat[18].1 = 60.0; // a burst at the very end
        flat[3].1 = 40.0;
        assert_eq!(theil_sen_slope(&flat), Some(0.0));
        assert_eq!(theil_sen_slope(&[(1.0, 1.0)]), None);
    }
}
