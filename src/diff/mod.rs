//! What a policy change does: two versions of a policy decide the same
//! records, and each record whose decision differs is a [`Change`] saying
//! what changed; a [`Summary`] adds them up: owner moves (from team to
//! team, "unrouted", "dropped", "error"), per rule of each version how many
//! records it decided and how many of those changed, SLOs tightened or
//! loosened, record errors that appear or disappear, and rules renamed.
//!
//! A decision differs when its line differs (rule, actions, deadlines). A
//! record whose only difference is the deciding rule's name, with the same
//! actions, is a rename when every record the old rule decided goes to the
//! new one and the new one decides no other: the summary lists it under
//! `renamed`, and it does not count as changed.

pub mod html;
pub mod texts;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::vm::decision::{Action, ActionOut, Decided};
use crate::vm::{Decision, RecordError, RecordId};

/// `n` of `total` as a percentage with one decimal, as every report
/// writes shares.
pub fn share(n: u64, total: u64) -> String {
    match total {
        0 => "0.0%".to_owned(),
        total => format!("{:.1}%", n as f64 * 100.0 / total as f64),
    }
}

/// One version's outcome for a record.
pub type Outcome = Result<Decision, RecordError>;

/// What changed about one record's decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct What {
    /// The deciding rule (or rules).
    pub rule: bool,
    /// Who owns the record: the team, the person, dropped or unrouted.
    pub owner: bool,
    /// When the SLO is due.
    pub slo: bool,
    /// The tags.
    pub tags: bool,
    /// Any other action (escalations, notifications, `set`).
    pub actions: bool,
    /// Whether it is an error, or which.
    pub error: bool,
}

impl What {
    /// The parts that changed, by name, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.rule, "rule"),
            (self.owner, "owner"),
            (self.slo, "slo"),
            (self.tags, "tags"),
            (self.actions, "actions"),
            (self.error, "error"),
        ]
        .into_iter()
        .filter_map(|(changed, name)| changed.then_some(name))
        .collect()
    }

    /// Whether only the rule's name differs.
    pub fn rule_only(&self) -> bool {
        *self
            == What {
                rule: true,
                ..What::default()
            }
    }
}

/// What changed between `old` and `new`, or `None` when they decide alike.
pub fn compare(old: &Outcome, new: &Outcome) -> Option<What> {
    match (old, new) {
        (Ok(a), Ok(b)) => {
            if a.json() == b.json() {
                return None;
            }
            let owner = owner(a) != owner(b);
            let what = What {
                rule: rule(a) != rule(b),
                owner,
                slo: due(a) != due(b),
                tags: tags(a) != tags(b),
                actions: others(a) != others(b),
                error: false,
            };
            Some(what)
        }
        (Err(a), Err(b)) if a.code == b.code && a.message == b.message => None,
        (Err(_), Err(_)) => Some(What {
            error: true,
            ..What::default()
        }),
        _ => Some(What {
            error: true,
            owner: true,
            ..What::default()
        }),
    }
}

/// The rule (or rules) that decided, as one text.
fn rule(decision: &Decision) -> Cow<'_, str> {
    match decision.decided() {
        Decided::Rule(rule) => Cow::Borrowed(rule.as_deref().unwrap_or("(no rule)")),
        Decided::Rules(rules) => Cow::Owned(rules.join(", ")),
    }
}

/// Who owns the record after `decision`: `team X`, `person P`, `dropped`
/// or `unrouted`.
pub fn owner(decision: &Decision) -> String {
    let owners: Vec<String> = decision
        .actions()
        .iter()
        .filter_map(|a| match a.action {
            Action::HandOff => a.team.as_ref().map(|t| t.to_string()),
            Action::Assign => Some("a person (assign to)".to_owned()),
            Action::Drop => Some("dropped".to_owned()),
            _ => None,
        })
        .collect();
    if owners.is_empty() {
        "unrouted".to_owned()
    } else {
        owners.join(" + ")
    }
}

/// The owner of an outcome, an error being its own owner.
fn owner_of(outcome: &Outcome) -> String {
    match outcome {
        Ok(decision) => owner(decision),
        Err(e) => format!("error {}", e.code),
    }
}

/// When the ownership action's SLO is due.
fn due(decision: &Decision) -> Option<&str> {
    decision
        .actions()
        .iter()
        .find(|a| a.action.owns())
        .and_then(|a| a.due.as_deref())
}

fn tags(decision: &Decision) -> Vec<&str> {
    decision
        .actions()
        .iter()
        .filter_map(|a| a.tag.as_deref())
        .collect()
}

/// The actions other than ownership and tags.
fn others(decision: &Decision) -> Vec<&ActionOut> {
    decision
        .actions()
        .iter()
        .filter(|a| !a.action.owns() && a.action != Action::Tag)
        .collect()
}

