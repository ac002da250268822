//! The runtime alone (this test runs with and without the `compiler` feature):
//! a committed `.roec` loads, and decides the shipped example records exactly
//! as the committed decisions say.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

const ROEC: &[u8] = include_bytes!("roec/inbound_routing.roec");

#[test]
fn a_compiled_policy_decides_without_the_compiler() {
    let program = roe::load(ROEC).expect("the committed .roec loads");
    let now: jiff::Timestamp = "2026-12-01T09:00:00Z".parse().expect("an instant");
    let text =
        std::fs::read_to_string("examples/inbound_leads.jsonl").expect("the example records");
    let records: Vec<roe::vm::Record> = text
        .lines()
        .filter_map(roe::input::jsonl_line)
        .map(|r| r.expect("valid JSON"))
        .collect();
    let values: Vec<serde_json::Value> = records.iter().map(|r| r.json.clone()).collect();
    let lines: Vec<String> = roe::decide_batch(&program, &values, now)
        .iter()
        .enumerate()
        .map(|(i, outcome)| roe::vm::decision::line(i, records[i].id.as_ref(), outcome))
        .collect();
    let expected = std::fs::read_to_string("examples/inbound_routing.decisions.jsonl")
        .expect("committed decisions");
    assert_eq!(lines, expected.lines().collect::<Vec<_>>());
}

#[test]
fn the_program_describes_the_records_it_expects() {
    let policy = roe::load(ROEC).expect("loads");
    let program = policy.program();
    let subject = program.subject().expect("a subject record");
    assert_eq!(subject.name, "lead");
    let score = subject.field("score").expect("lead.score").1;
    assert_eq!(program.schema().display(&score.ty), "int");
    let header = roe::bytecode::format::header(ROEC).expect("a header");
    assert_eq!(header.schema_fingerprint, program.schema_fingerprint());
    assert!(roe::bytecode::format::decode_expecting(ROEC, program.schema_fingerprint()).is_ok());
    let refused = roe::bytecode::format::decode_expecting(ROEC, 0x0123_4567_89ab_cdef)
        .expect_err("another schema");
    let message = refused.to_string();
    assert!(
        message.contains("0123456789abcdef")
            && message.contains(&format!("{:016x}", program.schema_fingerprint())),
        "{message}"
    );
}

/// A VM moved to another instant decides every record as a VM made at that
/// instant does, the decisions it kept at the old one (with their deadlines)
/// included, so one VM serves records that each carry their own `now`.
#[test]
fn a_vm_moved_to_another_now_decides_as_one_made_there() {
    let policy = roe::load(ROEC).expect("loads");
    let text =
        std::fs::read_to_string("examples/inbound_leads.jsonl").expect("the example records");
    let instants: Vec<jiff::Timestamp> = ["2026-12-01T09:00:00Z", "2026-12-02T17:30:00Z"]
        .iter()
        .map(|t| t.parse().expect("an instant"))
        .collect();
    let mut moved = policy.vm(instants[0]);
    for round in 0..4 {
        let now = instants[round % 2];
        moved.set_now(now);
        let mut fresh = policy.vm(now);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            assert_eq!(
                moved.decide_line(line).1,
                fresh.decide_line(line).1,
                "{line}"
            );
        }
    }
}
