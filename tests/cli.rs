//! The `roe` command as a user runs it: exit statuses, stdin, usage errors,
//! the JSON shapes of the contract, and hostile input that must never panic.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn roe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(args)
        .output()
        .expect("the roe binary runs")
}

/// `roe ARGS` running, with all three standard streams piped.
fn spawn_piped(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the roe binary runs")
}

fn roe_stdin(args: &[&str], input: &str) -> Output {
    let mut child = spawn_piped(args);
    // Written from another thread: roe answers line by line, so with a large input
    // both pipes fill unless stdout is read while stdin is written.
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("roe finishes");
    // roe may exit before reading (a policy with errors): a closed pipe is fine then.
    if let Ok(Err(e)) = writer.join() {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "stdin accepts the input"
        );
    }
    output
}

fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("roe exits by itself, not by a signal")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A JSON Lines lead `L-i` with this country and `score` (JSON text), newline included.
fn lead_line(i: usize, country: &str, score: &str) -> String {
    format!(
        "{{\"id\":\"L-{i}\",\"email\":\"a@b.example\",\"country\":\"{country}\",\"segment\":\"smb\",\"source\":\"web\",\"status\":\"raw\",\"score\":{score},\"created_at\":\"2026-11-30T09:00:00Z\",\"do_not_route\":false}}\n"
    )
}

/// A scratch directory unique to one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roe-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A state file's path in `dir`, with no file there yet.
fn fresh_state(dir: &Path) -> PathBuf {
    let state = dir.join("state.db");
    let _ = std::fs::remove_file(&state);
    state
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path.display().to_string()
}

const LEAD: &str = r#"{"id":"L-1","email":"a@x.example","country":"DE","segment":"strategic","source":"web","status":"raw","score":80,"created_at":"2026-11-30T09:00:00Z","do_not_route":false}"#;