/// A changed record.
#[derive(Clone, Debug)]
pub struct Change {
    /// Its 0-based position in the input.
    pub index: usize,
    /// Its id.
    pub id: Option<RecordId>,
    /// What changed.
    pub what: What,
    /// The old decision as a JSON object: its line's `rule` and
    /// `actions`, or its `error`; `None` for a record listed unchanged.
    pub old: Option<String>,
    /// The new decision, the same way.
    pub new: Option<String>,
    /// Who owned the record, and who owns it now ([`owner`]).
    pub owners: (String, String),
    /// The rules that decided it, before and now (empty for an error).
    pub rules: (String, String),
}

impl Change {
    /// The record at `index` with `id`, whose decision went from `old` to
    /// `new`, changed as `what` says ([`compare`], or [`Summary::add`]).
    pub fn new(
        index: usize,
        id: Option<&RecordId>,
        what: What,
        old: &Outcome,
        new: &Outcome,
    ) -> Change {
        let rule_of = |o: &Outcome| o.as_ref().map(|d| rule(d).into_owned()).unwrap_or_default();
        Change {
            index,
            id: id.cloned(),
            what,
            old: Some(object(old)),
            new: Some(object(new)),
            owners: (owner_of(old), owner_of(new)),
            rules: (rule_of(old), rule_of(new)),
        }
    }

    /// The record at `index` with `id`, listed though unchanged (`--all`).
    pub fn unchanged(index: usize, id: Option<&RecordId>) -> Change {
        Change {
            index,
            id: id.cloned(),
            what: What::default(),
            old: None,
            new: None,
            owners: Default::default(),
            rules: Default::default(),
        }
    }

    /// Its JSON line: `{"index", "id", "what", "old", "new"}` (old and new
    /// null for a record listed unchanged).
    pub fn line(&self) -> String {
        let what = serde_json::to_string(&self.what.names()).unwrap_or_default();
        let mut line = format!("{{\"index\":{}", self.index);
        if let Some(id) = &self.id {
            line.push_str(",\"id\":");
            line.push_str(id.json());
        }
        line.push_str(",\"what\":");
        line.push_str(&what);
        for (key, decision) in [("old", &self.old), ("new", &self.new)] {
            line.push_str(&format!(",\"{key}\":"));
            line.push_str(decision.as_deref().unwrap_or("null"));
        }
        line.push('}');
        line
    }
}

/// An outcome as a JSON object: its decision line's `rule` and `actions`
/// (written once per shared decision), or `{"error": ...}`.
fn object(outcome: &Outcome) -> String {
    match outcome {
        Ok(decision) => format!("{{{}}}", decision.json()),
        Err(e) => serde_json::json!({ "error": e }).to_string(),
    }
}

/// How one rule of one version fared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// Records it decided.
    pub decided: u64,
    /// Of those, records whose decision changed.
    pub changed: u64,
}

/// A diff's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records compared.
    pub records: u64,
    /// Records whose decision changed (renames aside).
    pub changed: u64,
    /// Records that changed owner, by (old owner, new owner).
    pub moves: BTreeMap<(String, String), u64>,
    /// Per rule of the old version.
    pub old_rules: BTreeMap<String, RuleCount>,
    /// Per rule of the new version.
    pub new_rules: BTreeMap<String, RuleCount>,
    /// Records whose SLO is due sooner.
    pub slo_tightened: u64,
    /// Records whose SLO is due later.
    pub slo_loosened: u64,
    /// Records that are errors with the new version only, by code.
    pub errors_appeared: BTreeMap<String, u64>,
    /// Records that were errors with the old version only, by code.
    pub errors_disappeared: BTreeMap<String, u64>,
    /// Records whose only difference is the rule's name, by (old, new) rule.
    pub rule_only: BTreeMap<(String, String), u64>,
    /// The rule-only pairs that are renames: (old rule, new rule, records).
    pub renamed: Vec<(String, String, u64)>,
    /// With assignment on, records each member took with each version:
    /// member → (old, new). Totals, not records: one changed decision
    /// shifts every later round-robin turn.
    pub assignees: BTreeMap<String, (u64, u64)>,
}

