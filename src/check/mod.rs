//! The checker: names, types and narrowing, from the syntax trees of a policy
//! and the files it uses to the typed IR in [`tir`].
//!
//! It runs in passes over the declarations of every file: (1) collect every
//! name by kind, reporting duplicates; (2) resolve record field types, which
//! gives the schema; (3) order consts and lets by what they mention, reporting
//! cycles, and type them in that order; (4) check teams, calendars, rules with
//! their actions, fixtures and tests. Expressions are typed by
//! [`expr`], where optional values are tracked through narrowing. Errors are
//! collected, never thrown: a failed node is `None` and checking goes on, so
//! one run reports every independent mistake.

mod actions;
mod calendars;
mod decls;
mod expr;
mod extend;
mod narrow;
mod order;
mod policy_tests;
mod reading;
pub mod tir;

use std::collections::HashMap;

use crate::bytecode::program::HitPolicy;
use crate::bytecode::schema::{Schema, Type};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Item};
use crate::syntax::modules::Modules;

pub use tir::Checked;

/// Checks a loaded policy (or library) and returns the typed IR when it has no errors.
pub fn check(sources: &SourceMap, modules: &Modules) -> (Option<Checked>, Vec<Diagnostic>) {
    let mut checker = Checker::new(sources);
    let checked = checker.run(modules);
    (checked, checker.diagnostics)
}

/// A declared name: where, and which entry of its kind.
#[derive(Clone, Copy, Debug)]
struct Declared {
    index: usize,
    span: Span,
}

/// The state of a const or let while it is typed in dependency order.
#[derive(Clone, Debug)]
enum BindingType {
    Pending,
    Failed,
    Typed(Type),
}

/// Everything the checker knows while it works.
struct Checker<'a> {
    sources: &'a SourceMap,
    diagnostics: Vec<Diagnostic>,
    schema: Schema,
    types: HashMap<String, Declared>,
    consts: Vec<&'a ast::ValueDecl>,
    lets: Vec<&'a ast::ValueDecl>,
    values: HashMap<String, ValueName>,
    const_types: Vec<BindingType>,
    let_types: Vec<BindingType>,
    teams: Vec<&'a ast::TeamDecl>,
    team_names: HashMap<String, Declared>,
    calendars: HashMap<String, Declared>,
    calendar_decls: Vec<&'a ast::CalendarDecl>,
    /// The policy's `working hours` calendar, for business time that names none.
    default_calendar: Option<u32>,
    fixtures: HashMap<String, &'a ast::ValueDecl>,
    subject: Option<u32>,
    subject_name: String,
    /// The subject record could not be resolved (already reported): field errors would be noise.
    subject_unknown: bool,
    /// Names possibly declared in text that failed to parse or load.
    modules: Option<&'a Modules>,
    /// The condition of the rule being checked, for notes that quote it.
    condition: Option<Span>,
    /// Fields whose declared type did not resolve (already reported), by record.
    poisoned_fields: std::collections::HashSet<(u32, String)>,
    slots: Vec<Vec<String>>,
    /// Time formats without an offset whose field has no zone yet.
    zoneless: Vec<reading::Zoneless>,
}

/// What a bare value name refers to.
#[derive(Clone, Copy, Debug)]
enum ValueName {
    Const(usize),
    Let(usize),
}

