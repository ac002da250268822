//! Read arbitrary text as a CSV file of leads and decide every record with
//! the shipped inbound example: never a panic, one result per record read,
//! and the library's batch decider gives the same results in the same order.
#![no_main]

use std::sync::OnceLock;

static POLICY: OnceLock<Option<roe::Policy>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let policy = POLICY.get_or_init(|| {
        let source = include_str!("../../examples/inbound_routing.roe");
        roe::compile_source("inbound_routing.roe", source).into_policy()
    });
    let (Some(policy), Ok(text)) = (policy, std::str::from_utf8(data)) else { return };
    let parts = policy.program().parts();
    let records = roe::input::read(roe::input::InputFormat::Csv, text, &parts.schema, parts.subject);
    let now = jiff::Timestamp::UNIX_EPOCH;
    let mut vm = policy.vm(now);
    let one_by_one: Vec<_> = records
        .iter()
        .map(|record| match record {
            Ok(record) => vm.decide(&record.json),
            Err(e) => Err(e.clone()),
        })
        .collect();
    let valid: Vec<serde_json::Value> =
        records.iter().filter_map(|r| r.as_ref().ok().map(|r| r.json.clone())).collect();
    let batch = roe::decide_batch(policy, &valid, now);
    let decided: Vec<_> = one_by_one.iter().zip(&records).filter(|(_, r)| r.is_ok()).map(|(d, _)| d.clone()).collect();
    assert_eq!(batch, decided, "the batch decider agrees with deciding one by one");
});
