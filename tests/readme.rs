//! The README's tour, run as a new user would: every command it shows, on the
//! files it has the reader write, with its output compared to the README's
//! text (trailing spaces aside). A change to roe that makes the README untrue,
//! or a README edit that does not match roe, fails here.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The README's fenced blocks, in order: (language, text).
fn blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        out.push((lang.to_owned(), body.join("\n") + "\n"));
    }
    out
}

/// The block whose text starts with `start`, and the blocks after it.
fn from<'b>(blocks: &'b [(String, String)], start: &str) -> &'b [(String, String)] {
    let at = blocks
        .iter()
        .position(|(_, text)| text.starts_with(start))
        .unwrap_or_else(|| panic!("the README has no block starting `{start}`"));
    &blocks[at..]
}

/// The one `roe ...` command of a shell block, as arguments.
fn command(block: &str) -> Vec<String> {
    let line = block
        .lines()
        .find(|l| l.starts_with("roe "))
        .unwrap_or_else(|| panic!("no `roe` command in\n{block}"));
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

fn roe(dir: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the roe binary runs")
}

/// Text with each line's trailing spaces removed, as the README keeps it.
fn trimmed(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn assert_prints(what: &str, got: &[u8], expected: &str) {
    let got = trimmed(&String::from_utf8_lossy(got));
    assert_eq!(
        got,
        trimmed(expected),
        "the README's output of {what} is not what roe prints"
    );
}

/// A scratch folder with the example files the tour reads.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roe-readme-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("examples")).expect("a scratch folder");
    for file in ["inbound_leads.jsonl", "bad_leads.jsonl", "hot_lead.json"] {
        std::fs::copy(
            Path::new("examples").join(file),
            dir.join("examples").join(file),
        )
        .expect("the example file exists");
    }
    dir
}

#[test]
fn the_first_command_prints_the_decision_the_readme_shows() {
    let blocks = blocks();
    let run = from(&blocks, "# Route 60 realistic inbound leads");
    let args: Vec<String> = run[0]
        .1
        .lines()
        .find(|l| l.starts_with("cargo run"))
        .expect("the first command")
        .split_whitespace()
        .skip_while(|w| *w != "--")
        .skip(1)
        .map(str::to_owned)
        .collect();
    let out = roe(Path::new("."), &args);
    assert_eq!(out.status.code(), Some(0), "the first command exits 0");
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(first + "\n", run[1].1, "its first decision line");
}

#[test]
fn the_tour_prints_what_the_readme_says() {
    let blocks = blocks();
    let dir = scratch();
    let tour = from(&blocks, "policy inbound for lead");
    let policy = &tour[0].1;
    std::fs::write(dir.join("inbound.roe"), policy).expect("write inbound.roe");

    // 2. Check it: both mistakes, then the fixes the README names.
    let check = vec!["check".to_owned(), "inbound.roe".to_owned()];
    let out = roe(&dir, &check);
    assert_eq!(out.status.code(), Some(1));
    assert_prints("`roe check inbound.roe`", &out.stderr, &tour[1].1);
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    assert!(readme.contains("Fix them (`score`, and `employees is set and employees >= 200`)"));
    let fixed = policy
        .replace("scroe > 50", "score > 50")
        .replace("employees >= 200", "employees is set and employees >= 200");
    std::fs::write(dir.join("inbound.roe"), &fixed).expect("write inbound.roe");
    let out = roe(&dir, &check);
    assert_eq!(out.status.code(), Some(0));
    assert_prints(
        "the fixed policy's check",
        &out.stderr,
        "inbound.roe: ok (policy)\n",
    );

    // 3. Decide records: the shipped leads, then a file with a bad one.
    let out = roe(&dir, &command(&tour[2].1));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = roe(&dir, &command(&tour[3].1));
    assert_eq!(
        out.status.code(),
        Some(3),
        "a bad record makes the run exit 3"
    );
    assert_prints(
        "the run over examples/bad_leads.jsonl",
        &out.stdout,
        &tour[4].1,
    );

    // 5. Test it, and ask why.
    let tests = from(tour, "tests for \"inbound.roe\"");
    std::fs::write(dir.join("inbound.test.roe"), &tests[0].1).expect("write the tests");
    let coverage = ["test", "inbound.roe", "--coverage"].map(str::to_owned);
    let out = roe(&dir, &coverage);
    assert_eq!(out.status.code(), Some(0));
    assert_prints(
        "`roe test inbound.roe --coverage`",
        &out.stderr,
        &tests[1].1,
    );
    let explain = readme
        .lines()
        .find_map(|l| {
            l.strip_prefix('`')?
                .split('`')
                .next()?
                .strip_prefix("roe explain ")
        })
        .expect("the README's explain command");
    let args: Vec<String> = std::iter::once("explain")
        .chain(explain.split_whitespace())
        .map(str::to_owned)
        .collect();
    let out = roe(&dir, &args);
    assert_eq!(out.status.code(), Some(0));
    assert_prints("`roe explain`", &out.stdout, &tests[2].1);

    // 6. Lint it, with the rule added below `emea_mid_market`.
    let lint = from(tests, "rule emea_strategic");
    let at = fixed.find("otherwise").expect("the policy's otherwise");
    let with_rule = format!("{}{}\n{}", &fixed[..at], lint[0].1, &fixed[at..]);
    std::fs::write(dir.join("inbound.roe"), with_rule).expect("write inbound.roe");
    let out = roe(&dir, &["lint".to_owned(), "inbound.roe".to_owned()]);
    assert_prints("`roe lint inbound.roe`", &out.stderr, &lint[1].1);
}
