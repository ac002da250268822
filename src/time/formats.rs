//! Times and dates as a field declares them: RFC 3339 always, and besides it
//! the strftime patterns of `format "..."` (a CRM report's `11/30/2026 9:15
//! AM`), read in the field's `timezone` when the text carries no offset
//! (without one, such a text is an error that says to declare the zone).
//! Nothing is guessed: a text is read by RFC 3339 or by the first declared
//! pattern that reads all of it, and a pattern the checker accepts is one
//! that reads back what it writes.

use jiff::civil::{Date, DateTime};
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use super::rfc3339::{self, TextError};

/// How a field's time or date text is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Formats<'a> {
    /// strftime patterns tried, in order, after RFC 3339.
    pub patterns: &'a [String],
    /// The IANA name of the zone of a time written with no offset.
    pub zone: Option<&'a str>,
}

impl Formats<'_> {
    /// Whether only RFC 3339 is read.
    pub fn is_strict(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Reads an instant: RFC 3339, or else the first pattern that reads the
    /// whole text. A pattern's text with no offset is in the declared zone
    /// (an hour that happens twice is its first; one skipped by a clock
    /// change moves forward by the change).
    pub fn instant(&self, text: &str) -> Result<Timestamp, TextError> {
        let strict = rfc3339::instant(text);
        if self.is_strict() || strict.is_ok() {
            return strict;
        }
        let read = self
            .patterns
            .iter()
            .find_map(|p| strtime::parse(p, text).ok())
            .ok_or(TextError::Invalid)?;
        let instant = match read.offset() {
            Some(_) => read.to_timestamp().map_err(|_| TextError::Invalid)?,
            None => {
                let zone = self.zone.ok_or(TextError::NoZone)?;
                let zone = TimeZone::get(zone).map_err(|_| TextError::NoZone)?;
                let local = read.to_datetime().map_err(|_| TextError::Invalid)?;
                zone.to_timestamp(local)
                    .map_err(|_| TextError::OutOfRange)?
            }
        };
        rfc3339::in_range(instant).ok_or(TextError::OutOfRange)
    }

    /// Reads a date: RFC 3339's `full-date`, or else the first pattern that
    /// reads the whole text.
    pub fn date(&self, text: &str) -> Result<Date, TextError> {
        let strict = rfc3339::date(text);
        if self.is_strict() || strict.is_ok() {
            return strict;
        }
        self.patterns
            .iter()
            .find_map(|p| strtime::parse(p, text).ok())
            .and_then(|read| read.to_date().ok())
            .ok_or(TextError::Invalid)
    }
}

/// The instant a pattern is tried on when it is declared: an afternoon (so
/// a 12-hour clock needs its `%p`), late in a month with two-digit parts.
fn probe() -> Option<DateTime> {
    DateTime::new(2026, 11, 30, 21, 15, 0, 0).ok()
}

/// Writes the probe instant in `pattern` and reads it back, as a time
/// (`time: true`) or a date: `Ok` with whether the pattern writes an offset
/// (a time without one needs a zone to be an instant) when it writes every
/// instant (or date) in a way it reads back; `Err` says what is wrong.
pub fn read_back(pattern: &str, time: bool) -> Result<bool, String> {
    let lost = || format!("\"{pattern}\" cannot be tried on an instant");
    let local = probe().ok_or_else(lost)?;
    let zoned: ZonedDateTime = local.to_zoned_datetime(TimeZone::UTC).map_err(|_| lost())?;
    let Ok(written) = strtime::format(pattern, &zoned) else {
        return Err(format!(
            "\"{pattern}\" is not a strftime pattern roe can read: use directives such as %Y %m %d %H %M %S %I %p %z"
        ));
    };
    let Ok(read) = strtime::parse(pattern, &written) else {
        return Err(format!(
            "\"{pattern}\" writes {written:?}, which it cannot read back"
        ));
    };
    if !time {
        return match read.to_date() {
            Ok(date) if date == local.date() => Ok(false),
            _ => Err(format!(
                "\"{pattern}\" leaves out part of a date: it needs a year, a month and a day"
            )),
        };
    }
    let same = match read.offset() {
        Some(_) => read.to_timestamp().ok() == Some(zoned.timestamp()),
        None => read.to_datetime().ok() == Some(local),
    };
    match same {
        true => Ok(read.offset().is_some()),
        false => Err(format!(
            "\"{pattern}\" leaves out part of an instant (it writes 2026-11-30 21:15 as {written:?}): it needs a date, the hour with %H or %I and %p, and the minutes"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_time_is_read_in_the_declared_zone() {
        let patterns = ["%m/%d/%Y %I:%M %p".to_owned()];
        let formats = Formats {
            patterns: &patterns,
            zone: Some("America/New_York"),
        };
        assert_eq!(
            formats.instant("11/30/2026 9:15 AM").map(|t| t.to_string()),
            Ok("2026-11-30T14:15:00Z".to_owned())
        );
        // RFC 3339 is always read, and wins.
        assert_eq!(
            formats
                .instant("2026-11-30T09:15:00.000Z")
                .map(|t| t.to_string()),
            Ok("2026-11-30T09:15:00Z".to_owned())
        );
        assert_eq!(formats.instant("30/11/2026"), Err(TextError::Invalid));
        let no_zone = Formats {
            patterns: &patterns,
            zone: None,
        };
        assert_eq!(
            no_zone.instant("11/30/2026 9:15 AM"),
            Err(TextError::NoZone)
        );
        assert_eq!(
            formats
                .instant("11/30/2026 12:05 PM")
                .map(|t| t.to_string()),
            Ok("2026-11-30T17:05:00Z".to_owned())
        );
    }

    #[test]
    fn strict_formats_read_only_rfc_3339() {
        let formats = Formats::default();
        assert_eq!(
            formats.instant("11/30/2026 9:15 AM"),
            Err(TextError::Invalid)
        );
        assert_eq!(formats.date("11/30/2026"), Err(TextError::Invalid));
        assert!(formats.date("2026-11-30").is_ok());
    }

    #[test]
    fn patterns_that_lose_part_of_the_value_are_refused() {
        assert_eq!(read_back("%m/%d/%Y %I:%M %p", true), Ok(false));
        assert_eq!(read_back("%Y-%m-%d %H:%M", true), Ok(false));
        assert_eq!(read_back("%Y-%m-%dT%H:%M:%S%z", true), Ok(true));
        assert_eq!(read_back("%m/%d/%Y", false), Ok(false));
        assert!(read_back("%m/%d/%Y %I:%M", true).is_err(), "no AM/PM");
        assert!(read_back("%m/%d %H:%M", true).is_err(), "no year");
        assert!(read_back("%m/%Y", false).is_err(), "no day");
        assert!(read_back("%Y-%m-%d %Ü", true).is_err());
    }
}
