//! The module layering of docs/architecture.md, checked on the sources: each
//! part of `src/` imports only the parts below it, so the runtime (`bytecode`,
//! `vm`, `batch`, `time`, `input`) never reaches into the compiler, and the
//! bytecode never into the VM.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;
use std::path::Path;

/// Each part of the crate and the parts its code (tests aside) may import.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("source", &[]),
    ("time", &[]),
    ("batch", &[]),
    ("diagnostics", &["source"]),
    ("bytecode", &["source", "time", "diagnostics"]),
    (
        "vm",
        &["bytecode", "time", "diagnostics", "input", "source"],
    ),
    ("input", &["bytecode", "diagnostics", "source", "vm"]),
    (
        "assign",
        &["vm", "bytecode", "time", "source", "diagnostics"],
    ),
    (
        "diff",
        &["vm", "assign", "bytecode", "time", "source", "diagnostics"],
    ),
    ("syntax", &["source", "time", "diagnostics"]),
    (
        "check",
        &["syntax", "bytecode", "time", "source", "diagnostics"],
    ),
    (
        "compile",
        &["check", "bytecode", "time", "source", "diagnostics"],
    ),
    (
        "analysis",
        &[
            "check",
            "compile",
            "bytecode",
            "vm",
            "time",
            "source",
            "diagnostics",
        ],
    ),
    (
        "policy_tests",
        &[
            "check",
            "compile",
            "vm",
            "bytecode",
            "source",
            "diagnostics",
        ],
    ),
    (
        "pipeline",
        &[
            "syntax",
            "check",
            "compile",
            "analysis",
            "policy_tests",
            "bytecode",
            "source",
            "diagnostics",
            "vm",
        ],
    ),
    (
        "serve",
        &[
            "pipeline",
            "vm",
            "assign",
            "input",
            "bytecode",
            "time",
            "source",
            "diagnostics",
        ],
    ),
];

/// The parts of the crate a source file imports outside its tests: the
/// first name after each `crate::`, with `crate::{a, b}` lists.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.contains("#[cfg(test)]") || line.contains("#[cfg(all(test") {
            break;
        }
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(list) => list.split('}').next().unwrap_or("").split(',').collect(),
                None => vec![rest],
            };
            for name in names {
                let part: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !part.is_empty() {
                    found.insert(part);
                }
            }
        }
    }
    found
}

/// Every `.rs` file under `path` (or the file itself), skipping test files.
fn sources(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("a readable folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            sources(&entry, out);
        }
    } else if path.is_file()
        && path.extension().is_some_and(|e| e == "rs")
        && path.file_name().is_none_or(|n| n != "tests.rs")
    {
        out.push(path.to_owned());
    }
}

#[test]
fn each_part_imports_only_the_parts_below_it() {
    let known: BTreeSet<&str> = MAY_IMPORT.iter().map(|(part, _)| *part).collect();
    let mut wrong = Vec::new();
    for (part, allowed) in MAY_IMPORT {
        let mut files = Vec::new();
        sources(Path::new(&format!("src/{part}")), &mut files);
        sources(Path::new(&format!("src/{part}.rs")), &mut files);
        assert!(!files.is_empty(), "src/{part} has no sources");
        for file in files {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for import in imports(&text) {
                let own = import == *part;
                if !own && known.contains(import.as_str()) && !allowed.contains(&import.as_str()) {
                    wrong.push(format!("{} imports `{import}`", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against docs/architecture.md's layering:\n{}",
        wrong.join("\n")
    );
}

/// The command line is a client of the library: it reaches it only by
/// `roe::`, as any other program would.
#[test]
fn the_command_line_uses_only_the_public_library() {
    let mut files = Vec::new();
    sources(Path::new("src/cli"), &mut files);
    for file in files {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            imports(&text).is_empty(),
            "{} imports the crate's internals",
            file.display()
        );
    }
}

#[test]
fn imports_are_read_from_paths_and_lists() {
    let text = "use crate::vm::Policy;\nuse crate::{check, compile::fold};\n\
                // crate::analysis in a comment\nlet x = crate::time::now();\n\
                #[cfg(test)]\nuse crate::syntax;\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["check", "compile", "time", "vm"]);
}
