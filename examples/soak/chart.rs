//! The server's RSS over the run as a small ASCII chart: one column per stretch of time
//! (the highest sample in it), bars from zero, so that "flat" looks flat at the scale of the
//! whole process rather than of its noise. Columns after the clients stopped are drawn with
//! `:` instead of `#`.
//!
//! ```text
//!   40 MiB |
//!          |     #  #         #
//!          |  ################## ::::
//!   20 MiB |######################::::
//!          |######################::::
//!        0 +--------------------------
//!           0:00                 10:25
//! ```

/// Draws `points` — (seconds since the start, value, taken after the clients stopped) — in
/// at most `width` columns and `height` rows, the axis labelled in `unit`.
pub fn render(points: &[(f64, f64, bool)], width: usize, height: usize, unit: &str) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::from("(no samples)\n");
    };
    let columns = bucket(points, width.min(points.len()).max(1), first.0, last.0);
    let top = nice_ceiling(columns.iter().map(|c| c.0).fold(0.0, f64::max));
    let mut out = String::new();
    for row in (1..=height).rev() {
        let label = match row {
            r if r == height => format!("{top:>5.0} {unit}"),
            r if r == height.div_ceil(2) => {
                format!("{:>5.0} {unit}", top * row as f64 / height as f64)
            }
            _ => String::new(),
        };
        out.push_str(&format!("{label:>9} |"));
        for &(value, draining) in &columns {
            let filled = (value / top * height as f64).round() as usize >= row;
            out.push(match (filled, draining) {
                (false, _) => ' ',
                (true, false) => '#',
                (true, true) => ':',
            });
        }
        out.push('\n');
    }
    out.push_str(&format!("{:>9} +{}\n", "0", "-".repeat(columns.len())));
    let (start, end) = (clock(first.0), clock(last.0));
    let gap = columns.len().saturating_sub(start.len() + end.len()).max(1);
    out.push_str(&format!("{:>10} {start}{}{end}\n", "", " ".repeat(gap)));
    out
}

/// The highest value and whether any sample was after the stop, per column of equal time.
fn bucket(points: &[(f64, f64, bool)], columns: usize, from: f64, to: f64) -> Vec<(f64, bool)> {
    let span = (to - from).max(f64::EPSILON);
    let mut out = vec![(f64::NAN, false); columns];
    for &(t, value, draining) in points {
        let index = (((t - from) / span) * (columns - 1) as f64).round() as usize;
        let cell = &mut out[index.min(columns - 1)];
        cell.0 = if cell.0.is_nan() {
            value
        } else {
            cell.0.max(value)
        };
        cell.1 |= draining;
    }
    // A column no sample fell in (fewer samples than columns) takes the one before it.
    for i in 1..out.len() {
        if out[i].0.is_nan() {
            out[i] = out[i - 1];
        }
    }
    out.into_iter()
        .map(|(v, d)| (if v.is_nan() { 0.0 } else { v }, d))
        .collect()
}

/// 1, 2 or 5 times a power of ten, at or above `x`: a scale a reader can take in.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&nice| nice >= x)
        .unwrap_or(10.0 * power)
}

/// `125.0` → `2:05`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_numbers() {
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(50.0), 50.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(clock(125.4), "2:05");
    }

    #[test]
    fn a_flat_series_is_a_flat_block_and_the_drain_is_marked() {
        let points: Vec<(f64, f64, bool)> = (0..10).map(|i| (i as f64, 40.0, i >= 8)).collect();
        let chart = render(&points, 60, 4, "MiB");
        let lines: Vec<&str> = chart.lines().collect();
        assert_eq!(lines.len(), 6, "{chart}");
        assert!(lines[1].ends_with("|########::"), "{chart}");
        assert!(lines[0].starts_with("   50 MiB |"), "{chart}");
        assert!(
            lines[5].contains("0:00") && lines[5].ends_with("0:09"),
            "{chart}"
        );
    }

    #[test]
    fn more_samples_than_columns_keep_each_column_s_highest() {
        let points: Vec<(f64, f64, bool)> = (0..100)
            .map(|i| (i as f64, if i == 50 { 100.0 } else { 10.0 }, false))
            .collect();
        let chart = render(&points, 20, 10, "MiB");
        assert_eq!(
            chart.lines().next().unwrap().matches('#').count(),
            1,
            "{chart}"
        );
    }
}
