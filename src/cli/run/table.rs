//! `roe run --output-format csv`: one row per record under a fixed header,
//! so a CRM's import tool can load the decisions back. The columns are the
//! same for every record of a run and known before the first one: the fixed
//! ones, then one per field the policy `set`s (in the order the policy first
//! sets them), then the error's. A decision with several values for one
//! column (two tags, two escalations) joins them with `;`, in action order.

use roe::bytecode::program::{ActionTemplate, Program};
use roe::vm::decision::{Action, ActionOut, Decided, Decision, RecordError};
use roe::vm::record::RecordId;

/// The columns before the `set` fields.
const LEADING: [&str; 14] = [
    "index",
    "id",
    "rule",
    "team",
    "assignee",
    "assignee_id",
    "due",
    "escalation_to",
    "escalation_at",
    "reassign_to",
    "reassign_at",
    "notify",
    "tags",
    "dropped",
];

/// The columns after the `set` fields.
const TRAILING: [&str; 3] = ["error_code", "error_message", "error_field"];

/// What joins several values in one cell.
const JOIN: &str = ";";

/// The columns of one run's rows.
#[derive(Debug)]
pub struct Table {
    /// The dotted path of each field the policy sets, in column order.
    set_fields: Vec<String>,
}

impl Table {
    /// The columns for `program`: its `set` targets read from its rules and
    /// `otherwise`, each once.
    pub fn new(program: &Program) -> Table {
        let parts = program.parts();
        let mut set_fields: Vec<String> = Vec::new();
        let actions = parts
            .rules
            .iter()
            .flat_map(|rule| rule.actions.iter())
            .chain(parts.otherwise.iter().flatten());
        for action in actions {
            if let ActionTemplate::Set { field, .. } = action
                && !set_fields.contains(field)
            {
                set_fields.push(field.clone());
            }
        }
        Table { set_fields }
    }

    /// The header row's cells. A `set` field whose name is one of the fixed
    /// columns' is `set.NAME`, so no two columns share a name.
    pub fn header(&self) -> Vec<String> {
        let fixed = |name: &str| LEADING.contains(&name) || TRAILING.contains(&name);
        let set = self.set_fields.iter().map(|field| match fixed(field) {
            true => format!("set.{field}"),
            false => field.clone(),
        });
        LEADING
            .iter()
            .map(|c| (*c).to_owned())
            .chain(set)
            .chain(TRAILING.iter().map(|c| (*c).to_owned()))
            .collect()
    }

    /// The row of the record at `index`: its decision's cells, or its error's.
    pub fn row(
        &self,
        index: usize,
        id: Option<&RecordId>,
        outcome: &Result<Decision, RecordError>,
    ) -> Vec<String> {
        let mut row = Vec::with_capacity(LEADING.len() + self.set_fields.len() + TRAILING.len());
        row.push(index.to_string());
        row.push(id.map(super::id_text).unwrap_or_default());
        match outcome {
            Ok(decision) => {
                row.push(rule_cell(decision.decided()));
                self.decision_cells(decision.actions(), &mut row);
                row.extend(TRAILING.iter().map(|_| String::new()));
            }
            Err(error) => {
                row.extend((2..LEADING.len() + self.set_fields.len()).map(|_| String::new()));
                row.push(error.code.to_owned());
                row.push(error.message.to_string());
                row.push(error.field.clone().unwrap_or_default());
            }
        }
        row
    }

    /// The cells from `team` to the last `set` field.
    fn decision_cells(&self, actions: &[ActionOut], row: &mut Vec<String>) {
        let of = |kind: Action, cell: fn(&ActionOut) -> Option<&str>| {
            let values: Vec<&str> = actions
                .iter()
                .filter(|a| a.action == kind)
                .filter_map(cell)
                .collect();
            values.join(JOIN)
        };
        let owner = |cell: fn(&ActionOut) -> Option<&str>| {
            let values: Vec<&str> = actions
                .iter()
                .filter(|a| matches!(a.action, Action::HandOff | Action::Assign))
                .filter_map(cell)
                .collect();
            values.join(JOIN)
        };
        row.push(of(Action::HandOff, |a| a.team.as_deref()));
        // The person: picked for a hand-off (or for `assign to ... or hand
        // off to` when the person is away), else named by `assign to`.
        row.push(owner(|a| a.assignee.as_deref().or(a.to.as_deref())));
        row.push(owner(|a| a.assignee_id.as_deref()));
        row.push(owner(|a| a.due.as_deref()));
        row.push(of(Action::Escalate, |a| {
            a.team.as_deref().or(a.to.as_deref())
        }));
        row.push(of(Action::Escalate, |a| a.at.as_deref()));
        row.push(of(Action::Reassign, |a| a.team.as_deref()));
        row.push(of(Action::Reassign, |a| a.at.as_deref()));
        row.push(of(Action::Notify, |a| {
            a.team.as_deref().or(a.to.as_deref())
        }));
        row.push(of(Action::Tag, |a| a.tag.as_deref()));
        row.push(of(Action::Drop, |a| a.reason.as_deref()));
        for field in &self.set_fields {
            // The last `set` of a field is the value it ends with.
            let value = actions
                .iter()
                .filter(|a| a.action == Action::Set && a.field.as_deref() == Some(field))
                .filter_map(|a| a.value.as_ref())
                .next_back();
            row.push(value.map(value_cell).unwrap_or_default());
        }
    }
}

/// The deciding rule, or `;`-joined rules under `all match`; empty when none decided.
fn rule_cell(decided: &Decided) -> String {
    match decided {
        Decided::Rule(rule) => rule.clone().unwrap_or_default(),
        Decided::Rules(rules) => rules.join(JOIN),
    }
}

/// A value a `set` writes: a string's text (times, dates and variants are
/// strings), anything else as JSON text.
fn value_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "a test fails by panicking")]

    use super::*;

    /// A `set` field named like a fixed column gets its own name; each field
    /// set is one column, however often it is set.
    #[test]
    fn set_fields_never_share_a_column_name() {
        let source = "policy p for ticket\n\nrecord ticket\n  id: string\n  tags: string?\n  note: string?\n\nrule a\n  when id = \"x\"\n  then set tags to \"x\"\n       set note to \"a\"\n\notherwise\n  set note to \"b\"\n";
        let compilation = roe::compile_source("p.roe", source);
        let program = compilation.program.expect("compiles");
        let header = Table::new(&program).header();
        assert_eq!(
            header[LEADING.len()..LEADING.len() + 2],
            ["set.tags", "note"]
        );
        assert_eq!(header.len(), LEADING.len() + 2 + TRAILING.len());
    }
}
