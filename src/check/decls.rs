//! Passes 1 and 2: collect every declared name by kind, resolve record field
//! types into the schema, and find the subject record.

use std::collections::HashMap;

use super::{BindingType, Checker, Declared, ValueName};
use crate::bytecode::schema::{EnumType, Field, RecordType, Type};
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;
use crate::syntax::ast::{self, Item, TypeExpr, TypeExprKind};
use crate::syntax::modules::Modules;

const BUILTIN_TYPES: [&str; 7] = [
    "int", "number", "string", "bool", "time", "date", "duration",
];

impl<'a> Checker<'a> {
    pub(super) fn duplicate(&mut self, kind: &str, name: &ast::Name, first: Span) {
        self.report(
            Diagnostic::error(
                codes::DUPLICATE_NAME,
                format!("{kind} `{}` is declared twice", name.node),
                name.span,
            )
            .label(name.span, "declared again here")
            .label(first, "first declared here")
            .help(format!(
                "rename one of them; {} names are unique",
                if kind == "const or let" {
                    "const and let"
                } else {
                    kind
                }
            )),
        );
    }

    /// Pass 1: every declaration of every file, by kind.
    pub(super) fn collect(&mut self, modules: &'a Modules) {
        // Used files first, so a clash blames the declaration the user can change.
        for module in modules.modules.iter().rev() {
            for item in &module.items {
                match item {
                    Item::Enum(e) if !e.extends => self.declare_enum(e),
                    Item::Record(r) if !r.extends => {
                        let index = self.schema.records.len();
                        if self.declare_type(&r.name, index) {
                            self.schema.records.push(RecordType {
                                name: r.name.node.clone(),
                                fields: Vec::new(),
                                key: None,
                            });
                        }
                    }
                    Item::Const(c) => self.declare_value(c, true),
                    Item::Let(l) => self.declare_value(l, false),
                    Item::Team(t) => {
                        let index = self.teams.len();
                        if let Some(first) = self.team_names.get(&t.name.node) {
                            let first = first.span;
                            self.duplicate("team", &t.name, first);
                        } else {
                            self.team_names.insert(
                                t.name.node.clone(),
                                Declared {
                                    index,
                                    span: t.name.span,
                                },
                            );
                            self.teams.push(t);
                        }
                    }
                    Item::Calendar(c) => {
                        if let Some(first) = self.calendars.get(&c.name.node) {
                            let first = first.span;
                            self.duplicate("calendar", &c.name, first);
                        } else {
                            let index = self.calendars.len();
                            self.calendar_decls.push(c);
                            self.calendars.insert(
                                c.name.node.clone(),
                                Declared {
                                    index,
                                    span: c.name.span,
                                },
                            );
                        }
                    }
                    Item::Fixture(f) => {
                        if let Some(first) = self.fixtures.get(&f.name.node) {
                            let first = first.name.span;
                            self.duplicate("fixture", &f.name, first);
                        } else {
                            self.fixtures.insert(f.name.node.clone(), f);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.extend_enums(modules);
    }

    fn declare_type(&mut self, name: &ast::Name, index: usize) -> bool {
        if BUILTIN_TYPES.contains(&name.node.as_str()) {
            self.report(
                Diagnostic::error(
                    codes::DUPLICATE_NAME,
                    format!("`{}` is a built-in type", name.node),
                    name.span,
                )
                .label(name.span, "cannot be declared again")
                .help("choose another name for this type"),
            );
            return false;
        }
        if let Some(first) = self.types.get(&name.node) {
            let first = first.span;
            self.duplicate("type", name, first);
            return false;
        }
        self.types.insert(
            name.node.clone(),
            Declared {
                index,
                span: name.span,
            },
        );
        true
    }

    fn declare_enum(&mut self, e: &ast::EnumDecl) {
        let index = self.schema.enums.len();
        if !self.declare_type(&e.name, index) {
            return;
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut variants = Vec::new();
        let mut written = Vec::new();
        for v in &e.variants {
            if let Some(first) = seen.get(v.name.node.as_str()) {
                let first = *first;
                self.duplicate("variant", &v.name, first);
            } else {
                seen.insert(&v.name.node, v.name.span);
                written.push((u32::try_from(variants.len()).unwrap_or(u32::MAX), &v.labels));
                variants.push(v.name.node.clone());
            }
        }
        let mut labels = Vec::new();
        for (index, text) in written {
            self.add_labels(&e.name.node, &variants, &mut labels, index, text);
        }
        self.schema.enums.push(EnumType {
            name: e.name.node.clone(),
            variants,
            labels,
        });
    }

    fn declare_value(&mut self, decl: &'a ast::ValueDecl, is_const: bool) {
        if let Some(first) = self.values.get(&decl.name.node) {
            let first_span = match *first {
                ValueName::Const(i) => self.consts.get(i).map(|d| d.name.span),
                ValueName::Let(i) => self.lets.get(i).map(|d| d.name.span),
            };
            let kind = match (*first, is_const) {
                (ValueName::Const(_), true) => "const",
                (ValueName::Let(_), false) => "let",
                _ => "const or let",
            };
            self.duplicate(kind, &decl.name, first_span.unwrap_or(decl.name.span));
            return;
        }
        let name = if is_const {
            self.consts.push(decl);
            self.const_types.push(BindingType::Pending);
            ValueName::Const(self.consts.len() - 1)
        } else {
            self.lets.push(decl);
            self.let_types.push(BindingType::Pending);
            ValueName::Let(self.lets.len() - 1)
        };
        self.values.insert(decl.name.node.clone(), name);
    }

    /// Pass 2: the field types of every record.
    pub(super) fn resolve_records(&mut self, modules: &Modules) {
        for module in &modules.modules {
            for item in &module.items {
                let Item::Record(r) = item else { continue };
                if r.extends {
                    continue;
                }
                let Some(declared) = self.types.get(&r.name.node).copied() else {
                    continue;
                };
                if declared.span != r.name.span {
                    continue;
                }
                let record = u32::try_from(declared.index).unwrap_or(u32::MAX);
                let mut fields: Vec<Field> = Vec::new();
                let mut decls: Vec<&ast::FieldDecl> = Vec::new();
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for f in &r.fields {
                    if let Some(first) = seen.get(f.name.node.as_str()) {
                        let first = *first;
                        self.duplicate("field", &f.name, first);
                        continue;
                    }
                    seen.insert(&f.name.node, f.name.span);
                    match self.resolve_type(&f.ty) {
                        Some(ty) => {
                            let read = self.read_as(&r.name.node, f, &ty);
                            fields.push(Field {
                                name: f.name.node.clone(),
                                ty,
                                read,
                            });
                            decls.push(f);
                        }
                        None => {
                            self.poisoned_fields.insert((record, f.name.node.clone()));
                        }
                    }
                }
                self.check_sources(&r.name.node, &fields, &decls);
                if let Some(slot) = self.schema.records.get_mut(declared.index) {
                    slot.fields = fields;
                }
                if let Some(found) = self.schema.records.get(declared.index).cloned() {
                    let key = self.resolve_key(&found, r.key.as_ref());
                    if let Some(slot) = self.schema.records.get_mut(declared.index) {
                        slot.key = key;
                    }
                }
            }
        }
        self.extend_records(modules);
        self.check_zones();
    }

    pub(super) fn resolve_type(&mut self, ty: &TypeExpr) -> Option<Type> {
        match &ty.kind {
            TypeExprKind::TooDeep => None,
            TypeExprKind::List(inner) => Some(Type::List(Box::new(self.resolve_type(inner)?))),
            TypeExprKind::Optional(inner) => Some(self.resolve_type(inner)?.optional()),
            TypeExprKind::Named(name) => {
                let builtin = match name.node.as_str() {
                    "int" => Some(Type::Int),
                    "number" => Some(Type::Number),
                    "string" => Some(Type::String),
                    "bool" => Some(Type::Bool),
                    "time" => Some(Type::Time),
                    "date" => Some(Type::Date),
                    "duration" => Some(Type::Duration),
                    _ => None,
                };
                if builtin.is_some() {
                    return builtin;
                }
                if let Some(d) = self.types.get(&name.node) {
                    let index = u32::try_from(d.index).ok()?;
                    let is_enum = self
                        .schema
                        .enums
                        .get(d.index)
                        .is_some_and(|e| e.name == name.node);
                    return Some(if is_enum {
                        Type::Enum(index)
                    } else {
                        Type::Record(index)
                    });
                }
                if self.may_declare(&name.node) {
                    return None;
                }
                let candidates: Vec<&str> = BUILTIN_TYPES
                    .iter()
                    .copied()
                    .chain(self.types.keys().map(String::as_str))
                    .collect();
                let alias = match name.node.as_str() {
                    "datetime" | "timestamp" | "instant" => Some("time"),
                    "integer" | "long" => Some("int"),
                    "float" | "double" | "decimal" => Some("number"),
                    "boolean" => Some("bool"),
                    "str" | "text" => Some("string"),
                    _ => None,
                };
                let help = match alias {
                    Some(builtin) => Some(format!("roe calls this type `{builtin}`")),
                    None => help_did_you_mean(&name.node, candidates),
                }
                .unwrap_or_else(|| {
                    "the built-in types are int, number, string, bool, time, date and duration; declare others with `enum` or `record`".into()
                });
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("unknown type `{}`", name.node),
                        name.span,
                    )
                    .label(name.span, "no type has this name")
                    .help(help),
                );
                None
            }
        }
    }

    /// Finds the subject record of the policy header.
    pub(super) fn resolve_subject(&mut self, header: &ast::PolicyHeader) {
        let Some(name) = &header.subject else {
            self.subject_unknown = true;
            return;
        };
        self.subject_name = name.node.clone();
        let found = self.types.get(&name.node).copied();
        match found {
            Some(d)
                if self
                    .schema
                    .records
                    .get(d.index)
                    .is_some_and(|r| r.name == name.node) =>
            {
                self.subject = u32::try_from(d.index).ok();
            }
            Some(_) => {
                self.subject_unknown = true;
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("`{}` is an enum, not a record", name.node),
                        name.span,
                    )
                    .label(name.span, "a policy decides records")
                    .help("name a record type, such as `lead` with `use crm`"),
                );
            }
            None if self.may_declare(&name.node) => self.subject_unknown = true,
            None => {
                self.subject_unknown = true;
                let records: Vec<&str> = self
                    .schema
                    .records
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect();
                let help = help_did_you_mean(&name.node, records).unwrap_or_else(|| {
                    "add `use crm` for the shipped `lead`, `account` and `opportunity` records, or declare the record".into()
                });
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("unknown record `{}`", name.node),
                        name.span,
                    )
                    .label(name.span, "the subject of the policy")
                    .help(help),
                );
            }
        }
    }

