//! The diagnostic model shared by every stage, and its renderers.
//!
//! Stages return [`Diagnostic`] values; nothing outside this module prints
//! them. [`render`] draws them for people (ariadne) and as JSON; [`io`] words
//! I/O errors for the loader and the command line.

pub mod codes;
#[cfg(feature = "compiler")]
pub mod io;
#[cfg(feature = "compiler")]
pub mod render;
#[cfg(feature = "compiler")]
pub mod sarif;
pub mod suggest;

use crate::source::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informs; never fails a build.
    Note,
    /// Worth fixing; fails a build only with `--deny warnings`.
    Warning,
    /// The policy cannot be compiled.
    Error,
}

/// A message attached to one span.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The labelled text.
    pub span: Span,
    /// What the label says about it.
    pub message: String,
}

/// One problem found in a policy, as plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The stable code, such as `E1003`.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// One line: lowercase, no final period, user text in backticks.
    pub message: String,
    /// The primary span.
    pub span: Span,
    /// Labels on every span involved; the first is on the primary span.
    pub labels: Vec<Label>,
    /// Extra explanations.
    pub notes: Vec<String>,
    /// The fix, when one can be said.
    pub help: Option<String>,
    /// An example record that shows the finding (analysis findings only).
    pub witness: Option<serde_json::Value>,
    /// The instant (RFC 3339) at which the VM decided the example, which
    /// matters to conditions that read `now`.
    pub witness_now: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `span`, without labels yet.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            witness: None,
            witness_now: None,
        }
    }

    /// A warning with `code` and `message` at `span`.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// A note with `code` and `message` at `span`.
    pub fn note_at(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Attaches an example record that the VM, deciding at `now`, showed
    /// the finding on.
    pub fn witness(mut self, record: serde_json::Value, now: jiff::Timestamp) -> Diagnostic {
        self.witness = Some(record);
        self.witness_now = Some(now.to_string());
        self
    }

    /// Adds a label.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds a note if there is one.
    pub fn maybe_note(mut self, note: Option<String>) -> Diagnostic {
        self.notes.extend(note);
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line if there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Whether this diagnostic fails the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any of `diagnostics` is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
