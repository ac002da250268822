//! Decisions and record errors as the JSON lines of LANGUAGE.md §6 and §12.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::vm::record::RecordId;

/// The kind of an action, as decision lines name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `hand off to TEAM`.
    HandOff,
    /// `assign to PERSON`.
    Assign,
    /// `escalate to TARGET after DURATION`.
    Escalate,
    /// `reassign to TEAM after DURATION`.
    Reassign,
    /// `notify TARGET`.
    Notify,
    /// `tag TEXT`.
    Tag,
    /// `set FIELD to VALUE`.
    Set,
    /// `drop REASON`.
    Drop,
}

impl Action {
    /// Whether the action says who owns the record: a hand-off, an
    /// assignment or a drop.
    pub fn owns(self) -> bool {
        matches!(self, Action::HandOff | Action::Assign | Action::Drop)
    }
}

/// One action of a decision, with only the keys its kind uses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionOut {
    /// What kind of action it is.
    pub action: Action,
    /// The team, for team actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Arc<str>>,
    /// The person or channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Arc<str>>,
    /// For `assign to ... or hand off to TEAM`, the team that takes the
    /// record when the person is away (with assignment on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Arc<str>>,
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
    /// `within` or `after` counted from this time field, not from `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<Arc<str>>,
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
    /// With assignment on, the team a hand-off overflowed to because no
    /// member of its own could take the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Arc<str>>,
    /// With assignment on, the member a hand-off picked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Arc<str>>,
    /// The assignee's user id in the CRM, from the roster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Arc<str>>,
    /// With assignment on, why a hand-off has no assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<Arc<str>>,
}

impl ActionOut {
    /// An action of kind `action` with no keys set yet.
    pub fn new(action: Action) -> ActionOut {
        ActionOut {
            action,
            team: None,
            to: None,
            fallback: None,
            field: None,
            value: None,
            tag: None,
            reason: None,
            within: None,
            of: None,
            due: None,
            due_local: None,
            after: None,
            at: None,
            at_local: None,
            overflow: None,
            assignee: None,
            assignee_id: None,
            unassigned: None,
        }
    }
}

/// The rule or rules that decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Decided {
    /// `first match` / `unique match`: the rule, `otherwise`, or none.
    Rule(Option<String>),
    /// `all match`: every rule that held, or `otherwise`.
    Rules(Vec<String>),
}

/// A decision for one record. Cloning shares it: a VM hands every record a
/// rule decides alike the same decision, when the rule's actions do not read
/// the record.
#[derive(Clone)]
pub struct Decision {
    shared: Arc<Shared>,
}

struct Shared {
    decided: Decided,
    actions: Vec<ActionOut>,
    /// The decision's part of an output line, made the first time one is written.
    json: OnceLock<String>,
    /// The decision this one adds assignments to: its line is that one's
    /// with the assignment keys spliced in, not serialized again.
    base: Option<Decision>,
    /// As a base, its line's members in pieces: up to the actions, and each action.
    pieces: OnceLock<Pieces>,
}

/// A decision's members in pieces, for splicing assignments in.
struct Pieces {
    /// `"rule":...,"actions":[`
    head: String,
    /// Each action object.
    actions: Vec<String>,
}

/// An action's assignment keys, the last keys of its object.
#[derive(Serialize)]
struct AssignmentKeys<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    overflow: Option<&'a Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<&'a Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee_id: Option<&'a Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unassigned: Option<&'a Arc<str>>,
}

impl Decision {
    /// The decision that `decided` and that `actions` must happen.
    pub fn new(decided: Decided, actions: Vec<ActionOut>) -> Decision {
        Decision {
            shared: Arc::new(Shared {
                decided,
                actions,
                json: OnceLock::new(),
                base: None,
                pieces: OnceLock::new(),
            }),
        }
    }

    /// An identity its clones share and no other live decision has: a
    /// VM hands records it decides alike one decision, and a cache of
    /// what was made of it can be keyed by this.
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// Which rules decided.
    pub fn decided(&self) -> &Decided {
        &self.shared.decided
    }

    /// What must happen, in order.
    pub fn actions(&self) -> &[ActionOut] {
        &self.shared.actions
    }

    /// The same decision with its actions given assignments: `actions` are
    /// this decision's, each the same but for its assignment keys
    /// (`overflow`, `assignee`, `assignee_id`, `unassigned`). Its line is this
    /// decision's with those keys spliced in, so a shared decision is not
    /// serialized again for every record assigned.
    pub fn with_assignments(&self, actions: Vec<ActionOut>) -> Decision {
        let base = self.shared.base.clone().unwrap_or_else(|| self.clone());
        Decision {
            shared: Arc::new(Shared {
                decided: self.decided().clone(),
                actions,
                json: OnceLock::new(),
                base: Some(base),
                pieces: OnceLock::new(),
            }),
        }
    }

