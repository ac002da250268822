//! The `.roec` format: deterministic, fresh fixtures, every truncation and
//! single-byte change refused, damaged programs stopped by the verifier (the
//! checksum is recomputed so the damage reaches it), and clear refusals of
//! other format versions and other schemas.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use roe::bytecode::format::{self, DecodeError};
use roe::bytecode::instruction::Instruction;
use roe::bytecode::program::{ActionTemplate, Block, Program, ProgramParts, SloLength};

fn compiled(path: &str) -> Program {
    roe::compile_file(std::path::Path::new(path))
        .expect("readable")
        .program
        .expect("compiles")
}

/// Replaces the trailing checksum so a changed body reaches the decoder and verifier.
fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 8;
    let sum = roe::bytecode::fingerprint::fnv1a(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn the_committed_fixture_is_what_the_compiler_writes_today() {
    let fresh = format::encode(&compiled("examples/inbound_routing.roe"));
    let committed = std::fs::read("tests/roec/inbound_routing.roec").expect("the fixture");
    assert!(
        fresh == committed,
        "tests/roec/inbound_routing.roec is stale: run `cargo run -- build examples/inbound_routing.roe -o tests/roec/inbound_routing.roec`"
    );
}

#[test]
fn encoding_is_deterministic_and_round_trips() {
    for path in [
        "examples/inbound_routing.roe",
        "examples/opportunity_ownership.roe",
        "examples/lead_hygiene.roe",
        "tests/assign/owners.roe",
    ] {
        let a = format::encode(&compiled(path));
        let b = format::encode(&compiled(path));
        assert_eq!(a, b, "{path}");
        let loaded = format::decode(&a).expect("loads");
        assert_eq!(
            format::encode(&loaded),
            a,
            "{path}: decode then encode gives the same bytes"
        );
    }
}

#[test]
fn a_team_with_a_short_name_and_nothing_else_round_trips() {
    // The smallest team is 12 bytes and its name: a reader once asked for 15.
    let source = "policy p for lead\nrecord lead\n  id: string\nteam ab\n  queue\notherwise\n  hand off to ab\n";
    let compilation = roe::compile_source("p.roe", source);
    let program = compilation.program.expect("compiles");
    let bytes = format::encode(&program);
    let loaded = format::decode(&bytes).expect("loads");
    assert_eq!(format::encode(&loaded), bytes);
}

#[test]
fn every_truncation_is_refused() {
    let bytes = format::encode(&compiled("examples/lead_hygiene.roe"));
    for len in 0..bytes.len() {
        assert!(
            format::decode(&bytes[..len]).is_err(),
            "a file cut at {len} bytes loaded"
        );
    }
}

#[test]
fn every_single_byte_change_is_refused() {
    let bytes = format::encode(&compiled("examples/inbound_routing.roe").stripped());
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut changed = bytes.clone();
            changed[at] ^= flip;
            assert!(
                format::decode(&changed).is_err(),
                "byte {at} ^ {flip:#04x} loaded"
            );
        }
    }
}

/// With the checksum recomputed, damage reaches the section reader and the
/// verifier: each change is refused or loads as a valid program, never a panic.
#[test]
fn damage_past_the_checksum_never_panics_and_loaded_programs_run() {
    let bytes = format::encode(&compiled("examples/inbound_routing.roe").stripped());
    let record = serde_json::json!({"id":"L-1","email":"a@b.example","country":"DE","segment":"smb","source":"web","status":"raw","score":80,"created_at":"2026-11-30T09:00:00Z","do_not_route":false});
    let now = "2026-11-30T10:00:00Z".parse().expect("an instant");
    let (mut refused, mut loaded) = (0, 0);
    for at in 0..bytes.len() - 8 {
        for value in [0x00u8, 0x01, 0x7F, 0xFF] {
            let mut changed = bytes.clone();
            changed[at] = value;
            match format::decode(&with_checksum(changed)) {
                Err(_) => refused += 1,
                Ok(program) => {
                    loaded += 1;
                    let _ = roe::decide(&roe::Policy::new(program), &record, now);
                }
            }
        }
    }
    assert!(
        refused > loaded,
        "most damage is refused ({refused} refused, {loaded} loaded)"
    );
}

#[test]
fn another_format_version_is_named() {
    let mut bytes = format::encode(&compiled("examples/inbound_routing.roe"));
    bytes[4..6].copy_from_slice(&2u16.to_le_bytes());
    let error = format::decode(&with_checksum(bytes)).expect_err("version 2 is not read");
    assert_eq!(
        error,
        DecodeError::Version {
            found: 2,
            supported: 3
        }
    );
    assert!(
        error.to_string().contains("format version 2")
            && error.to_string().contains("reads version 3")
    );
}

