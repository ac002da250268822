//! A business calendar and business-time arithmetic.
//!
//! A calendar opens local wall-clock windows on weekdays, in an IANA time
//! zone (from the database bundled with roe), except on `closed` dates. Each
//! local day's windows are turned into instants with the zone's rules, so a
//! 24-hour calendar has 23 open hours on the day clocks spring forward.
//!
//! - `N business hours` walks the open intervals from `now`, spending open time
//!   only; from a closed instant it starts at the next opening, and a count that
//!   runs out exactly at a close is due at that close.
//! - `N business days` lands at the same position (open time elapsed that day)
//!   in the N-th following open day, or at that day's close if it is shorter.
//!   From an instant with no open time behind it that day (closed, before the
//!   first opening, or exactly at it) it lands at the close of the N-th open day,
//!   counting the first day that still opens as the first.
//!
//! Every search is bounded: a calendar that never opens within
//! [`MAX_DAYS`] days gives an error, never a loop.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The furthest roe looks for open time: fifty years of days.
pub const MAX_DAYS: i64 = 366 * 50;

/// The most days in a row a calendar may have no open time, `closed` dates
/// and the weekdays without windows around them together: a week less than
/// [`MAX_DAYS`], so that from any instant before or inside such a stretch the
/// search still reaches the open day after it.
pub const MAX_CLOSED_DAYS: i64 = MAX_DAYS - 7;

/// A calendar as declared: the data the compiler stores in a Program.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarSpec {
    /// The calendar's name.
    pub name: String,
    /// The IANA time zone, such as `Europe/Berlin`.
    pub zone: String,
    /// Opening windows per weekday (0 = Monday), as minutes after local
    /// midnight (`24:00` is 1440), sorted and not overlapping.
    pub week: [Vec<(u16, u16)>; 7],
    /// Closed dates as inclusive ranges.
    pub closed: Vec<(Date, Date)>,
}

impl CalendarSpec {
    /// The longest run of days with no open time that a `closed` range is
    /// part of, as its first and last day and its length in days: ranges
    /// that touch, or that only weekdays without windows separate, make one
    /// run, and the weekdays without windows on either side belong to it.
    pub fn longest_closed_stretch(&self) -> Option<(Date, Date, i64)> {
        let mut ranges = self.closed.clone();
        ranges.sort_unstable();
        let mut runs: Vec<(Date, Date)> = Vec::new();
        for (from, to) in ranges {
            match runs.last_mut() {
                Some((_, end)) if self.shut_from_to(*end, from) => *end = (*end).max(to),
                _ => runs.push((from, to)),
            }
        }
        runs.into_iter()
            .map(|(start, end)| {
                let (start, end) = (
                    self.shut_through(start, Date::yesterday),
                    self.shut_through(end, Date::tomorrow),
                );
                let days = start
                    .until(end)
                    .map_or(i64::MAX, |s| i64::from(s.get_days()));
                (start, end, days.saturating_add(1))
            })
            .max_by_key(|(_, _, days)| *days)
    }

    fn opens_on(&self, d: Date) -> bool {
        !self.week[weekday_index(d.weekday())].is_empty()
    }

    /// Whether no day after `end` and before `from` opens (a week always has an open day).
    fn shut_from_to(&self, end: Date, from: Date) -> bool {
        let mut day = end;
        for _ in 0..7 {
            match day.tomorrow() {
                Ok(next) if next < from => day = next,
                Ok(_) => return true,
                Err(_) => return false,
            }
            if self.opens_on(day) {
                return false;
            }
        }
        false
    }

    /// The furthest day from `day`, stepping a day at a time with `step`
    /// (`Date::tomorrow` or `Date::yesterday`), over days without windows.
    fn shut_through(&self, mut day: Date, step: fn(Date) -> Result<Date, jiff::Error>) -> Date {
        for _ in 0..7 {
            match step(day) {
                Ok(next) if !self.opens_on(next) => day = next,
                _ => break,
            }
        }
        day
    }
}

