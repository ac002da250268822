//! Instants, dates and their text, written from docs/language.md §9.1: the
//! strict RFC 3339 grammar, the range of instants roe supports, UTC output.
//! Instants are nanoseconds since 1970-01-01T00:00:00Z; dates are days since
//! then (proleptic Gregorian calendar, year 0 included).

/// Nanoseconds in a second.
pub const SECOND: i128 = 1_000_000_000;
/// Nanoseconds in an hour.
pub const HOUR: i128 = 3_600 * SECOND;
/// Nanoseconds in a day.
pub const DAY: i128 = 24 * HOUR;

/// The first instant roe supports, `0000-01-01T00:00:00Z`.
pub fn min_instant() -> i128 {
    i128::from(days_from_civil(0, 1, 1)) * DAY
}

/// The last instant roe supports, `9999-12-30T22:00:00Z`.
pub fn max_instant() -> i128 {
    i128::from(days_from_civil(9999, 12, 30)) * DAY + 22 * HOUR
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The number of days in a month of a year.
fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Why a text is not an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// Not RFC 3339.
    Invalid,
    /// RFC 3339, but outside the supported range.
    OutOfRange,
}

/// Reads exactly `n` ASCII digits at the front of `s`.
fn digits(s: &mut &[u8], n: usize) -> Option<i64> {
    let (head, rest) = (s.get(..n)?, s.get(n..)?);
    if !head.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *s = rest;
    Some(head.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

/// Reads one expected byte at the front of `s`.
fn byte(s: &mut &[u8], allowed: &[u8]) -> Option<u8> {
    let (&first, rest) = s.split_first()?;
    allowed.contains(&first).then(|| {
        *s = rest;
        first
    })
}

/// A `YYYY-MM-DD` that is a real day, as days since 1970-01-01.
fn civil_date(s: &mut &[u8]) -> Option<i64> {
    let year = digits(s, 4)?;
    byte(s, b"-")?;
    let month = digits(s, 2)?;
    byte(s, b"-")?;
    let day = digits(s, 2)?;
    ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
        .then(|| days_from_civil(year, month, day))
}

/// A date as records and literals write it: `YYYY-MM-DD`, a real day.
pub fn date(text: &str) -> Option<i64> {
    let mut s = text.as_bytes();
    let days = civil_date(&mut s)?;
    s.is_empty().then_some(days)
}

/// An instant by the grammar of RFC 3339 §5.6 (`T`/`Z` in either case, a leap
/// second read as `:59`, fraction digits past the ninth dropped), within the
/// supported range. A literal in a policy may leave out the seconds
/// (`seconds_optional`).
pub fn instant(text: &str, seconds_optional: bool) -> Result<i128, TimeError> {
    let parsed = (|| {
        let mut s = text.as_bytes();
        let days = civil_date(&mut s)?;
        byte(&mut s, b"Tt")?;
        let hour = digits(&mut s, 2)?;
        byte(&mut s, b":")?;
        let minute = digits(&mut s, 2)?;
        let (second, nanos) = if byte(&mut s, b":").is_some() {
            let second = digits(&mut s, 2)?;
            let mut nanos = 0;
            if byte(&mut s, b".").is_some() {
                let count = s.iter().take_while(|b| b.is_ascii_digit()).count();
                if count == 0 {
                    return None;
                }
                for i in 0..9 {
                    let d = s.get(i).filter(|_| i < count).map_or(0, |d| d - b'0');
                    nanos = nanos * 10 + i128::from(d);
                }
                s = &s[count..];
            }
            (second, nanos)
        } else if seconds_optional {
            (0, 0)
        } else {
            return None;
        };
        let offset = match byte(&mut s, b"Zz+-")? {
            b'Z' | b'z' => 0,
            sign => {
                let h = digits(&mut s, 2)?;
                byte(&mut s, b":")?;
                let m = digits(&mut s, 2)?;
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = h * 60 + m;
                if sign == b'-' { -minutes } else { minutes }
            }
        };
        if !s.is_empty() || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let seconds =
            i128::from(days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset * 60);
        Some(seconds * SECOND + nanos)
    })();
    let at = parsed.ok_or(TimeError::Invalid)?;
    if (min_instant()..=max_instant()).contains(&at) {
        Ok(at)
    } else {
        Err(TimeError::OutOfRange)
    }
}

/// An instant as RFC 3339 in UTC: whole seconds, then the fraction (if any)
/// without trailing zeros.
pub fn format_instant(at: i128) -> String {
    let days = at.div_euclid(DAY);
    let in_day = at.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or_default());
    let seconds = in_day / SECOND;
    let nanos = in_day % SECOND;
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    );
    if nanos != 0 {
        text.push_str(format!(".{nanos:09}").trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// A date as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The day of the week of a day count, as roe names it.
pub fn weekday(days: i64) -> &'static str {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    // 1970-01-01 was a Thursday.
    NAMES[usize::try_from((days + 3).rem_euclid(7)).unwrap_or_default()]
}