#[test]
fn stripping_keeps_decisions_and_drops_sources() {
    let program = compiled("examples/inbound_routing.roe");
    let full = format::encode(&program);
    let stripped = format::encode(&program.stripped());
    assert!(
        stripped.len() * 2 < full.len(),
        "{} vs {}",
        stripped.len(),
        full.len()
    );
    let stripped = format::decode(&stripped).expect("loads");
    assert!(stripped.parts().debug.is_none());
    let listing = roe::bytecode::disasm::disassemble(&stripped, None);
    assert!(
        listing.contains("debug info: stripped") && !listing.contains("; examples/"),
        "{listing}"
    );
    let record = serde_json::json!({"id":"L-1","email":"a@b.example","country":"DE","segment":"strategic","source":"web","status":"raw","score":80,"created_at":"2026-11-30T09:00:00Z","do_not_route":false});
    let now = "2026-11-30T10:00:00Z".parse().expect("an instant");
    assert_eq!(
        roe::decide(&roe::Policy::new(stripped), &record, now),
        roe::decide(&roe::Policy::new(program), &record, now)
    );
}

fn parts() -> ProgramParts {
    compiled("tests/run/expressions.roe").parts().clone()
}

fn refused(parts: ProgramParts, expected: &str) {
    match Program::new(parts) {
        Ok(_) => panic!("a damaged program passed the verifier (expected: {expected})"),
        Err(e) => assert!(
            e.0.contains(expected),
            "`{}` should mention `{expected}`",
            e.0
        ),
    }
}

#[test]
fn the_verifier_refuses_an_unbalanced_stack() {
    let mut p = parts();
    let condition = p.rules[0].condition;
    p.rules[0].condition = Block {
        start: condition.start,
        end: condition.end - 1,
    };
    refused(p, "values on the stack");
}

#[test]
fn the_verifier_refuses_a_stack_underflow() {
    let mut p = parts();
    let at = p.rules[0].condition.start as usize;
    p.code[at] = Instruction::Binary(roe::bytecode::value::Op::Add);
    refused(p, "needs 2 values");
}

#[test]
fn the_verifier_refuses_jumps_out_of_their_block() {
    let mut p = parts();
    let (at, _) = p
        .code
        .iter()
        .enumerate()
        .find(|(_, i)| matches!(i, Instruction::JumpIfFalseOrPop(_)))
        .expect("an `and`");
    p.code[at] = Instruction::JumpIfFalseOrPop(u32::try_from(p.code.len()).unwrap());
    refused(p, "leaves its block");
}

#[test]
fn the_verifier_refuses_indices_out_of_bounds() {
    let mut p = parts();
    let at = p
        .code
        .iter()
        .position(|i| matches!(i, Instruction::Const(_)))
        .expect("a constant");
    p.code[at] = Instruction::Const(9_999);
    refused(p, "points outside the program");
    let mut p = parts();
    p.slots.push(vec!["no_such_field".into()]);
    refused(p, "has no field `no_such_field`");
}

#[test]
fn the_verifier_refuses_a_fallback_team_that_does_not_exist() {
    let mut p = compiled("tests/assign/owners.roe").parts().clone();
    let fallback = p
        .rules
        .iter_mut()
        .flat_map(|r| r.actions.iter_mut())
        .find_map(|a| match a {
            ActionTemplate::Assign { fallback, .. } => fallback.as_mut(),
            _ => None,
        })
        .expect("an assignment with a fallback");
    *fallback = 7;
    refused(p, "team #7 does not exist");
}

#[test]
fn the_verifier_refuses_a_let_that_depends_on_itself() {
    let mut p = parts();
    let block = p.lets[0].block;
    p.code[block.start as usize] = Instruction::Let(0);
    refused(p, "depends on itself");
}

#[test]
fn the_verifier_refuses_a_business_duration_the_checker_would_reject() {
    let mut p = compiled("tests/run/business_time.roe").parts().clone();
    let slo = p
        .rules
        .iter_mut()
        .flat_map(|r| r.actions.iter_mut())
        .find_map(|a| match a {
            ActionTemplate::HandOff {
                within: Some(slo), ..
            } => Some(slo),
            _ => None,
        })
        .expect("a hand-off with an SLO");
    let SloLength::Business { amount, .. } = &mut slo.length else {
        panic!("business_time.roe hands off within business time");
    };
    *amount = i64::MAX;
    refused(p, "a business duration of");
}