impl Summary {
    /// Counts one record decided `old` and `new`: what changed, if it did.
    pub fn add(&mut self, old: &Outcome, new: &Outcome) -> Option<What> {
        self.records += 1;
        let what = compare(old, new);
        let (old_rule, new_rule) = (old.as_ref().ok().map(rule), new.as_ref().ok().map(rule));
        let changed = what.is_some();
        for (rules, rule) in [
            (&mut self.old_rules, &old_rule),
            (&mut self.new_rules, &new_rule),
        ] {
            if let Some(rule) = rule {
                // Most records' rules are counted already: no new key.
                let count = match rules.get_mut(rule.as_ref()) {
                    Some(count) => count,
                    None => rules.entry(rule.to_string()).or_default(),
                };
                count.decided += 1;
                count.changed += u64::from(changed);
            }
        }
        let what = what?;
        if what.rule_only() {
            if let (Some(a), Some(b)) = (old_rule, new_rule) {
                *self
                    .rule_only
                    .entry((a.into_owned(), b.into_owned()))
                    .or_default() += 1;
            }
        } else {
            self.changed += 1;
        }
        if what.owner {
            *self
                .moves
                .entry((owner_of(old), owner_of(new)))
                .or_default() += 1;
        }
        if let (Ok(a), Ok(b)) = (old, new)
            && let (Some(a), Some(b)) = (due(a), due(b))
        {
            // RFC 3339 instants in UTC compare as text.
            match b.cmp(a) {
                std::cmp::Ordering::Less => self.slo_tightened += 1,
                std::cmp::Ordering::Greater => self.slo_loosened += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
        match (old, new) {
            (Ok(_), Err(e)) => *self.errors_appeared.entry(e.code.to_owned()).or_default() += 1,
            (Err(e), Ok(_)) => {
                *self
                    .errors_disappeared
                    .entry(e.code.to_owned())
                    .or_default() += 1;
            }
            _ => {}
        }
        Some(what)
    }

    /// The summary as JSON: moves, renames and rule-only pairs as lists of
    /// objects, largest first.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "records": self.records,
            "changed": self.changed,
            "moves": self
                .moves_largest_first()
                .iter()
                .map(|(from, to, n)| serde_json::json!({"from": from, "to": to, "records": n}))
                .collect::<Vec<_>>(),
            "old_rules": self.old_rules,
            "new_rules": self.new_rules,
            "slo_tightened": self.slo_tightened,
            "slo_loosened": self.slo_loosened,
            "errors_appeared": self.errors_appeared,
            "errors_disappeared": self.errors_disappeared,
            "assignees": self
                .assignees
                .iter()
                .map(|(member, (old, new))| serde_json::json!({"member": member, "old": old, "new": new}))
                .collect::<Vec<_>>(),
            "renamed": self
                .renamed
                .iter()
                .map(|(from, to, n)| serde_json::json!({"from": from, "to": to, "records": n}))
                .collect::<Vec<_>>(),
        })
    }

    /// Sets the totals per member from what each version's assigner did.
    pub fn assignees(
        &mut self,
        old: &[crate::assign::TeamTally],
        new: &[crate::assign::TeamTally],
    ) {
        self.assignees.clear();
        for (tallies, old_side) in [(old, true), (new, false)] {
            for tally in tallies {
                for (member, n) in &tally.taken {
                    let totals = self.assignees.entry(member.clone()).or_default();
                    match old_side {
                        true => totals.0 += n,
                        false => totals.1 += n,
                    }
                }
            }
        }
        self.assignees.retain(|_, (a, b)| *a + *b > 0);
    }

    /// Whether `change` is one of a renamed rule's records (once finished).
    pub fn is_rename(&self, change: &Change) -> bool {
        change.what.rule_only()
            && self
                .renamed
                .iter()
                .any(|(from, to, _)| (from, to) == (&change.rules.0, &change.rules.1))
    }

    /// The owner moves as (from, to, records), the largest first (then by
    /// name).
    pub fn moves_largest_first(&self) -> Vec<(&str, &str, u64)> {
        let mut moves: Vec<(&str, &str, u64)> = self
            .moves
            .iter()
            .map(|((from, to), n)| (from.as_str(), to.as_str(), *n))
            .collect();
        moves.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
        moves
    }

    /// Adds `other`'s counts (a later block's) to these.
    pub fn merge(&mut self, other: Summary) {
        self.records += other.records;
        self.changed += other.changed;
        for (k, n) in other.moves {
            *self.moves.entry(k).or_default() += n;
        }
        for (mine, theirs) in [
            (&mut self.old_rules, other.old_rules),
            (&mut self.new_rules, other.new_rules),
        ] {
            for (k, n) in theirs {
                let count = mine.entry(k).or_default();
                count.decided += n.decided;
                count.changed += n.changed;
            }
        }
        self.slo_tightened += other.slo_tightened;
        self.slo_loosened += other.slo_loosened;
        for (mine, theirs) in [
            (&mut self.errors_appeared, other.errors_appeared),
            (&mut self.errors_disappeared, other.errors_disappeared),
        ] {
            for (k, n) in theirs {
                *mine.entry(k).or_default() += n;
            }
        }
        for (k, n) in other.rule_only {
            *self.rule_only.entry(k).or_default() += n;
        }
    }

    /// Once every record is counted: the rule-only pairs that are renames
    /// (the old rule's records all go to the new rule, which decides no
    /// other), and the rule-only records that are not renames counted as
    /// changed.
    pub fn finish(&mut self) {
        self.renamed.clear();
        for ((a, b), n) in &self.rule_only {
            let whole = |rules: &BTreeMap<String, RuleCount>, rule: &str| {
                rules.get(rule).is_some_and(|c| c.decided == *n)
            };
            if whole(&self.old_rules, a) && whole(&self.new_rules, b) {
                self.renamed.push((a.clone(), b.clone(), *n));
            } else {
                self.changed += n;
            }
        }
        // A renamed rule's records did not change.
        for (a, b, n) in &self.renamed {
            if let Some(c) = self.old_rules.get_mut(a) {
                c.changed = c.changed.saturating_sub(*n);
            }
            if let Some(c) = self.new_rules.get_mut(b) {
                c.changed = c.changed.saturating_sub(*n);
            }
        }
    }
}
