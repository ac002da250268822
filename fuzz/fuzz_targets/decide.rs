//! Decide arbitrary JSON records with the shipped inbound example: never a
//! panic, and binding straight from the text always agrees with parsing the
//! line into a `Value` first (a difference is a crash the fuzzer reports).
#![no_main]

use std::sync::OnceLock;

static POLICY: OnceLock<Option<roe::Policy>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let policy = POLICY.get_or_init(|| {
        let source = include_str!("../../examples/inbound_routing.roe");
        roe::compile_source("inbound_routing.roe", source).program.map(roe::Policy::new)
    });
    let (Some(policy), Ok(text)) = (policy, std::str::from_utf8(data)) else { return };
    let now = jiff::Timestamp::UNIX_EPOCH;
    let mut vm = policy.vm(now);
    let mut from_text = policy.vm(now);
    for (index, line) in text.lines().enumerate() {
        if let Some(record) = roe::input::jsonl_line(line) {
            let (id, outcome) = match &record {
                Ok(record) => (record.id.clone(), vm.decide(&record.json)),
                Err(e) => (None, Err(e.clone())),
            };
            assert_eq!(from_text.decide_line(line), (id.clone(), outcome.clone()), "{line}");
            let _ = roe::vm::decision::line(index, id.as_ref(), &outcome);
        }
    }
});