/// A calendar ready for arithmetic: its spec and its resolved time zone.
#[derive(Clone, Debug)]
pub struct Calendar {
    spec: CalendarSpec,
    zone: TimeZone,
}

/// Why business time has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// No open time within [`MAX_DAYS`], or an instant out of range.
    OutOfRange,
}

impl Calendar {
    /// Checks a spec and resolves its zone.
    pub fn new(spec: CalendarSpec) -> Result<Calendar, String> {
        let zone = TimeZone::get(&spec.zone)
            .map_err(|_| format!("unknown time zone \"{}\"", spec.zone))?;
        for (day, windows) in spec.week.iter().enumerate() {
            let ordered = windows.iter().all(|(s, e)| s < e && *e <= 1440)
                && windows.windows(2).all(|w| w[0].1 <= w[1].0);
            if !ordered {
                return Err(format!(
                    "calendar `{}`: the windows of day {day} are not in order",
                    spec.name
                ));
            }
        }
        if spec.week.iter().all(Vec::is_empty) {
            return Err(format!("calendar `{}` is never open", spec.name));
        }
        if let Some((first, last, days)) = spec.longest_closed_stretch()
            && days > MAX_CLOSED_DAYS
        {
            return Err(format!(
                "calendar `{}` has no open time from {first} to {last}, longer than roe looks for open time",
                spec.name
            ));
        }
        Ok(Calendar { spec, zone })
    }

