//! docs/errors.md is the error index: every code the compiler or VM can emit
//! has a section, and each section's examples do what the page says: the
//! wrong policy reports that code with the quoted first line, the right one
//! checks clean, and record examples print the quoted output line.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::collections::BTreeSet;

fn codes_in_source() -> BTreeSet<String> {
    let text = std::fs::read_to_string("src/diagnostics/codes.rs").expect("codes.rs");
    let pattern = regex::Regex::new(r#""([EWRS]\d{4})""#).expect("a valid regex");
    pattern
        .captures_iter(&text)
        .map(|c| c[1].to_owned())
        .collect()
}

/// The sections of the index: code → body.
fn sections() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string("docs/errors.md").expect("docs/errors.md exists");
    // A family heading such as `# Names (E1xxx)` ends the last section before it.
    let family = regex::Regex::new(r"\n# [^\n]*\([EWRS]\dxxx\)").expect("a valid regex");
    let mut out = Vec::new();
    for chunk in doc.split("\n## ").skip(1) {
        let Some((head, body)) = chunk.split_once('\n') else {
            continue;
        };
        let Some((code, _)) = head.split_once(':') else {
            continue;
        };
        if code.len() == 5 {
            let body = family.split(body).next().unwrap_or(body);
            out.push((code.to_owned(), body.to_owned()));
        }
    }
    out
}

/// Every fenced block of `text` as (language, contents), in order.
fn fenced(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let Some((lang, body)) = after.split_once('\n') else {
            break;
        };
        let Some(close) = body.find("\n```") else {
            break;
        };
        out.push((lang.trim(), &body[..=close]));
        rest = &body[close + 4..];
    }
    out
}

/// The contents of the fenced blocks of `lang` in `text`, in order.
fn blocks<'t>(text: &'t str, lang: &str) -> Vec<&'t str> {
    fenced(text)
        .into_iter()
        .filter(|(l, _)| *l == lang)
        .map(|(_, b)| b)
        .collect()
}

#[test]
fn every_code_has_a_section() {
    let documented: BTreeSet<String> = sections().into_iter().map(|(c, _)| c).collect();
    let missing: Vec<_> = codes_in_source().difference(&documented).cloned().collect();
    assert!(
        missing.is_empty(),
        "codes without a section in docs/errors.md: {missing:?}"
    );
}

#[test]
fn compile_time_examples_do_what_the_index_says() {
    let mut checked = 0;
    for (code, body) in sections() {
        if !code.starts_with('E') {
            continue;
        }
        let (wrong, right) = body.split_once("**Right.**").unwrap_or((&body, ""));
        let wrong_policies = blocks(wrong, "roe");
        // Examples that need a second file, bytes that are not UTF-8, or a generated file are shown, not run here.
        if wrong_policies.len() != 1
            || wrong.contains("use \"")
            || ["E0006", "E0012"].contains(&code.as_str())
        {
            continue;
        }
        let compilation = roe::compile_source("inbound.roe", wrong_policies[0]);
        let found: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            found.contains(&code.as_str()),
            "{code}: the wrong example reports {found:?}"
        );
        let rendered =
            roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
        if let Some(quoted) = blocks(wrong, "text").first() {
            let first = quoted.lines().next().unwrap_or_default();
            assert!(
                rendered.contains(first),
                "{code}: roe no longer prints `{first}`:\n{rendered}"
            );
        }
        if let Some(fixed) = blocks(right, "roe").first() {
            let compilation = roe::compile_source("inbound.roe", fixed);
            let rendered = roe::diagnostics::render::human(
                &compilation.sources,
                &compilation.diagnostics,
                false,
            );
            assert!(
                compilation.diagnostics.is_empty(),
                "{code}: the right example is not clean:\n{rendered}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} sections were checked");
}

#[test]
fn record_examples_print_the_quoted_lines() {
    let now: jiff::Timestamp = "2026-11-30T10:00:00Z".parse().unwrap();
    let mut checked = 0;
    for (code, body) in sections() {
        if !code.starts_with('R') {
            continue;
        }
        let all = fenced(&body);
        let Some(at) = all.iter().position(|(lang, _)| *lang == "roe") else {
            continue;
        };
        if all.iter().filter(|(lang, _)| *lang == "roe").count() != 1 {
            continue;
        }
        let (Some((_, policy)), Some((_, record)), Some((_, printed))) =
            (all.get(at), all.get(at + 1), all.get(at + 2))
        else {
            continue;
        };
        let program = roe::compile_source("inbound.roe", policy)
            .program
            .expect("the example policy compiles");
        let parts = program.parts();
        let vm_policy = roe::Policy::new(program.clone());
        let mut vm = vm_policy.vm(now);
        let inputs = roe::input::read(
            roe::input::InputFormat::Jsonl,
            record,
            &parts.schema,
            parts.subject,
        );
        let lines: Vec<String> = inputs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let outcome = match r {
                    Ok(record) => vm.decide(&record.json),
                    Err(e) => Err(e.clone()),
                };
                roe::vm::decision::line(i, r.as_ref().ok().and_then(|r| r.id.as_ref()), &outcome)
            })
            .collect();
        assert_eq!(lines.join("\n"), printed.trim_end(), "{code}");
        assert!(
            printed.contains(&format!("\"code\":\"{code}\"")),
            "{code}: the quoted line shows another code"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} record sections were checked");
}

#[test]
fn analysis_examples_do_what_the_index_says() {
    // `roe lint` reports the checker's warnings (W3010, say) with its own findings.
    let findings = |policy: &str| {
        let compilation = roe::compile_source("inbound.roe", policy);
        let (_, analysed) = common::analyse(&compilation);
        let mut found = compilation.diagnostics.clone();
        found.extend(analysed);
        let rendered = roe::diagnostics::render::human(&compilation.sources, &found, false);
        (found, rendered)
    };
    let mut checked = 0;
    for (code, body) in sections() {
        if !code.starts_with('W') || code == "W3009" {
            continue;
        }
        let (wrong, right) = body.split_once("**Right.**").expect("a right example");
        let (found, rendered) = findings(blocks(wrong, "roe")[0]);
        assert!(
            found.iter().any(|d| d.code == code),
            "{code}: the wrong example reports {:?}",
            found.iter().map(|d| d.code).collect::<Vec<_>>()
        );
        let first = blocks(wrong, "text")[0].lines().next().unwrap_or_default();
        assert!(
            rendered.contains(first),
            "{code}: roe no longer prints `{first}`:\n{rendered}"
        );
        let (found, rendered) = findings(blocks(right, "roe")[0]);
        assert!(
            found.iter().all(|d| d.code != code),
            "{code}: the right example still reports it:\n{rendered}"
        );
        checked += 1;
    }
    assert_eq!(
        checked, 9,
        "every analysis code but W3009 has a checked example"
    );
}
