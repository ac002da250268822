//! Lex, parse, check and analyse arbitrary text, then render its diagnostics
//! and findings: never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let compilation = roe::compile_source("fuzz.roe", text);
        let _ = roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
        let _ = roe::diagnostics::render::json(&compilation.sources, &compilation.diagnostics);
        if let (Some(checked), Some(program)) = (&compilation.checked, &compilation.program) {
            let findings =
                roe::analysis::analyse(checked, program, &compilation.sources, jiff::Timestamp::UNIX_EPOCH);
            let _ = roe::diagnostics::sarif::log(&[(&compilation.sources, findings.as_slice())]);
        }
    }
});
