//! The `test` blocks of a checked policy as runnable cases: record literals
//! folded to JSON records, expected actions folded to the action objects a
//! decision must contain.

use crate::bytecode::value::{self, Value};
use crate::check::tir::{Checked, TAction, TExpect, TField, TGiven, TRecord, TTarget};
use crate::compile::fold::ConstValues;
use crate::policy_tests::{Expectation, Expected, TestCase};
use crate::vm::{Action, ActionOut, Record};
use std::sync::Arc;

/// Every test of `checked`, ready to run; `None` where a value cannot be folded.
pub fn test_cases(checked: &Checked) -> Vec<TestCase> {
    // A const that cannot be folded is the compiler's error to report.
    let (consts, _) = ConstValues::fold(checked);
    let schema = &checked.schema;
    let record = |r: &TRecord| record_json(r, &consts, schema);
    checked
        .tests
        .iter()
        .map(|test| TestCase {
            name: test.name.clone(),
            span: test.span,
            record: match &test.given {
                TGiven::Record(r) => record(r)
                    .map(Record::from_json)
                    .ok_or_else(|| "a value of the record cannot be computed".to_owned()),
                TGiven::Json(text) => {
                    crate::vm::record::read(text).map_err(|e| format!("the JSON is not valid: {e}"))
                }
            },
            at: test.at,
            expects: test
                .expects
                .iter()
                .map(|e| match e {
                    TExpect::Rule { name, span } => Expectation {
                        span: *span,
                        expected: Expected::Rule(name.clone()),
                    },
                    TExpect::Error { code, span } => Expectation {
                        span: *span,
                        expected: Expected::Error(code.clone()),
                    },
                    TExpect::Actions {
                        actions,
                        deadlines,
                        span,
                    } => Expectation {
                        span: *span,
                        expected: Expected::Actions(
                            actions
                                .iter()
                                .zip(deadlines)
                                .map(|(a, deadline)| {
                                    let mut out = expected_action(a, checked, &consts);
                                    // A decision prints `due` and `at` as RFC 3339 in UTC.
                                    let instant = deadline.map(|t| Arc::from(t.to_string()));
                                    match out.action {
                                        Action::HandOff | Action::Assign => out.due = instant,
                                        _ => out.at = instant,
                                    }
                                    out
                                })
                                .collect(),
                        ),
                    },
                })
                .collect(),
        })
        .collect()
}

fn record_json(
    r: &TRecord,
    consts: &ConstValues,
    schema: &crate::bytecode::schema::Schema,
) -> Option<serde_json::Value> {
    let mut object = serde_json::Map::new();
    for (key, field) in &r.fields {
        let json = match field {
            TField::Value(e, ty) => value::to_json(&consts.evaluate(e).ok()?, ty, schema),
            TField::Record(inner) => record_json(inner, consts, schema)?,
        };
        object.insert(key.clone(), json);
    }
    Some(serde_json::Value::Object(object))
}

/// The action object a decision must contain; only the keys an expectation names are set.
fn expected_action(a: &TAction, checked: &Checked, consts: &ConstValues) -> ActionOut {
    let team = |n: u32| {
        checked
            .teams
            .get(n as usize)
            .map(|t| Arc::from(t.name.as_str()))
    };
    let text = |e: &crate::check::tir::TExpr| match consts.evaluate(e) {
        Ok(Value::Str(s)) => Some(s),
        _ => None,
    };
    let anchor = |slo: Option<&crate::bytecode::program::Slo>| {
        slo.and_then(|s| s.anchor.as_ref())
            .map(|a| Arc::from(a.path.as_str()))
    };
    let mut out = ActionOut::new(Action::Tag);
    match a {
        TAction::HandOff { team: t, within } => {
            out.action = Action::HandOff;
            out.team = team(*t);
            out.within = within.as_ref().map(|s| Arc::from(s.text.as_str()));
            out.of = anchor(within.as_ref());
        }
        TAction::Assign {
            to,
            within,
            fallback,
        } => {
            out.action = Action::Assign;
            out.to = text(to);
            out.fallback = fallback.and_then(team);
            out.within = within.as_ref().map(|s| Arc::from(s.text.as_str()));
            out.of = anchor(within.as_ref());
        }
        TAction::Escalate { target, after } => {
            out.action = Action::Escalate;
            match target {
                TTarget::Team(t) => out.team = team(*t),
                TTarget::Person(e) => out.to = text(e),
            }
            out.after = Some(Arc::from(after.text.as_str()));
            out.of = anchor(Some(after));
        }
        TAction::Reassign { team: t, after } => {
            out.action = Action::Reassign;
            out.team = team(*t);
            out.after = Some(Arc::from(after.text.as_str()));
            out.of = anchor(Some(after));
        }
        TAction::Notify(target) => {
            out.action = Action::Notify;
            match target {
                TTarget::Team(t) => out.team = team(*t),
                TTarget::Person(e) => out.to = text(e),
            }
        }
        TAction::Tag(e) => {
            out.action = Action::Tag;
            out.tag = text(e);
        }
        TAction::Set {
            field,
            value: v,
            ty,
        } => {
            out.action = Action::Set;
            out.field = Some(Arc::from(field.as_str()));
            out.value = consts
                .evaluate(v)
                .ok()
                .map(|v| value::to_json(&v, ty, &checked.schema));
        }
        TAction::Drop(e) => {
            out.action = Action::Drop;
            out.reason = text(e);
        }
    }
    out
}
