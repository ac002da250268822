//! Findings about rules: conditions that never or always hold, shadowed
//! rules, overlaps and gaps. Each finding about some records carries one of
//! them, drawn from the region the finding is about (or found near it, see
//! `search.rs`) and decided by the VM: a finding is stated as certain
//! ("does") with its example only when the VM shows it on that record;
//! otherwise it says "may", shows no example, and says why.

use serde_json::Value as Json;

use super::cover::{BUDGET, Search, uncovered};
use super::search::Pool;
use super::space::{Cube, Kind, Space};
use super::witness;
use crate::bytecode::program::HitPolicy;
use crate::check::tir::{Checked, TAction, TRule};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::SourceMap;
use crate::vm::{Decided, Vm};

/// What the rule findings need.
pub(super) struct RuleAnalysis<'a> {
    pub checked: &'a Checked,
    pub sources: &'a SourceMap,
    pub space: &'a Space,
    /// Each rule's condition as cubes.
    pub conditions: &'a [Vec<Cube>],
    /// Each rule's summary, to skip pairs of rules that share no record.
    pub sigs: Vec<Sig>,
    /// Regions all questions together may still visit (see [`TOTAL_BUDGET`]).
    pub left: std::cell::Cell<usize>,
    /// Values to try when no record drawn from a region shows a finding.
    pub pool: Pool,
    /// The instant the VM decides examples at.
    pub now: jiff::Timestamp,
    pub vm: Vm<'a>,
    pub out: Vec<Diagnostic>,
}

/// An example record the VM showed a finding on, or why there is none.
enum Example {
    /// The record, confirmed.
    Shown(Json),
    /// Why no record shows it: what the analysis could not model.
    Unshown(String),
}

/// What a witness must show for a finding to be certain.
enum Claim<'c> {
    /// The rules hold and the decision is by `decider`.
    DecidedBy(&'c [usize], usize),
    /// No rule decides (or, under `all match`, no ownership action).
    Undecided,
    /// The rules hold and deciding the record is the error `code`.
    Fails(&'c [usize], &'static str),
}

/// A rule's records summarised: for fields every cube of the rule limits to
/// finitely many values (strings it equals, enum variants, bools), a 64-bit
/// mask of those values. Two rules whose masks are disjoint on a field share
/// no record; overlapping masks prove nothing.
#[derive(Clone, Debug, Default)]
pub(super) struct Sig(Vec<(usize, u64)>);

impl Sig {
    /// The summary of a rule's cubes.
    pub(super) fn of(cubes: &[Cube]) -> Sig {
        let Some((first, rest)) = cubes.split_first() else {
            return Sig::default();
        };
        let masks = first
            .entries()
            .iter()
            .filter_map(|(d, domain)| {
                let mut bits = mask(domain)?;
                for c in rest {
                    bits |= mask(c.get(*d)?)?;
                }
                Some((*d, bits))
            })
            .collect();
        Sig(masks)
    }

    /// Whether rules with these summaries may share a record.
    pub(super) fn may_meet(&self, other: &Sig) -> bool {
        self.0.iter().all(|(d, m)| {
            other
                .0
                .iter()
                .find(|(od, _)| od == d)
                .is_none_or(|(_, om)| m & om != 0)
        })
    }
}

/// The mask of a domain with finitely many values, each value one bit of 64.
fn mask(domain: &crate::analysis::domain::Domain) -> Option<u64> {
    use crate::analysis::domain::{Domain, Text};
    match domain {
        Domain::Text(Text::Only(set)) => Some(set.iter().fold(0, |m, s| m | bit_of(s))),
        Domain::Choices(c) => Some(
            (0..c.width())
                .filter(|i| c.has(*i))
                .fold(0, |m, i| m | (1u64 << (i % 64))),
        ),
        _ => None,
    }
}

/// A string's bit: FNV-1a folded to six bits.
fn bit_of(s: &str) -> u64 {
    1 << (crate::bytecode::fingerprint::fnv1a(s.as_bytes()) % 64)
}

/// How many regions the questions about one policy may visit in all: past it,
/// every question gives up (W3009) rather than keep a lint running for minutes.
pub(super) const TOTAL_BUDGET: usize = 2_000_000;

