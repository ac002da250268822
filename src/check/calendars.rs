//! Calendar declarations: day names and ranges, opening windows that are in
//! order and do not overlap on any day, one time zone from the IANA database
//! roe carries (never the host's), `closed` ranges that run forwards, and at
//! least one `open` line. Business-time arithmetic on them is a later stage.

use super::Checker;
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{Span, Spanned};
use crate::syntax::ast::{CalendarClause, CalendarDecl, Name};
use crate::time::CalendarSpec;
use crate::time::calendar::{MAX_CLOSED_DAYS, MAX_DAYS};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Checker<'_> {
    /// Checks every calendar and returns their specs, by index.
    pub(super) fn check_calendars(&mut self) -> Vec<CalendarSpec> {
        let decls = self.calendar_decls.clone();
        decls.into_iter().map(|c| self.check_calendar(c)).collect()
    }

    /// The index of the calendar called `name`, reporting an unknown one.
    pub(super) fn calendar_index(&mut self, name: &Name) -> Option<u32> {
        match self.calendars.get(&name.node) {
            Some(d) => u32::try_from(d.index).ok(),
            None => {
                self.unknown_calendar(name);
                None
            }
        }
    }

    fn check_calendar(&mut self, calendar: &CalendarDecl) -> CalendarSpec {
        let mut spec = CalendarSpec {
            name: calendar.name.node.clone(),
            zone: "UTC".to_owned(),
            week: Default::default(),
            closed: Vec::new(),
        };
        let owner = format!("calendar `{}`", calendar.name.node);
        let mut zone: Option<Span> = None;
        // Per day, the windows declared for it, to find overlaps.
        let mut by_day: [Vec<(u16, u16, Span)>; 7] = Default::default();
        // Each closed range's first day and where it is written.
        let mut closed_spans: Vec<(jiff::civil::Date, Span)> = Vec::new();
        for clause in &calendar.clauses {
            match &clause.node {
                CalendarClause::Timezone(name) => {
                    self.once("a `timezone`", &owner, &mut zone, clause.span);
                    self.check_time_zone(name);
                    spec.zone = name.node.clone();
                }
                CalendarClause::Closed(ranges) => {
                    for (from, to) in ranges {
                        match to {
                            Some(to) if to.node < from.node => self.backwards(
                                from.span.to(to.span),
                                "a closed range",
                                "`closed 2026-12-24 to 2026-12-31`",
                            ),
                            Some(to) => spec.closed.push((from.node, to.node)),
                            None => spec.closed.push((from.node, from.node)),
                        }
                        let span = to.as_ref().map_or(from.span, |to| from.span.to(to.span));
                        closed_spans.push((from.node, span));
                    }
                }
                CalendarClause::Error => {}
                CalendarClause::Open { days, windows } => {
                    let days = self.days(days);
                    for (start, end) in windows {
                        let span = start.span.to(end.span);
                        if start.node >= end.node {
                            self.backwards(
                                span,
                                "an opening window",
                                "`09:00-17:30`; `24:00` ends a day",
                            );
                            continue;
                        }
                        for &day in &days {
                            by_day[day].push((start.node, end.node, span));
                            spec.week[day].push((start.node, end.node));
                        }
                    }
                }
            }
        }
        // An `open` line may be the clause that did not parse.
        let opens = calendar
            .clauses
            .iter()
            .any(|c| matches!(c.node, CalendarClause::Open { .. }));
        if !opens && !calendar.is_incomplete() {
            self.report(
                Diagnostic::error(codes::BAD_CLAUSE, format!("{owner} is never open"), calendar.name.span)
                    .label(calendar.name.span, "this calendar has no `open` line")
                    .help("add its opening hours, such as `open mon-fri 09:00-17:30`; an SLO on a calendar that never opens is never due"),
            );
        }
        // One report per pair of overlapping windows, naming every day they share.
        let mut overlaps: Vec<(Span, Span, Vec<&str>)> = Vec::new();
        for (day, windows) in by_day.iter_mut().enumerate() {
            windows.sort_by_key(|(start, end, _)| (*start, *end));
            for pair in windows.windows(2).filter(|w| w[1].0 < w[0].1) {
                match overlaps
                    .iter_mut()
                    .find(|(a, b, _)| *a == pair[0].2 && *b == pair[1].2)
                {
                    Some((_, _, days)) => days.push(DAYS[day]),
                    None => overlaps.push((pair[0].2, pair[1].2, vec![DAYS[day]])),
                }
            }
        }
        for (first, second, days) in overlaps {
            self.report(
                Diagnostic::error(codes::BAD_CLAUSE, format!("opening windows overlap on {}", days.join(", ")), second)
                    .label(second, "this window")
                    .label(first, "overlaps this one")
                    .help("make the windows of a day follow each other, such as `09:00-12:00, 13:00-17:30`"),
            );
        }
        for windows in &mut spec.week {
            windows.sort_unstable();
        }
        self.closed_too_long(&spec, &closed_spans);
        spec
    }

    /// Business time searches open time at most [`MAX_DAYS`] ahead: a calendar
    /// closed for longer would fail every SLO at run time, so it is refused here.
    fn closed_too_long(&mut self, spec: &CalendarSpec, closed: &[(jiff::civil::Date, Span)]) {
        let Some((first, last, days)) = spec.longest_closed_stretch() else {
            return;
        };
        if days <= MAX_CLOSED_DAYS {
            return;
        }
        let mut ranges = closed
            .iter()
            .filter(|(from, _)| first <= *from && *from <= last)
            .map(|(_, span)| *span);
        let Some(span) = ranges.next() else {
            return;
        };
        let mut d = Diagnostic::error(
            codes::BAD_CLAUSE,
            format!(
                "calendar `{}` has no open time from {first} to {last}",
                spec.name
            ),
            span,
        )
        .label(
            span,
            format!("closed {days} days in a row, about {} years", days / 365),
        );
        for span in ranges {
            d = d.label(span, "part of the same closed stretch");
        }
        self.report(d.help(format!(
            "roe looks for open time at most {MAX_DAYS} days (50 years) ahead, so an SLO on this calendar could not be computed: close it at most {MAX_CLOSED_DAYS} days in a row; for a team that stopped working, hand off to another team"
        )));
    }

    /// The days (0 = Monday) a list of day names and ranges covers.
    fn days(&mut self, spans: &[(Name, Option<Name>)]) -> Vec<usize> {
        let mut out = Vec::new();
        for (from, to) in spans {
            let first = self.day(from);
            let last = to.as_ref().map_or(first, |to| self.day(to));
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            if last < first {
                let span = from.span.to(to.as_ref().map_or(from.span, |t| t.span));
                self.backwards(
                    span,
                    "a day range",
                    "`mon-fri`; for a weekend shift write `fri, sat, sun, mon`",
                );
                continue;
            }
            out.extend(
                (first..=last)
                    .filter(|d| !out.contains(d))
                    .collect::<Vec<_>>(),
            );
        }
        out
    }

    fn day(&mut self, name: &Name) -> Option<usize> {
        if let Some(day) = DAYS.iter().position(|d| *d == name.node) {
            return Some(day);
        }
        let help = help_did_you_mean(&name.node, DAYS)
            .unwrap_or_else(|| "days are mon, tue, wed, thu, fri, sat and sun".into());
        self.report(
            Diagnostic::error(
                codes::BAD_CLAUSE,
                format!("`{}` is not a day", name.node),
                name.span,
            )
            .label(name.span, "not a day of the week")
            .help(help),
        );
        None
    }

    fn backwards(&mut self, span: Span, what: &str, example: &str) {
        self.report(
            Diagnostic::error(codes::BAD_CLAUSE, format!("{what} must run forwards"), span)
                .label(span, "this does not end after it starts")
                .help(format!("write the earlier end first: {example}")),
        );
    }

    /// A time zone must be in the IANA database roe carries (never the host's).
    pub(super) fn check_time_zone(&mut self, zone: &Spanned<String>) {
        if jiff::tz::TimeZone::get(&zone.node).is_ok() {
            return;
        }
        let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        let help =
            help_did_you_mean(&zone.node, names.iter().map(String::as_str)).unwrap_or_else(|| {
                "time zones are IANA names such as \"Europe/Berlin\" or \"America/New_York\"".into()
            });
        self.report(
            Diagnostic::error(
                codes::BAD_CLAUSE,
                format!("unknown time zone \"{}\"", zone.node),
                zone.span,
            )
            .label(zone.span, "not in the IANA time zone database")
            .help(help),
        );
    }
}
