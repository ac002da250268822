//! Lint levels: how serious each analysis finding is, by default and as a
//! policy's `roe.toml` sets it, and `--deny warnings`.
//!
//! ```toml
//! [lint]
//! W3006 = "allow"                     # by code
//! slo-without-escalation = "warning"  # or by name
//! ```

use std::collections::HashMap;

use crate::diagnostics::{Diagnostic, Severity, codes};

/// How a finding is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a note.
    Note,
    /// Reported as a warning.
    Warning,
    /// Reported as an error: the lint fails.
    Error,
}

/// Every analysis code with its name, for `roe.toml`.
pub const NAMES: [(&str, &str); 10] = [
    (codes::SHADOWED_RULE, "shadowed-rule"),
    (codes::OVERLAP, "overlap"),
    (codes::GAP, "gap"),
    (codes::NEVER_HOLDS, "never-holds"),
    (codes::ALWAYS_HOLDS, "always-holds"),
    (codes::UNUSED, "unused"),
    (codes::NO_MEMBERS, "no-members"),
    (codes::SLO_WITHOUT_ESCALATION, "slo-without-escalation"),
    (codes::GAVE_UP, "gave-up"),
    (codes::RULE_AFTER_OTHERWISE, "rule-after-otherwise"),
];

/// The levels of one run: codes set in `roe.toml`, over the defaults.
#[derive(Clone, Debug, Default)]
pub struct Levels {
    set: HashMap<&'static str, Level>,
}

impl Levels {
    /// Reads the `[lint]` table of a `roe.toml`.
    pub fn from_toml(text: &str) -> Result<Levels, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("roe.toml is not valid TOML: {}", e.message()))?;
        let mut levels = Levels::default();
        let Some(lint) = table.get("lint") else {
            return Ok(levels);
        };
        let lint = lint
            .as_table()
            .ok_or("roe.toml: `lint` must be a table: `[lint]`")?;
        for (key, value) in lint {
            let code = NAMES
                .iter()
                .find(|(code, name)| key == code || key == name)
                .map(|(code, _)| *code)
                .ok_or_else(|| {
                    format!(
                        "roe.toml: `{key}` is not an analysis code; use one of {}",
                        NAMES
                            .iter()
                            .map(|(c, n)| format!("{c} ({n})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            let level = match value.as_str() {
                Some("allow") => Level::Allow,
                Some("note") => Level::Note,
                Some("warning" | "warn") => Level::Warning,
                Some("error" | "deny") => Level::Error,
                _ => {
                    return Err(format!(
                        "roe.toml: `{key}` must be \"allow\", \"note\", \"warning\" or \"error\""
                    ));
                }
            };
            levels.set.insert(code, level);
        }
        Ok(levels)
    }

    /// The findings at their levels: allowed ones dropped, the rest at the
    /// severity set; with `deny_warnings`, warnings become errors.
    pub fn apply(&self, findings: Vec<Diagnostic>, deny_warnings: bool) -> Vec<Diagnostic> {
        findings
            .into_iter()
            .filter_map(|mut d| {
                let level = self
                    .set
                    .get(d.code)
                    .copied()
                    .or_else(|| default(d.code, d.severity));
                d.severity = match level {
                    Some(Level::Allow) => return None,
                    Some(Level::Note) => Severity::Note,
                    Some(Level::Warning) => Severity::Warning,
                    Some(Level::Error) => Severity::Error,
                    None => d.severity,
                };
                if deny_warnings && d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                }
                Some(d)
            })
            .collect()
    }
}

/// The level of a code nobody set: the finding's own severity, except for
/// the findings that are off by default: SLOs without escalation, and
/// overlaps under `first match` (notes), which is how ordered policies are
/// written on purpose (an exclusion first, narrower rules above broader
/// ones). `W3002 = "note"` shows them.
fn default(code: &str, severity: Severity) -> Option<Level> {
    let off = code == codes::SLO_WITHOUT_ESCALATION
        || (code == codes::OVERLAP && severity == Severity::Note);
    off.then_some(Level::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn finding(code: &'static str) -> Diagnostic {
        Diagnostic::warning(code, "x", Span::new(FileId(0), 0, 1))
    }

    #[test]
    fn levels_by_code_or_name_override_the_defaults() -> Result<(), String> {
        let levels =
            Levels::from_toml("[lint]\nW3006 = \"allow\"\nslo-without-escalation = \"error\"\n")?;
        let out = levels.apply(
            vec![
                finding(codes::UNUSED),
                finding(codes::SLO_WITHOUT_ESCALATION),
                finding(codes::GAP),
            ],
            false,
        );
        let got: Vec<_> = out.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(
            got,
            [
                (codes::SLO_WITHOUT_ESCALATION, Severity::Error),
                (codes::GAP, Severity::Warning)
            ]
        );
        Ok(())
    }

    /// Overlaps under `first match` (notes) are off unless asked for; the
    /// overlaps of the other hit policies (warnings, errors) stay on.
    #[test]
    fn first_match_overlaps_are_opt_in() -> Result<(), String> {
        let note = Diagnostic::note_at(codes::OVERLAP, "x", Span::new(FileId(0), 0, 1));
        let findings = vec![note, finding(codes::OVERLAP)];
        let by_default = Levels::default().apply(findings.clone(), false);
        let got: Vec<_> = by_default.iter().map(|d| d.severity).collect();
        assert_eq!(got, [Severity::Warning]);
        let asked = Levels::from_toml(
            "[lint]
overlap = \"note\"\n",
        )?
        .apply(findings, false);
        assert_eq!(asked.len(), 2);
        Ok(())
    }

    #[test]
    fn deny_warnings_turns_warnings_into_errors_and_off_stays_off() {
        let out = Levels::default().apply(
            vec![finding(codes::GAP), finding(codes::SLO_WITHOUT_ESCALATION)],
            true,
        );
        let got: Vec<_> = out.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(got, [(codes::GAP, Severity::Error)]);
    }

    #[test]
    fn bad_configuration_is_named() {
        let unknown = Levels::from_toml("[lint]\nW9999 = \"allow\"\n")
            .err()
            .unwrap_or_default();
        assert!(
            unknown.contains("`W9999` is not an analysis code"),
            "{unknown}"
        );
        let level = Levels::from_toml("[lint]\ngap = \"loud\"\n")
            .err()
            .unwrap_or_default();
        assert!(level.contains("must be \"allow\""), "{level}");
        let toml = Levels::from_toml("[lint\n").err().unwrap_or_default();
        assert!(toml.contains("not valid TOML"), "{toml}");
    }
}