impl RuleAnalysis<'_> {
    /// A cover search within both the question's budget and what is left of the total.
    fn search(&self, region: &Cube, cubes: &[&Cube], question: &mut usize) -> Search {
        let allowed = (*question).min(self.left.get());
        let mut budget = allowed;
        let answer = uncovered(self.space, region, cubes, &mut budget);
        let used = allowed - budget;
        *question -= used;
        self.left.set(self.left.get() - used);
        answer
    }

    /// The cubes of the rules above rule `i` whose records may meet those of rule `like`.
    fn above(&self, i: usize, like: usize) -> Vec<&Cube> {
        let Some(target) = self.sigs.get(like) else {
            return Vec::new();
        };
        self.conditions
            .iter()
            .zip(&self.sigs)
            .take(i)
            .filter(|(_, sig)| sig.may_meet(target))
            .flat_map(|(cubes, _)| cubes.iter())
            .collect()
    }

    /// Whether rules `a` and `b` may share a record, by their summaries.
    fn may_meet(&self, a: usize, b: usize) -> bool {
        match (self.sigs.get(a), self.sigs.get(b)) {
            (Some(x), Some(y)) => x.may_meet(y),
            _ => true,
        }
    }

    fn rule(&self, i: usize) -> Option<&TRule> {
        self.checked.rules.get(i)
    }

    fn name(&self, i: usize) -> String {
        self.rule(i).map_or_else(String::new, |r| r.name.clone())
    }

    fn record(&self, cube: &Cube) -> Option<Json> {
        witness::record(
            self.space,
            &self.checked.schema,
            self.checked.subject,
            &self.checked.slots,
            cube,
        )
    }

    /// Whether the VM shows `claim` on `record`.
    fn shows(&mut self, record: &Json, claim: &Claim) -> bool {
        let Ok(bound) = self.vm.bind(record) else {
            return false;
        };
        let hold = |vm: &mut Vm, rules: &[usize]| {
            rules
                .iter()
                .all(|&i| matches!(vm.rule_holds(&bound, i), Ok(true)))
        };
        match claim {
            Claim::DecidedBy(rules, decider) => {
                let name = self.name(*decider);
                hold(&mut self.vm, rules)
                    && matches!(
                        self.vm.decide_bound(&bound),
                        Ok(d) if *d.decided() == Decided::Rule(Some(name))
                    )
            }
            Claim::Fails(rules, code) => {
                hold(&mut self.vm, rules)
                    && matches!(self.vm.decide_bound(&bound), Err(e) if e.code == *code)
            }
            Claim::Undecided => match self.vm.decide_bound(&bound) {
                Ok(d) => match d.decided() {
                    Decided::Rule(rule) => rule.is_none(),
                    Decided::Rules(_) => !d.actions().iter().any(|a| a.action.owns()),
                },
                Err(_) => false,
            },
        }
    }

    /// A record that shows `claim`: drawn from one of `cubes`, else found
    /// near the first one drawn; `None` when no record can be drawn at all.
    fn example(&mut self, cubes: &[Cube], claim: &Claim) -> Option<Example> {
        let mut first = None;
        for cube in cubes.iter().take(16) {
            let Some(record) = self.record(cube) else {
                continue;
            };
            if self.shows(&record, claim) {
                return Some(Example::Shown(record));
            }
            first.get_or_insert(record);
        }
        let near: Vec<Json> = self.pool.near(&first?).collect();
        for record in near {
            if self.shows(&record, claim) {
                return Some(Example::Shown(record));
            }
        }
        Some(Example::Unshown(self.unmodelled(cubes)))
    }

    /// Why no example shows a finding about `cubes`: the questions in them
    /// the analysis does not answer.
    fn unmodelled(&self, cubes: &[Cube]) -> String {
        let mut atoms: Vec<String> = Vec::new();
        for (d, _) in cubes.iter().flat_map(Cube::entries) {
            if let Some(Kind::Atom { span, .. }) = self.space.dims.get(*d).map(|x| &x.kind) {
                let quoted = format!("`{}`", self.sources.snippet(*span));
                if !atoms.contains(&quoted) {
                    atoms.push(quoted);
                }
            }
        }
        match atoms.as_slice() {
            [] => "no example: no record roe tried shows it".to_owned(),
            _ => format!(
                "no example: no record roe tried shows it, and the analysis does not model {}",
                join(&atoms)
            ),
        }
    }

    /// Reports conditions that never hold and conditions that always hold.
    pub fn never_and_always(&mut self) {
        for (i, cubes) in self.conditions.iter().enumerate() {
            let Some(rule) = self.rule(i) else { continue };
            let (name, span) = (rule.name.clone(), rule.condition.span);
            if cubes.is_empty() {
                self.out.push(
                    Diagnostic::warning(
                        codes::NEVER_HOLDS,
                        format!("the condition of rule `{name}` never holds"),
                        span,
                    )
                    .label(span, "no record satisfies this")
                    .help("fix the condition, or remove the rule"),
                );
                continue;
            }
            let refs: Vec<&Cube> = cubes.iter().collect();
            let mut budget = BUDGET;
            if let Search::Covered = self.search(&Cube::everything(), &refs, &mut budget) {
                let mut d = Diagnostic::warning(
                    codes::ALWAYS_HOLDS,
                    format!("the condition of rule `{name}` holds for every record"),
                    span,
                )
                .label(span, "true for every record");
                d = match self.checked.hit_policy {
                    HitPolicy::First => d.help(format!(
                        "no rule below `{name}` can decide; write the condition that was meant, or make it the `otherwise`"
                    )),
                    _ => d.help("write the condition that was meant, or remove it"),
                };
                self.out.push(d);
            }
        }
    }

    /// Under `first match`: rules the rules above them leave no record to.
    /// Returns which rules are shadowed.
    pub fn shadowed(&mut self) -> Vec<bool> {
        let mut shadowed = vec![false; self.conditions.len()];
        if self.checked.hit_policy != HitPolicy::First {
            return shadowed;
        }
        for (i, cubes) in self.conditions.iter().enumerate() {
            if cubes.is_empty() {
                continue;
            }
            let above = self.above(i, i);
            let mut budget = BUDGET;
            let mut answer = Search::Covered;
            for c in cubes {
                answer = self.search(c, &above, &mut budget);
                if !matches!(answer, Search::Covered) {
                    break;
                }
            }
            match answer {
                Search::Covered => {}
                Search::Uncovered(_) => continue,
                Search::GaveUp => {
                    self.gave_up(i, "whether the rules above it take all its records");
                    continue;
                }
            }
            if let Some(s) = shadowed.get_mut(i) {
                *s = true;
            }
            // The rules above that decide some of its records: they meet it
            // where no rule above them has already decided.
            let takers: Vec<usize> = (0..i)
                .filter(|&j| self.may_meet(i, j))
                .filter(|&j| {
                    let shared = self
                        .conditions
                        .get(j)
                        .map_or_else(Vec::new, |above| self.space.both(above, cubes));
                    let before = self.above(j, i);
                    let mut budget = BUDGET;
                    shared
                        .iter()
                        .any(|c| !matches!(self.search(c, &before, &mut budget), Search::Covered))
                })
                .collect();
            self.report_shadowed(i, &takers);
        }
        shadowed
    }

    fn report_shadowed(&mut self, i: usize, takers: &[usize]) {
        let Some(rule) = self.rule(i) else { return };
        let (name, span) = (rule.name.clone(), rule.name_span);
        let cubes = self.conditions.get(i).cloned().unwrap_or_default();
        let claim_rules = [i];
        // Which rule decides the example depends on the example; any taker will do.
        let mut found = None;
        let mut unshown = None;
        for &t in takers {
            match self.example(&cubes, &Claim::DecidedBy(&claim_rules, t)) {
                Some(Example::Shown(record)) => {
                    found = Some((record, t));
                    break;
                }
                Some(Example::Unshown(why)) => unshown = unshown.or(Some(why)),
                None => {}
            }
        }
        let names: Vec<String> = takers
            .iter()
            .map(|&t| format!("`{}`", self.name(t)))
            .collect();
        let mut d = Diagnostic::warning(
            codes::SHADOWED_RULE,
            format!(
                "rule `{name}` never decides: {} above it take{} every record it matches",
                join(&names),
                if names.len() == 1 { "s" } else { "" }
            ),
            span,
        )
        .label(span, "never decides under `first match`");
        for &t in takers {
            if let Some(r) = self.rule(t) {
                d = d.label(r.name_span, "takes its records");
            }
        }
        d = d.help(match takers {
            [one] => format!(
                "move `{name}` above `{}` if it is the more specific rule, or remove it",
                self.name(*one)
            ),
            _ => format!("move `{name}` above the rules that take its records, or remove it"),
        });
        match (found, unshown) {
            (Some((record, t)), _) => {
                d = d
                    .note(format!(
                        "the example matches `{name}`, and `{}` decides it",
                        self.name(t)
                    ))
                    .witness(record, self.now);
            }
            (None, Some(why)) => d = d.note(why),
            (None, None) => {}
        }
        self.out.push(d);
    }

    /// Pairs of rules that can hold for one record: under `unique match` any
    /// pair; otherwise pairs whose ownership actions differ. Under `first
    /// match` one note per rule that takes records from rules below it.
    pub fn overlaps(&mut self, shadowed: &[bool]) {
        let n = self.conditions.len();
        let owners: Vec<Option<String>> = self
            .checked
            .rules
            .iter()
            .map(|r| owner(&r.actions, self.sources))
            .collect();
        for a in 0..n {
            let mut below = Vec::new();
            for b in a + 1..n {
                if shadowed.get(b).copied().unwrap_or(false) {
                    continue;
                }
                let conflict = match self.checked.hit_policy {
                    HitPolicy::Unique => true,
                    _ => matches!(
                        (owners.get(a), owners.get(b)),
                        (Some(Some(x)), Some(Some(y))) if x != y
                    ),
                };
                if !conflict {
                    continue;
                }
                let Some(region) = self.shared(a, b) else {
                    continue;
                };
                if self.checked.hit_policy == HitPolicy::First {
                    below.push((b, region));
                } else {
                    self.report_pair(a, b, &region);
                }
            }
            if !below.is_empty() {
                self.report_taken(a, &below);
            }
        }
    }

    /// The records both `a` and `b` hold for (under `first match`, those that
    /// reach `a`), or `None` if there are none or the search gave up.
    fn shared(&mut self, a: usize, b: usize) -> Option<Vec<Cube>> {
        if !self.may_meet(a, b) {
            return None;
        }
        let (ca, cb) = (self.conditions.get(a)?, self.conditions.get(b)?);
        let both = self.space.both(ca, cb);
        if both.is_empty() || self.checked.hit_policy != HitPolicy::First {
            return (!both.is_empty()).then_some(both);
        }
        let above = self.above(a, a);
        let mut budget = BUDGET;
        let mut parts = Vec::new();
        for c in &both {
            match self.search(c, &above, &mut budget) {
                Search::Uncovered(part) => parts.push(part),
                Search::Covered => {}
                Search::GaveUp => {
                    self.gave_up(b, "which records it shares with the rules above");
                    return None;
                }
            }
        }
        (!parts.is_empty()).then_some(parts)
    }

    /// Under `first match`: rule `a` takes records that rules below it match too.
    fn report_taken(&mut self, a: usize, below: &[(usize, Vec<Cube>)]) {
        let mut example = None;
        for (b, region) in below {
            let rules = [a, *b];
            match self.example(region, &Claim::DecidedBy(&rules, a)) {
                Some(Example::Shown(record)) => {
                    example = Some(Ok((record, *b)));
                    break;
                }
                Some(Example::Unshown(why)) if example.is_none() => example = Some(Err(why)),
                _ => {}
            }
        }
        let Some(example) = example else {
            return;
        };
        let Some(ra) = self.rule(a) else { return };
        let (na, sa) = (ra.name.clone(), ra.name_span);
        let names: Vec<String> = below
            .iter()
            .map(|(b, _)| format!("`{}`", self.name(*b)))
            .collect();
        let list = if names.len() > 4 {
            format!(
                "{} and {} more",
                names.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                names.len() - 3
            )
        } else {
            join(&names)
        };
        let takes = if example.is_ok() { "takes" } else { "may take" };
        let mut d = Diagnostic::note_at(
            codes::OVERLAP,
            format!("rule `{na}` {takes} records that {list} below it also match, with a different owner"),
            sa,
        )
        .label(sa, "decides first");
        for (b, _) in below.iter().take(4) {
            if let Some(rb) = self.rule(*b) {
                d = d.label(rb.name_span, "also matches some of them");
            }
        }
        d = match example {
            Ok((record, shown)) => d
                .note(format!(
                    "under `first match` the first rule that holds decides; the example matches `{na}` and `{}`",
                    self.name(shown)
                ))
                .witness(record, self.now),
            Err(why) => d.note(why),
        };
        d = d.help(format!("if a rule below should win, move it above `{na}`; if `{na}` is an exclusion, this is as meant"));
        self.out.push(d);
    }

    /// Under `unique` or `all match`: two rules that can hold for one record.
    fn report_pair(&mut self, a: usize, b: usize, region: &[Cube]) {
        let rules = [a, b];
        let error = if self.checked.hit_policy == HitPolicy::Unique {
            codes::RUNTIME_NOT_UNIQUE
        } else {
            codes::RUNTIME_OWNERSHIP_CONFLICT
        };
        let Some(example) = self.example(region, &Claim::Fails(&rules, error)) else {
            return;
        };
        let certain = matches!(example, Example::Shown(_));
        let (na, nb) = (self.name(a), self.name(b));
        let (Some(ra), Some(rb)) = (self.rule(a), self.rule(b)) else {
            return;
        };
        let (sa, sb) = (ra.name_span, rb.name_span);
        let can = if certain { "can" } else { "may" };
        let d = if self.checked.hit_policy == HitPolicy::Unique {
            let message = format!(
                "rules `{na}` and `{nb}` {can} both hold for one record, which `unique match` forbids"
            );
            let d = if certain {
                Diagnostic::error(codes::OVERLAP, message, sb)
            } else {
                Diagnostic::warning(codes::OVERLAP, message, sb)
            };
            d.label(sb, "holds for the example")
                .label(sa, "and so does this rule")
                .help(format!(
                    "make the conditions exclusive (add `and not ...` to `{nb}`), or use `first match`"
                ))
                .note(format!(
                    "such a record is an error ({}) at run time",
                    codes::RUNTIME_NOT_UNIQUE
                ))
        } else {
            Diagnostic::warning(
                codes::OVERLAP,
                format!("rules `{na}` and `{nb}` {can} both hold for one record and give it different owners"),
                sb,
            )
            .label(sb, "holds for the example")
            .label(sa, "and so does this rule")
            .help("make the conditions exclusive, or give both rules the same owner")
            .note(format!(
                "such a record is an error ({}) at run time",
                codes::RUNTIME_OWNERSHIP_CONFLICT
            ))
        };
        self.out.push(with_example(d, example, self.now));
    }

    /// Records no rule decides (and no `otherwise`); under `all match`,
    /// records that get no ownership action.
    pub fn gaps(&mut self) {
        let owns = |r: &TRule| r.actions.iter().any(is_ownership);
        let otherwise_owns = self
            .checked
            .otherwise
            .as_ref()
            .is_some_and(|actions| actions.iter().any(is_ownership));
        let (regions, deciders): (Vec<Cube>, Vec<&Cube>) = match self.checked.hit_policy {
            HitPolicy::First | HitPolicy::Unique => {
                if self.checked.otherwise.is_some() {
                    return;
                }
                (
                    vec![Cube::everything()],
                    self.conditions.iter().flatten().collect(),
                )
            }
            HitPolicy::All => {
                // A policy that owns nothing (tags, fields) has no owner to miss.
                if !otherwise_owns && !self.checked.rules.iter().any(owns) {
                    return;
                }
                let owning: Vec<&Cube> = self
                    .conditions
                    .iter()
                    .zip(&self.checked.rules)
                    .filter(|(_, r)| owns(r))
                    .flat_map(|(c, _)| c.iter())
                    .collect();
                let regions = if otherwise_owns {
                    // `otherwise` owns the records no rule holds for; the gap is
                    // among records only rules without an owner hold for.
                    self.conditions
                        .iter()
                        .zip(&self.checked.rules)
                        .filter(|(_, r)| !owns(r))
                        .flat_map(|(c, _)| c.iter().cloned())
                        .collect()
                } else {
                    vec![Cube::everything()]
                };
                (regions, owning)
            }
        };
        let mut budget = BUDGET;
        let mut parts = Vec::new();
        for region in &regions {
            match self.search(region, &deciders, &mut budget) {
                Search::Uncovered(part) => {
                    parts.push(part);
                    break;
                }
                Search::Covered => {}
                Search::GaveUp => {
                    self.out.push(
                        Diagnostic::note_at(
                            codes::GAVE_UP,
                            "the analysis gave up looking for records no rule decides",
                            self.checked.name_span,
                        )
                        .label(self.checked.name_span, "too many regions to search"),
                    );
                    return;
                }
            }
        }
        let Some(example) = self.example(&parts, &Claim::Undecided) else {
            return;
        };
        let certain = matches!(example, Example::Shown(_));
        let span = self.checked.name_span;
        let may = if certain { "" } else { "may " };
        let d = match self.checked.hit_policy {
            HitPolicy::All => Diagnostic::warning(
                codes::GAP,
                format!("some records {may}get no owner: no rule that hands off, assigns or drops holds for them"),
                span,
            )
            .label(span, "the example gets no hand-off, assignment or drop")
            .help("add a rule that owns these records, or an `otherwise` that does (`otherwise hand off to TEAM`)"),
            _ => Diagnostic::warning(
                codes::GAP,
                format!("some records {may}match no rule, and there is no `otherwise`"),
                span,
            )
            .label(span, "no rule decides the example")
            .help("add a rule for them, or an `otherwise` (`otherwise hand off to TEAM`, or `otherwise drop \"REASON\"` to make it a choice)"),
        };
        self.out.push(with_example(d, example, self.now));
    }

    fn gave_up(&mut self, rule: usize, what: &str) {
        if self.left.get() == 0 {
            // The whole analysis ran out: said once, for the policy.
            let span = self.checked.name_span;
            if !self
                .out
                .iter()
                .any(|d| d.code == codes::GAVE_UP && d.span == span)
            {
                self.out.push(
                    Diagnostic::note_at(
                        codes::GAVE_UP,
                        format!(
                            "the analysis stopped after searching {TOTAL_BUDGET} regions of records; rules from `{}` on were not fully analysed",
                            self.name(rule)
                        ),
                        span,
                    )
                    .label(span, "too large to analyse in full"),
                );
            }
            return;
        }
        let Some(r) = self.rule(rule) else { return };
        let span = r.name_span;
        self.out.push(
            Diagnostic::note_at(
                codes::GAVE_UP,
                format!("the analysis gave up deciding {what} for rule `{}`", r.name),
                span,
            )
            .label(span, "too many regions to search"),
        );
    }
}

/// Whether an action says who owns the record.
fn is_ownership(a: &TAction) -> bool {
    matches!(
        a,
        TAction::HandOff { .. } | TAction::Assign { .. } | TAction::Drop(_)
    )
}

/// Who a rule's actions make the owner, as text that is equal for equal owners.
fn owner(actions: &[TAction], sources: &SourceMap) -> Option<String> {
    actions.iter().find_map(|a| match a {
        TAction::HandOff { team, .. } => Some(format!("team {team}")),
        TAction::Assign { to, .. } => Some(format!("assign {}", sources.snippet(to.span))),
        TAction::Drop(_) => Some("drop".to_owned()),
        _ => None,
    })
}

/// `a`, `a and b`, `a, b and c`.
/// `d` with its example record, or the note that says why it has none.
fn with_example(d: Diagnostic, example: Example, now: jiff::Timestamp) -> Diagnostic {
    match example {
        Example::Shown(record) => d.witness(record, now),
        Example::Unshown(why) => d.note(why),
    }
}

fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
