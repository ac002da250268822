//! Rendering: ariadne draws diagnostics for people; serde writes the JSON of
//! LANGUAGE.md §12. codespan-reporting is not used: ariadne covers everything we
//! draw, and the line/column arithmetic lives in [`crate::source::SourceFile`].

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// Draws `diagnostics` for a person, with colour or without.
pub fn human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    // One cache for all reports: ariadne indexes each file's lines once.
    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, f)| (f.name.clone(), f.text.as_str()))
            .collect::<Vec<_>>(),
    );
    let mut out = String::new();
    for d in diagnostics {
        let mut drawn = Vec::new();
        // Writing into a Vec cannot fail; a failure would only lose this drawing.
        let _ = report(sources, d, color).write(&mut cache, &mut drawn);
        let drawn = String::from_utf8_lossy(&drawn);
        // A note is headed with the word the JSON, SARIF and the docs use.
        // (ariadne colours a custom kind even without colour, so its advice
        // kind is drawn and its word replaced in the header, the first line.)
        match (d.severity, drawn.split_once("] Advice:")) {
            (Severity::Note, Some((before, after))) => {
                out.push_str(before);
                out.push_str("] Note:");
                out.push_str(after);
            }
            _ => out.push_str(&drawn),
        }
    }
    out
}

type AriadneSpan = (String, std::ops::Range<usize>);

/// A span as ariadne takes it: the file's name and a range of characters
/// (ariadne's byte mode places a second file's header by characters, so a
/// file with non-ASCII text before it would be misplaced).
fn ariadne_span(sources: &SourceMap, span: Span) -> AriadneSpan {
    match sources.get(span.file) {
        Some(f) => {
            let range = span.range();
            (
                f.name.clone(),
                f.char_offset(range.start)..f.char_offset(range.end),
            )
        }
        None => ("<unknown>".to_owned(), span.range()),
    }
}

fn report<'a>(sources: &SourceMap, d: &Diagnostic, color: bool) -> Report<'a, AriadneSpan> {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
        // Headed "Note" in `human` (ariadne's own word is "Advice").
        Severity::Note => ReportKind::Advice,
    };
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Char);
    let mut report = Report::build(kind, ariadne_span(sources, d.span))
        .with_code(d.code)
        .with_message(&d.message)
        .with_config(config);
    // ariadne draws labels in the order given and starts a new group, with a
    // header of its own, at each label that ends above the one before: ordered
    // by where they end, the report's own file first, each file is drawn once.
    let mut by_place: Vec<usize> = (0..d.labels.len()).collect();
    by_place.sort_by_key(|&i| {
        let span = d.labels[i].span;
        (span.file != d.span.file, span.file, span.end, span.start)
    });
    for (i, label) in d.labels.iter().enumerate() {
        let order = by_place.iter().position(|&at| at == i).unwrap_or(i);
        let mut l = Label::new(ariadne_span(sources, label.span))
            .with_message(&label.message)
            .with_order(i32::try_from(order).unwrap_or(i32::MAX));
        if color {
            l = l.with_color(if i == 0 { Color::Red } else { Color::Blue });
        }
        report = report.with_label(l);
    }
    for note in &d.notes {
        report = report.with_note(note);
    }
    if let Some(witness) = &d.witness {
        report = report.with_note(format!("for example: {witness}"));
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    report.finish()
}

/// A place in a file, 1-based, end exclusive, columns in characters.
#[derive(Serialize)]
pub(crate) struct Place {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) end_line: usize,
    pub(crate) end_column: usize,
}

/// Where a span is, in lines and columns.
pub(crate) fn place(sources: &SourceMap, span: Span) -> Place {
    let (file, (line, column), (end_line, end_column)) = match sources.get(span.file) {
        Some(f) => (
            f.name.clone(),
            f.line_column(span.start as usize),
            f.line_column(span.end as usize),
        ),
        None => ("<unknown>".to_owned(), (1, 1), (1, 1)),
    };
    Place {
        file,
        line,
        column,
        end_line,
        end_column,
    }
}

#[derive(Serialize)]
struct JsonLabel {
    #[serde(flatten)]
    place: Place,
    message: String,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(flatten)]
    place: Place,
    labels: Vec<JsonLabel>,
    notes: &'a [String],
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witness: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    witness_now: Option<&'a str>,
}

/// The diagnostics as one JSON array, in the shape of LANGUAGE.md §12.
pub fn json(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    json_many(&[(sources, diagnostics)])
}

/// The diagnostics of several compilations, each with its own sources, as one JSON array.
pub fn json_many(groups: &[(&SourceMap, &[Diagnostic])]) -> String {
    let items: Vec<JsonDiagnostic> = groups
        .iter()
        .flat_map(|(sources, diagnostics)| diagnostics.iter().map(move |d| (*sources, d)))
        .map(|(sources, d)| JsonDiagnostic {
            code: d.code,
            severity: d.severity,
            message: &d.message,
            place: place(sources, d.span),
            labels: d
                .labels
                .iter()
                .map(|l| JsonLabel {
                    place: place(sources, l.span),
                    message: l.message.clone(),
                })
                .collect(),
            notes: &d.notes,
            help: d.help.as_deref(),
            witness: d.witness.as_ref(),
            witness_now: d.witness_now.as_deref(),
        })
        .collect();
    serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    #[test]
    fn each_file_is_drawn_once_with_its_own_place() {
        let mut sources = SourceMap::new();
        let policy = sources.add("p.roe", "rule a\nrule a\n");
        let library = sources.add("<lib>", "# — é\nenum a x\n");
        // The primary label comes second in the file; the other file has
        // multi-byte characters before its label.
        let d = Diagnostic::error("E1007", "declared twice", Span::new(policy, 12, 13))
            .label(Span::new(policy, 12, 13), "again here")
            .label(Span::new(policy, 5, 6), "first here")
            .label(Span::new(library, 14, 15), "and here");
        let text = human(&sources, &[d], false);
        assert_eq!(text.matches("p.roe").count(), 1, "{text}");
        assert!(text.contains("╭─[ p.roe:2:6 ]"), "{text}");
        assert!(text.contains("├─[ <lib>:2:6 ]"), "{text}");
        let first = text.find("first here").unwrap_or(usize::MAX);
        let again = text.find("again here").unwrap_or(0);
        assert!(first < again, "in line order: {text}");
    }
}
