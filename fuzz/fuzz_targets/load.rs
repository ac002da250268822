//! Load arbitrary bytes as a compiled policy: an error or a program, never a
//! panic. The checksum is recomputed first, so the fuzzer explores the section
//! reader and the verifier instead of stopping at the checksum. A program that
//! loads decides a record exactly as the plain interpreter does.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = roe::bytecode::format::decode(data);
    if data.len() >= 8 {
        let mut bytes = data.to_vec();
        let body = bytes.len() - 8;
        let sum = roe::bytecode::fingerprint::fnv1a(&bytes[..body]);
        bytes[body..].copy_from_slice(&sum.to_le_bytes());
        if let Ok(program) = roe::bytecode::format::decode(&bytes) {
            let record = serde_json::json!({"id": "L-1", "score": 80, "country": "DE"});
            let now = jiff::Timestamp::UNIX_EPOCH;
            let interpreted = roe::vm::plan::PlanOptions::INTERPRETED;
            let plain = roe::Policy::with_options(program.clone(), interpreted).vm(now).decide(&record);
            let fast = roe::Policy::new(program).vm(now).decide(&record);
            assert_eq!(fast, plain, "the plan changed a decision");
        }
    }
});
