//! `extend enum` and `extend record`: a policy adds to a type declared
//! elsewhere (a shipped schema's picklist values and custom fields) without
//! copying it. Variants, labels, fields, sources and formats may be added;
//! a field keeps the type it was declared with.

use super::Checker;
use crate::bytecode::schema::Field;
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::{self, Item, Name};
use crate::syntax::modules::Modules;

impl Checker<'_> {
    /// Every `extend enum` of every file, used files first.
    pub(super) fn extend_enums(&mut self, modules: &Modules) {
        for module in modules.modules.iter().rev() {
            for item in &module.items {
                let Item::Enum(e) = item else { continue };
                if !e.extends {
                    continue;
                }
                let Some(index) = self.extended(&e.name, "enum") else {
                    continue;
                };
                let Some(mut target) = self.schema.enums.get(index).cloned() else {
                    continue;
                };
                for v in &e.variants {
                    let at = match target.variants.iter().position(|n| *n == v.name.node) {
                        Some(at) => at,
                        None if target.variant_of(&v.name.node).is_some() => {
                            self.report(
                                Diagnostic::error(
                                    codes::DUPLICATE_NAME,
                                    format!(
                                        "`{}` is already a label of `{}`",
                                        v.name.node, target.name
                                    ),
                                    v.name.span,
                                )
                                .label(v.name.span, "a new variant cannot be named by a label")
                                .help("choose another name for the variant"),
                            );
                            continue;
                        }
                        None => {
                            target.variants.push(v.name.node.clone());
                            target.variants.len() - 1
                        }
                    };
                    let at = u32::try_from(at).unwrap_or(u32::MAX);
                    let name = target.name.clone();
                    let mut labels = std::mem::take(&mut target.labels);
                    self.add_labels(&name, &target.variants, &mut labels, at, &v.labels);
                    target.labels = labels;
                }
                if let Some(slot) = self.schema.enums.get_mut(index) {
                    *slot = target;
                }
            }
        }
    }

    /// Every `extend record` of every file, used files first.
    pub(super) fn extend_records(&mut self, modules: &Modules) {
        for module in modules.modules.iter().rev() {
            for item in &module.items {
                let Item::Record(r) = item else { continue };
                if r.extends {
                    self.extend_record(r);
                }
            }
        }
    }

    fn extend_record(&mut self, r: &ast::RecordDecl) {
        let Some(index) = self.extended(&r.name, "record") else {
            return;
        };
        let Some(mut target) = self.schema.records.get(index).cloned() else {
            return;
        };
        let mut added: Vec<&ast::FieldDecl> = Vec::new();
        for f in &r.fields {
            let Some(ty) = self.resolve_type(&f.ty) else {
                let record = u32::try_from(index).unwrap_or(u32::MAX);
                self.poisoned_fields.insert((record, f.name.node.clone()));
                continue;
            };
            let read = self.read_as(&target.name, f, &ty);
            match target
                .fields
                .iter_mut()
                .find(|field| field.name == f.name.node)
            {
                Some(field) if field.ty != ty => {
                    let (was, now) = (self.display(&field.ty), self.display(&ty));
                    self.report(
                        Diagnostic::error(
                            codes::BAD_EXTENSION,
                            format!(
                                "`extend record {}` cannot change field `{}` from `{was}` to `{now}`",
                                target.name, f.name.node
                            ),
                            f.ty.span,
                        )
                        .label(f.ty.span, format!("`{}` is declared `{was}`", f.name.node))
                        .help(format!(
                            "write `{}: {was}` to add sources or formats, or add a field of another name",
                            f.name.node
                        )),
                    );
                }
                Some(field) => {
                    for source in read.sources {
                        if !field.read.sources.contains(&source) {
                            field.read.sources.push(source);
                        }
                    }
                    field.read.formats.extend(read.formats);
                    if read.timezone.is_some() {
                        field.read.timezone = read.timezone;
                    }
                    added.push(f);
                }
                None => {
                    target.fields.push(Field {
                        name: f.name.node.clone(),
                        ty,
                        read,
                    });
                    added.push(f);
                }
            }
        }
        let others: Vec<Field> = target.fields.clone();
        self.check_sources(&target.name, &others, &added);
        if r.key.is_some() {
            target.key = self.resolve_key(&target, r.key.as_ref());
        }
        if let Some(slot) = self.schema.records.get_mut(index) {
            *slot = target;
        }
    }

    /// The index of the `kind` (`enum` or `record`) an `extend` names, or
    /// `None` (reported) when there is none.
    fn extended(&mut self, name: &Name, kind: &str) -> Option<usize> {
        let found = self.types.get(&name.node).copied();
        let is_enum =
            |c: &Checker<'_>, i: usize| c.schema.enums.get(i).is_some_and(|e| e.name == name.node);
        match found {
            Some(d) if (kind == "enum") == is_enum(self, d.index) => Some(d.index),
            Some(_) => {
                let other = if kind == "enum" {
                    "a record"
                } else {
                    "an enum"
                };
                let write = if kind == "enum" { "record" } else { "enum" };
                self.report(
                    Diagnostic::error(
                        codes::BAD_EXTENSION,
                        format!("`{}` is {other}, not {} {kind}", name.node, article(kind)),
                        name.span,
                    )
                    .label(
                        name.span,
                        format!("`extend {kind}` names {} {kind}", article(kind)),
                    )
                    .help(format!("write `extend {write} {}`", name.node)),
                );
                None
            }
            None if self.may_declare(&name.node) => None,
            None => {
                let names: Vec<String> = self.types.keys().cloned().collect();
                let help = help_did_you_mean(&name.node, names.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!(
                            "declare it with `{kind} {}`, or `use` the schema that does",
                            name.node
                        )
                    });
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("unknown {kind} `{}`", name.node),
                        name.span,
                    )
                    .label(
                        name.span,
                        format!(
                            "`extend` adds to {} {kind} declared elsewhere",
                            article(kind)
                        ),
                    )
                    .help(help),
                );
                None
            }
        }
    }
}

/// `a` or `an` before a kind of type.
fn article(kind: &str) -> &'static str {
    if kind == "enum" { "an" } else { "a" }
}
