//! Business-time arithmetic against hand-computed expectations.

use super::*;

fn calendar(zone: &str, days: &[usize], windows: &[(u16, u16)], closed: &[&str]) -> Calendar {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for &d in days {
        week[d] = windows.to_vec();
    }
    let closed = closed
        .iter()
        .map(|d| {
            let d: Date = d.parse().expect("a date");
            (d, d)
        })
        .collect();
    Calendar::new(CalendarSpec {
        name: "test".into(),
        zone: zone.into(),
        week,
        closed,
    })
    .expect("a valid calendar")
}

const MON_FRI: &[usize] = &[0, 1, 2, 3, 4];
const EVERY_DAY: &[usize] = &[0, 1, 2, 3, 4, 5, 6];

fn hm(h: u16, m: u16) -> u16 {
    h * 60 + m
}

/// An instant written as local wall-clock time in `zone`.
fn local(zone: &str, text: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = text.parse().expect("a local date-time");
    dt.to_zoned_datetime(TimeZone::get(zone).expect("a zone"))
        .expect("exists")
        .timestamp()
}

fn utc(text: &str) -> Timestamp {
    text.parse().expect("an instant")
}

fn berlin_office() -> Calendar {
    calendar("Europe/Berlin", MON_FRI, &[(hm(9, 0), hm(17, 30))], &[])
}

#[test]
fn business_hours_skip_the_weekend() {
    // LANGUAGE.md §7: Friday 16:00 Berlin + 4 business hours = Monday 11:30 Berlin.
    let c = berlin_office();
    let from = local("Europe/Berlin", "2026-11-27T16:00");
    assert_eq!(
        c.add_hours(from, 4),
        Ok(local("Europe/Berlin", "2026-11-30T11:30"))
    );
    assert_eq!(
        c.local_rfc3339(local("Europe/Berlin", "2026-11-30T11:30")),
        "2026-11-30T11:30:00+01:00"
    );
}

#[test]
fn business_days_follow_the_table_of_the_language_reference() {
    let c = berlin_office();
    let cases = [
        ("2026-11-27T16:00", 1, "2026-11-30T16:00"),
        ("2026-11-27T16:00", 2, "2026-12-01T16:00"),
        ("2026-11-28T10:00", 1, "2026-11-30T17:30"),
        ("2026-11-28T10:00", 2, "2026-12-01T17:30"),
        ("2026-11-30T08:00", 1, "2026-11-30T17:30"),
        ("2026-11-30T08:00", 2, "2026-12-01T17:30"),
        ("2026-11-30T09:00", 1, "2026-11-30T17:30"),
        ("2026-11-30T09:00", 2, "2026-12-01T17:30"),
        ("2026-11-30T17:30", 1, "2026-12-01T17:30"),
        ("2026-11-30T17:30", 2, "2026-12-02T17:30"),
    ];
    for (now, days, due) in cases {
        let got = c.add_days(local("Europe/Berlin", now), days);
        assert_eq!(
            got,
            Ok(local("Europe/Berlin", due)),
            "{now} + {days} business days"
        );
    }
}

#[test]
fn a_count_ending_exactly_at_a_close_is_due_at_that_close() {
    let c = calendar("Europe/Berlin", MON_FRI, &[(hm(9, 0), hm(17, 0))], &[]);
    let from = local("Europe/Berlin", "2026-11-27T15:00");
    assert_eq!(
        c.add_hours(from, 2),
        Ok(local("Europe/Berlin", "2026-11-27T17:00"))
    );
    assert_eq!(
        c.add_hours(from, 3),
        Ok(local("Europe/Berlin", "2026-11-30T10:00"))
    );
}

#[test]
fn a_holiday_on_a_monday_is_skipped_whole() {
    let c = calendar(
        "Europe/Berlin",
        MON_FRI,
        &[(hm(9, 0), hm(17, 30))],
        &["2026-11-30"],
    );
    let friday = local("Europe/Berlin", "2026-11-27T16:00");
    assert_eq!(
        c.add_hours(friday, 4),
        Ok(local("Europe/Berlin", "2026-12-01T11:30"))
    );
    assert_eq!(
        c.add_days(friday, 1),
        Ok(local("Europe/Berlin", "2026-12-01T16:00"))
    );
    assert_eq!(
        c.is_open(local("Europe/Berlin", "2026-11-30T10:00")),
        Ok(false)
    );
}

#[test]
fn a_lunch_break_is_not_open_time() {
    let c = calendar(
        "Europe/Berlin",
        MON_FRI,
        &[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(17, 30))],
        &[],
    );
    assert_eq!(
        c.add_hours(local("Europe/Berlin", "2026-11-30T11:00"), 2),
        Ok(local("Europe/Berlin", "2026-11-30T14:00"))
    );
    assert_eq!(
        c.is_open(local("Europe/Berlin", "2026-11-30T12:30")),
        Ok(false)
    );
    // 12:30 is 3 hours of open time into Monday; 3 hours into Tuesday ends at its lunch break.
    assert_eq!(
        c.add_days(local("Europe/Berlin", "2026-11-30T12:30"), 1),
        Ok(local("Europe/Berlin", "2026-12-01T12:00"))
    );
}

