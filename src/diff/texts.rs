//! Each rule's text as written, for showing the rules that changed side by
//! side. A rule is the line `rule NAME` at the start of a line and the
//! indented (or blank) lines after it, up to the next line that starts at
//! the margin. A stripped `.roec` keeps no source: it has no texts.

use std::collections::BTreeMap;

use crate::bytecode::program::Program;

/// Each rule's text, by name (`otherwise` too), or `None` when `program`
/// keeps no source.
pub fn rule_texts(program: &Program) -> Option<BTreeMap<String, String>> {
    let debug = program.parts().debug.as_ref()?;
    let mut texts = BTreeMap::new();
    for file in &debug.files {
        let mut current: Option<(String, Vec<&str>)> = None;
        for line in file.text.lines() {
            let at_margin = !line.is_empty() && !line.starts_with([' ', '\t']);
            if at_margin {
                if let Some((name, lines)) = current.take() {
                    texts.insert(name, trimmed(&lines));
                }
                let name = line
                    .strip_prefix("rule ")
                    .map(|rest| {
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .or_else(|| (line.trim_end() == "otherwise").then(|| "otherwise".to_owned()));
                current = name.map(|name| (name, vec![line]));
            } else if let Some((_, lines)) = &mut current {
                lines.push(line);
            }
        }
        if let Some((name, lines)) = current {
            texts.insert(name, trimmed(&lines));
        }
    }
    Some(texts)
}

/// The lines joined, without the blank lines at the end.
fn trimmed(lines: &[&str]) -> String {
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |at| at + 1);
    lines[..end].join("\n")
}

#[cfg(all(test, feature = "compiler"))]
mod tests {
    #![allow(clippy::expect_used, reason = "a test fails by panicking")]

    use super::*;

    #[test]
    fn a_rule_is_its_header_and_its_indented_lines() {
        let compilation = crate::compile_source(
            "p.roe",
            "policy p for lead\nrecord lead\n  id: string\n  score: int\nteam t\n  queue\n\n# hot ones\nrule hot\n  when score > 50\n\n  then hand off to t\n\n# the rest\notherwise\n  hand off to t\n",
        );
        let program = compilation.program.expect("compiles");
        let texts = rule_texts(&program).expect("a source");
        assert_eq!(
            texts["hot"],
            "rule hot\n  when score > 50\n\n  then hand off to t"
        );
        assert_eq!(texts["otherwise"], "otherwise\n  hand off to t");
        assert_eq!(texts.len(), 2);
    }
}
