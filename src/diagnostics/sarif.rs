//! SARIF 2.1.0, the format code scanning reads: one run of the tool `roe`, a
//! reporting rule per code that occurs, a result per diagnostic with its
//! primary location, its other labels as related locations, and the example
//! record of an analysis finding under `properties.witness`.

use serde_json::{Value as Json, json};

use super::render::{Place, place};
use super::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// The diagnostics of several compilations as one SARIF log.
pub fn log(groups: &[(&SourceMap, &[Diagnostic])]) -> String {
    let mut codes: Vec<&str> = groups
        .iter()
        .flat_map(|(_, ds)| ds.iter().map(|d| d.code))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    // A reporting rule per code: its id, and the first message that used it as a summary.
    let rules: Vec<Json> = codes
        .iter()
        .map(|code| {
            let first = groups
                .iter()
                .flat_map(|(_, ds)| ds.iter())
                .find(|d| d.code == *code)
                .map_or("", |d| d.message.as_str());
            json!({
                "id": code,
                "shortDescription": { "text": first },
                "help": { "text": format!("docs/errors.md explains {code} with a wrong and a right example") },
            })
        })
        .collect();
    let codes = &codes;
    let results: Vec<Json> = groups
        .iter()
        .flat_map(|(sources, ds)| ds.iter().map(move |d| result(sources, d, codes)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "roe",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned())
}

fn result(sources: &SourceMap, d: &Diagnostic, codes: &[&str]) -> Json {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str(". Help: ");
        text.push_str(help);
    }
    let related: Vec<Json> = d
        .labels
        .iter()
        .skip(1)
        .enumerate()
        .map(|(i, l)| {
            json!({
                "id": i + 1,
                "physicalLocation": location(sources, l.span),
                "message": { "text": l.message },
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": d.code,
        "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
        "level": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        },
        "message": { "text": text },
        "locations": [{ "physicalLocation": location(sources, d.span) }],
    });
    if let Some(object) = result.as_object_mut() {
        if !related.is_empty() {
            object.insert("relatedLocations".to_owned(), Json::Array(related));
        }
        if let Some(witness) = &d.witness {
            object.insert("properties".to_owned(), json!({ "witness": witness }));
        }
    }
    result
}

fn location(sources: &SourceMap, span: Span) -> Json {
    let Place {
        file,
        line,
        column,
        end_line,
        end_column,
    } = place(sources, span);
    json!({
        "artifactLocation": { "uri": file.replace('\\', "/") },
        "region": {
            "startLine": line,
            "startColumn": column,
            "endLine": end_line,
            "endColumn": end_column,
        }
    })
}
