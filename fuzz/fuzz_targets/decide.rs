//! Decide arbitrary JSON records with the shipped inbound example: never a panic.
#![no_main]

use std::sync::OnceLock;

static PROGRAM: OnceLock<Option<roe::bytecode::program::Program>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let program = PROGRAM.get_or_init(|| {
        let source = include_str!("../../examples/inbound_routing.roe");
        roe::compile_source("inbound_routing.roe", source).program
    });
    let (Some(program), Ok(text)) = (program, std::str::from_utf8(data)) else { return };
    let now = jiff::Timestamp::UNIX_EPOCH;
    let mut vm = roe::vm::Vm::new(program, now);
    for (index, line) in text.lines().enumerate() {
        if let Some(record) = roe::input::jsonl_line(line) {
            let outcome = match &record {
                Ok(json) => vm.decide(json),
                Err(e) => Err(e.clone()),
            };
            let _ = roe::vm::decision::line(index, None, &outcome);
        }
    }
});
