//! `roe diff` on pairs of policies with known differences: the example's
//! inbound policy against itself, with a rule renamed, with a team changed,
//! with an SLO tightened, with a field required, and against another
//! record type; over the example's 60 leads.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const OLD: &str = "examples/inbound_routing.roe";

/// This test run's scratch folder.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roe-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    dir
}

/// The policy `source` with `from` replaced by `to`, written to a scratch file.
fn changed_from(source: &str, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(source).expect("the policy");
    assert!(text.contains(from), "{source} has no `{from}`");
    let path = scratch().join(format!("{name}.roe"));
    std::fs::write(&path, text.replace(from, to)).expect("written");
    path
}

/// The example policy with `from` replaced by `to`, written to a scratch file.
fn changed(name: &str, from: &str, to: &str) -> PathBuf {
    changed_from(OLD, name, from, to)
}

/// `roe diff OLD NEW --records RECORDS --now ... MORE`.
fn diff_of(old: &str, new: &Path, records: &Path, more: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["diff", old])
        .arg(new)
        .arg("--records")
        .arg(records)
        .args(["--now", "2026-11-30T10:00:00Z"])
        .args(more)
        .output()
        .expect("roe runs")
}

/// The example against `new` over the example's leads.
fn diff(new: &Path, more: &[&str]) -> Output {
    diff_of(OLD, new, Path::new("examples/inbound_leads.jsonl"), more)
}

/// The JSON summary and the changed-record lines of a diff run with
/// `--format json`, which must have exited 0.
fn summary_of(out: &Output) -> (serde_json::Value, Vec<serde_json::Value>) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let summary = lines.pop().expect("a summary line")["summary"].clone();
    (summary, lines)
}

/// The JSON summary and the changed-record lines of the example against `new`.
fn json(new: &Path) -> (serde_json::Value, Vec<serde_json::Value>) {
    summary_of(&diff(new, &["--format", "json"]))
}

#[test]
fn the_same_policy_changes_nothing() {
    let same = changed("same", "rule emea_sales_ready", "rule emea_sales_ready");
    let (summary, lines) = json(&same);
    assert_eq!(summary["records"], 60);
    assert_eq!(summary["changed"], 0);
    assert!(lines.is_empty());
    assert_eq!(diff(&same, &["--fail-on-change"]).status.code(), Some(0));
}

#[test]
fn a_renamed_rule_is_a_rename_not_a_change() {
    let renamed = changed("renamed", "rule emea_sales_ready", "rule emea_ready");
    let (summary, _) = json(&renamed);
    assert_eq!(summary["changed"], 0, "{summary}");
    assert_eq!(summary["renamed"][0]["from"], "emea_sales_ready");
    assert_eq!(summary["renamed"][0]["to"], "emea_ready");
    assert_eq!(diff(&renamed, &["--fail-on-change"]).status.code(), Some(0));
}

#[test]
fn a_changed_team_moves_owners_and_fails_on_change() {
    let moved = changed(
        "moved",
        "then hand off to sales_emea within 1d",
        "then hand off to sales_na within 1d",
    );
    let (summary, lines) = json(&moved);
    let changed = summary["changed"].as_u64().expect("a count");
    assert!(changed > 0, "{summary}");
    assert_eq!(lines.len() as u64, changed, "a line per changed record");
    assert!(
        lines
            .iter()
            .all(|l| l["what"] == serde_json::json!(["owner"])),
        "{lines:?}"
    );
    assert_eq!(summary["moves"][0]["from"], "sales_emea");
    assert_eq!(summary["moves"][0]["to"], "sales_na");
    assert_eq!(summary["moves"][0]["records"].as_u64(), Some(changed));
    assert_eq!(
        summary["old_rules"]["emea_sales_ready"]["changed"].as_u64(),
        Some(changed)
    );
    let failed = diff(&moved, &["--fail-on-change"]);
    assert_eq!(failed.status.code(), Some(1));
    let markdown = diff(&moved, &["--format", "markdown"]);
    insta::assert_snapshot!(
        "markdown",
        String::from_utf8_lossy(&markdown.stdout).replace(&moved.display().to_string(), "NEW.roe")
    );
    let human = diff(&moved, &[]);
    insta::assert_snapshot!(
        "human",
        String::from_utf8_lossy(&human.stdout).replace(&moved.display().to_string(), "NEW.roe")
    );
}

