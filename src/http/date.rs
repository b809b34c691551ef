//! The `Date` header's format: IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
//!
//! `response.rs` stamps every response with the time it was written (RFC 9110 §6.6.1: an
//! origin server with a clock MUST send `Date`). std gives us seconds since 1970 but no
//! calendar, so we turn a day count into a year, month and day ourselves with Howard
//! Hinnant's `civil_from_days`, which works in 400-year eras: the Gregorian calendar repeats
//! exactly every 146 097 days, so one era's arithmetic serves all of them.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// RFC 9110 §5.6.7: day-name, three-letter, English, case-sensitive. Index 0 is Sunday.
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// RFC 9110 §5.6.7: month, three-letter, English. Index 0 is January.
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const SECONDS_PER_DAY: i64 = 86_400;

/// Formats `t` as an IMF-fixdate, the one date format a sender may generate (RFC 9110 §5.6.7).
///
/// The time is always GMT (UTC): HTTP dates carry no zone. Times before 1970 work too;
/// fractions of a second are dropped (rounded down).
pub fn imf_fixdate(t: SystemTime) -> String {
    let mut out = String::with_capacity(29);
    write_imf_fixdate(&mut out, t);
    out
}

/// [`imf_fixdate`], written onto the end of `out`: a response head puts it in place with no
/// string of its own.
pub fn write_imf_fixdate(out: &mut String, t: SystemTime) {
    let seconds = unix_seconds(t);
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 4 from Sunday).
    let weekday = (days + 4).rem_euclid(7) as usize;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAY_NAMES[weekday],
        day,
        MONTH_NAMES[(month - 1) as usize],
        year,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
}

/// Whole seconds since 1970-01-01T00:00:00Z, negative before it, rounded towards the past.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            // 0.5 s before the epoch is in the second that starts at -1, not at 0.
            -whole - i64::from(d.subsec_nanos() > 0)
        }
    }
}

/// (year, month 1–12, day 1–31) of the day `days` after 1970-01-01, proleptic Gregorian.
///
/// Hinnant's algorithm shifts the year to start on 1 March, so the leap day is the last day
/// of its year and month lengths follow a fixed 153-day pattern per five months.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // 719 468 days separate 0000-03-01 (the start of an era) from 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11], 0 = March
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    // January and February belong to the next civil year.
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_epoch_is_thursday_first_of_january_1970() {
        assert_eq!(imf_fixdate(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn rfc9110_section_5_6_7_example_formats_exactly() {
        assert_eq!(
            imf_fixdate(at(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn leap_day_of_2000_exists_because_400_divides_it() {
        assert_eq!(
            imf_fixdate(at(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }

    #[test]
    fn leap_day_of_2024_exists_because_4_divides_it() {
        assert_eq!(
            imf_fixdate(at(1_709_164_800)),
            "Thu, 29 Feb 2024 00:00:00 GMT"
        );
    }

    #[test]
    fn year_2100_has_no_leap_day_because_100_divides_it() {
        // 2100-02-28 plus one day is 1 March, not 29 February.
        assert_eq!(
            imf_fixdate(at(4_107_542_400)),
            "Mon, 01 Mar 2100 00:00:00 GMT"
        );
        assert_eq!(
            imf_fixdate(at(4_107_542_399)),
            "Sun, 28 Feb 2100 23:59:59 GMT"
        );
    }

    #[test]
    fn last_second_of_year_9999_keeps_four_digit_year() {
        assert_eq!(
            imf_fixdate(at(253_402_300_799)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn times_before_the_epoch_round_towards_the_past() {
        let day_before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(imf_fixdate(day_before), "Wed, 31 Dec 1969 00:00:00 GMT");
        let half_second_before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(
            imf_fixdate(half_second_before),
            "Wed, 31 Dec 1969 23:59:59 GMT"
        );
    }

    #[test]
    fn fractions_of_a_second_are_dropped() {
        let t = at(784_111_777) + Duration::from_millis(999);
        assert_eq!(imf_fixdate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