impl<'a> Checker<'a> {
    fn new(sources: &'a SourceMap) -> Checker<'a> {
        Checker {
            sources,
            diagnostics: Vec::new(),
            schema: Schema::default(),
            types: HashMap::new(),
            consts: Vec::new(),
            lets: Vec::new(),
            values: HashMap::new(),
            const_types: Vec::new(),
            let_types: Vec::new(),
            teams: Vec::new(),
            team_names: HashMap::new(),
            calendars: HashMap::new(),
            calendar_decls: Vec::new(),
            default_calendar: None,
            fixtures: HashMap::new(),
            subject: None,
            subject_name: String::new(),
            subject_unknown: false,
            modules: None,
            condition: None,
            poisoned_fields: std::collections::HashSet::new(),
            slots: Vec::new(),
            zoneless: Vec::new(),
        }
    }

    /// Whether an unknown `name` may be a declaration lost to an earlier error.
    fn may_declare(&self, name: &str) -> bool {
        self.modules.is_some_and(|m| m.may_declare(name))
    }

    /// Whether `record` declares `field` with a type that did not resolve.
    fn poisoned(&self, record: Option<u32>, field: &str) -> bool {
        record.is_some_and(|r| self.poisoned_fields.contains(&(r, field.to_owned())))
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn snippet(&self, span: Span) -> &str {
        self.sources.snippet(span)
    }

    fn display(&self, ty: &Type) -> String {
        self.schema.display(ty)
    }

    fn run(&mut self, modules: &'a Modules) -> Option<Checked> {
        let root = modules.modules.first()?;
        self.modules = Some(modules);
        let header = self.check_layout(modules);
        self.collect(modules);
        self.resolve_records(modules);
        if let Some(header) = header {
            self.resolve_subject(header);
            if let Some(name) = &header.calendar {
                self.default_calendar = self.calendar_index(name);
            }
        }
        self.check_otherwise_last(root);
        self.check_shadowing();
        let bindings = self.check_bindings();
        let teams = self.check_teams();
        let calendars = self.check_calendars();
        let (rules, otherwise) = self.check_rules(root);
        let tests = self.check_tests(modules);
        let header = header?;
        let subject = self.subject?;
        if crate::diagnostics::has_errors(&self.diagnostics) {
            return None;
        }
        Some(Checked {
            name: header.name.node.clone(),
            name_span: header.name.span,
            hit_policy: match header.hit_policy.as_ref().map(|h| h.node) {
                None | Some(ast::HitPolicy::First) => HitPolicy::First,
                Some(ast::HitPolicy::All) => HitPolicy::All,
                Some(ast::HitPolicy::Unique) => HitPolicy::Unique,
            },
            schema: std::mem::take(&mut self.schema),
            subject,
            slots: std::mem::take(&mut self.slots),
            consts: bindings.consts?,
            const_order: bindings.const_order,
            lets: bindings.lets?,
            teams,
            calendars,
            rules,
            otherwise,
            otherwise_span: root.items.iter().find_map(|item| match item {
                Item::Otherwise(o) => Some(o.keyword_span()),
                _ => None,
            }),
            tests,
        })
    }

    /// A reader takes a file top to bottom, so rules written after `otherwise`
    /// look like they come too late to decide; they decide all the same.
    fn check_otherwise_last(&mut self, root: &crate::syntax::modules::Module) {
        let mut items = root.items.iter();
        let Some(otherwise) = items.by_ref().find_map(|item| match item {
            Item::Otherwise(o) => Some(o.keyword_span()),
            _ => None,
        }) else {
            return;
        };
        let later: Vec<&ast::Name> = items
            .filter_map(|item| match item {
                Item::Rule(rule) => Some(&rule.name),
                _ => None,
            })
            .collect();
        let Some(last) = later.last() else {
            return;
        };
        let names: Vec<String> = later.iter().map(|n| format!("`{}`", n.node)).collect();
        let (what, below) = match names.as_slice() {
            [one] => (format!("rule {one} comes"), format!("rule {one}")),
            _ => (
                format!("rules {} come", names.join(", ")),
                "the rules".to_owned(),
            ),
        };
        let mut d = Diagnostic::warning(
            codes::RULE_AFTER_OTHERWISE,
            format!("`otherwise` is not last: {what} after it"),
            otherwise,
        )
        .label(
            otherwise,
            format!("decides only when no rule holds, {below} below included"),
        );
        for name in &later {
            d = d.label(name.span, "still decides before `otherwise`");
        }
        self.report(d.help(format!(
            "move `otherwise` last, after rule `{}`, so the file reads in the order it decides",
            last.node
        )));
    }

    /// Checks where headers, rules and tests may appear; returns the policy header.
    fn check_layout(&mut self, modules: &'a Modules) -> Option<&'a ast::PolicyHeader> {
        let mut header: Option<&ast::PolicyHeader> = None;
        let mut otherwise: Option<Span> = None;
        for (n, module) in modules.modules.iter().enumerate() {
            let is_root = n == 0;
            let mut first_real = true;
            for item in &module.items {
                match item {
                    Item::Policy(h) if !is_root => self.report(
                        Diagnostic::error(codes::RULES_IN_LIBRARY, "a used file cannot have a `policy` header", h.span)
                            .label(h.span, "in a file brought in with `use`")
                            .help("a file brought in with `use` holds only declarations: enums, records, consts, lets, teams, calendars"),
                    ),
                    Item::Policy(h) => {
                        if let Some(first) = header {
                            self.report(
                                Diagnostic::error(codes::DUPLICATE_SECTION, "a second `policy` header", h.span)
                                    .label(h.span, "second header")
                                    .label(first.span, "the policy is already named here")
                                    .help("write one policy per file"),
                            );
                        } else {
                            if !first_real {
                                self.report(
                                    Diagnostic::error(codes::MISPLACED_HEADER, "the `policy` header must come first", h.span)
                                        .label(h.span, "declarations come before it")
                                        .help("move `policy ... for ...` to the top of the file"),
                                );
                            }
                            header = Some(h);
                        }
                    }
                    Item::Rule(ast::RuleDecl { span, .. })
                    | Item::Otherwise(ast::OtherwiseDecl { span, .. })
                    | Item::Test(ast::TestDecl { span, .. })
                        if !is_root =>
                    {
                        self.report(
                            Diagnostic::error(codes::RULES_IN_LIBRARY, "rules and tests belong in the policy file", *span)
                                .label(*span, "in a file brought in with `use`")
                                .help("move it to the file with the `policy` header"),
                        );
                    }
                    Item::Otherwise(o) => {
                        if let Some(first) = otherwise {
                            self.report(
                                Diagnostic::error(codes::DUPLICATE_SECTION, "a second `otherwise`", o.span)
                                    .label(o.span, "second `otherwise`")
                                    .label(first, "the first `otherwise`")
                                    .help("merge the actions into one `otherwise`"),
                            );
                        } else {
                            otherwise = Some(o.span);
                        }
                    }
                    _ => {}
                }
                if !matches!(item, Item::Error(_)) {
                    first_real = false;
                }
            }
        }
        let root = modules.modules.first()?;
        let has = |pred: fn(&Item) -> bool| root.items.iter().any(pred);
        let declares_anything = has(|i| !matches!(i, Item::Error(_)));
        let root_span = Span::new(root.file, 0, 0);
        if !declares_anything && !has(|i| matches!(i, Item::Error(_))) {
            self.report(
                Diagnostic::error(codes::EMPTY_FILE, "the file declares nothing", root_span)
                    .label(root_span, "no declarations in this file")
                    .help("a policy starts with `policy NAME for RECORD`, for example `policy inbound for lead`"),
            );
        }
        if header.is_none() {
            let needs = root.items.iter().find_map(|i| match i {
                Item::Rule(r) => Some(r.span),
                Item::Otherwise(o) => Some(o.span),
                _ => None,
            });
            if let Some(span) = needs {
                self.subject_unknown = true;
                self.report(
                    Diagnostic::error(codes::MISPLACED_HEADER, "rules need a `policy` header", span)
                        .label(span, "this rule belongs to no policy")
                        .help("start the file with `policy NAME for RECORD`, for example `policy inbound for lead`"),
                );
            }
            // A library holds declarations only (LANGUAGE.md §3); tests need a
            // policy, this file's or the one a test file names.
            let tests_for = has(|i| matches!(i, Item::TestsFor(_)));
            let test = root.items.iter().find_map(|i| match i {
                Item::Test(t) => Some(t.span),
                _ => None,
            });
            match (tests_for, test) {
                // A test file beside a file that is no policy.
                (false, Some(span)) if span.file != root.file => self.report(
                    Diagnostic::error(
                        codes::MISPLACED_HEADER,
                        "the file these tests are for has no `policy` header",
                        span,
                    )
                    .label(span, "this test belongs to no policy")
                    .help("start the policy file with `policy NAME for RECORD`"),
                ),
                (false, Some(span)) => self.report(
                    Diagnostic::error(codes::MISPLACED_HEADER, "tests need a policy", span)
                        .label(span, "this test belongs to no policy")
                        .help("start the file with `policy NAME for RECORD`, or, for a test file beside `NAME.roe`, with `tests for \"NAME.roe\"`"),
                ),
                _ => {}
            }
        }
        header
    }
}

#[cfg(test)]
mod tests;
