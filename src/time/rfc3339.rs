//! Instants and dates as text, read strictly by the grammar of RFC 3339
//! §5.6, and the range of instants roe supports.
//!
//! An instant is `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`: every field its
//! exact number of digits, `T` and `Z` in either case, a fraction of one or
//! more digits (read to the nanosecond; digits beyond the ninth are dropped), a
//! leap second `:60` read as `:59` of the same minute (instants do not count
//! leap seconds), and an offset of at most ±23:59. A date is `YYYY-MM-DD`. The
//! text is checked here, field by field, and only then handed to jiff, whose
//! own parser also takes ISO 8601 forms that RFC 3339 does not
//! (`20261130T100000Z`, `T10Z`, `,5`, offsets up to ±25:59).
//!
//! Instants run from [`FIRST_INSTANT`] to [`LAST_INSTANT`]: four-digit years,
//! as RFC 3339 writes them, ending where jiff's range ends (jiff keeps every
//! instant representable at every offset, so its last instant is 26 hours
//! short of the end of 9999). Input, literals, `--now` and arithmetic all keep
//! to it, so every instant roe prints can be read back.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;

/// The first instant roe supports: `0000-01-01T00:00:00Z`.
pub const FIRST_INSTANT: Timestamp = Timestamp::constant(-62_167_219_200, 0);

/// The last instant roe supports: `9999-12-30T22:00:00Z`.
pub const LAST_INSTANT: Timestamp = Timestamp::constant(253_402_207_200, 0);

/// The first date: `0000-01-01`.
pub const FIRST_DATE: Date = Date::constant(0, 1, 1);

/// The last date: `9999-12-31`.
pub const LAST_DATE: Date = Date::constant(9999, 12, 31);

/// Why a text is not an instant or a date roe reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// Not in the form of RFC 3339, or a field out of its range (month 13,
    /// February 30, hour 24, offset +25:00).
    Invalid,
    /// A real instant outside [`FIRST_INSTANT`]..=[`LAST_INSTANT`].
    OutOfRange,
    /// Read by a field's declared format, which writes no offset, for a
    /// field that declares no zone: which instant it means is unknown.
    NoZone,
}

/// The supported range as messages state it: `0000-01-01T00:00:00Z to 9999-12-30T22:00:00Z`.
pub fn range_text() -> String {
    format!("{FIRST_INSTANT} to {LAST_INSTANT}")
}

/// What a message says of an instant beyond the range, after naming it:
/// `is outside the instants roe supports, 0000-01-01T00:00:00Z to …`.
pub fn outside_range() -> String {
    format!("is outside the instants roe supports, {}", range_text())
}

/// `t` if it lies in the supported range.
pub fn in_range(t: Timestamp) -> Option<Timestamp> {
    (FIRST_INSTANT..=LAST_INSTANT).contains(&t).then_some(t)
}

/// Reads an RFC 3339 date-time such as `2026-11-30T09:15:00Z` as an instant.
pub fn instant(text: &str) -> Result<Timestamp, TextError> {
    let b = text.as_bytes();
    let date = full_date(b.get(..10).ok_or(TextError::Invalid)?)?;
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return Err(TextError::Invalid);
    }
    let hour = number(b, 11, 2)?;
    let minute = field_after(b, 13, b':', 2)?;
    let second = field_after(b, 16, b':', 2)?;
    let mut at = 19;
    let mut nanosecond = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b.get(at + 1..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        });
        if digits == 0 {
            return Err(TextError::Invalid);
        }
        // Nanoseconds from the first nine digits, padded with zeros.
        let kept = digits.min(9);
        nanosecond = number(b, at + 1, kept)? * 10_i32.pow(9 - kept as u32);
        at += 1 + digits;
    }
    let offset_seconds = match b.get(at..) {
        Some([b'Z' | b'z']) => 0,
        Some([sign @ (b'+' | b'-'), ..]) if b.len() == at + 6 => {
            let (hours, minutes) = (number(b, at + 1, 2)?, field_after(b, at + 3, b':', 2)?);
            if hours > 23 || minutes > 59 {
                return Err(TextError::Invalid);
            }
            let seconds = hours * 3_600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return Err(TextError::Invalid),
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TextError::Invalid);
    }
    let small = |n: i32| i8::try_from(n).map_err(|_| TextError::Invalid);
    let civil = DateTime::new(
        date.year(),
        date.month(),
        date.day(),
        small(hour)?,
        small(minute)?,
        small(second.min(59))?,
        nanosecond,
    )
    .map_err(|_| TextError::Invalid)?;
    let offset = Offset::from_seconds(offset_seconds).map_err(|_| TextError::Invalid)?;
    offset
        .to_timestamp(civil)
        .ok()
        .and_then(in_range)
        .ok_or(TextError::OutOfRange)
}

/// Reads an RFC 3339 full-date, `YYYY-MM-DD`, that names a real day.
pub fn date(text: &str) -> Result<Date, TextError> {
    full_date(text.as_bytes())
}

fn full_date(b: &[u8]) -> Result<Date, TextError> {
    if b.len() != 10 {
        return Err(TextError::Invalid);
    }
    let year = number(b, 0, 4)?;
    let month = field_after(b, 4, b'-', 2)?;
    let day = field_after(b, 7, b'-', 2)?;
    let small = |n: i32| i8::try_from(n).map_err(|_| TextError::Invalid);
    let year = i16::try_from(year).map_err(|_| TextError::Invalid)?;
    Date::new(year, small(month)?, small(day)?).map_err(|_| TextError::Invalid)
}

