//! Findings about declarations and actions: consts, lets and teams nothing
//! uses, hand-offs to teams with no members, SLOs with no escalation.

use crate::check::tir::{Checked, TAction, TExpr, TField, TGiven, TKind, TRecord, TTarget};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;

/// What the policy's rules, actions, consts and lets mention.
#[derive(Default)]
struct Uses {
    consts: Vec<bool>,
    lets: Vec<bool>,
    teams: Vec<bool>,
}

impl Uses {
    fn of(checked: &Checked) -> Uses {
        let mut uses = Uses {
            consts: vec![false; checked.consts.len()],
            lets: vec![false; checked.lets.len()],
            teams: vec![false; checked.teams.len()],
        };
        for binding in checked.consts.iter().chain(&checked.lets) {
            uses.expr(&binding.value);
        }
        for rule in &checked.rules {
            uses.expr(&rule.condition);
        }
        let actions = checked.rules.iter().flat_map(|r| &r.actions);
        for action in actions.chain(checked.otherwise.iter().flatten()) {
            uses.action(action);
        }
        // A const may serve only the tests' records.
        for test in &checked.tests {
            if let TGiven::Record(record) = &test.given {
                uses.record(record);
            }
        }
        uses
    }

    fn record(&mut self, record: &TRecord) {
        for (_, field) in &record.fields {
            match field {
                TField::Value(e, _) => self.expr(e),
                TField::Record(inner) => self.record(inner),
            }
        }
    }

    fn team(&mut self, team: u32) {
        if let Some(t) = self.teams.get_mut(team as usize) {
            *t = true;
        }
    }

    fn target(&mut self, target: &TTarget) {
        match target {
            TTarget::Team(t) => self.team(*t),
            TTarget::Person(e) => self.expr(e),
        }
    }

    fn action(&mut self, action: &TAction) {
        match action {
            TAction::HandOff { team, .. } | TAction::Reassign { team, .. } => self.team(*team),
            TAction::Assign { to, fallback, .. } => {
                self.expr(to);
                if let Some(team) = fallback {
                    self.team(*team);
                }
            }
            TAction::Escalate { target, .. } => self.target(target),
            TAction::Notify(target) => self.target(target),
            TAction::Tag(e) | TAction::Drop(e) | TAction::Set { value: e, .. } => self.expr(e),
        }
    }

    fn expr(&mut self, e: &TExpr) {
        match e.kind {
            TKind::Const(i) => {
                if let Some(u) = self.consts.get_mut(i) {
                    *u = true;
                }
            }
            TKind::Let(i) => {
                if let Some(u) = self.lets.get_mut(i) {
                    *u = true;
                }
            }
            _ => {}
        }
        for child in e.children() {
            self.expr(child);
        }
    }
}

/// Every rule, and `otherwise`, as (how a finding names it, where, its actions).
fn deciders(checked: &Checked) -> impl Iterator<Item = (String, Span, &Vec<TAction>)> {
    let rules = checked
        .rules
        .iter()
        .map(|r| (format!("rule `{}`", r.name), r.name_span, &r.actions));
    let otherwise = checked
        .otherwise
        .iter()
        .zip(checked.otherwise_span)
        .map(|(actions, span)| ("`otherwise`".to_owned(), span, actions));
    rules.chain(otherwise)
}

/// Unused consts, lets and teams declared in the policy file itself (a used
/// library declares things for many policies), hand-offs to teams with no
/// members, and SLOs with no escalation.
pub(super) fn findings(checked: &Checked) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let home = checked.name_span.file;
    let uses = Uses::of(checked);
    let unused = |kind: &str, name: &str, span| {
        Diagnostic::warning(
            codes::UNUSED,
            format!("{kind} `{name}` is never used"),
            span,
        )
        .label(span, "declared here, used nowhere")
        .help("remove it, or use it in a rule")
    };
    for (binding, used) in checked.consts.iter().zip(&uses.consts) {
        if !used && binding.name_span.file == home {
            out.push(unused("const", &binding.name, binding.name_span));
        }
    }
    for (binding, used) in checked.lets.iter().zip(&uses.lets) {
        if !used && binding.name_span.file == home {
            out.push(unused("let", &binding.name, binding.name_span));
        }
    }
    for (team, used) in checked.teams.iter().zip(&uses.teams) {
        if !used && team.name_span.file == home {
            out.push(unused("team", &team.name, team.name_span));
        }
    }
    for (who, span, actions) in deciders(checked) {
        for action in actions {
            if let TAction::HandOff { team, .. } = action
                && let Some(t) = checked.teams.get(*team as usize)
                && !t.staffed
                && !t.queue
            {
                out.push(
                    Diagnostic::warning(
                        codes::NO_MEMBERS,
                        format!("{who} hands off to team `{}`, which has no members", t.name),
                        span,
                    )
                    .label(span, "hands its records to nobody")
                    .label(t.name_span, "lists no `members` and is not a `queue`")
                    .help(format!(
                        "list the members of `{}`, or mark it `queue` if it is worked as a queue",
                        t.name
                    )),
                );
            }
        }
    }
    for (who, span, actions) in deciders(checked) {
        let slo = actions.iter().any(|a| {
            matches!(
                a,
                TAction::HandOff {
                    within: Some(_),
                    ..
                } | TAction::Assign {
                    within: Some(_),
                    ..
                }
            )
        });
        let escalates = actions
            .iter()
            .any(|a| matches!(a, TAction::Escalate { .. } | TAction::Reassign { .. }));
        if slo && !escalates {
            out.push(
                Diagnostic::warning(
                    codes::SLO_WITHOUT_ESCALATION,
                    format!("{who} sets an SLO that nobody is told about when it is missed"),
                    span,
                )
                .label(span, "has `within` but no `escalate` or `reassign`")
                .help("add `escalate to TEAM after DURATION` or `reassign to TEAM after DURATION`"),
            );
        }
    }
    out
}
