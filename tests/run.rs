//! Decisions: each `tests/run/NAME.roe` decides the records in the file beside
//! it (`NAME.jsonl`, `NAME.json` or `NAME.csv`) at 2026-11-30T10:00:00Z; the
//! snapshot shows the policy, the records and one output line per record.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::{Path, PathBuf};

fn records_beside(policy: &Path) -> PathBuf {
    ["jsonl", "json", "csv"]
        .iter()
        .map(|ext| policy.with_extension(ext))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{} has no records file beside it", policy.display()))
}

#[test]
fn decisions() {
    insta::glob!("run/*.roe", |path| {
        let (compilation, rendered) = common::compile(path);
        let program = compilation
            .program
            .unwrap_or_else(|| panic!("{} does not compile:\n{rendered}", path.display()));
        let records = records_beside(path);
        let lines = common::decide_file(&program, &records);
        let source = std::fs::read_to_string(path).expect("readable");
        let input = std::fs::read_to_string(&records).expect("readable");
        insta::assert_snapshot!(format!(
            "{source}\n──── {} ────\n{input}\n──── decisions ────\n{}\n",
            common::relative(&records).display(),
            lines.join("\n")
        ));
    });
}

/// A compiled program encoded to `.roec` and loaded back decides exactly as the original.
#[test]
fn roec_round_trip_decides_the_same() {
    insta::glob!("run/*.roe", |path| {
        let (compilation, _) = common::compile(path);
        let Some(program) = compilation.program else {
            return;
        };
        let bytes = roe::bytecode::format::encode(&program);
        let loaded = roe::bytecode::format::decode(&bytes).expect("a fresh encoding loads");
        assert_eq!(
            roe::bytecode::format::encode(&loaded),
            bytes,
            "encoding is deterministic"
        );
        let records = records_beside(path);
        assert_eq!(
            common::decide_file(&loaded, &records),
            common::decide_file(&program, &records)
        );
    });
}

/// `roe run` binds JSON Lines straight from the text; every record beside a
/// case decides from its text exactly as from its parsed `Value`, with the
/// same `id` on its line.
#[test]
fn json_lines_decide_from_their_text_as_parsed() {
    insta::glob!("run/*.roe", |path| {
        let (compilation, _) = common::compile(path);
        let Some(program) = compilation.program else {
            return;
        };
        let records = path.with_extension("jsonl");
        if !records.exists() {
            return;
        }
        let text = std::fs::read_to_string(&records).expect("readable");
        let policy = roe::Policy::new(program.clone());
        let mut vm = policy.vm(common::NOW.parse().expect("an instant"));
        let from_text: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(index, line)| {
                let (id, outcome) = vm.decide_line(line);
                roe::vm::decision::line(index, id.as_ref(), &outcome)
            })
            .collect();
        assert_eq!(from_text, common::decide_file(&program, &records));
    });
}

/// Spans everywhere: every instruction of a compiled policy maps back to the
/// source text it came from, through the run-length span table.
#[test]
fn every_instruction_maps_back_to_its_source() {
    let (compilation, _) = common::compile(std::path::Path::new("tests/run/expressions.roe"));
    let program = compilation.program.expect("compiles");
    let parts = program.parts();
    let debug = parts
        .debug
        .as_ref()
        .expect("a compiled program keeps its debug info");
    assert!(!parts.code.is_empty());
    for pc in 0..parts.code.len() {
        let span = debug
            .span_at(u32::try_from(pc).expect("small"))
            .expect("every instruction has a span");
        let text = compilation.sources.snippet(span);
        assert!(
            !text.trim().is_empty(),
            "instruction {pc} ({:?}) points at no text",
            parts.code[pc]
        );
    }
    let first = debug.span_at(0).expect("a span");
    assert_eq!(
        compilation.sources.snippet(first),
        "employees",
        "the first let, `headcount`, reads `employees` first"
    );
}