    /// A const or let may not be named like a subject field or an enum variant.
    pub(super) fn check_shadowing(&mut self) {
        let subject = self.subject.and_then(|s| self.schema.record(s)).cloned();
        let decls: Vec<&ast::ValueDecl> = self
            .consts
            .iter()
            .chain(self.lets.iter())
            .copied()
            .collect();
        for decl in decls {
            let kind = if self.consts.iter().any(|c| std::ptr::eq(*c, decl)) {
                "const"
            } else {
                "let"
            };
            let name = &decl.name;
            if let Some(record) = &subject
                && record.field(&name.node).is_some()
            {
                self.report(
                    Diagnostic::error(
                        codes::SHADOWING_NAME,
                        format!(
                            "{kind} `{}` has the name of a field of `{}`",
                            name.node, record.name
                        ),
                        name.span,
                    )
                    .label(
                        name.span,
                        format!(
                            "`{}` already means `{}.{}`",
                            name.node, record.name, name.node
                        ),
                    )
                    .help(format!(
                        "rename the {kind}, for example `{}_value`",
                        name.node
                    )),
                );
                continue;
            }
            let owner = self
                .schema
                .enums
                .iter()
                .find(|e| e.variants.contains(&name.node));
            if let Some(owner) = owner {
                let owner = owner.name.clone();
                self.report(
                    Diagnostic::error(
                        codes::SHADOWING_NAME,
                        format!(
                            "{kind} `{}` has the name of a variant of `{owner}`",
                            name.node
                        ),
                        name.span,
                    )
                    .label(
                        name.span,
                        format!("`{}` is already a `{owner}` variant", name.node),
                    )
                    .help(format!("rename the {kind}, for example `is_{}`", name.node)),
                );
            }
        }
    }
}