    /// The declared calendar.
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The calendar's time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    fn local_date(&self, t: Timestamp) -> Date {
        t.to_zoned_datetime(self.zone.clone()).date()
    }

    fn is_closed_date(&self, d: Date) -> bool {
        self.spec
            .closed
            .iter()
            .any(|(from, to)| *from <= d && d <= *to)
    }

    /// The instant of `minutes` after local midnight on `d` (1440 is the next midnight).
    fn instant(&self, d: Date, minutes: u16) -> Result<Timestamp, TimeError> {
        let (date, minutes) = if minutes >= 1440 {
            (
                d.tomorrow().map_err(|_| TimeError::OutOfRange)?,
                minutes - 1440,
            )
        } else {
            (d, minutes)
        };
        let hour = i8::try_from(minutes / 60).map_err(|_| TimeError::OutOfRange)?;
        let minute = i8::try_from(minutes % 60).map_err(|_| TimeError::OutOfRange)?;
        let time = Time::new(hour, minute, 0, 0).map_err(|_| TimeError::OutOfRange)?;
        // A wall-clock time in a gap moves forward; in a fold it is the earlier instant.
        self.zone
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .map_err(|_| TimeError::OutOfRange)
    }

    /// The open intervals of local date `d`, as instants, in order.
    fn intervals(&self, d: Date) -> Result<Vec<(Timestamp, Timestamp)>, TimeError> {
        if self.is_closed_date(d) {
            return Ok(Vec::new());
        }
        let windows = &self.spec.week[weekday_index(d.weekday())];
        let mut out = Vec::with_capacity(windows.len());
        for (start, end) in windows {
            let (s, e) = (self.instant(d, *start)?, self.instant(d, *end)?);
            if s < e {
                out.push((s, e));
            }
        }
        Ok(out)
    }

    fn open_length(intervals: &[(Timestamp, Timestamp)]) -> SignedDuration {
        intervals.iter().map(|(s, e)| e.duration_since(*s)).sum()
    }

    /// Whether the calendar is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> Result<bool, TimeError> {
        Ok(self
            .intervals(self.local_date(t))?
            .iter()
            .any(|(s, e)| *s <= t && t < *e))
    }

    /// `from` plus `hours` of open time.
    pub fn add_hours(&self, from: Timestamp, hours: i64) -> Result<Timestamp, TimeError> {
        let seconds = hours.checked_mul(3_600).ok_or(TimeError::OutOfRange)?;
        let mut remaining = SignedDuration::from_secs(seconds);
        if remaining.is_negative() {
            return Err(TimeError::OutOfRange);
        }
        let mut day = self.local_date(from);
        for _ in 0..MAX_DAYS {
            for (s, e) in self.intervals(day)? {
                if e <= from {
                    continue;
                }
                let start = s.max(from);
                let available = e.duration_since(start);
                if remaining <= available {
                    return start
                        .checked_add(remaining)
                        .map_err(|_| TimeError::OutOfRange);
                }
                remaining -= available;
            }
            day = day.tomorrow().map_err(|_| TimeError::OutOfRange)?;
        }
        Err(TimeError::OutOfRange)
    }

    /// `from` plus `days` business days (see the module comment).
    pub fn add_days(&self, from: Timestamp, days: i64) -> Result<Timestamp, TimeError> {
        if days < 0 {
            return Err(TimeError::OutOfRange);
        }
        let today = self.local_date(from);
        let intervals = self.intervals(today)?;
        let position: SignedDuration = intervals
            .iter()
            .map(|(s, e)| {
                if from <= *s {
                    SignedDuration::ZERO
                } else {
                    from.min(*e).duration_since(*s)
                }
            })
            .sum();
        if days == 0 {
            return Ok(from);
        }
        if position.is_zero() {
            // Nothing of today's open time is behind us: the first day that still
            // opens counts as the first, and the answer is the close of the N-th.
            let still_opens = intervals.first().is_some_and(|(s, _)| from <= *s);
            let first = if still_opens {
                today
            } else {
                today.tomorrow().map_err(|_| TimeError::OutOfRange)?
            };
            let (_, last) = self.nth_open_day(first, days)?;
            return last.last().map(|(_, e)| *e).ok_or(TimeError::OutOfRange);
        }
        let next = today.tomorrow().map_err(|_| TimeError::OutOfRange)?;
        let (_, target) = self.nth_open_day(next, days)?;
        let mut remaining = position.min(Self::open_length(&target));
        for (s, e) in &target {
            let length = e.duration_since(*s);
            if remaining <= length {
                return s.checked_add(remaining).map_err(|_| TimeError::OutOfRange);
            }
            remaining -= length;
        }
        target.last().map(|(_, e)| *e).ok_or(TimeError::OutOfRange)
    }

    /// The `n`-th open day at or after `from` (`n` ≥ 1) and its intervals.
    fn nth_open_day(
        &self,
        from: Date,
        n: i64,
    ) -> Result<(Date, Vec<(Timestamp, Timestamp)>), TimeError> {
        let mut day = from;
        let mut seen = 0;
        for _ in 0..MAX_DAYS {
            let intervals = self.intervals(day)?;
            if !intervals.is_empty() {
                seen += 1;
                if seen == n {
                    return Ok((day, intervals));
                }
            }
            day = day.tomorrow().map_err(|_| TimeError::OutOfRange)?;
        }
        Err(TimeError::OutOfRange)
    }

    /// The open time between `a` and `b` (negative when `b` is before `a`).
    pub fn open_time_between(
        &self,
        a: Timestamp,
        b: Timestamp,
    ) -> Result<SignedDuration, TimeError> {
        if b < a {
            return self.open_time_between(b, a).map(|d| -d);
        }
        let mut total = SignedDuration::ZERO;
        let mut day = self.local_date(a);
        let last = self.local_date(b);
        for _ in 0..MAX_DAYS {
            for (s, e) in self.intervals(day)? {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e.duration_since(s);
                }
            }
            if day >= last {
                return Ok(total);
            }
            day = day.tomorrow().map_err(|_| TimeError::OutOfRange)?;
        }
        Err(TimeError::OutOfRange)
    }

    /// `t` in the calendar's zone.
    pub fn local(&self, t: Timestamp) -> jiff::ZonedDateTime {
        t.to_zoned_datetime(self.zone.clone())
    }

    /// `t` as RFC 3339 with the calendar's offset at that instant.
    pub fn local_rfc3339(&self, t: Timestamp) -> String {
        let offset = self.zone.to_offset(t);
        t.display_with_offset(offset).to_string()
    }
}

/// Monday = 0 … Sunday = 6.
fn weekday_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
