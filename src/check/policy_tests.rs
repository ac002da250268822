//! `fixture` and `test` blocks: record literals checked against the subject
//! type (a fixture must give every required field; `with { ... }` overrides
//! are checked field by field), `expect` lines resolved to rules, error codes
//! and actions. The result is typed test cases the test runner executes.

use super::Checker;
use super::expr::Ctx;
use super::tir::{TExpect, TField, TGiven, TRecord, TTest};
use crate::bytecode::schema::Type;
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::{self, Expect, ExprKind, Given, Item};
use crate::syntax::modules::Modules;

impl Checker<'_> {
    /// Checks every fixture and test and returns the tests, typed.
    pub(super) fn check_tests(&mut self, modules: &Modules) -> Vec<TTest> {
        let Some(subject) = self.subject else {
            return Vec::new();
        };
        let mut fixtures: Vec<(&ast::ValueDecl, Option<TRecord>)> = Vec::new();
        let mut decls: Vec<&ast::ValueDecl> = self.fixtures.values().copied().collect();
        decls.sort_by_key(|d| (d.span.file, d.span.start));
        for fixture in decls {
            let record = self.record_literal(&fixture.value, subject, true);
            fixtures.push((fixture, record));
        }
        let rule_names: Vec<String> = modules
            .modules
            .first()
            .map(|root| {
                root.items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Rule(r) => Some(r.name.node.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tests: Vec<&ast::TestDecl> = modules
            .modules
            .iter()
            .flat_map(|m| m.items.iter())
            .filter_map(|i| match i {
                Item::Test(t) => Some(t),
                _ => None,
            })
            .collect();
        tests
            .into_iter()
            .filter_map(|t| self.check_test(t, subject, &rule_names, &fixtures))
            .collect()
    }

    fn check_test(
        &mut self,
        test: &ast::TestDecl,
        subject: u32,
        rules: &[String],
        fixtures: &[(&ast::ValueDecl, Option<TRecord>)],
    ) -> Option<TTest> {
        let given = match &test.given {
            Given::Record(e) => self.record_literal(e, subject, true).map(TGiven::Record),
            Given::Json(text) => Some(TGiven::Json(text.node.clone())),
            Given::Fixture(name, overrides) => {
                // A fixture is checked once, where it is declared.
                let base = match fixtures.iter().find(|(f, _)| f.name.node == name.node) {
                    Some((_, record)) => record.clone(),
                    None => {
                        if !self.may_declare(&name.node) {
                            let help = help_did_you_mean(
                                &name.node,
                                self.fixtures.keys().map(String::as_str),
                            );
                            self.report(
                                Diagnostic::error(
                                    codes::UNKNOWN_FIXTURE,
                                    format!("unknown fixture `{}`", name.node),
                                    name.span,
                                )
                                .label(name.span, "no fixture has this name")
                                .maybe_help(help),
                            );
                        }
                        None
                    }
                };
                let overrides = match overrides {
                    Some(e) => self.record_literal(e, subject, false),
                    None => Some(TRecord::default()),
                };
                base.zip(overrides).map(|(mut base, overrides)| {
                    for (key, value) in overrides.fields {
                        match base.fields.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, slot)) => *slot = value,
                            None => base.fields.push((key, value)),
                        }
                    }
                    TGiven::Record(base)
                })
            }
        };
        let mut expects = Vec::new();
        let mut failed = given.is_none();
        for expect in &test.expects {
            match expect {
                Expect::Rule(name) => {
                    if name.node != "otherwise" && !rules.contains(&name.node) {
                        let help = help_did_you_mean(&name.node, rules.iter().map(String::as_str));
                        self.report(
                            Diagnostic::error(
                                codes::UNKNOWN_RULE,
                                format!("unknown rule `{}`", name.node),
                                name.span,
                            )
                            .label(name.span, "no rule has this name")
                            .maybe_help(help),
                        );
                        failed = true;
                    }
                    expects.push(TExpect::Rule {
                        name: name.node.clone(),
                        span: name.span,
                    });
                }
                Expect::Error(code) => {
                    let known = code.node.len() == 5
                        && code.node.starts_with('R')
                        && code.node[1..].chars().all(|c| c.is_ascii_digit());
                    if !known {
                        self.report(
                            Diagnostic::error(
                                codes::UNKNOWN_RULE,
                                format!("`{}` is not a record error code", code.node),
                                code.span,
                            )
                            .label(code.span, "record errors have codes like `R0201`")
                            .help("see the R codes in docs/errors.md"),
                        );
                        failed = true;
                    }
                    expects.push(TExpect::Error {
                        code: code.node.clone(),
                        span: code.span,
                    });
                }
                Expect::Actions(actions) => {
                    let span = actions
                        .iter()
                        .map(|a| a.span)
                        .reduce(|a, b| a.to(b))
                        .unwrap_or(test.span);
                    let deadlines = self.expected_deadlines(actions);
                    match (self.check_expected_actions(actions), deadlines) {
                        (Some(actions), Some(deadlines)) => expects.push(TExpect::Actions {
                            actions,
                            deadlines,
                            span,
                        }),
                        _ => failed = true,
                    }
                }
            }
        }
        if failed {
            return None;
        }
        Some(TTest {
            name: test.name.node.clone(),
            span: test.span,
            given: given?,
            at: test.at.as_ref().map(|at| at.node),
            expects,
        })
    }

    /// A record literal as typed fields; `complete` requires every required field.
    fn record_literal(&mut self, expr: &ast::Expr, record: u32, complete: bool) -> Option<TRecord> {
        let ExprKind::Record(fields) = &expr.kind else {
            let name = self
                .schema
                .record(record)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            self.report(
                Diagnostic::error(
                    codes::BAD_RECORD_LITERAL,
                    format!("expected a `{name}` record literal"),
                    expr.span,
                )
                .label(expr.span, "not a record literal")
                .help("write the record as `{ field: value, ... }`"),
            );
            return None;
        };
        let declared = self.schema.record(record)?.clone();
        let mut out = TRecord::default();
        let mut failed = false;
        for (key, value) in fields {
            let Some((_, field)) = declared.field(&key.node) else {
                let help =
                    help_did_you_mean(&key.node, declared.fields.iter().map(|f| f.name.as_str()));
                self.report(
                    Diagnostic::error(
                        codes::BAD_RECORD_LITERAL,
                        format!("`{}` has no field `{}`", declared.name, key.node),
                        key.span,
                    )
                    .label(key.span, format!("not a field of `{}`", declared.name))
                    .maybe_help(help),
                );
                failed = true;
                continue;
            };
            let typed = if let Type::Record(inner) = field.ty.required() {
                self.record_literal(value, *inner, complete)
                    .map(TField::Record)
            } else {
                let constant = Ctx {
                    constant: true,
                    ..Ctx::default()
                };
                self.check_present(value, Some(field.ty.required()), &constant, value.span)
                    .and_then(|e| {
                        self.require_type(e, field.ty.required(), &format!("field `{}`", key.node))
                    })
                    .map(|e| TField::Value(e, field.ty.required().clone()))
            };
            match typed {
                Some(t) => out.fields.push((key.node.clone(), t)),
                None => failed = true,
            }
        }
        if complete {
            let missing: Vec<&str> = declared
                .fields
                .iter()
                .filter(|f| !f.ty.is_optional() && !fields.iter().any(|(k, _)| k.node == f.name))
                .map(|f| f.name.as_str())
                .collect();
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.report(
                    Diagnostic::error(
                        codes::BAD_RECORD_LITERAL,
                        format!("this `{}` is missing the required {list}", declared.name),
                        expr.span,
                    )
                    .label(expr.span, format!("required field{} missing", if missing.len() == 1 { "" } else { "s" }))
                    .help("give every required field a value, or start from a `fixture` with `given NAME with { ... }`"),
                );
                failed = true;
            }
        }
        if failed { None } else { Some(out) }
    }
}
