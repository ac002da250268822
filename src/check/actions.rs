//! Pass 4: teams, calendars, rules with their actions, fixtures and tests.

use super::Checker;
use super::expr::Ctx;
use super::tir::{TAction, TExpr, TKind, TRule, TTarget, TTeam};
use crate::bytecode::program::{Anchor, Cap, CapWindow, Pick, Slo, SloLength, Team};
use crate::bytecode::schema::Type;
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;
use crate::syntax::ast::{
    self, ActionKind, DurationSpec, DurationSpecKind, ExprKind, Item, TeamClause,
};
use crate::syntax::modules::Module;
use crate::time::MAX_BUSINESS_AMOUNT;

impl Checker<'_> {
    /// Team clauses: weights that add up, queues without members.
    pub(super) fn check_teams(&mut self) -> Vec<TTeam> {
        let teams: Vec<&ast::TeamDecl> = self.teams.clone();
        for team in &teams {
            let mut queue: Option<Span> = None;
            let mut members: Option<Span> = None;
            let mut strategy: Option<Span> = None;
            let mut hours: Option<Span> = None;
            let mut cap: Option<Span> = None;
            let mut overflow: Option<Span> = None;
            for clause in &team.clauses {
                let owner = format!("team `{}`", team.name.node);
                match &clause.node {
                    TeamClause::RoundRobin | TeamClause::Weighted(_) => {
                        self.once("an `assign` strategy", &owner, &mut strategy, clause.span);
                    }
                    TeamClause::WorkingHours(_) => {
                        self.once("`working hours`", &owner, &mut hours, clause.span)
                    }
                    TeamClause::Queue => self.once("`queue`", &owner, &mut queue, clause.span),
                    TeamClause::Cap { .. } => self.once("a `cap`", &owner, &mut cap, clause.span),
                    TeamClause::Overflow(_) => {
                        self.once("an `overflow`", &owner, &mut overflow, clause.span);
                    }
                    TeamClause::Members(_) | TeamClause::Error => {}
                }
                match &clause.node {
                    TeamClause::Queue => {}
                    TeamClause::Members(list) => {
                        members = Some(clause.span);
                        self.no_one_twice(list.iter(), "`members`");
                    }
                    TeamClause::Weighted(weights) => {
                        self.check_weights(weights, clause.span);
                        self.check_weighted_members(team, weights);
                        self.no_one_twice(weights.iter().map(|(who, _)| who), "`assign weighted`");
                    }
                    TeamClause::WorkingHours(calendar) => {
                        if !self.calendars.contains_key(&calendar.node) {
                            self.unknown_calendar(calendar);
                        }
                    }
                    TeamClause::Cap { limit, .. }
                        if !(1..=i64::from(u32::MAX)).contains(&limit.node) =>
                    {
                        self.report(
                            Diagnostic::error(
                                codes::BAD_CLAUSE,
                                format!("a cap of {} records", limit.node),
                                limit.span,
                            )
                            .label(limit.span, "a cap counts at least one record")
                            .help("write a cap such as `cap 20 per day`, or remove it for no cap"),
                        );
                    }
                    TeamClause::Overflow(to) => {
                        if to.node == team.name.node {
                            self.report(
                                Diagnostic::error(
                                    codes::BAD_CLAUSE,
                                    format!("team `{}` overflows to itself", team.name.node),
                                    to.span,
                                )
                                .label(to.span, "a full team cannot take the record")
                                .help("name another team, such as the managers'"),
                            );
                        } else {
                            self.team_index(to);
                        }
                    }
                    TeamClause::RoundRobin | TeamClause::Cap { .. } | TeamClause::Error => {}
                }
            }
            if let (Some(q), Some(c)) = (queue, cap.or(overflow)) {
                self.report(
                    Diagnostic::error(
                        codes::BAD_CLAUSE,
                        format!(
                            "team `{}` is a queue with a cap or an overflow",
                            team.name.node
                        ),
                        c,
                    )
                    .label(c, "counts what members take")
                    .label(q, "but a `queue` has no members")
                    .help("remove `queue` and list members, or remove the clause"),
                );
            }
            if let (Some(q), Some(s)) = (queue, strategy) {
                self.report(
                    Diagnostic::error(
                        codes::BAD_CLAUSE,
                        format!(
                            "team `{}` is a queue with an `assign` strategy",
                            team.name.node
                        ),
                        s,
                    )
                    .label(s, "assigns to people")
                    .label(q, "but a `queue` has none")
                    .help("remove `queue` and list members, or remove the strategy"),
                );
            }
            if let (Some(q), Some(m)) = (queue, members) {
                self.report(
                    Diagnostic::error(
                        codes::BAD_CLAUSE,
                        format!("team `{}` is both a queue and staffed", team.name.node),
                        q,
                    )
                    .label(q, "a `queue` is unstaffed")
                    .label(m, "but the team lists members")
                    .help("remove `queue`, or remove the members"),
                );
            }
        }
        let checked: Vec<TTeam> = teams
            .iter()
            .map(|t| TTeam {
                name: t.name.node.clone(),
                name_span: t.name.span,
                staffed: t.clauses.iter().any(|c| match &c.node {
                    TeamClause::Members(list) => !list.is_empty(),
                    TeamClause::Weighted(weights) => !weights.is_empty(),
                    _ => false,
                }),
                queue: t
                    .clauses
                    .iter()
                    .any(|c| matches!(c.node, TeamClause::Queue)),
                team: self.roster(t),
            })
            .collect();
        self.no_overflow_cycles(&checked);
        checked
    }

    /// A team as the program carries it: its members each once in the order
    /// first listed, how one is picked, its cap, overflow and calendar.
    fn roster(&self, t: &ast::TeamDecl) -> Team {
        let mut members: Vec<String> = Vec::new();
        let mut weighted: Vec<(String, u32)> = Vec::new();
        let mut team = Team::named(t.name.node.clone());
        for clause in &t.clauses {
            match &clause.node {
                TeamClause::Members(list) => members.extend(list.iter().map(|m| m.node.clone())),
                TeamClause::Weighted(weights) => weighted.extend(weights.iter().map(|(who, w)| {
                    // Weights are checked to add up to 100%: in hundredths of a percent.
                    let basis = (w.node * 100.0).round().clamp(0.0, 10_000.0) as u32;
                    (who.node.clone(), basis)
                })),
                TeamClause::Cap { limit, week } => {
                    team.cap = u32::try_from(limit.node).ok().map(|limit| Cap {
                        limit,
                        window: if *week {
                            CapWindow::Week
                        } else {
                            CapWindow::Day
                        },
                    });
                }
                // An overflow to the team itself is reported where it is checked.
                TeamClause::Overflow(to) if to.node != t.name.node => {
                    team.overflow = self
                        .team_names
                        .get(&to.node)
                        .and_then(|d| u32::try_from(d.index).ok());
                }
                TeamClause::WorkingHours(_)
                | TeamClause::RoundRobin
                | TeamClause::Queue
                | TeamClause::Overflow(_)
                | TeamClause::Error => {}
            }
        }
        members.extend(weighted.iter().map(|(who, _)| who.clone()));
        let mut seen = std::collections::HashSet::new();
        members.retain(|m| seen.insert(m.clone()));
        if !weighted.is_empty() {
            team.pick = Pick::Weighted(
                members
                    .iter()
                    .map(|m| {
                        weighted
                            .iter()
                            .find(|(who, _)| who == m)
                            .map_or(0, |(_, w)| *w)
                    })
                    .collect(),
            );
        }
        team.members = members;
        team.calendar = self
            .team_names
            .get(&t.name.node)
            .and_then(|d| u32::try_from(d.index).ok())
            .and_then(|i| self.team_calendar(i))
            .or(self.default_calendar);
        team
    }

    /// Reports overflows that lead back to the team they start from: a
    /// record there would go round for ever.
    fn no_overflow_cycles(&mut self, teams: &[TTeam]) {
        for (start, t) in teams.iter().enumerate() {
            let mut at = t.team.overflow;
            let mut steps = 0;
            while let Some(next) = at {
                if next as usize == start {
                    self.report(
                        Diagnostic::error(
                            codes::BAD_CLAUSE,
                            format!("team `{}` overflows back to itself", t.name),
                            t.name_span,
                        )
                        .label(t.name_span, "its overflow leads back here")
                        .help("end the chain of `overflow to` at a team without one"),
                    );
                    break;
                }
                steps += 1;
                if steps > teams.len() {
                    break;
                }
                at = teams.get(next as usize).and_then(|n| n.team.overflow);
            }
        }
    }

    /// Reports a person listed twice in one clause.
    fn no_one_twice<'s>(
        &mut self,
        people: impl Iterator<Item = &'s crate::source::Spanned<String>>,
        what: &str,
    ) {
        let mut seen: Vec<&crate::source::Spanned<String>> = Vec::new();
        for person in people {
            if let Some(first) = seen.iter().find(|p| p.node == person.node) {
                let first = first.span;
                self.report(
                    Diagnostic::error(
                        codes::BAD_CLAUSE,
                        format!("`{}` is listed twice in one {what} clause", person.node),
                        person.span,
                    )
                    .label(person.span, "listed again here")
                    .label(first, "first listed here")
                    .help("list each person once"),
                );
            } else {
                seen.push(person);
            }
        }
    }

    /// Reports a clause that may appear once when it appears again.
    pub(super) fn once(&mut self, what: &str, owner: &str, first: &mut Option<Span>, span: Span) {
        match first {
            None => *first = Some(span),
            Some(earlier) => {
                let earlier = *earlier;
                self.report(
                    Diagnostic::error(codes::BAD_CLAUSE, format!("{owner} has {what} twice"), span)
                        .label(span, "given again here")
                        .label(earlier, "first given here")
                        .help("keep one of them"),
                );
            }
        }
    }

    fn check_weights(
        &mut self,
        weights: &[(crate::source::Spanned<String>, crate::source::Spanned<f64>)],
        span: Span,
    ) {
        let total: f64 = weights.iter().map(|(_, w)| w.node).sum();
        if (total - 100.0).abs() > 1e-9 {
            let mut d = Diagnostic::error(
                codes::WEIGHTS,
                format!("the weights add up to {}%, not 100%", format_percent(total)),
                span,
            );
            for (who, weight) in weights {
                d = d.label(
                    weight.span,
                    format!("{}% for {}", format_percent(weight.node), who.node),
                );
            }
            self.report(d.help("make the weights of a weighted team add up to exactly 100%"));
        }
    }

    /// When a team lists its members, everyone it weights must be one of them.
    fn check_weighted_members(
        &mut self,
        team: &ast::TeamDecl,
        weights: &[(crate::source::Spanned<String>, crate::source::Spanned<f64>)],
    ) {
        let members: Vec<&crate::source::Spanned<String>> = team
            .clauses
            .iter()
            .filter_map(|c| match &c.node {
                TeamClause::Members(m) => Some(m.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        // Members in a clause that did not parse are unknown.
        if members.is_empty() || team.is_incomplete() {
            return;
        }
        for (who, _) in weights {
            if members.iter().any(|m| m.node == who.node) {
                continue;
            }
            let help = help_did_you_mean(&who.node, members.iter().map(|m| m.node.as_str()))
                .unwrap_or_else(|| {
                    format!(
                        "add `{}` to the team's `members`, or weight a member",
                        who.node
                    )
                });
            self.report(
                Diagnostic::error(
                    codes::BAD_CLAUSE,
                    format!(
                        "`{}` is not a member of team `{}`",
                        who.node, team.name.node
                    ),
                    who.span,
                )
                .label(who.span, "weighted, but not among the members")
                .help(help),
            );
        }
    }

    pub(super) fn unknown_calendar(&mut self, name: &ast::Name) {
        if self.may_declare(&name.node) {
            return;
        }
        let help = help_did_you_mean(&name.node, self.calendars.keys().map(String::as_str))
            .unwrap_or_else(|| {
                format!(
                    "declare it: `calendar {} timezone \"Europe/Berlin\" open mon-fri 09:00-17:30`",
                    name.node
                )
            });
        self.report(
            Diagnostic::error(
                codes::UNKNOWN_CALENDAR,
                format!("unknown calendar `{}`", name.node),
                name.span,
            )
            .label(name.span, "no calendar has this name")
            .help(help),
        );
    }

    /// Every rule and the `otherwise` of the root file.
    pub(super) fn check_rules(&mut self, root: &Module) -> (Vec<TRule>, Option<Vec<TAction>>) {
        let mut rules = Vec::new();
        let mut otherwise = None;
        let mut names: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
        for item in &root.items {
            match item {
                Item::Rule(rule) => {
                    if rule.name.node == "otherwise" {
                        self.report(
                            Diagnostic::error(
                                codes::DUPLICATE_NAME,
                                "a rule cannot be named `otherwise`",
                                rule.name.span,
                            )
                            .label(rule.name.span, "decisions name the fallback `otherwise`")
                            .help("choose another name, such as `fallback_rule`"),
                        );
                    }
                    if let Some(first) = names.get(&rule.name.node) {
                        let first = *first;
                        self.duplicate("rule", &rule.name, first);
                    } else {
                        names.insert(rule.name.node.clone(), rule.name.span);
                    }
                    self.no_deadlines(&rule.actions);
                    let ctx = Ctx::default();
                    self.condition = Some(rule.condition.span);
                    let condition = self.check_bool(&rule.condition, &ctx);
                    let narrowed = ctx.with(self.facts_when(&rule.condition, true));
                    let actions = self.check_actions(&rule.actions, &narrowed);
                    self.condition = None;
                    if let (Some(condition), Some(actions)) = (condition, actions) {
                        rules.push(TRule {
                            name: rule.name.node.clone(),
                            name_span: rule.name.span,
                            condition,
                            actions,
                        });
                    }
                }
                Item::Otherwise(o) if otherwise.is_none() => {
                    self.no_deadlines(&o.actions);
                    otherwise = self.check_actions(&o.actions, &Ctx::default());
                }
                _ => {}
            }
        }
        (rules, otherwise)
    }

    /// Reports a keyword where a team's name belongs that names no team.
    fn keyword_is_no_team(&mut self, name: &str, span: Span, label: &str, help: String) {
        self.report(
            Diagnostic::error(codes::UNKNOWN_TEAM, format!("`{name}` is not a team"), span)
                .label(span, label)
                .help(help),
        );
    }

    fn team_index(&mut self, name: &ast::Name) -> Option<u32> {
        if let Some(d) = self.team_names.get(&name.node) {
            return u32::try_from(d.index).ok();
        }
        if self.may_declare(&name.node) {
            return None;
        }
        if crate::syntax::keywords::is_keyword(&name.node) {
            let help = format!(
                "name the team first: `hand off to sales_emea {} ...`",
                name.node
            );
            self.keyword_is_no_team(&name.node, name.span, "a team's name belongs here", help);
            return None;
        }
        let help = help_did_you_mean(&name.node, self.team_names.keys().map(String::as_str))
            .unwrap_or_else(|| {
                format!(
                    "declare it: `team {} members \"someone@example.com\"`",
                    name.node
                )
            });
        self.report(
            Diagnostic::error(
                codes::UNKNOWN_TEAM,
                format!("unknown team `{}`", name.node),
                name.span,
            )
            .label(name.span, "no team has this name")
            .help(help),
        );
        None
    }

    /// The SLO a duration gives. Business time runs on the calendar named with
    /// `in`, else on the working hours of the team the rule hands off to, else on
    /// the policy's `working hours`; with none in reach it is an error.
    fn slo(&mut self, spec: &DurationSpec, owner_team: Option<u32>, ctx: &Ctx) -> Option<Slo> {
        let anchor = match &spec.anchor {
            Some(field) => Some(self.anchor(field, ctx)?),
            None => None,
        };
        let mut slo = self.slo_length(spec, owner_team)?;
        slo.anchor = anchor;
        Some(slo)
    }

    /// The time field an SLO counts from (`of created_at`): a field of the
    /// record, a `time`, present wherever the action runs (narrowed by the
    /// rule's condition when optional).
    fn anchor(&mut self, field: &ast::Expr, ctx: &Ctx) -> Option<Anchor> {
        let path = written_path(field).join(".");
        if ctx.constant {
            // An `expect` line names the field; it reads no record.
            let ty = self
                .subject
                .and_then(|s| self.schema.path_type(s, &written_path(field)));
            if ty.as_ref().map(Type::required) == Some(&Type::Time) {
                return Some(Anchor {
                    slot: u32::MAX,
                    path,
                });
            }
        }
        let checked = self.check_present(field, Some(&Type::Time), ctx, field.span)?;
        let checked = self.require_type(checked, &Type::Time, "the field an SLO counts from")?;
        match checked.kind {
            TKind::Slot(slot) => Some(Anchor { slot, path }),
            _ => {
                self.report(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "an SLO counts from a time field of the record",
                        field.span,
                    )
                    .label(field.span, "not a field of the record")
                    .help("name a `time` field: `within 4h of created_at`"),
                );
                None
            }
        }
    }

    /// An SLO's length, counted from `now` until [`Checker::slo`] gives its anchor.
    fn slo_length(&mut self, spec: &DurationSpec, owner_team: Option<u32>) -> Option<Slo> {
        match &spec.kind {
            DurationSpecKind::Plain(d) => Some(Slo {
                text: d.text.clone(),
                length: SloLength::Wall(jiff::SignedDuration::from_secs(d.seconds()?)),
                anchor: None,
            }),
            DurationSpecKind::Business {
                amount,
                days,
                word,
                calendar,
            } => {
                let calendar = match calendar {
                    Some(name) => self.calendar_index(name)?,
                    None => match owner_team
                        .and_then(|t| self.team_calendar(t))
                        .or(self.default_calendar)
                    {
                        Some(calendar) => calendar,
                        None => {
                            self.no_calendar(spec.span, owner_team);
                            return None;
                        }
                    },
                };
                if *amount > MAX_BUSINESS_AMOUNT {
                    self.report(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            "a business duration this long is never meant",
                            spec.span,
                        )
                        .label(
                            spec.span,
                            format!("more than {MAX_BUSINESS_AMOUNT} business hours or days"),
                        )
                        .help("write a plain duration such as `52w` for deadlines years away"),
                    );
                    return None;
                }
                Some(Slo {
                    text: format!("{amount} business {word}"),
                    length: SloLength::Business {
                        amount: *amount,
                        days: *days,
                        calendar,
                    },
                    anchor: None,
                })
            }
        }
    }

    /// The `working hours` calendar of team `team`, if it has one.
    fn team_calendar(&self, team: u32) -> Option<u32> {
        let decl = self.teams.get(team as usize)?;
        decl.clauses.iter().find_map(|c| match &c.node {
            TeamClause::WorkingHours(name) => self
                .calendars
                .get(&name.node)
                .and_then(|d| u32::try_from(d.index).ok()),
            _ => None,
        })
    }

    fn no_calendar(&mut self, span: Span, owner_team: Option<u32>) {
        let team = owner_team.and_then(|t| self.teams.get(t as usize));
        // Its `working hours` may be in the clause that did not parse.
        if team.is_some_and(|t| t.is_incomplete()) {
            return;
        }
        let team = team.map(|t| t.name.node.clone());
        let mut d = Diagnostic::error(codes::NO_CALENDAR, "business time needs a calendar", span)
            .label(span, "no calendar is in reach of this duration");
        let calendar = self
            .calendars
            .keys()
            .min()
            .cloned()
            .unwrap_or_else(|| "office_hours".to_owned());
        d = match team {
            Some(team) => d.help(format!(
                "name one here (`in {calendar}`), give team `{team}` a `working hours {calendar}` clause, or set one for the policy: `policy NAME for RECORD working hours {calendar}`"
            )),
            None => d.help(format!(
                "name one here (`in {calendar}`), or set one for the policy: `policy NAME for RECORD working hours {calendar}`"
            )),
        };
        if self.calendars.is_empty() {
            d = d.note("declare a calendar first: `calendar office_hours timezone \"Europe/Berlin\" open mon-fri 09:00-17:30`");
        }
        self.report(d);
    }

    /// A target that is a team when a bare name names one, else a string.
    fn target(&mut self, expr: &ast::Expr, ctx: &Ctx) -> Option<TTarget> {
        if let ExprKind::Name(name) = &expr.kind {
            if let Some(d) = self.team_names.get(name) {
                return Some(TTarget::Team(u32::try_from(d.index).ok()?));
            }
            // A bare keyword is a team's name or nothing: never a field or
            // value (those are read through a dot), and most often the next
            // action or declaration after a target left out.
            if crate::syntax::keywords::is_keyword(name) {
                if !self.may_declare(name) {
                    let help = format!(
                        "write whom to tell: a team, or a person or channel such as \"#sales-hot\" (a field named `{name}` is read through a dot: `{}.{name}`)",
                        self.subject_name
                    );
                    self.keyword_is_no_team(name, expr.span, "taken as whom to tell", help);
                }
                return None;
            }
            let known = self.values.contains_key(name)
                || self
                    .subject
                    .and_then(|s| self.schema.record(s))
                    .is_some_and(|r| r.field(name).is_some());
            if !known {
                if !self.may_declare(name) {
                    let help = help_did_you_mean(name, self.team_names.keys().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!("declare the team `{name}`, or write a person or channel as a string: `\"#{}\"`", name.replace('_', "-"))
                        });
                    self.report(
                        Diagnostic::error(
                            codes::UNKNOWN_TEAM,
                            format!("unknown team `{name}`"),
                            expr.span,
                        )
                        .label(expr.span, "no team, field or value has this name")
                        .help(help),
                    );
                }
                return None;
            }
        }
        let e = self.string_operand(expr, ctx, "a person or channel")?;
        Some(TTarget::Person(e))
    }

    fn string_operand(&mut self, expr: &ast::Expr, ctx: &Ctx, role: &str) -> Option<TExpr> {
        let ctx = Ctx {
            no_stand_in: true,
            ..ctx.clone()
        };
        let e = self.check_present(expr, Some(&Type::String), &ctx, expr.span)?;
        self.require_type(e, &Type::String, role)
    }

    /// Reports `due` and `at` in the actions of a rule or `otherwise`: a
    /// deadline follows from `now`, so only a test, whose `now` is known, may
    /// expect one.
    pub(super) fn no_deadlines(&mut self, actions: &[ast::Action]) {
        for deadline in actions.iter().filter_map(|a| a.deadline.as_ref()) {
            let span = deadline.word.span.to(deadline.instant.span);
            self.report(
                Diagnostic::error(
                    codes::UNEXPECTED_TOKEN,
                    format!("`{}` belongs in a test's `expect`", deadline.word.node),
                    span,
                )
                .label(span, "a rule's deadline follows from `now` and the SLO")
                .help("remove it: the decision gives `due` (or `at`) as `now` plus the duration; check the instant in a test: `expect hand off to TEAM within 4h due ...`"),
            );
        }
    }

    /// The instant each action of an `expect` line must give, by the
    /// actions [`Self::check_expected_actions`] returns (a `within` belongs to
    /// the hand-off or assignment before it); `None` after a reported mistake.
    pub(super) fn expected_deadlines(
        &mut self,
        actions: &[ast::Action],
    ) -> Option<Vec<Option<jiff::Timestamp>>> {
        let mut out: Vec<Option<jiff::Timestamp>> = Vec::new();
        let mut failed = false;
        for action in actions {
            let word = match &action.kind {
                ActionKind::Within(_) => "due",
                ActionKind::Escalate(..) | ActionKind::Reassign(..) => "at",
                _ => "",
            };
            let Some(deadline) = &action.deadline else {
                if !matches!(action.kind, ActionKind::Within(_)) {
                    out.push(None);
                }
                continue;
            };
            if deadline.word.node != word {
                failed = true;
                let span = deadline.word.span;
                let d = Diagnostic::error(
                    codes::UNEXPECTED_TOKEN,
                    format!("unexpected `{}`", deadline.word.node),
                    span,
                );
                self.report(match word {
                    "" => d
                        .label(span, "this action has no deadline")
                        .help("write the instant after the SLO it checks: `within 4h due 2026-11-30T14:00:00Z`, `escalate to TEAM after 8h at 2026-11-30T18:00:00Z`"),
                    _ => d
                        .label(span, format!("expected `{word}` and the instant"))
                        .help(format!(
                            "write `{word} {}`: a decision's hand-off or assignment is `due`, its escalation or reassignment happens `at`",
                            deadline.instant.node
                        )),
                });
                continue;
            }
            match action.kind {
                ActionKind::Within(_) => match out.last_mut() {
                    Some(slot) => *slot = Some(deadline.instant.node),
                    // A `within` with nothing before it is reported as misplaced.
                    None => failed = true,
                },
                _ => out.push(Some(deadline.instant.node)),
            }
        }
        if failed { None } else { Some(out) }
    }

    /// The actions of an `expect` line: like a rule's, with constant operands.
    pub(super) fn check_expected_actions(
        &mut self,
        actions: &[ast::Action],
    ) -> Option<Vec<TAction>> {
        let constant = Ctx {
            constant: true,
            ..Ctx::default()
        };
        self.check_actions(actions, &constant)
    }

    fn check_actions(&mut self, actions: &[ast::Action], ctx: &Ctx) -> Option<Vec<TAction>> {
        // Business time without a calendar of its own runs on the hand-off team's.
        let owner_team = actions.iter().find_map(|a| match &a.kind {
            ActionKind::HandOff(team) => self
                .team_names
                .get(&team.node)
                .and_then(|d| u32::try_from(d.index).ok()),
            _ => None,
        });
        let mut out: Vec<TAction> = Vec::new();
        let mut failed = false;
        let mut owner: Option<Span> = None;
        let mut takes_within = false;
        let mut last_within: Option<Span> = None;
        for action in actions {
            let owns = matches!(
                action.kind,
                ActionKind::HandOff(_) | ActionKind::Assign(..) | ActionKind::Drop(_)
            );
            if owns {
                if let Some(first) = owner {
                    self.report(
                        Diagnostic::error(codes::CONFLICTING_OWNERSHIP, "a rule can decide ownership once", action.span)
                            .label(action.span, "a second ownership action")
                            .label(first, "ownership is already decided here")
                            .help("keep one of `hand off`, `assign` and `drop` per rule; notify others with `notify`"),
                    );
                    failed = true;
                }
                owner = Some(action.span);
            }
            let checked = match &action.kind {
                ActionKind::HandOff(team) => self
                    .team_index(team)
                    .map(|team| TAction::HandOff { team, within: None }),
                ActionKind::Assign(to, None) => self
                    .string_operand(
                        to,
                        &Ctx {
                            assignee: true,
                            ..ctx.clone()
                        },
                        "an assignee",
                    )
                    .map(|to| TAction::Assign {
                        to,
                        within: None,
                        fallback: None,
                    }),
                ActionKind::Assign(to, Some(team)) => {
                    // The team takes the record when the person is missing.
                    let checked = self.check_expr(to, Some(&Type::String), ctx);
                    let to = checked.and_then(|to| {
                        let want = match to.ty.is_optional() {
                            true => Type::Optional(Box::new(Type::String)),
                            false => Type::String,
                        };
                        self.require_type(to, &want, "an assignee")
                    });
                    let fallback = self.team_index(team);
                    to.zip(fallback).map(|(to, fallback)| TAction::Assign {
                        to,
                        within: None,
                        fallback: Some(fallback),
                    })
                }
                ActionKind::Within(spec) => {
                    let slo = self.slo(spec, owner_team, ctx);
                    if let (false, Some(first)) = (takes_within, last_within) {
                        self.report(
                            Diagnostic::error(codes::MISPLACED_WITHIN, "a second `within` for one hand-off", action.span)
                                .label(action.span, "a second SLO")
                                .label(first, "the SLO is already set here")
                                .help("keep one `within`; use `escalate to TEAM after ...` for a later deadline"),
                        );
                        failed = true;
                    } else if !takes_within {
                        self.misplaced_within(action.span);
                        failed = true;
                    } else if let (
                        Some(slo),
                        Some(TAction::HandOff { within, .. } | TAction::Assign { within, .. }),
                    ) = (slo, out.last_mut())
                    {
                        *within = Some(slo);
                    } else {
                        // The SLO or its hand-off failed to check; that is already reported.
                        failed = true;
                    }
                    takes_within = false;
                    last_within = Some(action.span);
                    continue;
                }
                ActionKind::Escalate(target, after) => {
                    let target = self.target(target, ctx);
                    let after = self.slo(after, owner_team, ctx);
                    target
                        .zip(after)
                        .map(|(target, after)| TAction::Escalate { target, after })
                }
                ActionKind::Reassign(team, after) => {
                    let team = self.team_index(team);
                    let after = self.slo(after, owner_team, ctx);
                    team.zip(after)
                        .map(|(team, after)| TAction::Reassign { team, after })
                }
                ActionKind::Notify(target) => self.target(target, ctx).map(TAction::Notify),
                ActionKind::Tag(tag) => self.string_operand(tag, ctx, "a tag").map(TAction::Tag),
                ActionKind::Drop(reason) => self
                    .string_operand(reason, ctx, "a drop reason")
                    .map(TAction::Drop),
                ActionKind::Set(path, value) => self.check_set(path, value, ctx),
            };
            last_within = None;
            takes_within = matches!(action.kind, ActionKind::HandOff(_) | ActionKind::Assign(..));
            match checked {
                Some(a) => out.push(a),
                None => failed = true,
            }
        }
        if failed { None } else { Some(out) }
    }

    fn misplaced_within(&mut self, span: Span) {
        self.report(
            Diagnostic::error(
                codes::MISPLACED_WITHIN,
                "`within` must follow `hand off` or `assign`",
                span,
            )
            .label(span, "this SLO belongs to no hand-off or assignment")
            .help("write it right after the ownership action: `hand off to sales within 4h`"),
        );
    }

    fn check_set(&mut self, path: &[ast::Name], value: &ast::Expr, ctx: &Ctx) -> Option<TAction> {
        let subject = self.subject?;
        let mut names: Vec<&ast::Name> = path.iter().collect();
        if names.len() > 1 && names.first().is_some_and(|n| n.node == self.subject_name) {
            names.remove(0);
        }
        let mut record = subject;
        let mut ty: Option<Type> = None;
        for (i, name) in names.iter().enumerate() {
            let r = self.schema.record(record)?;
            let Some((_, field)) = r.field(&name.node) else {
                let help = help_did_you_mean(&name.node, r.fields.iter().map(|f| f.name.as_str()));
                let record_name = r.name.clone();
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("`{record_name}` has no field `{}`", name.node),
                        name.span,
                    )
                    .label(name.span, format!("not a field of `{record_name}`"))
                    .maybe_help(help),
                );
                return None;
            };
            let field_ty = field.ty.required().clone();
            if i + 1 < names.len() {
                // Setting a field of a nested record that may be missing has nothing to set.
                let prefix: Vec<String> = names[..=i].iter().map(|n| n.node.clone()).collect();
                if field.ty.is_optional() && !ctx.facts.proves(&prefix) {
                    let shown = prefix.join(".");
                    self.report(
                        Diagnostic::error(
                            codes::MAYBE_MISSING,
                            format!("`{shown}` may be missing here"),
                            name.span,
                        )
                        .label(
                            name.span,
                            format!(
                                "a {} may have no `{shown}` to set a field of",
                                self.subject_name
                            ),
                        )
                        .help(format!(
                            "guard it first: `{shown} is set and ...` in the condition"
                        )),
                    );
                    return None;
                }
                let Type::Record(next) = field_ty else {
                    self.report(
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("`{}` has no fields", name.node),
                            name.span,
                        )
                        .label(name.span, "not a record"),
                    );
                    return None;
                };
                record = next;
            }
            ty = Some(field_ty);
        }
        let ty = ty?;
        if matches!(ty, Type::Record(_)) {
            let span = names.last().map_or(value.span, |n| n.span);
            self.report(
                Diagnostic::error(codes::TYPE_MISMATCH, "a whole record cannot be set", span)
                    .label(span, "this field is a record")
                    .help("set one of its fields, such as `account.owner`"),
            );
            return None;
        }
        let e = self.check_present(value, Some(&ty), ctx, value.span)?;
        let field = names
            .iter()
            .map(|n| n.node.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let e = self.require_type(e, &ty, &format!("the new value of `{field}`"))?;
        Some(TAction::Set {
            field,
            value: e,
            ty,
        })
    }
}

fn format_percent(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// The names of a field path as the grammar builds it (`account.created`).
fn written_path(expr: &ast::Expr) -> Vec<String> {
    match &expr.kind {
        ast::ExprKind::Name(name) => vec![name.clone()],
        ast::ExprKind::Field(inner, name) => {
            let mut path = written_path(inner);
            path.push(name.node.clone());
            path
        }
        _ => Vec::new(),
    }
}