/// The `width` digits after the separator `sep` at `at`.
fn field_after(b: &[u8], at: usize, sep: u8, width: usize) -> Result<i32, TextError> {
    if b.get(at) != Some(&sep) {
        return Err(TextError::Invalid);
    }
    number(b, at + 1, width)
}

/// The number written by exactly `width` ASCII digits at `at` (at most nine).
fn number(b: &[u8], at: usize, width: usize) -> Result<i32, TextError> {
    let digits = b.get(at..at + width).ok_or(TextError::Invalid)?;
    digits.iter().try_fold(0_i32, |n, c| {
        if c.is_ascii_digit() {
            Ok(n * 10 + i32::from(c - b'0'))
        } else {
            Err(TextError::Invalid)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        instant(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn the_range_is_as_documented() {
        assert_eq!(FIRST_INSTANT.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(LAST_INSTANT.to_string(), "9999-12-30T22:00:00Z");
        assert_eq!(range_text(), "0000-01-01T00:00:00Z to 9999-12-30T22:00:00Z");
        // jiff's own last instant is a fraction of a second later: arithmetic
        // that lands there is refused by `in_range`, not by jiff.
        assert!(Timestamp::MAX > LAST_INSTANT);
        assert_eq!(in_range(Timestamp::MAX), None);
        assert_eq!(FIRST_DATE.to_string(), "0000-01-01");
        assert_eq!(LAST_DATE.to_string(), "9999-12-31");
    }

    #[test]
    fn rfc_3339_instants_are_read() {
        let ten: Timestamp = "2026-11-30T10:00:00Z".parse().unwrap();
        assert_eq!(at("2026-11-30T10:00:00Z"), ten);
        assert_eq!(at("2026-11-30t10:00:00z"), ten);
        assert_eq!(at("2026-11-30T11:00:00+01:00"), ten);
        assert_eq!(at("2026-11-30T05:00:00-05:00"), ten);
        assert_eq!(at("2026-11-30T10:00:00-00:00"), ten);
        assert_eq!(at("2026-11-30T10:00:00.000Z"), ten);
        assert_eq!(
            at("2026-11-30T10:00:00.5Z"),
            ten.checked_add(jiff::SignedDuration::from_millis(500))
                .unwrap()
        );
        // Any number of fraction digits; beyond nanoseconds they are dropped.
        assert_eq!(
            at("2026-11-30T10:00:00.1234567891Z"),
            at("2026-11-30T10:00:00.123456789Z")
        );
        assert_eq!(
            at("2026-11-30T10:00:00.99999999999999999999Z"),
            at("2026-11-30T10:00:00.999999999Z")
        );
        // A leap second is the last second of its minute.
        assert_eq!(at("2016-12-31T23:59:60Z"), at("2016-12-31T23:59:59Z"));
        assert_eq!(at("2016-12-31T23:59:60.5Z"), at("2016-12-31T23:59:59.5Z"));
        assert_eq!(at("0000-01-01T00:00:00Z"), FIRST_INSTANT);
        assert_eq!(at("9999-12-30T22:00:00Z"), LAST_INSTANT);
        // A later local time at an offset east of UTC is still in range.
        assert_eq!(at("9999-12-31T21:59:00+23:59"), LAST_INSTANT);
    }

    #[test]
    fn other_forms_are_refused() {
        for text in [
            "20261130T100000Z",
            "2026-11-30T10Z",
            "2026-11-30T10:00Z",
            "2026-11-30T10:00:00",
            "2026-11-30T10:00:00,5Z",
            "2026-11-30T10:00:00.Z",
            "2026-11-30T10:00:00+25:00",
            "2026-11-30T10:00:00+24:00",
            "2026-11-30T10:00:00+01:60",
            "2026-11-30T10:00:00+0100",
            "2026-11-30T10:00:00+01",
            "2026-11-30T10:00:00+01:00:00",
            "2026-11-30T10:00:00Z[Europe/Berlin]",
            "2026-11-30 10:00:00Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T10:60:00Z",
            "2026-11-30T10:00:61Z",
            "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "+2026-11-30T10:00:00Z",
            "-0001-11-30T10:00:00Z",
            "2026-11-30T10:00:00ZZ",
            " 2026-11-30T10:00:00Z",
            "2026-11-30T1a:00:00Z",
            "2026-11-30",
            "",
            "2026-11-30T10:00:00.５Z",
        ] {
            assert_eq!(instant(text), Err(TextError::Invalid), "{text}");
        }
    }

    #[test]
    fn instants_beyond_the_range_are_out_of_range() {
        for text in [
            "9999-12-31T00:00:00Z",
            "9999-12-30T22:00:00.000000001Z",
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert_eq!(instant(text), Err(TextError::OutOfRange), "{text}");
        }
    }

    #[test]
    fn dates_are_full_dates() {
        assert_eq!(date("2026-12-25"), Ok(jiff::civil::date(2026, 12, 25)));
        assert_eq!(date("0000-01-01"), Ok(FIRST_DATE));
        assert_eq!(date("9999-12-31"), Ok(LAST_DATE));
        assert_eq!(date("2024-02-29"), Ok(jiff::civil::date(2024, 2, 29)));
        for text in [
            "20261130",
            "2026-11-30T10:00:00Z",
            "2026-02-30",
            "2025-02-29",
            "2026-1-30",
            "+002026-11-30",
            "2026-W48-1",
            "2026-334",
            "2026-11-30 ",
        ] {
            assert_eq!(date(text), Err(TextError::Invalid), "{text}");
        }
    }
}