    /// The members of its line in pieces, made once.
    fn pieces(&self) -> &Pieces {
        self.shared.pieces.get_or_init(|| {
            let mut head = Members::of(self);
            head.actions = &[];
            let head = serde_json::to_string(&head).unwrap_or_default();
            Pieces {
                head: head
                    .strip_prefix('{')
                    .and_then(|h| h.strip_suffix("]}"))
                    .unwrap_or_default()
                    .to_owned(),
                actions: self
                    .actions()
                    .iter()
                    .map(|a| serde_json::to_string(a).unwrap_or_default())
                    .collect(),
            }
        })
    }

    /// The members of its line spliced from `base`'s pieces, or `None` when
    /// the actions do not line up (never, for a decision the assigner made).
    fn spliced(&self, base: &Decision) -> Option<String> {
        let pieces = base.pieces();
        if pieces.actions.len() != self.actions().len() {
            return None;
        }
        let mut out = String::with_capacity(pieces.head.len() + 64 * pieces.actions.len());
        out.push_str(&pieces.head);
        for (i, (piece, action)) in pieces.actions.iter().zip(self.actions()).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let keys = serde_json::to_string(&AssignmentKeys {
                overflow: action.overflow.as_ref(),
                assignee: action.assignee.as_ref(),
                assignee_id: action.assignee_id.as_ref(),
                unassigned: action.unassigned.as_ref(),
            })
            .ok()?;
            match keys.strip_prefix('{').and_then(|k| k.strip_suffix('}')) {
                Some("") | None => out.push_str(piece),
                Some(keys) => {
                    out.push_str(piece.strip_suffix('}')?);
                    out.push(',');
                    out.push_str(keys);
                    out.push('}');
                }
            }
        }
        out.push(']');
        Some(out)
    }

    /// The members of an output line this decision gives (`"rule":...,"actions":[...]`),
    /// serialized once however many lines it is written to.
    pub fn json(&self) -> &str {
        self.shared.json.get_or_init(|| {
            if let Some(spliced) = self.shared.base.as_ref().and_then(|b| self.spliced(b)) {
                return spliced;
            }
            let members = Members::of(self);
            let object = serde_json::to_string(&members).unwrap_or_default();
            object
                .strip_prefix('{')
                .and_then(|o| o.strip_suffix('}'))
                .unwrap_or_default()
                .to_owned()
        })
    }
}

impl PartialEq for Decision {
    fn eq(&self, other: &Decision) -> bool {
        self.decided() == other.decided() && self.actions() == other.actions()
    }
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decision")
            .field("decided", self.decided())
            .field("actions", &self.actions())
            .finish()
    }
}

/// Why one record has no decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordError {
    /// The `R` code.
    pub code: &'static str,
    /// What is wrong, naming the field (shared: a VM hands the same error to
    /// every record that fails alike).
    pub message: Arc<str>,
    /// The dotted path of the one field at fault, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The record's other problems, in the same order (wrong values in
    /// schema order, then missing fields), so that one pass over the
    /// error lines fixes an export.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<RecordError>,
}

impl RecordError {
    /// An error not about one field.
    pub fn new(code: &'static str, message: impl Into<String>) -> RecordError {
        RecordError {
            code,
            message: Arc::from(message.into()),
            field: None,
            more: Vec::new(),
        }
    }

    /// An error about the field at `path`.
    pub fn at(code: &'static str, message: impl Into<String>, path: String) -> RecordError {
        RecordError {
            code,
            message: Arc::from(message.into()),
            field: Some(path),
            more: Vec::new(),
        }
    }
}

impl RecordError {
    /// The record's error from all its problems in order: the first, with
    /// the rest as [`RecordError::more`]; `None` when there are none. A
    /// problem that has more of its own (a nested record's) gives them in
    /// its place.
    pub(crate) fn of_all(problems: Vec<RecordError>) -> Option<RecordError> {
        let mut all = problems.into_iter().flat_map(|mut e| {
            let more = std::mem::take(&mut e.more);
            std::iter::once(e).chain(more)
        });
        let mut first = all.next()?;
        first.more = all.collect();
        Some(first)
    }
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for RecordError {}

#[derive(Serialize)]
struct Line<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RecordId>,
    #[serde(flatten)]
    decision: Option<Members<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RecordError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a crate::vm::explain::WhyOf>,
}

/// The members of a line that a decision gives.
#[derive(Serialize)]
struct Members<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<&'a [String]>,
    actions: &'a [ActionOut],
}

impl Members<'_> {
    fn of(decision: &Decision) -> Members<'_> {
        let decided = decision.decided();
        Members {
            rule: match decided {
                Decided::Rule(r) => Some(r),
                Decided::Rules(_) => None,
            },
            rules: match decided {
                Decided::Rules(r) => Some(r),
                Decided::Rule(_) => None,
            },
            actions: decision.actions(),
        }
    }
}

