//! Lex, parse and check arbitrary text, then render its diagnostics: never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let compilation = roe::compile_source("fuzz.roe", text);
        let _ = roe::diagnostics::render::human(&compilation.sources, &compilation.diagnostics, false);
        let _ = roe::diagnostics::render::json(&compilation.sources, &compilation.diagnostics);
    }
});
