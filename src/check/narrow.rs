//! Narrowing of optional fields. A condition proves some field paths present
//! when it holds and others when it does not: `x is set` proves `x` when true,
//! `x is not set` when false, `a and b` proves both sides' facts when true,
//! `a or b` when false, `not` swaps. The right side of `and` is checked with
//! the left's true-facts, the right side of `or` with the left's false-facts,
//! and a rule's actions with its condition's true-facts. A proven path also
//! proves its prefixes: `account.owner` set means `account` is present.

use super::{Checker, ValueName};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// A field path from the subject record, such as `["account", "type"]`.
pub(super) type Path = Vec<String>;

/// The fact that the optional `let` called `name` is present. Its first segment
/// can never be a field name, so it never collides with a field path.
pub(super) fn let_fact(name: &str) -> Path {
    vec!["#let".to_owned(), name.to_owned()]
}

/// The paths known to be present at some point of a condition.
#[derive(Clone, Debug, Default)]
pub(super) struct Facts(Vec<Path>);

impl Facts {
    /// These facts plus `more`.
    pub(super) fn with(&self, more: Vec<Path>) -> Facts {
        let mut all = self.0.clone();
        all.extend(more);
        Facts(all)
    }

    /// Whether `path` is known to be present.
    pub(super) fn proves(&self, path: &[String]) -> bool {
        self.0.iter().any(|fact| fact.starts_with(path))
    }
}

impl Checker<'_> {
    /// The subject field path an expression names, when it is one (`employees`, `lead.account.type`).
    pub(super) fn syntactic_path(&self, expr: &Expr) -> Option<Path> {
        match &expr.kind {
            ExprKind::Name(name) => {
                if self.values.contains_key(name) {
                    return None;
                }
                if *name == self.subject_name {
                    return Some(Vec::new());
                }
                let record = self.schema.record(self.subject?)?;
                record.field(name).map(|_| vec![name.clone()])
            }
            ExprKind::Field(base, field) => {
                let mut path = self.syntactic_path(base)?;
                path.push(field.node.clone());
                Some(path)
            }
            _ => None,
        }
    }

    /// The paths `expr` proves present when it evaluates to `truth`.
    pub(super) fn facts_when(&self, expr: &Expr, truth: bool) -> Vec<Path> {
        match &expr.kind {
            ExprKind::IsSet { operand, negated } if truth != *negated => match &operand.kind {
                // An optional `let` is narrowed by its name: `csm_email is set and ...`.
                ExprKind::Name(name)
                    if matches!(self.values.get(name), Some(ValueName::Let(_))) =>
                {
                    vec![let_fact(name)]
                }
                _ => self
                    .syntactic_path(operand)
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect(),
            },
            ExprKind::Unary(UnaryOp::Not, inner) => self.facts_when(inner, !truth),
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), a, b) => {
                let both = (*op == BinaryOp::And) == truth;
                let left = self.facts_when(a, truth);
                let right = self.facts_when(b, truth);
                if both {
                    left.into_iter().chain(right).collect()
                } else {
                    let right = Facts(right);
                    left.into_iter().filter(|p| right.proves(p)).collect()
                }
            }
            _ => Vec::new(),
        }
    }
}