/// The output line for the record at `index`, without a trailing newline.
pub fn line(
    index: usize,
    id: Option<&RecordId>,
    outcome: &Result<Decision, RecordError>,
) -> String {
    // The members after the id come from the decision, serialized once for
    // every record it decides alike (none only if serializing failed).
    let members = match outcome {
        Ok(decision) => decision.json(),
        Err(_) => "",
    };
    if members.is_empty() {
        return explained_line(index, id, outcome, None);
    }
    let mut out = String::with_capacity(members.len() + 48);
    out.push_str("{\"index\":");
    // Writing to a String cannot fail.
    let _ = write!(out, "{index}");
    if let Some(id) = id {
        out.push_str(",\"id\":");
        out.push_str(id.json());
    }
    out.push(',');
    out.push_str(members);
    out.push('}');
    out
}

/// The output line with a `why` (the rules that decided and the clauses that held).
pub fn explained_line(
    index: usize,
    id: Option<&RecordId>,
    outcome: &Result<Decision, RecordError>,
    why: Option<&crate::vm::explain::WhyOf>,
) -> String {
    let line = match outcome {
        Ok(decision) => Line {
            index,
            id,
            decision: Some(Members::of(decision)),
            error: None,
            why,
        },
        Err(error) => Line {
            index,
            id,
            decision: None,
            error: Some(error),
            why: None,
        },
    };
    serde_json::to_string(&line).unwrap_or_else(|_| format!("{{\"index\":{index},\"error\":{{\"code\":\"R0101\",\"message\":\"unprintable decision\"}}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line written from the decision's members kept as text is the line
    /// serde writes for the whole record.
    #[test]
    fn lines_from_kept_members_are_the_serialized_lines() {
        let hand_off = ActionOut {
            team: Some(Arc::from("emea \"east\"")),
            due: Some(Arc::from("2026-11-30T14:00:00Z")),
            ..ActionOut::new(Action::HandOff)
        };
        let decisions = [
            Decision::new(Decided::Rule(Some("hot".into())), vec![hand_off.clone()]),
            Decision::new(Decided::Rule(None), Vec::new()),
            Decision::new(
                Decided::Rules(vec!["a".into(), "b".into()]),
                vec![hand_off.clone(), hand_off],
            ),
            Decision::new(Decided::Rules(Vec::new()), Vec::new()),
        ];
        let ids = [
            None,
            RecordId::of(&serde_json::json!("L-1")),
            RecordId::of(&serde_json::json!(7)),
            crate::vm::record::read(r#"{"id":18446744073709551616}"#)
                .ok()
                .and_then(|r| r.id),
        ];
        for decision in decisions {
            for id in &ids {
                let outcome = Ok(decision.clone());
                let expected = explained_line(3, id.as_ref(), &outcome, None);
                assert_eq!(line(3, id.as_ref(), &outcome), expected);
                // Twice: the second line reuses the kept members.
                assert_eq!(line(3, id.as_ref(), &outcome), expected);
            }
        }
    }

    /// A decision given assignments writes the line serde writes for it,
    /// though its members are spliced from the decision it was made from.
    #[test]
    fn assigned_lines_spliced_from_their_base_are_the_serialized_lines() {
        let hand_off = ActionOut {
            team: Some(Arc::from("emea")),
            due: Some(Arc::from("2026-11-30T14:00:00Z")),
            ..ActionOut::new(Action::HandOff)
        };
        let tag = ActionOut {
            tag: Some(Arc::from("hot \"lead\"")),
            ..ActionOut::new(Action::Tag)
        };
        let base = Decision::new(
            Decided::Rules(vec!["a".into()]),
            vec![hand_off.clone(), tag.clone(), hand_off.clone()],
        );
        let assigned = |who: Option<&str>, overflow: Option<&str>, why: Option<&str>| ActionOut {
            assignee: who.map(Arc::from),
            assignee_id: who.map(|_| Arc::from("005\u{1}")),
            overflow: overflow.map(Arc::from),
            unassigned: why.map(Arc::from),
            ..hand_off.clone()
        };
        for actions in [
            vec![
                assigned(Some("ana@x"), None, None),
                tag.clone(),
                hand_off.clone(),
            ],
            vec![
                assigned(None, None, Some("no one \"free\"")),
                tag.clone(),
                assigned(Some("b"), Some("mgr"), None),
            ],
            vec![hand_off.clone(), tag.clone(), hand_off.clone()],
        ] {
            let made = base.with_assignments(actions.clone());
            let fresh = Decision::new(base.decided().clone(), actions);
            assert_eq!(
                line(0, None, &Ok(made.clone())),
                explained_line(0, None, &Ok(fresh), None)
            );
            // And from a decision made that way, again from the first base.
            let again = made.with_assignments(made.actions().to_vec());
            assert_eq!(line(0, None, &Ok(again)), line(0, None, &Ok(made)));
        }
    }
}