#[test]
fn a_position_past_a_shorter_days_close_is_that_close() {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for day in week.iter_mut().take(4) {
        *day = vec![(hm(9, 0), hm(17, 30))];
    }
    week[4] = vec![(hm(9, 0), hm(13, 0))];
    let c = Calendar::new(CalendarSpec {
        name: "short_fridays".into(),
        zone: "Europe/Berlin".into(),
        week,
        closed: vec![],
    })
    .expect("valid");
    assert_eq!(
        c.add_days(local("Europe/Berlin", "2026-11-26T16:00"), 1),
        Ok(local("Europe/Berlin", "2026-11-27T13:00"))
    );
}

#[test]
fn berlin_daylight_saving_in_both_directions() {
    let c = calendar("Europe/Berlin", EVERY_DAY, &[(0, 1440)], &[]);
    // 2026-03-29: clocks spring forward; the day has 23 open hours.
    let day = local("Europe/Berlin", "2026-03-29T00:00");
    let next = local("Europe/Berlin", "2026-03-30T00:00");
    assert_eq!(
        c.open_time_between(day, next),
        Ok(SignedDuration::from_hours(23))
    );
    assert_eq!(c.add_hours(day, 24), Ok(utc("2026-03-29T23:00:00Z")));
    assert_eq!(
        c.local_rfc3339(utc("2026-03-29T23:00:00Z")),
        "2026-03-30T01:00:00+02:00"
    );
    // 2026-10-25: clocks fall back; the day has 25 open hours.
    let day = local("Europe/Berlin", "2026-10-25T00:00");
    let next = local("Europe/Berlin", "2026-10-26T00:00");
    assert_eq!(
        c.open_time_between(day, next),
        Ok(SignedDuration::from_hours(25))
    );
}

#[test]
fn new_york_office_hours_across_daylight_saving_weekends() {
    let c = calendar("America/New_York", MON_FRI, &[(hm(9, 0), hm(17, 0))], &[]);
    // Spring forward on Sunday 2026-03-08: Friday 16:00 EST + 2h = Monday 10:00 EDT.
    assert_eq!(
        c.add_hours(utc("2026-03-06T21:00:00Z"), 2),
        Ok(utc("2026-03-09T14:00:00Z"))
    );
    // Fall back on Sunday 2026-11-01: Friday 16:00 EDT + 2h = Monday 10:00 EST.
    assert_eq!(
        c.add_hours(utc("2026-10-30T20:00:00Z"), 2),
        Ok(utc("2026-11-02T15:00:00Z"))
    );
    assert_eq!(
        c.local_rfc3339(utc("2026-11-02T15:00:00Z")),
        "2026-11-02T10:00:00-05:00"
    );
}

#[test]
fn kolkata_half_hour_offset() {
    let c = calendar("Asia/Kolkata", MON_FRI, &[(hm(9, 30), hm(18, 0))], &[]);
    // Monday 17:00 IST (11:30Z) + 2h = Tuesday 10:30 IST (05:00Z).
    assert_eq!(
        c.add_hours(utc("2026-11-30T11:30:00Z"), 2),
        Ok(utc("2026-12-01T05:00:00Z"))
    );
    assert_eq!(
        c.local_rfc3339(utc("2026-12-01T05:00:00Z")),
        "2026-12-01T10:30:00+05:30"
    );
}

#[test]
fn lord_howe_thirty_minute_daylight_saving() {
    let c = calendar("Australia/Lord_Howe", EVERY_DAY, &[(0, 1440)], &[]);
    // 2026-10-04: 02:00 becomes 02:30, so the day has 23.5 open hours.
    let day = local("Australia/Lord_Howe", "2026-10-04T00:00");
    let next = local("Australia/Lord_Howe", "2026-10-05T00:00");
    assert_eq!(
        c.open_time_between(day, next),
        Ok(SignedDuration::from_mins(23 * 60 + 30))
    );
}

#[test]
fn a_24_7_calendar_counts_real_hours_across_daylight_saving() {
    let c = calendar("America/New_York", EVERY_DAY, &[(0, 1440)], &[]);
    let from = utc("2026-11-01T04:00:00Z"); // midnight EDT, the night clocks fall back
    assert_eq!(c.add_hours(from, 30), Ok(utc("2026-11-02T10:00:00Z")));
    assert_eq!(
        c.add_days(from, 1),
        Ok(utc("2026-11-02T05:00:00Z")),
        "a whole day lands at the next close, local midnight"
    );
}

#[test]
fn from_a_closed_instant_the_clock_starts_at_the_next_opening() {
    let c = berlin_office();
    let saturday = local("Europe/Berlin", "2026-11-28T10:00");
    assert_eq!(
        c.add_hours(saturday, 1),
        Ok(local("Europe/Berlin", "2026-11-30T10:00"))
    );
    assert_eq!(c.is_open(saturday), Ok(false));
    assert_eq!(
        c.is_open(local("Europe/Berlin", "2026-11-30T09:00")),
        Ok(true)
    );
    assert_eq!(
        c.is_open(local("Europe/Berlin", "2026-11-30T17:30")),
        Ok(false)
    );
}

