//! Decisions and record errors as the JSON lines of LANGUAGE.md §6 and §12.

use std::sync::Arc;

use serde::Serialize;

/// One action of a decision, with only the keys its kind uses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActionOut {
    /// `hand_off`, `assign`, `escalate`, `reassign`, `notify`, `tag`, `set` or `drop`.
    pub action: &'static str,
    /// The team, for team actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Arc<str>>,
    /// The person or channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Arc<str>>,
    /// The field a `set` updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Arc<str>>,
    /// The value a `set` writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<Arc<str>>,
    /// Why the record is dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Arc<str>>,
    /// The SLO as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Arc<str>>,
    /// When the SLO is due (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Arc<str>>,
    /// For business time, `due` in the calendar's zone with its offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_local: Option<Arc<str>>,
    /// The delay of an escalation or reassignment, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Arc<str>>,
    /// When it happens (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Arc<str>>,
    /// For business time, `at` in the calendar's zone with its offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_local: Option<Arc<str>>,
}

/// The rule or rules that decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Decided {
    /// `first match` / `unique match`: the rule, `otherwise`, or none.
    Rule(Option<String>),
    /// `all match`: every rule that held, or `otherwise`.
    Rules(Vec<String>),
}

/// A decision for one record.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Which rules decided.
    pub decided: Decided,
    /// What must happen.
    pub actions: Vec<ActionOut>,
}

/// Why one record has no decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordError {
    /// The `R` code.
    pub code: &'static str,
    /// What is wrong, naming the field.
    pub message: String,
    /// The dotted path of the one field at fault, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl RecordError {
    /// An error not about one field.
    pub fn new(code: &'static str, message: impl Into<String>) -> RecordError {
        RecordError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// An error about the field at `path`.
    pub fn at(code: &'static str, message: impl Into<String>, path: String) -> RecordError {
        RecordError {
            code,
            message: message.into(),
            field: Some(path),
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<&'a [ActionOut]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RecordError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a crate::vm::explain::WhyOf>,
}

/// The output line for the record at `index`, without a trailing newline.
pub fn line(
    index: usize,
    id: Option<&serde_json::Value>,
    outcome: &Result<Decision, RecordError>,
) -> String {
    explained_line(index, id, outcome, None)
}

/// The output line with a `why` (the rules that decided and the clauses that held).
pub fn explained_line(
    index: usize,
    id: Option<&serde_json::Value>,
    outcome: &Result<Decision, RecordError>,
    why: Option<&crate::vm::explain::WhyOf>,
) -> String {
    let line = match outcome {
        Ok(decision) => Line {
            index,
            id,
            rule: match &decision.decided {
                Decided::Rule(r) => Some(r),
                Decided::Rules(_) => None,
            },
            rules: match &decision.decided {
                Decided::Rules(r) => Some(r),
                Decided::Rule(_) => None,
            },
            actions: Some(&decision.actions),
            error: None,
            why,
        },
        Err(error) => Line {
            index,
            id,
            rule: None,
            rules: None,
            actions: None,
            error: Some(error),
            why: None,
        },
    };
    serde_json::to_string(&line).unwrap_or_else(|_| format!("{{\"index\":{index},\"error\":{{\"code\":\"R0101\",\"message\":\"unprintable decision\"}}}}"))
}