#[test]
fn a_tighter_slo_is_counted_and_nothing_else_moves() {
    let sooner = changed(
        "sooner",
        "then hand off to sales_emea within 1d",
        "then hand off to sales_emea within 4h",
    );
    let (summary, lines) = json(&sooner);
    assert!(summary["slo_tightened"].as_u64() > Some(0), "{summary}");
    assert_eq!(summary["slo_loosened"], 0);
    assert_eq!(summary["moves"], serde_json::json!([]));
    assert!(
        lines
            .iter()
            .all(|l| l["what"] == serde_json::json!(["slo"])),
        "{lines:?}"
    );
}

#[test]
fn another_record_type_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args([
            "diff",
            OLD,
            "examples/opportunity_ownership.roe",
            "--records",
            "examples/inbound_leads.jsonl",
        ])
        .output()
        .expect("roe runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("decides `lead` records") && stderr.contains("`opportunity`"),
        "{stderr}"
    );
}

/// With `--assign`, each version picks people from empty state, and the
/// summary compares the totals per member.
#[test]
fn assignment_is_compared_as_totals_per_member() {
    let new = changed_from(
        "tests/assign/teams.roe",
        "weights",
        "\"dana@acme.example\" 60%, \"eli@acme.example\" 40%",
        "\"dana@acme.example\" 20%, \"eli@acme.example\" 80%",
    );
    let leads: String = (0..10)
        .map(|i| format!("{{\"id\":\"L-{i}\",\"email\":\"x@y.example\",\"country\":\"US\",\"segment\":\"smb\",\"source\":\"web\",\"status\":\"mql\",\"score\":50,\"created_at\":\"2026-11-30T08:00:00Z\",\"do_not_route\":false}}\n"))
        .collect();
    let records = scratch().join("us_leads.jsonl");
    std::fs::write(&records, leads).expect("written");
    let out = diff_of(
        "tests/assign/teams.roe",
        &new,
        &records,
        &["--format", "json", "--assign"],
    );
    let (summary, _) = summary_of(&out);
    // The decisions are the same; who gets the leads is not.
    assert_eq!(summary["changed"], 0);
    assert_eq!(
        summary["assignees"],
        serde_json::json!([
            {"member": "dana@acme.example", "old": 6, "new": 2},
            {"member": "eli@acme.example", "old": 4, "new": 8},
        ])
    );
}

/// A stripped `.roec` keeps no rule text: the HTML report says so instead
/// of showing the rules side by side.
#[test]
fn a_stripped_roec_has_no_rule_text_to_show() {
    let stripped = scratch().join("inbound.roec");
    let built = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["build", OLD, "--strip", "-o"])
        .arg(&stripped)
        .status()
        .expect("roe build");
    assert!(built.success());
    let page = diff(&stripped, &["--format", "html"]);
    assert_eq!(page.status.code(), Some(0));
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(page.contains("id=\"no-texts\""), "{page}");
    assert!(
        page.contains("<strong id=\"changed\" data-value=\"0\">"),
        "{page}"
    );
}

/// A calendar with later opening hours loosens the SLOs counted on it, and
/// nothing changes owner.
#[test]
fn a_changed_calendar_moves_deadlines_not_owners() {
    let old = "tests/run/business_time.roe";
    let later = changed_from(
        old,
        "later",
        "open mon-fri 09:00-17:00",
        "open mon-fri 12:00-17:00",
    );
    let records = Path::new("tests/run/business_time.jsonl");
    let (summary, _) = summary_of(&diff_of(old, &later, records, &["--format", "json"]));
    assert!(summary["changed"].as_u64() > Some(0), "{summary}");
    assert!(summary["slo_loosened"].as_u64() > Some(0), "{summary}");
    assert_eq!(summary["slo_tightened"], 0);
    assert_eq!(summary["moves"], serde_json::json!([]));
}

/// Versions whose records differ in a field: a note says a record may be
/// valid for one and not the other, and records that become errors are
/// counted as errors that appear.
#[test]
fn differing_schemas_are_noted_and_new_errors_counted() {
    let old = "tests/assign/owners.roe";
    let required = changed_from(old, "required", "owner: string?", "owner: string");
    let records = scratch().join("owned_leads.jsonl");
    std::fs::write(
        &records,
        "{\"id\":\"A\",\"owner\":\"kim@x\",\"score\":80}\n{\"id\":\"B\",\"score\":80}\n",
    )
    .expect("written");
    let out = diff_of(old, &required, &records, &["--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("read records differently"), "{stderr}");
    let (summary, _) = summary_of(&out);
    assert_eq!(summary["changed"], 1);
    assert_eq!(summary["errors_appeared"], serde_json::json!({"R0202": 1}));
}