#[test]
fn check_exit_statuses() {
    assert_eq!(code(&roe(&["check", "tests/spec/inbound_routing.roe"])), 0);
    let dir = scratch("check");
    let bad = write(
        &dir,
        "bad.roe",
        "policy p for lead\nuse crm\nrule r when scroe > 1 then tag \"x\"\n",
    );
    let out = roe(&["check", &bad]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("E1003"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "human diagnostics go to stderr");
    let warn = write(
        &dir,
        "warn.roe",
        "policy p for lead\nuse crm\nrule r when score is set then tag \"x\"\n",
    );
    assert_eq!(code(&roe(&["check", &warn])), 0, "warnings only still pass");
}

/// The §12 example, reproduced exactly: line 12, column 8, `scroe`.
#[test]
fn json_diagnostic_has_the_documented_shape() {
    let dir = scratch("json");
    let mut source = String::from("policy inbound for lead\nuse crm\nconst hot_score = 50\n");
    while source.lines().count() < 11 {
        source.push_str("# padding\n");
    }
    source
        .push_str("rule r\n  when scroe > hot_score and segment = strategic\n  then tag \"hot\"\n");
    let policy = write(&dir, "inbound.roe", &source);
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .args(["check", "--format", "json", "inbound.roe"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(code(&out), 1);
    let _ = policy;
    let expected = r#"[{"code":"E1003","severity":"error","message":"`lead` has no field `scroe`","file":"inbound.roe","line":13,"column":8,"end_line":13,"end_column":13,"labels":[{"file":"inbound.roe","line":13,"column":8,"end_line":13,"end_column":13,"message":"not a field of `lead`"}],"notes":[],"help":"did you mean `score`?"}]"#;
    assert_eq!(stdout(&out).trim(), expected);
    assert!(stderr(&out).is_empty());
}

#[test]
fn run_decides_stdin_line_by_line_and_reports_bad_records() {
    let input = format!("{LEAD}\n\nnot json\n{}\n", LEAD.replace("80", "\"high\""));
    let out = roe_stdin(
        &[
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--now",
            "2026-11-30T10:00:00Z",
        ],
        &input,
    );
    assert_eq!(code(&out), 3, "some records failed: {}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a blank line is no record");
    assert_eq!(
        lines[0],
        r##"{"index":0,"id":"L-1","rule":"enterprise_hot","actions":[{"action":"hand_off","team":"sales_emea","within":"4h","due":"2026-11-30T14:00:00Z"},{"action":"escalate","team":"sales_managers","after":"8h","at":"2026-11-30T18:00:00Z"},{"action":"notify","to":"#sales-hot"}]}"##
    );
    assert!(
        lines[1].starts_with(r#"{"index":1,"error":{"code":"R0101""#),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains(r#""code":"R0201""#), "{}", lines[2]);
}

#[test]
fn run_exits_zero_when_every_record_is_decided() {
    let out = roe_stdin(
        &["run", "tests/spec/inbound_routing.roe", "--records", "-"],
        LEAD,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn build_writes_a_program_that_run_loads() {
    let dir = scratch("build");
    let roec = dir.join("inbound.roec").display().to_string();
    let out = roe(&["build", "tests/spec/inbound_routing.roe", "-o", &roec]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let from_source = roe_stdin(
        &[
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--now",
            "2026-11-30T10:00:00Z",
        ],
        LEAD,
    );
    let from_roec = roe_stdin(
        &[
            "run",
            &roec,
            "--records",
            "-",
            "--now",
            "2026-11-30T10:00:00Z",
        ],
        LEAD,
    );
    assert_eq!(stdout(&from_roec), stdout(&from_source));
    let damaged = write(&dir, "damaged.roec", b"ROEC\x01\x00garbage");
    let out = roe(&["run", &damaged, "--records", "-"]);
    assert_eq!(
        code(&out),
        1,
        "a .roec that fails to load is a policy error"
    );
    assert!(stderr(&out).contains("cannot load"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_two_with_one_line() {
    let dir = scratch("usage");
    let records = write(&dir, "leads.txt", LEAD);
    // A policy's warnings wait until the command's own arguments are good.
    let warn = write(
        &dir,
        "warn.roe",
        "policy p for lead\nuse crm\nrule r when score is set then tag \"x\"\n",
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", "does/not/exist.roe"],
        vec!["run", "does/not/exist.roe", "--records", "-"],
        vec![
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "missing.jsonl",
        ],
        vec![
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            &records,
        ],
        vec![
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--now",
            "yesterday",
        ],
        vec![
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--now",
            "2026-11-30T10Z",
        ],
        vec![
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--now",
            "9999-12-31T00:00:00Z",
        ],
        vec!["check", "--frobnicate"],
        vec!["check", "--bogus", "x.roe"],
        vec!["run", "tests/spec/inbound_routing.roe"],
        vec!["explain", "tests/spec/inbound_routing.roe"],
        vec!["frobnicate"],
        vec![],
        vec![
            "run",
            &warn,
            "--records",
            "missing.jsonl",
            "--format",
            "json",
        ],
        vec!["run", &warn, "--records", &records],
        vec!["explain", &warn, "--record", "@missing.json"],
        vec![
            "build",
            "tests/spec/crm_schema.roe",
            "-o",
            "/tmp/never.roec",
        ],
    ];
    for args in cases {
        let out = roe(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).starts_with("roe: "),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    let out = roe(&[
        "run",
        "tests/spec/inbound_routing.roe",
        "--records",
        &records,
    ]);
    assert!(
        stderr(&out).contains("--input-format"),
        "says how to fix it: {}",
        stderr(&out)
    );
    // `--now` is read as records are: strict RFC 3339, in the supported range.
    let out = roe(&[
        "explain",
        "tests/spec/inbound_routing.roe",
        "--record",
        "{}",
        "--now",
        "9999-12-31T00:00:00Z",
    ]);
    assert!(
        stderr(&out).contains(
            "is outside the instants roe supports, 0000-01-01T00:00:00Z to 9999-12-30T22:00:00Z"
        ),
        "says what is wrong with it: {}",
        stderr(&out)
    );
    let out = roe(&["check", "--formt", "json", "x.roe"]);
    assert!(
        stderr(&out).contains("did you mean `--format`?"),
        "keeps clap's suggestion: {}",
        stderr(&out)
    );
    // A `--now` that is refused says what is wrong with it.
    for (now, says) in [
        (
            "9999-12-31T23:59:59Z",
            "is outside the instants roe supports, 0000-01-01T00:00:00Z to 9999-12-30T22:00:00Z",
        ),
        ("2026-11-30", "has no time of day"),
        ("2026-11-30T10:00:00", "has no offset: add `Z` for UTC"),
        ("yesterday", "is not an RFC 3339 instant"),
    ] {
        let out = roe(&["test", "x.roe", "--now", now]);
        assert_eq!(code(&out), 2, "{now}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{now}: {}", stderr(&out));
    }
}

#[test]
fn every_command_has_help() {
    for command in [
        &["--help"][..],
        &["check", "--help"],
        &["build", "--help"],
        &["run", "--help"],
        &["test", "--help"],
        &["explain", "--help"],
        &["lint", "--help"],
        &["disasm", "--help"],
    ] {
        let out = roe(command);
        assert_eq!(code(&out), 0, "{command:?}");
        assert!(stdout(&out).contains("Usage"), "{command:?}");
    }
}

/// Hostile policies get diagnostics and exit 1: never a panic, never a stack overflow.
#[test]
fn hostile_policies_are_diagnosed() {
    let dir = scratch("hostile");
    let deep_parens = format!(
        "policy p for lead\nuse crm\nrule r when {}score > 1{} then tag \"x\"\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let long_sum = format!(
        "policy p for lead\nuse crm\nrule r when score > {}1 then tag \"x\"\n",
        "1 + ".repeat(250_000)
    );
    let huge_string = format!(
        "policy p for lead\nuse crm\nrule r when score > 1 then tag \"{}\"\nrule s when scroe > 1 then tag \"y\"\n",
        "x".repeat(1_000_000)
    );
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.roe", Vec::new(), "E0020"),
        ("comments.roe", b"# nothing here\n".to_vec(), "E0020"),
        ("garbage.roe", garbage, "E0006"),
        (
            "unterminated.roe",
            b"policy p for lead\nuse crm\nrule r when score > 1 then tag \"oops\n".to_vec(),
            "E0002",
        ),
        ("deep.roe", deep_parens.into_bytes(), "E0012"),
        ("sum.roe", long_sum.into_bytes(), "E0012"),
        ("huge.roe", huge_string.into_bytes(), "E1003"),
        (
            "self.roe",
            b"policy p for lead\nuse crm\nuse \"self.roe\"\nrule r when score > 1 then tag \"x\"\n"
                .to_vec(),
            "E1010",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = write(&dir, name, contents);
        let out = roe(&["check", &path]);
        assert_eq!(code(&out), 1, "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{name} should report {expected}: {}",
            &stderr(&out)[..stderr(&out).len().min(2000)]
        );
    }
}

#[test]
fn a_one_megabyte_string_literal_compiles_and_runs() {
    let dir = scratch("megabyte");
    let policy = format!(
        "policy p for lead\nuse crm\nrule r when score > 1 then tag \"{}\"\n",
        "x".repeat(1_000_000)
    );
    let path = write(&dir, "big.roe", policy);
    let out = roe_stdin(&["run", &path, "--records", "-"], LEAD);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).len() > 1_000_000);
}

/// With `--format json` diagnostics go to stdout as one array (LANGUAGE.md
/// §9): for `run`, `explain` and `disasm`, as its first line, before the
/// decisions or the listing; nothing is added when there are none.
#[test]
fn json_diagnostics_come_first_on_stdout() {
    let dir = scratch("run-json");
    let warn = write(
        &dir,
        "warn.roe",
        "policy p for lead\nuse crm\nrule r when score is set then tag \"x\"\n",
    );
    let out = roe_stdin(&["run", &warn, "--records", "-", "--format", "json"], LEAD);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let mut lines = text.lines();
    let diagnostics: serde_json::Value =
        serde_json::from_str(lines.next().unwrap_or_default()).expect("an array first");
    assert_eq!(diagnostics[0]["code"], "E2011", "{text}");
    assert!(
        lines.next().is_some_and(|l| l.starts_with("{\"index\":0")),
        "{text}"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let out = roe(&["disasm", &warn, "--format", "json"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).starts_with("[{\"code\":\"E2011\""),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).lines().count() > 1, "the listing follows");
    let clean = roe_stdin(
        &[
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--format",
            "json",
        ],
        LEAD,
    );
    assert!(
        stdout(&clean).starts_with("{\"index\":0"),
        "{}",
        stdout(&clean)
    );
    let bad = write(
        &dir,
        "bad.roe",
        "policy p for lead\nuse crm\nrule r when scroe > 1 then tag \"x\"\n",
    );
    let out = roe_stdin(&["run", &bad, "--records", "-", "--format", "json"], LEAD);
    assert_eq!(code(&out), 1);
    let diagnostics: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON array");
    assert_eq!(diagnostics[0]["code"], "E1003");
    for args in [
        vec!["test", &bad, "--format", "json"],
        vec!["disasm", &bad, "--format", "json"],
    ] {
        let out = roe(&args);
        assert_eq!(code(&out), 1, "{args:?}");
        let first = stdout(&out).lines().next().unwrap_or_default().to_owned();
        let diagnostics: serde_json::Value =
            serde_json::from_str(&first).expect("one JSON array first");
        assert_eq!(diagnostics[0]["code"], "E1003", "{args:?}");
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
    }
}

/// `--records -` answers each line as it arrives: the first decision can be read
/// while standard input is still open.
#[test]
fn run_streams_decisions_from_stdin() {
    use std::io::BufRead;
    let mut child = spawn_piped(&[
        "run",
        "tests/spec/inbound_routing.roe",
        "--records",
        "-",
        "--now",
        "2026-11-30T10:00:00Z",
    ]);
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
    for index in 0..3 {
        writeln!(stdin, "{LEAD}").expect("roe reads");
        stdin.flush().expect("flushes");
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("a decision arrives before stdin closes");
        assert!(line.starts_with(&format!("{{\"index\":{index},")), "{line}");
    }
    drop(stdin);
    assert_eq!(child.wait().expect("roe exits").code(), Some(0));
}

/// The `due` of each decision of `roe ARGS`, two copies of `LEAD` sent to its
/// stdin 1.2 seconds apart, each answered before the next is sent.
fn dues_of_leads_sent_apart(args: &[&str]) -> Vec<String> {
    dues_of_records_sent_apart(args, None, LEAD)
}

/// The `due` of each decision of `roe ARGS`, `header` (if any) and then two
/// copies of `record` sent to its stdin 1.2 seconds apart, each answered
/// before the next is sent.
fn dues_of_records_sent_apart(args: &[&str], header: Option<&str>, record: &str) -> Vec<String> {
    use std::io::BufRead;
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().expect("piped");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
    if let Some(header) = header {
        writeln!(stdin, "{header}").expect("roe reads");
    }
    let mut dues = Vec::new();
    for sent in 0..2 {
        if sent > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1_200));
        }
        writeln!(stdin, "{record}").expect("roe reads");
        stdin.flush().expect("flushes");
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a decision");
        let decision: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        dues.push(
            decision["actions"][0]["due"]
                .as_str()
                .expect("a due")
                .to_owned(),
        );
    }
    drop(stdin);
    assert_eq!(child.wait().expect("roe exits").code(), Some(0));
    dues
}

/// Without `--now`, each line of stdin is decided at the instant it arrives,
/// so a lead sent later is due later; with `--now`, every line at that one.
#[test]
fn stdin_reads_the_clock_per_record_unless_now_is_given() {
    let args = ["run", "tests/spec/inbound_routing.roe", "--records", "-"];
    let live = dues_of_leads_sent_apart(&args);
    assert!(live[0] < live[1], "{live:?}");
    let fixed = dues_of_leads_sent_apart(&[&args[..], &["--now", "2026-11-30T10:00:00Z"]].concat());
    assert_eq!(fixed, ["2026-11-30T14:00:00Z", "2026-11-30T14:00:00Z"]);
    // CSV rows on a pipe too: each decided, and answered, as it arrives.
    let csv = [&args[..], &["--input-format", "csv"]].concat();
    let header = "id,email,country,segment,source,status,score,created_at,do_not_route";
    let row = "L-1,a@x.example,DE,strategic,web,raw,80,2026-11-30T09:00:00Z,false";
    let live = dues_of_records_sent_apart(&csv, Some(header), row);
    assert!(live[0] < live[1], "{live:?}");
}

#[test]
fn explain_says_why_and_exits_by_the_record() {
    let out = roe(&[
        "explain",
        "tests/spec/inbound_routing.roe",
        "--now",
        "2026-11-30T10:00:00Z",
        "--record",
        LEAD,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("rule excluded: did not hold"), "{text}");
    assert!(
        text.contains("  score > hot_score — true (score = 80)"),
        "{text}"
    );
    assert!(text.contains("rule enterprise_hot: held"), "{text}");
    assert!(
        text.contains("not evaluated, an earlier rule decided: emea_mid_market"),
        "{text}"
    );
    let out = roe(&[
        "explain",
        "tests/spec/inbound_routing.roe",
        "--format",
        "json",
        "--record",
        LEAD,
    ]);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(json["decision"]["rule"], "enterprise_hot");
    assert_eq!(
        json["explanation"]["rules"][0]["clauses"][0]["clause"],
        "do_not_route"
    );
    let invalid = LEAD.replace("80", "\"high\"");
    let out = roe(&[
        "explain",
        "tests/spec/inbound_routing.roe",
        "--record",
        &invalid,
    ]);
    assert_eq!(code(&out), 3, "an invalid record");
    assert!(stdout(&out).contains("R0201"));
    // A record that is not JSON at all is invalid too, as a line of `roe run` is.
    let out = roe(&[
        "explain",
        "tests/spec/inbound_routing.roe",
        "--record",
        "notjson",
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("{\"index\":0,\"error\":{\"code\":\"R0101\""));
}

#[test]
fn run_explain_adds_why() {
    let out = roe_stdin(
        &[
            "run",
            "tests/spec/inbound_routing.roe",
            "--records",
            "-",
            "--explain",
        ],
        LEAD,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            r#""why":{"rule":"enterprise_hot","held":["score > hot_score","segment = strategic"]}"#
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn test_runs_the_tests_beside_a_policy_and_reports_failures() {
    let out = roe(&["test", "tests/spec/inbound_routing_with_tests.roe"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 passed, 0 failed"),
        "{}",
        stderr(&out)
    );
    let out = roe(&["test", "tests/policy_tests/routing.roe"]);
    assert_eq!(code(&out), 1, "one test fails on purpose");
    let err = stderr(&out);
    assert!(err.contains("4 passed, 1 failed"), "{err}");
    assert!(
        err.contains("expected rule `emea_mid_market`, but rule `enterprise_hot` decided"),
        "{err}"
    );
    assert!(
        err.contains("routing.test.roe:32:15"),
        "the failure points at the expect: {err}"
    );
    let out = roe(&[
        "test",
        "tests/policy_tests/routing.test.roe",
        "--format",
        "junit",
    ]);
    let xml = stdout(&out);
    assert!(xml.contains("tests=\"5\" failures=\"1\""), "{xml}");
    let out = roe(&["test", "tests/policy_tests/routing.roe", "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(4), Some(1))
    );
}

#[test]
fn test_coverage_can_fail_a_run() {
    let out = roe(&[
        "test",
        "tests/spec/inbound_routing_with_tests.roe",
        "--coverage",
    ]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("coverage 25.0%"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rule enterprise_hot: decided"),
        "{}",
        stderr(&out)
    );
    let out = roe(&[
        "test",
        "tests/spec/inbound_routing_with_tests.roe",
        "--min-coverage",
        "50",
    ]);
    assert_eq!(code(&out), 1, "25% is below 50%");
}

#[test]
fn explain_works_on_a_compiled_policy_that_kept_its_debug_info() {
    let dir = scratch("explain-roec");
    let full = dir.join("full.roec").display().to_string();
    let stripped = dir.join("stripped.roec").display().to_string();
    assert_eq!(
        code(&roe(&[
            "build",
            "tests/spec/inbound_routing.roe",
            "-o",
            &full
        ])),
        0
    );
    assert_eq!(
        code(&roe(&[
            "build",
            "--strip",
            "tests/spec/inbound_routing.roe",
            "-o",
            &stripped
        ])),
        0
    );
    let out = roe(&["explain", &full, "--record", LEAD]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("segment = strategic — true (segment = strategic)"),
        "{}",
        stdout(&out)
    );
    let out = roe(&["explain", &stripped, "--record", LEAD]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("--strip"), "{}", stderr(&out));
    let out = roe_stdin(&["run", &stripped, "--records", "-", "--explain"], LEAD);
    assert_eq!(code(&out), 2, "--explain needs debug info");
}

/// A large file is decided on every core; the lines come out in input order and
/// exactly as deciding one record after another (stdin) gives them, with no
/// progress bar when stderr is not a terminal.
#[test]
fn parallel_runs_keep_order_and_decisions() {
    let dir = scratch("parallel");
    let mut text = String::new();
    for i in 0..6_000 {
        let country = ["DE", "US", "FR"][i % 3];
        let score = if i % 250 == 0 {
            "\"bad\"".to_owned()
        } else {
            (i % 101).to_string()
        };
        text.push_str(&lead_line(i, country, &score));
    }
    let file = write(&dir, "leads.jsonl", &text);
    let args = [
        "run",
        "examples/inbound_routing.roe",
        "--now",
        "2026-11-30T10:00:00Z",
        "--records",
    ];
    let from_file = roe(&[&args[..], &[file.as_str()]].concat());
    let from_stdin = roe_stdin(&[&args[..], &["-"]].concat(), &text);
    assert_eq!(code(&from_file), 3, "some records are bad");
    let lines: Vec<String> = stdout(&from_file).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6_000);
    assert!(
        lines
            .iter()
            .enumerate()
            .all(|(i, l)| l.starts_with(&format!("{{\"index\":{i},")))
    );
    assert_eq!(stdout(&from_file), stdout(&from_stdin));
    // The progress bar is for terminals only: a pipe (CI, a log) gets nothing.
    assert_eq!(stderr(&from_file), "");
}

const GAP_POLICY: &str = "policy territories for lead\nuse crm\nteam dach\n  members \"d@acme.example\"\nrule dach\n  when country in [\"DE\", \"AT\"]\n  then hand off to dach\n";

#[test]
fn lint_reports_findings_and_exits_by_their_severity() {
    let dir = scratch("lint");
    let gap = write(&dir, "gap.roe", GAP_POLICY);
    let out = roe(&["lint", &gap]);
    assert_eq!(code(&out), 0, "warnings only: {}", stderr(&out));
    assert!(
        stderr(&out).contains("[W3003] Warning: some records match no rule"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("for example: {"), "{}", stderr(&out));
    // CI: every warning fails the lint.
    assert_eq!(code(&roe(&["lint", "--deny", "warnings", &gap])), 1);
    // A clean policy says so.
    let clean = write(
        &dir,
        "clean.roe",
        format!("{GAP_POLICY}otherwise\n  drop \"not ours\"\n"),
    );
    let out = roe(&["lint", &clean]);
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("no findings"), "{}", stderr(&out));
    // A policy with errors is reported like `roe check` does, exit 1.
    let bad = write(
        &dir,
        "bad.roe",
        "policy p for lead\nuse crm\nrule r when scroe > 1 then tag \"x\"\n",
    );
    let out = roe(&["lint", &bad]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("E1003"), "{}", stderr(&out));
    assert_eq!(code(&roe(&["lint", "missing.roe"])), 2);
}

#[test]
fn lint_json_carries_a_witness_that_run_accepts() {
    let dir = scratch("lint-json");
    let gap = write(&dir, "gap.roe", GAP_POLICY);
    let now = "2026-11-30T10:00:00Z";
    let out = roe(&["lint", "--format", "json", "--now", now, &gap]);
    let findings: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON array");
    let finding = &findings[0];
    assert_eq!(finding["code"], "W3003");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(
        finding["witness_now"], now,
        "the instant the example assumes"
    );
    let witness = finding["witness"].to_string();
    let out = roe_stdin(
        &[
            "run",
            &gap,
            "--records",
            "-",
            "--now",
            "2026-11-30T10:00:00Z",
        ],
        &format!("{witness}\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let decision: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("a decision");
    assert_eq!(
        decision["rule"],
        serde_json::Value::Null,
        "the witness falls through the gap"
    );
}

#[test]
fn lint_sarif_is_a_sarif_2_1_0_log() {
    let dir = scratch("lint-sarif");
    let gap = write(&dir, "gap.roe", GAP_POLICY);
    let out = roe(&["lint", "--format", "sarif", &gap]);
    assert_eq!(code(&out), 0);
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "roe");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "W3003");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "W3003");
    assert_eq!(result["level"], "warning");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 8);
    assert!(result["properties"]["witness"].is_object());
}

#[test]
fn lint_levels_come_from_roe_toml_beside_the_policy() {
    let dir = scratch("lint-toml");
    let gap = write(&dir, "gap.roe", GAP_POLICY);
    write(&dir, "roe.toml", "[lint]\ngap = \"error\"\n");
    let out = roe(&["lint", &gap]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("[W3003] Error"), "{}", stderr(&out));
    write(&dir, "roe.toml", "[lint]\nW3003 = \"allow\"\n");
    let out = roe(&["lint", &gap]);
    assert_eq!(code(&out), 0);
    assert!(!stderr(&out).contains("W3003"), "{}", stderr(&out));
    write(&dir, "roe.toml", "[lint]\nW3003 = \"loud\"\n");
    let out = roe(&["lint", &gap]);
    assert_eq!(code(&out), 2, "a bad roe.toml is a usage error");
    assert!(stderr(&out).contains("roe.toml"), "{}", stderr(&out));
}

#[test]
fn check_rejects_rules_that_overlap_under_unique_match() {
    let dir = scratch("unique");
    let policy = write(
        &dir,
        "unique.roe",
        "policy p for lead\n  unique match\nuse crm\nteam a\n  members \"a@acme.example\"\nteam b\n  members \"b@acme.example\"\nrule de\n  when country = \"DE\"\n  then hand off to a\nrule hot\n  when score > 50\n  then hand off to b\notherwise\n  drop \"none\"\n",
    );
    let out = roe(&["check", &policy]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("[W3002] Error: rules `de` and `hot` can both hold"),
        "{}",
        stderr(&out)
    );
}

/// A reader that goes away (`roe run ... | head -1`) stops the run quietly;
/// the status still tells that a record decided before was an error.
#[test]
fn a_closed_pipe_keeps_the_status_of_the_records_decided() {
    let dir = scratch("closed-pipe");
    let mut text = String::new();
    for i in 0..10_000 {
        let score = if i == 1 { "\"bad\"" } else { "5" };
        text.push_str(&lead_line(i, "DE", score));
    }
    let file = write(&dir, "leads.jsonl", &text);
    let mut child = spawn_piped(&[
        "run",
        "examples/inbound_routing.roe",
        "--now",
        "2026-11-30T10:00:00Z",
        "--records",
        &file,
    ]);
    let mut first = String::new();
    {
        let out = child.stdout.take().expect("piped");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut first).expect("a line");
    }
    let output = child.wait_with_output().expect("roe finishes");
    assert!(first.starts_with("{\"index\":0,"), "{first}");
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

/// Decisions have only the keys of LANGUAGE.md §12; `--local-times` adds the
/// business-time instants in the calendar's zone.
#[test]
fn local_times_are_added_only_when_asked() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "tests/run/business_time.roe",
            "--records",
            "tests/run/business_time.jsonl",
            "--now",
            "2026-11-30T10:00:00Z",
        ];
        args.extend_from_slice(extra);
        let out = roe(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let plain = run(&[]);
    assert!(!plain.contains("_local"), "{plain}");
    let local = run(&["--local-times"]);
    assert!(
        local.contains(r#""due":"2026-11-30T18:00:00Z","due_local":"2026-11-30T13:00:00-05:00""#),
        "{local}"
    );
    assert!(
        local.contains(r#""at":"2026-12-03T10:00:00Z","at_local":"2026-12-03T11:00:00+01:00""#),
        "{local}"
    );
    assert_eq!(plain.lines().count(), local.lines().count());
}

/// A file name that is not UTF-8 is still a usage error, not a crash.
#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.roe");
    let out = Command::new(env!("CARGO_BIN_EXE_roe"))
        .arg(name)
        .output()
        .expect("the roe binary runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// A record's `id` is echoed exactly as given on every path: JSON Lines
/// bound from the text (a file, standard input), with `--explain` (parsed
/// first), a JSON array and CSV. An integer beyond 64 bits stays as written.
#[test]
fn ids_are_echoed_as_given_from_every_input_format() {
    let dir = scratch("ids");
    let policy = write(
        &dir,
        "tickets.roe",
        "policy tickets for ticket\nrecord ticket\n  id: int\n  priority: int\nrule urgent when priority > 1 then tag \"urgent\"\n",
    );
    let lines = "{\"id\":18446744073709551616,\"priority\":2}\n{\"id\":7,\"priority\":2}\n{\"id\":1e2,\"priority\":2}\n";
    let jsonl = write(&dir, "tickets.jsonl", lines);
    let json = write(
        &dir,
        "tickets.json",
        format!("[{}]", lines.trim_end().replace('\n', ",\n")),
    );
    let csv = write(
        &dir,
        "tickets.csv",
        "id,priority\n18446744073709551616,2\n7,2\n1e2,2\n",
    );
    let expected = [
        r#"{"index":0,"id":18446744073709551616,"error":{"code":"R0204","message":"field `id`: the integer is outside the 64-bit range","field":"id"}}"#,
        r#"{"index":1,"id":7,"rule":"urgent","actions":[{"action":"tag","tag":"urgent"}]}"#,
        r#"{"index":2,"id":1e2,"error":{"code":"R0201","message":"field `id`: expected int, found number 100.0","field":"id"}}"#,
    ]
    .join("\n")
        + "\n";
    let decide = |records: &str, more: &[&str], input: Option<&str>| {
        let mut args = vec![
            "run",
            &policy,
            "--records",
            records,
            "--now",
            "2026-11-30T10:00:00Z",
        ];
        args.extend_from_slice(more);
        stdout(&match input {
            Some(input) => roe_stdin(&args, input),
            None => roe(&args),
        })
    };
    for records in [&jsonl, &json, &csv] {
        assert_eq!(decide(records, &[], None), expected, "{records}");
    }
    assert_eq!(decide("-", &[], Some(lines)), expected);
    let explained = decide(&jsonl, &["--explain"], None);
    assert!(
        explained.starts_with(r#"{"index":0,"id":18446744073709551616,"#),
        "{explained}"
    );
}

/// Windows tools start UTF-8 files with a byte-order mark: it is skipped at the
/// start of a policy and of records in every format, from a file or stdin.
#[test]
fn a_byte_order_mark_is_skipped() {
    const MARK: &str = "\u{feff}";
    let dir = scratch("bom");
    let policy = std::fs::read_to_string("tests/spec/inbound_routing.roe").expect("the policy");
    let policy = write(&dir, "inbound.roe", format!("{MARK}{policy}"));
    let out = roe(&["check", &policy]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let header = "id,email,country,segment,source,status,score,created_at,do_not_route";
    let row = "L-1,a@b.example,DE,strategic,web,raw,80,2026-11-30T09:00:00Z,false";
    let files = [
        write(&dir, "leads.jsonl", format!("{MARK}{LEAD}\n")),
        write(&dir, "leads.json", format!("{MARK}[{LEAD}]")),
        write(&dir, "leads.csv", format!("{MARK}{header}\n{row}\n")),
    ];
    let now = ["--now", "2026-11-30T10:00:00Z"];
    let mut outputs: Vec<Output> = files
        .iter()
        .map(|records| roe(&[&["run", &policy, "--records", records][..], &now].concat()))
        .collect();
    outputs.push(roe_stdin(
        &[&["run", &policy, "--records", "-"][..], &now].concat(),
        &format!("{MARK}{LEAD}\n"),
    ));
    for out in &outputs {
        assert_eq!(code(out), 0, "{}{}", stdout(out), stderr(out));
        assert!(
            stdout(out).starts_with(r#"{"index":0,"id":"L-1","rule":"enterprise_hot""#),
            "{}",
            stdout(out)
        );
    }
    let record = write(&dir, "lead.json", format!("{MARK}{LEAD}"));
    let out = roe(&[
        &["explain", &policy, "--record", &format!("@{record}")][..],
        &now,
    ]
    .concat());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A test file under the wrong name leaves the policy with no tests: that
/// fails the run, and the message names the file that is not read.
#[test]
fn a_policy_with_no_tests_fails_and_names_misnamed_test_files() {
    let dir = scratch("no-tests");
    let policy = std::fs::read_to_string("tests/policy_tests/routing.roe").expect("the policy");
    let tests = std::fs::read_to_string("tests/policy_tests/routing.test.roe")
        .expect("the tests")
        .replace("routing.roe", "policy.roe");
    let policy = write(&dir, "policy.roe", policy);
    write(&dir, "policy.tests.roe", &tests);
    write(&dir, "Test_Policy.roe", &tests);
    write(&dir, "unrelated_test.roe", &tests);
    let out = roe(&["test", &policy]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("  no tests"), "{err}");
    assert!(
        err.contains(&format!(
            "no tests in `{policy}`: `Test_Policy.roe`, `policy.tests.roe` beside it are not read: tests are read from `policy.test.roe`"
        )),
        "{err}"
    );
    assert!(err.contains("--allow-no-tests"), "{err}");
    for format in ["human", "json", "junit"] {
        let out = roe(&["test", &policy, "--format", format, "--allow-no-tests"]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
    }
    // With the test file named as roe reads it, its tests run.
    write(&dir, "policy.test.roe", &tests);
    let out = roe(&["test", &policy]);
    assert!(
        stderr(&out).contains("4 passed, 1 failed"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("no tests"), "{}", stderr(&out));
}

/// An SLO counted from a field of the record (`of created_at`) is due when it
/// was due, whenever the record is decided; an expectation names the field.
#[test]
fn slo_anchors_count_from_the_record() {
    let out = roe(&["test", "tests/policy_tests/slo_anchors.roe"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 passed, 0 failed"),
        "{}",
        stderr(&out)
    );
    let dir = scratch("anchors");
    let policy = std::fs::read_to_string("tests/policy_tests/slo_anchors.roe")
        .expect("the policy")
        .replace(
            "4 business hours of created_at due",
            "4 business hours of last_activity_at due",
        );
    let policy = write(&dir, "anchors.roe", policy);
    let out = roe(&["test", &policy]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(r#""of":"created_at""#),
        "{}",
        stderr(&out)
    );
}

/// An expectation can name the instant an SLO is due and an escalation happens.
#[test]
fn test_expectations_check_due_and_at() {
    let out = roe(&["test", "tests/policy_tests/slo_deadlines.roe"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 passed, 0 failed"),
        "{}",
        stderr(&out)
    );
    let dir = scratch("deadlines");
    let policy = std::fs::read_to_string("tests/policy_tests/slo_deadlines.roe")
        .expect("the policy")
        .replace(
            "due 2026-11-30T11:30:00+01:00",
            "due 2026-11-30T11:00:00+01:00",
        )
        .replace("at 2026-11-30T15:00:00Z", "at 2026-11-30T16:30:00Z");
    let policy = write(&dir, "slo.roe", policy);
    let out = roe(&["test", &policy]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(r#"the decision has {"action":"hand_off","team":"sales_emea","within":"4 business hours"} due 2026-11-30T10:30:00Z, not 2026-11-30T10:00:00Z, and {"action":"escalate","team":"sales_managers","after":"1 business day"} at 2026-11-30T15:00:00Z, not 2026-11-30T16:30:00Z"#),
        "{err}"
    );
}

/// `--output-format csv`: a header, then one row per record under it, failed
/// records included; all-match rules, tags and `set` fields in their columns.
#[test]
fn run_writes_csv_rows_a_crm_can_import() {
    let now = ["--now", "2026-12-01T09:00:00Z", "--output-format", "csv"];
    let mut shown = String::new();
    for (policy, records) in [
        ("examples/lead_hygiene.roe", "examples/hygiene_leads.json"),
        ("examples/inbound_routing.roe", "examples/bad_leads.jsonl"),
        (
            "examples/opportunity_ownership.roe",
            "examples/opportunities.csv",
        ),
    ] {
        let out = roe(&[&["run", policy, "--records", records][..], &now[..]].concat());
        let failed = stdout(&out).contains("R0");
        assert_eq!(code(&out), if failed { 3 } else { 0 }, "{}", stderr(&out));
        // Every row has the header's cells, as an import tool reads them.
        let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
        let columns = reader.headers().expect("a header").len();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert!(rows.iter().all(|row| row.len() == columns));
        let indexes: Vec<String> = rows.iter().map(|row| row[0].to_owned()).collect();
        let expected: Vec<String> = (0..rows.len()).map(|i| i.to_string()).collect();
        assert_eq!(indexes, expected);
        shown.push_str(&format!("──── {policy} {records} ────\n{}", stdout(&out)));
    }
    insta::assert_snapshot!(shown);
}

/// CSV rows have no place for `--explain`'s `why`, and `--format json`
/// diagnostics would take the header's line: both are refused in one line.
#[test]
fn csv_output_refuses_options_it_cannot_hold() {
    for option in ["--explain", "--format=json"] {
        let out = roe(&[
            "run",
            "examples/inbound_routing.roe",
            "--records",
            "examples/bad_leads.jsonl",
            "--output-format",
            "csv",
            option,
        ]);
        assert_eq!(code(&out), 2, "{option}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// `--summary` ends the run with counts on stderr (per rule, per team, per
/// error code); stdout keeps only the decisions, and without the option a
/// run whose stderr is not a terminal prints no summary.
#[test]
fn summary_counts_rules_teams_and_errors_on_stderr() {
    let args = [
        "run",
        "examples/inbound_routing.roe",
        "--records",
        "examples/inbound_leads.jsonl",
        "--now",
        "2026-12-01T09:00:00Z",
    ];
    let plain = roe(&args);
    assert_eq!(stderr(&plain), "");
    let summed = roe(&[&args[..], &["--summary"]].concat());
    assert_eq!(code(&summed), code(&plain));
    assert_eq!(stdout(&summed), stdout(&plain));
    let bad = roe(&[
        "run",
        "examples/inbound_routing.roe",
        "--records",
        "examples/bad_leads.jsonl",
        "--summary",
    ]);
    assert_eq!(code(&bad), 3);
    insta::assert_snapshot!(format!(
        "──── inbound_leads.jsonl ────\n{}──── bad_leads.jsonl ────\n{}",
        stderr(&summed),
        stderr(&bad)
    ));
}

/// A file that is not UTF-8 stops the run at the offset of its first invalid
/// byte (exit 2, naming the file), after the decisions of the lines before it.
#[test]
fn a_records_file_that_is_not_utf8_is_named_with_its_offset() {
    let dir = scratch("not-utf8");
    let mut bytes = LEAD.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n{\"id\":\"caf\xe9\"}\n");
    let file = write(&dir, "latin1.jsonl", &bytes);
    let out = roe(&["run", "examples/inbound_routing.roe", "--records", &file]);
    assert_eq!(code(&out), 2);
    let offset = LEAD.len() + 1 + "{\"id\":\"caf".len();
    assert_eq!(
        stderr(&out),
        format!(
            "roe: `{file}` is not UTF-8 text (invalid byte at offset {offset}); name its encoding, such as `--encoding windows-1252` for a CSV file Excel saved on Windows, or save it as UTF-8 (Excel: CSV UTF-8)\n"
        )
    );
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the lead before it is decided"
    );
}

/// `roe explain --records FILE --id ID` explains the record of the file with
/// that id, with its index in the file; the first of several, saying so; and
/// when none has it, a usage error naming the nearest ids.
#[test]
fn explain_finds_a_record_of_a_file_by_its_id() {
    let explain = |records: &str, id: &str| {
        roe(&[
            "explain",
            "examples/inbound_routing.roe",
            "--records",
            records,
            "--id",
            id,
            "--now",
            "2026-12-01T09:00:00Z",
        ])
    };
    let found = explain("examples/inbound_leads.jsonl", "L-1003");
    assert_eq!(code(&found), 0, "{}", stderr(&found));
    let last = stdout(&found).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("decision: {\"index\":2,\"id\":\"L-1003\""),
        "{last}"
    );
    let csv = explain("examples/opportunities.csv", "O-2004");
    assert_eq!(
        code(&csv),
        3,
        "an opportunity is not a lead: {}",
        stdout(&csv)
    );
    let missing = explain("examples/inbound_leads.jsonl", "L-103");
    assert_eq!(code(&missing), 2);
    assert_eq!(
        stderr(&missing),
        "roe: no record of `examples/inbound_leads.jsonl` has the id `L-103`; the nearest: `L-1003`, `L-1013`, `L-1023`\n"
    );
    let dir = scratch("explain-id");
    let twice = write(&dir, "twice.jsonl", format!("{LEAD}\n{LEAD}\n{LEAD}\n"));
    let out = explain(&twice, "L-1");
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("also the id of the record at index 1, 2")
            && stderr(&out).contains("explains the first, at index 0"),
        "{}",
        stderr(&out)
    );
    let both = roe(&[
        "explain",
        "examples/inbound_routing.roe",
        "--record",
        LEAD,
        "--id",
        "L-1",
    ]);
    assert_eq!(code(&both), 2, "--id needs --records");
}

/// The assignee of each hand-off in `roe run` output, `-` where none.
fn assignees(output: &str) -> Vec<String> {
    output
        .lines()
        .map(|line| {
            let decision: serde_json::Value = serde_json::from_str(line).expect("JSON");
            decision["actions"]
                .as_array()
                .and_then(|actions| actions.iter().find_map(|a| a["assignee"].as_str()))
                .unwrap_or("-")
                .to_owned()
        })
        .collect()
}

/// `roe run --assign` picks each hand-off's member; with `--state` a second
/// run over the same records gives every record the same person again and
/// hands out no new turn, so a new record continues the rotation.
#[test]
fn assignment_state_in_a_file_keeps_each_record_s_assignee() {
    let dir = scratch("assign-state");
    let state = fresh_state(&dir);
    let records = write(
        &dir,
        "leads.jsonl",
        (1..=4)
            .map(|i| lead_line(i, "DE", "50"))
            .collect::<String>(),
    );
    let run = |records: &str| {
        roe(&[
            "run",
            "tests/assign/teams.roe",
            "--records",
            records,
            "--now",
            "2026-11-30T10:00:00Z",
            "--state",
            state.to_str().expect("a path"),
        ])
    };
    let first = run(&records);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let expected = [
        "fritz@acme.example",
        "greta@acme.example",
        "fritz@acme.example",
        "greta@acme.example",
    ];
    assert_eq!(assignees(&stdout(&first)), expected);
    let again = run(&records);
    assert_eq!(
        assignees(&stdout(&again)),
        expected,
        "the ledger gives them back"
    );
    let ledger = roe(&["ledger", "--state", state.to_str().expect("a path")]);
    assert_eq!(code(&ledger), 0, "{}", stderr(&ledger));
    assert_eq!(
        stdout(&ledger).lines().nth(1),
        Some("assignment\tL-1\tdach\tfritz@acme.example\t2026-11-30T10:00:00Z\tdach_leads")
    );
    let ledger = roe(&[
        "ledger",
        "--state",
        state.to_str().expect("a path"),
        "--format",
        "json",
    ]);
    assert!(stdout(&ledger).starts_with(r#"{"assignee":"fritz@acme.example","at":"2026-11-30T10:00:00Z","policy":"assignment","record":"L-1","rule":"dach_leads","team":"dach"}"#), "{}", stdout(&ledger));
    // A fifth record: both members are at their cap of 2 for the day, so it
    // overflows to the managers.
    let more = write(&dir, "more.jsonl", lead_line(5, "DE", "50"));
    let fifth = run(&more);
    assert!(
        stdout(&fifth).contains(r#""overflow":"managers","assignee":"maria@acme.example""#),
        "{}",
        stdout(&fifth)
    );
    // A file that is not assignment state is refused before anything is decided.
    let junk = write(&dir, "junk.db", "not a database at all\n".repeat(100));
    let refused = roe(&[
        "run",
        "tests/assign/teams.roe",
        "--records",
        &records,
        "--state",
        &junk,
    ]);
    assert_eq!(code(&refused), 2);
    assert!(stderr(&refused).contains("S0001"), "{}", stderr(&refused));
    assert!(stdout(&refused).is_empty());
}

/// A run killed midway and run again assigns every record exactly once:
/// lines written before the kill keep their assignees, and the turns taken
/// add up as in one uninterrupted run.
#[test]
fn a_killed_assignment_run_resumes_without_losing_or_doubling_a_turn() {
    use std::io::BufRead;
    let dir = scratch("assign-crash");
    let state = fresh_state(&dir);
    let leads: Vec<String> = (1..=9).map(|i| lead_line(i, "FR", "50")).collect();
    let args = |state: &str| -> Vec<String> {
        [
            "run",
            "tests/assign/teams.roe",
            "--records",
            "-",
            "--now",
            "2026-11-30T10:00:00Z",
            "--state",
            state,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let state_arg = state.to_str().expect("a path").to_owned();
    let args_one = args(&state_arg);
    let args_one: Vec<&str> = args_one.iter().map(String::as_str).collect();
    let mut child = spawn_piped(&args_one);
    let mut stdin = child.stdin.take().expect("piped");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut before = Vec::new();
    for lead in &leads[..4] {
        stdin.write_all(lead.as_bytes()).expect("roe reads");
        stdin.flush().expect("flushes");
        let mut line = String::new();
        out.read_line(&mut line).expect("a decision");
        before.push(line);
    }
    child.kill().expect("killed");
    let _ = child.wait();
    let resumed = roe_stdin(&args_one, &leads.concat());
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let resumed = assignees(&stdout(&resumed));
    assert_eq!(
        resumed[..4],
        assignees(&before.concat())[..],
        "lines written before the kill keep their assignees"
    );
    // The same as one run with fresh state.
    let fresh = dir.join("fresh.db");
    let _ = std::fs::remove_file(&fresh);
    let fresh_arg = fresh.to_str().expect("a path").to_owned();
    let args_fresh = args(&fresh_arg);
    let args_fresh: Vec<&str> = args_fresh.iter().map(String::as_str).collect();
    let once = roe_stdin(&args_fresh, &leads.concat());
    assert_eq!(resumed, assignees(&stdout(&once)));
}

/// A CSV file Excel saved as Windows-1252 is read with `--encoding
/// windows-1252`; without it, the run stops at the first byte that is not
/// UTF-8 and says how to name the encoding. A UTF-16 file with its
/// byte-order mark is read as it is.
#[test]
fn records_in_another_encoding_are_named_or_refused_never_mangled() {
    let dir = scratch("encodings");
    let text = std::fs::read_to_string("tests/run/csv_input.csv")
        .expect("the CSV")
        .replace("Smith & Co", "Müller & Söhne");
    let (latin, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    let latin = write(&dir, "latin.csv", &latin);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let utf16 = write(&dir, "utf16.csv", &utf16);
    let utf8 = write(&dir, "utf8.csv", &text);
    let run = |file: &str, more: &[&str]| {
        let mut args = vec![
            "run",
            "tests/run/csv_input.roe",
            "--records",
            file,
            "--now",
            "2026-11-30T10:00:00Z",
        ];
        args.extend(more);
        roe(&args)
    };
    let expected = stdout(&run(&utf8, &[]));
    assert!(expected.contains("O-1"), "{expected}");
    let named = run(&latin, &["--encoding", "windows-1252"]);
    assert_eq!(stdout(&named), expected, "{}", stderr(&named));
    let sniffed = run(&utf16, &[]);
    assert_eq!(stdout(&sniffed), expected, "{}", stderr(&sniffed));
    let refused = run(&latin, &[]);
    assert_eq!(code(&refused), 2);
    assert!(
        stderr(&refused).contains("--encoding windows-1252"),
        "{}",
        stderr(&refused)
    );
    let bad_label = run(&latin, &["--encoding", "latin-9000"]);
    assert_eq!(code(&bad_label), 2);
    assert!(
        stderr(&bad_label).contains("not an encoding label"),
        "{}",
        stderr(&bad_label)
    );
}

/// `roe simulate` assigns a batch and reports per team and member (leads,
/// shares, cap and absence skips, overflow, how even or how close to the
/// weights), as a table or JSON, and keeps nothing: a state file it starts
/// from is the same afterwards.
#[test]
fn simulate_reports_assignment_per_team_and_saves_nothing() {
    let dir = scratch("simulate");
    let records = write(
        &dir,
        "leads.jsonl",
        (1..=12)
            .map(|i| lead_line(i, ["FR", "US", "DE"][i % 3], "50"))
            .collect::<String>(),
    );
    let roster = write(
        &dir,
        "roster.json",
        r#"[{"member":"ben@acme.example","away":[{"from":"2026-11-30T00:00:00Z","until":"2026-12-01T00:00:00Z"}]}]"#,
    );
    let args = |more: &[&str]| {
        let mut args = vec![
            "simulate",
            "tests/assign/teams.roe",
            "--records",
            &records,
            "--roster",
            &roster,
            "--now",
            "2026-11-30T10:00:00Z",
        ];
        args.extend(more);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |more: &[&str]| {
        let args = args(more);
        roe(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let table = run(&[]);
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    insta::assert_snapshot!("simulate_table", stdout(&table));
    let json = run(&["--format", "json"]);
    let teams: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(teams[0]["team"], "emea");
    assert_eq!(teams[0]["away_skips"], 4);
    // A state file it starts from is left as it was.
    let state = fresh_state(&dir);
    let first = roe(&[
        "run",
        "tests/assign/teams.roe",
        "--records",
        &records,
        "--now",
        "2026-11-30T10:00:00Z",
        "--state",
        state.to_str().expect("a path"),
    ]);
    assert_eq!(code(&first), 0);
    let before = std::fs::read(&state).expect("the state");
    let simulated = run(&["--state", state.to_str().expect("a path")]);
    assert_eq!(code(&simulated), 0, "{}", stderr(&simulated));
    assert!(
        stdout(&simulated).contains("assigned again 4"),
        "{}",
        stdout(&simulated)
    );
    let again = roe(&[
        "run",
        "tests/assign/teams.roe",
        "--records",
        &records,
        "--now",
        "2026-11-30T10:00:00Z",
        "--state",
        state.to_str().expect("a path"),
    ]);
    assert_eq!(assignees(&stdout(&again)), assignees(&stdout(&first)));
    assert_eq!(
        std::fs::read(&state).map(|b| b.len()).ok(),
        Some(before.len())
    );
}

/// `roe explain --assign` shows who a hand-off would go to; with `--state`,
/// a record assigned before shows its recorded assignee, and nothing is saved.
#[test]
fn explain_shows_the_assignee_a_record_would_get() {
    let dir = scratch("explain-assign");
    let state = fresh_state(&dir);
    let records = write(
        &dir,
        "leads.jsonl",
        (1..=3)
            .map(|i| lead_line(i, "FR", "50"))
            .collect::<String>(),
    );
    let state = state.to_str().expect("a path");
    let explain = |more: &[&str]| {
        let mut args = vec![
            "explain",
            "tests/assign/teams.roe",
            "--records",
            &records,
            "--id",
            "L-3",
            "--now",
            "2026-11-30T10:00:00Z",
        ];
        args.extend(more);
        stdout(&roe(&args))
    };
    assert!(explain(&["--assign"]).contains(r#""assignee":"ana@acme.example""#));
    let run = roe(&[
        "run",
        "tests/assign/teams.roe",
        "--records",
        &records,
        "--now",
        "2026-11-30T10:00:00Z",
        "--state",
        state,
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    // L-3 was the third FR lead: chen's turn.
    assert!(explain(&["--state", state]).contains(r#""assignee":"chen@acme.example""#));
    assert!(
        explain(&["--state", state]).contains(r#""assignee":"chen@acme.example""#),
        "and nothing was saved"
    );
    assert!(!explain(&[]).contains("assignee"));
}

/// `roe roster --import` keeps a roster (CSV or JSON) in the state, checked
/// first; `roe roster` prints it; `roe run --state` without `--roster`
/// assigns with it.
#[test]
fn a_roster_kept_in_the_state_is_the_one_runs_use() {
    let dir = scratch("roster");
    let state = fresh_state(&dir);
    let state = state.to_str().expect("a path").to_owned();
    let csv = write(
        &dir,
        "roster.csv",
        "member,user_id,away_from,away_until\nben@acme.example,005B,2026-11-30T00:00:00Z,2026-12-01T00:00:00Z\nana@acme.example,005A,,\n",
    );
    let imported = roe(&["roster", "--state", &state, "--import", &csv]);
    assert_eq!(code(&imported), 0, "{}", stderr(&imported));
    assert!(
        stderr(&imported).contains("2 people kept"),
        "{}",
        stderr(&imported)
    );
    let kept = roe(&["roster", "--state", &state]);
    let kept: serde_json::Value = serde_json::from_str(&stdout(&kept)).expect("JSON");
    assert_eq!(kept[0]["member"], "ben@acme.example");
    // A bad roster is refused and the kept one stays.
    let bad = write(&dir, "bad.json", r#"[{"name":"x"}]"#);
    let refused = roe(&["roster", "--state", &state, "--import", &bad]);
    assert_eq!(code(&refused), 2);
    assert!(
        stderr(&refused).contains("bad.json"),
        "{}",
        stderr(&refused)
    );
    // Ben is away: the run takes the kept roster, with ids.
    let records = write(
        &dir,
        "leads.jsonl",
        (1..=3)
            .map(|i| lead_line(i, "FR", "50"))
            .collect::<String>(),
    );
    let run = roe(&[
        "run",
        "tests/assign/teams.roe",
        "--records",
        &records,
        "--now",
        "2026-11-30T10:00:00Z",
        "--state",
        &state,
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let out = stdout(&run);
    assert!(!out.contains("ben@acme.example"), "{out}");
    assert!(
        out.contains("\"assignee\":\"ana@acme.example\",\"assignee_id\":\"005A\""),
        "{out}"
    );
}
