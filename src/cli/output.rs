//! Printing diagnostics: human ones to stderr, JSON ones to stdout.

use std::io::{IsTerminal, Write};

use roe::diagnostics::{Diagnostic, Severity, render};
use roe::source::SourceMap;

use super::Format;

/// Prints `diagnostics` in `format`.
pub fn diagnostics(format: Format, sources: &SourceMap, diagnostics: &[Diagnostic]) {
    match format {
        Format::Human => {
            if diagnostics.is_empty() {
                return;
            }
            let color = std::io::stderr().is_terminal();
            let text = render::human(sources, diagnostics, color);
            let mut err = std::io::stderr().lock();
            // A closed stderr leaves nowhere to say anything.
            let _ = err.write_all(text.as_bytes());
        }
        Format::Json => stdout_line(&render::json(sources, diagnostics)),
    }
}

/// Writes one line to stderr, ignoring a closed stderr.
pub fn error_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Writes text (its own newlines included) to stderr, ignoring a closed stderr.
pub fn error_text(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Writes text and a newline to stdout; a closed stdout (a pipe into `head`) is not an error worth a word.
pub fn stdout_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// A one-line summary on stderr for people, such as `2 errors, 1 warning`.
pub fn summary(format: Format, diagnostics: &[Diagnostic]) {
    if format != Format::Human {
        return;
    }
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    if errors + warnings + notes == 0 {
        return;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if notes > 0 {
        line.push_str(&format!(", {}", plural(notes, "note")));
    }
    error_line(&line);
}
