//! Authoring mistakes: each `tests/ui/*.roe` file with the diagnostics roe
//! draws for it, uncoloured, in `tests/snapshots/ui__diagnostics@*.snap`.
//! A file's first line is a `#` comment naming the codes it is about.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

#[test]
fn diagnostics() {
    insta::glob!("ui/*.roe", |path| {
        let source = std::fs::read_to_string(path).expect("readable");
        let (compilation, rendered) = common::compile(path);
        assert!(
            !compilation.diagnostics.is_empty(),
            "{} should report at least one mistake",
            path.display()
        );
        let codes: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code).collect();
        insta::assert_snapshot!(format!(
            "{source}\n──── codes: {} ────\n{rendered}",
            codes.join(", ")
        ));
    });
}

/// Each case's header (`# E1003: ...`) names the codes the case is about, and
/// its snapshot shows every one of them, so a header never tells a reader of
/// the case something the compiler stopped saying.
#[test]
fn headers_name_codes_their_snapshots_show() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let code = regex::Regex::new(r"\b[EWR]\d{4}\b").expect("a valid regex");
    let mut cases: Vec<_> = std::fs::read_dir(root.join("tests/ui"))
        .expect("tests/ui is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "roe"))
        .collect();
    cases.sort();
    let mut stale = Vec::new();
    for path in cases {
        let source = std::fs::read_to_string(&path).expect("readable");
        // An empty file has no room for a header: a comment would make it
        // another case (`only_comments.roe`).
        if source.is_empty() {
            continue;
        }
        let file = path.file_name().unwrap().to_string_lossy();
        let case = format!("tests/ui/{file}");
        let snapshot_name = format!("ui__diagnostics@{file}.snap");
        let snapshot = std::fs::read_to_string(root.join("tests/snapshots").join(&snapshot_name))
            .unwrap_or_else(|_| panic!("{case} has no snapshot {snapshot_name}"));
        let shown = snapshot
            .lines()
            .find_map(|line| line.strip_prefix("──── codes: "))
            .map_or("no codes", |codes| codes.trim_end_matches(" ────"));
        let header = source.lines().next().filter(|line| line.starts_with('#'));
        let named: Vec<&str> = header
            .map(|h| code.find_iter(h).map(|m| m.as_str()).collect())
            .unwrap_or_default();
        if named.is_empty() {
            stale.push(format!(
                "{case}: the header names no code; the snapshot shows {shown}"
            ));
        }
        let shown_codes: Vec<&str> = shown.split(", ").collect();
        for missing in named.iter().filter(|c| !shown_codes.contains(c)) {
            stale.push(format!(
                "{case}: the header names {missing}, but the snapshot shows {shown}"
            ));
        }
    }
    assert!(stale.is_empty(), "stale headers:\n{}", stale.join("\n"));
}
