//! `roe run --summary`: how many records each rule and team decided, and
//! how many failed with each code, counted per block by the workers and
//! added up in input order.

use std::collections::HashMap;
use std::fmt::Write as _;

use roe::vm::decision::{Action, Decided, Decision, RecordError};

/// Counts of a run, or of one block of it.
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    records: usize,
    errors: usize,
    rules: HashMap<String, usize>,
    teams: HashMap<String, usize>,
    codes: HashMap<&'static str, usize>,
}

impl Tally {
    /// Counts one record's outcome: each rule that decided it (every one
    /// that held under `all match`), the team it is handed off to, or its
    /// error's code.
    pub fn count(&mut self, outcome: &Result<Decision, RecordError>) {
        self.records += 1;
        match outcome {
            Ok(decision) => {
                match decision.decided() {
                    Decided::Rule(rule) => {
                        add(&mut self.rules, rule.as_deref().unwrap_or(NO_RULE), 1);
                    }
                    Decided::Rules(rules) if rules.is_empty() => add(&mut self.rules, NO_RULE, 1),
                    Decided::Rules(rules) => {
                        rules.iter().for_each(|rule| add(&mut self.rules, rule, 1));
                    }
                }
                let teams = decision
                    .actions()
                    .iter()
                    .filter(|a| a.action == Action::HandOff)
                    .filter_map(|a| a.team.as_deref());
                teams.for_each(|team| add(&mut self.teams, team, 1));
            }
            Err(error) => {
                self.errors += 1;
                *self.codes.entry(error.code).or_default() += 1;
            }
        }
    }

    /// Adds the counts of `other` (a later block).
    pub fn add(&mut self, other: Tally) {
        self.records += other.records;
        self.errors += other.errors;
        for (rule, n) in other.rules {
            add(&mut self.rules, &rule, n);
        }
        for (team, n) in other.teams {
            add(&mut self.teams, &team, n);
        }
        for (code, n) in other.codes {
            *self.codes.entry(code).or_default() += n;
        }
    }

    /// The summary as people read it, one count per line, the largest first.
    pub fn render(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| match n {
            1 => format!("{n} {one}"),
            _ => format!("{n} {many}"),
        };
        let mut text = format!(
            "{}: {} decided, {}\n",
            plural(self.records, "record", "records"),
            self.records - self.errors,
            plural(self.errors, "error", "errors")
        );
        section(&mut text, "decided per rule", &self.rules);
        section(&mut text, "handed off per team", &self.teams);
        let codes = self
            .codes
            .iter()
            .map(|(c, n)| ((*c).to_owned(), *n))
            .collect();
        section(&mut text, "errors per code", &codes);
        text
    }
}

/// How the summary names the decisions of no rule (first match with no
/// rule holding and no `otherwise`).
const NO_RULE: &str = "(no rule)";

/// Adds `n` to the count of `name`.
fn add(counts: &mut HashMap<String, usize>, name: &str, n: usize) {
    match counts.get_mut(name) {
        Some(count) => *count += n,
        None => {
            counts.insert(name.to_owned(), n);
        }
    }
}

/// A heading and its counts, the largest first (ties by name); nothing when empty.
fn section(text: &mut String, heading: &str, counts: &HashMap<String, usize>) {
    if counts.is_empty() {
        return;
    }
    let mut sorted: Vec<(&String, &usize)> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let width = sorted.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    text.push_str(heading);
    text.push_str(":\n");
    for (name, n) in sorted {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "  {name:<width$}  {n}");
    }
}
