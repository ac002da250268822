//! A small routing service loop built on the runtime alone: it loads a compiled
//! policy once, then decides each JSON record read from standard input and
//! prints one decision line per record, as soon as it is decided.
//!
//! ```sh
//! cargo run --example embed -- tests/roec/inbound_routing.roec < examples/inbound_leads.jsonl
//! ```
//!
//! A service that must not run a policy compiled against another CRM schema
//! passes the fingerprint it was built for as a second argument (see
//! `roe disasm`); a mismatch is refused before any record is read.

use std::io::{BufRead, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: embed POLICY.roec [SCHEMA-FINGERPRINT] < records.jsonl");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("embed: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = match args.next().map(|f| u64::from_str_radix(&f, 16)) {
        None => roe::load(&bytes),
        Some(Ok(fingerprint)) => {
            roe::bytecode::format::decode_expecting(&bytes, fingerprint).map(roe::Policy::new)
        }
        Some(Err(_)) => {
            eprintln!("embed: the fingerprint is 16 hex digits, as `roe disasm` prints it");
            return ExitCode::from(2);
        }
    };
    let policy = match loaded {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("embed: cannot load {path}: {e}");
            return ExitCode::from(1);
        }
    };
    // One `now` for the whole run, so the decisions are reproducible.
    let now = jiff::Timestamp::now();
    let mut vm = policy.vm(now);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut index = 0;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Some(record) = roe::input::jsonl_line(&line) else {
            continue;
        };
        let (id, outcome) = match &record {
            Ok(record) => (record.id.as_ref(), vm.decide(&record.json)),
            Err(e) => (None, Err(e.clone())),
        };
        let written = writeln!(out, "{}", roe::vm::decision::line(index, id, &outcome))
            .and_then(|()| out.flush());
        if written.is_err() {
            break;
        }
        index += 1;
    }
    ExitCode::SUCCESS
}
