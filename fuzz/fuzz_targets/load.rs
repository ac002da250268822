//! Load arbitrary bytes as a compiled policy: an error or a program, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = roe::bytecode::format::decode(data);
});
