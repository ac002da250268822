//! How a record's input is read, as its declaration says: the keys and CSV
//! headers a field is read from (`from`), the formats and zone of its times
//! and dates (`format`, `timezone`), the labels of enum variants, and the
//! record's key field. Each is checked where it is declared, so input never
//! meets a clause roe cannot carry out.

use std::collections::HashMap;

use super::Checker;
use crate::bytecode::schema::{Field, Label, ReadAs, RecordType, Type, fold_header};
use crate::diagnostics::suggest::help_did_you_mean;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{Span, Spanned};
use crate::syntax::ast;
use crate::time::formats;

/// A time format without an offset, declared for a field with no zone yet.
pub(super) struct Zoneless {
    record: String,
    field: String,
    pattern: Spanned<String>,
}

impl Checker<'_> {
    /// The `from`, `format` and `timezone` clauses of field `field` of
    /// record `record`, whose type is `ty`.
    pub(super) fn read_as(&mut self, record: &str, field: &ast::FieldDecl, ty: &Type) -> ReadAs {
        let zone = field.timezone.as_ref().filter(|zone| {
            if *ty.required() == Type::Time {
                self.check_time_zone(zone);
                return true;
            }
            self.misread(
                zone.span,
                format!(
                    "`timezone` on field `{}`, which is `{}`",
                    field.name.node,
                    self.display(ty)
                ),
                "only a `time` is written in a time zone",
                format!(
                    "remove the clause: `{}` is `{}`",
                    field.name.node,
                    self.display(ty)
                ),
            );
            false
        });
        let time = match ty.required() {
            Type::Time => Some(true),
            Type::Date => Some(false),
            _ => None,
        };
        for pattern in &field.formats {
            let Some(time) = time else {
                self.misread(
                    pattern.span,
                    format!(
                        "`format` on field `{}`, which is `{}`",
                        field.name.node,
                        self.display(ty)
                    ),
                    "only a `time` or a `date` has a format",
                    format!(
                        "remove the clause: `{}` is `{}`",
                        field.name.node,
                        self.display(ty)
                    ),
                );
                break;
            };
            match formats::read_back(&pattern.node, time) {
                Err(problem) => self.misread(
                    pattern.span,
                    problem,
                    "this format",
                    "for 11/30/2026 9:15 AM write \"%m/%d/%Y %I:%M %p\"; for 2026-11-30 09:15 write \"%Y-%m-%d %H:%M\"".to_owned(),
                ),
                Ok(false) if time && zone.is_none() && !self.is_shipped(pattern.span) => {
                    self.zoneless.push(Zoneless {
                        record: record.to_owned(),
                        field: field.name.node.clone(),
                        pattern: pattern.clone(),
                    });
                }
                Ok(_) => {}
            }
        }
        ReadAs {
            sources: field.sources.iter().map(|s| s.node.clone()).collect(),
            formats: field.formats.iter().map(|s| s.node.clone()).collect(),
            timezone: zone.map(|z| z.node.clone()),
        }
    }

    /// Reports each format of a policy's own declarations that writes no
    /// offset for a field that, once extended, still has no zone. (A shipped
    /// schema cannot know the zone of its user's exports: there the run
    /// says, for the record that needs it, how to declare the zone.)
    pub(super) fn check_zones(&mut self) {
        for zoneless in std::mem::take(&mut self.zoneless) {
            let has_zone = self
                .schema
                .records
                .iter()
                .filter(|r| r.name == zoneless.record)
                .flat_map(|r| r.field(&zoneless.field))
                .any(|(_, f)| f.read.timezone.is_some());
            if has_zone {
                continue;
            }
            let Zoneless { field, pattern, .. } = zoneless;
            self.misread(
                pattern.span,
                format!(
                    "\"{}\" writes no offset, so roe cannot tell which instant it means",
                    pattern.node
                ),
                "this format",
                format!(
                    "add the zone the CRM writes it in: `{field}: time format \"{}\" timezone \"America/New_York\"`",
                    pattern.node
                ),
            );
        }
    }

    /// Whether `span` is in a schema roe ships.
    fn is_shipped(&self, span: Span) -> bool {
        self.modules.is_some_and(|m| {
            m.modules
                .iter()
                .any(|module| module.file == span.file && module.shipped)
        })
    }

    /// The key field of a record: the one `key` names, or else `id`.
    pub(super) fn resolve_key(
        &mut self,
        record: &RecordType,
        key: Option<&ast::Name>,
    ) -> Option<u32> {
        let Some(key) = key else {
            return record.field("id").and_then(|(i, _)| u32::try_from(i).ok());
        };
        if let Some((index, _)) = record.field(&key.node) {
            return u32::try_from(index).ok();
        }
        let help = help_did_you_mean(&key.node, record.fields.iter().map(|f| f.name.as_str()))
            .unwrap_or_else(|| format!("name a field of `{}`", record.name));
        self.report(
            Diagnostic::error(
                codes::UNKNOWN_FIELD,
                format!("`{}` has no field `{}`", record.name, key.node),
                key.span,
            )
            .label(key.span, "the key names a field of the record")
            .help(help),
        );
        None
    }

    /// Reports each source of `fields` (declared at `decls`) that another
    /// field of the record is also read from, ignoring case, as CSV
    /// headers are matched.
    pub(super) fn check_sources(
        &mut self,
        record: &str,
        fields: &[Field],
        decls: &[&ast::FieldDecl],
    ) {
        let mut owner: HashMap<String, &str> = HashMap::new();
        for field in fields {
            owner.entry(fold_header(&field.name)).or_insert(&field.name);
        }
        for decl in decls {
            for source in &decl.sources {
                let key = fold_header(&source.node);
                match owner.get(&key) {
                    Some(other) if *other != decl.name.node => {
                        let other = (*other).to_owned();
                        self.misread(
                            source.span,
                            format!(
                                "\"{}\" would be read as both `{record}.{other}` and `{record}.{}`",
                                source.node, decl.name.node
                            ),
                            "a key or header reads one field",
                            format!("remove this source, or the one of `{other}`"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(key, &decl.name.node);
                    }
                }
            }
        }
    }

    /// Adds the labels of `variant` (variant `index` of `labels`' enum),
    /// refusing one that already names a different variant.
    pub(super) fn add_labels(
        &mut self,
        enum_name: &str,
        variants: &[String],
        labels: &mut Vec<Label>,
        index: u32,
        written: &[Spanned<String>],
    ) {
        for label in written {
            let named = variants
                .iter()
                .position(|v| *v == label.node)
                .and_then(|i| u32::try_from(i).ok())
                .or_else(|| {
                    labels
                        .iter()
                        .find(|l| l.text == label.node)
                        .map(|l| l.variant)
                });
            match named {
                Some(other) if other != index => {
                    let other = variants.get(other as usize).cloned().unwrap_or_default();
                    self.report(
                        Diagnostic::error(
                            codes::DUPLICATE_NAME,
                            format!("\"{}\" already names `{enum_name}.{other}`", label.node),
                            label.span,
                        )
                        .label(label.span, "input with this value would name two variants")
                        .help("give each variant labels of its own"),
                    );
                }
                Some(_) => {}
                None => labels.push(Label {
                    text: label.node.clone(),
                    variant: index,
                }),
            }
        }
    }

    /// A clause that says how input is read, and cannot be carried out.
    pub(super) fn misread(&mut self, span: Span, message: String, label: &str, help: String) {
        self.report(
            Diagnostic::error(codes::BAD_FIELD_INPUT, message, span)
                .label(span, label)
                .help(help),
        );
    }
}