#[test]
fn open_time_between_counts_only_open_hours() {
    let c = berlin_office();
    let friday = local("Europe/Berlin", "2026-11-27T16:00");
    let monday = local("Europe/Berlin", "2026-11-30T11:30");
    assert_eq!(
        c.open_time_between(friday, monday),
        Ok(SignedDuration::from_hours(4))
    );
    assert_eq!(
        c.open_time_between(monday, friday),
        Ok(SignedDuration::from_hours(-4))
    );
}

#[test]
fn a_calendar_closed_longer_than_the_search_is_refused() {
    let date = |d: &str| -> Date { d.parse().expect("a date") };
    let days =
        |first: Date, last: Date| i64::from(first.until(last).expect("a span").get_days()) + 1;
    let mut spec = berlin_office().spec().clone();
    spec.closed = vec![(date("2026-01-01"), date("2099-12-31"))];
    assert!(Calendar::new(spec.clone()).is_err(), "closed until 2099");
    // Ranges that only a weekend separates make one stretch, and the weekend
    // after them belongs to it: Thursday 2026-01-01 to Sunday 2026-01-11.
    spec.closed = vec![
        (date("2026-01-05"), date("2026-01-09")),
        (date("2026-01-01"), date("2026-01-02")),
    ];
    assert_eq!(
        spec.longest_closed_stretch(),
        Some((date("2026-01-01"), date("2026-01-11"), 11))
    );
    // An open Wednesday between them: two stretches, the longer one counts.
    spec.closed = vec![
        (date("2026-01-01"), date("2026-01-06")),
        (date("2026-01-08"), date("2026-01-16")),
    ];
    assert_eq!(
        spec.longest_closed_stretch(),
        Some((date("2026-01-08"), date("2026-01-18"), 11))
    );
    // Open on Mondays only, and closed from a Tuesday to the longest stretch
    // allowed, ending on a Sunday: from the Monday evening before it, the
    // search still reaches the Monday after it.
    let mut spec = calendar("UTC", &[0], &[(hm(9, 0), hm(17, 0))], &[])
        .spec()
        .clone();
    let first = date("2026-01-06");
    let mut last = first;
    while days(first, last) < MAX_CLOSED_DAYS {
        last = last.tomorrow().expect("a day");
    }
    while last.weekday() != Weekday::Sunday {
        last = last.yesterday().expect("a day");
    }
    spec.closed = vec![(first, last)];
    let c = Calendar::new(spec.clone()).expect("as long as allowed");
    let monday_evening = utc("2026-01-05T18:00:00Z");
    assert!(c.add_hours(monday_evening, 1).is_ok());
    assert!(c.add_days(monday_evening, 1).is_ok());
    // A week more is refused.
    spec.closed = vec![(
        first,
        last.checked_add(jiff::Span::new().days(7)).expect("a day"),
    )];
    assert!(Calendar::new(spec).is_err());
}

#[test]
fn a_search_for_more_open_time_than_fifty_years_hold_is_an_error_not_a_loop() {
    // Open one hour a week: 10,000 business hours need two hundred years.
    let c = calendar("UTC", &[0], &[(hm(9, 0), hm(10, 0))], &[]);
    let now = utc("2026-11-30T10:00:00Z");
    assert_eq!(c.add_hours(now, 10_000), Err(TimeError::OutOfRange));
    assert_eq!(c.add_days(now, 10_000), Err(TimeError::OutOfRange));
    assert!(
        c.open_time_between(now, utc("2099-11-30T10:00:00Z"))
            .is_err()
    );
}

#[test]
fn an_amount_too_large_for_a_duration_is_out_of_range_not_a_panic() {
    let c = berlin_office();
    let now = utc("2026-11-30T10:00:00Z");
    assert_eq!(c.add_hours(now, i64::MAX), Err(TimeError::OutOfRange));
    assert_eq!(c.add_days(now, i64::MAX), Err(TimeError::OutOfRange));
}

proptest::proptest! {
    /// A later `now` never gives an earlier due time.
    #[test]
    fn business_time_addition_is_monotonic(
        start in 1_780_000_000i64..1_830_000_000,
        gap in 0i64..400_000,
        amount in 0i64..60,
        lunch in proptest::bool::ANY,
    ) {
        let windows: &[(u16, u16)] = if lunch { &[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(17, 30))] } else { &[(hm(9, 0), hm(17, 30))] };
        let c = calendar("Europe/Berlin", MON_FRI, windows, &["2026-12-25"]);
        let a = Timestamp::from_second(start).expect("in range");
        let b = Timestamp::from_second(start + gap).expect("in range");
        proptest::prop_assert!(c.add_hours(a, amount).expect("due") <= c.add_hours(b, amount).expect("due"));
        proptest::prop_assert!(c.add_days(a, amount).expect("due") <= c.add_days(b, amount).expect("due"));
    }
}
