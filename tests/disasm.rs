//! Golden listings: each `tests/run/*.roe` compiled, written to `.roec`,
//! loaded back and disassembled, in `tests/snapshots/disasm__listing@*.snap`.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

#[test]
fn listing() {
    insta::glob!("run/*.roe", |path| {
        let (compilation, rendered) = common::compile(path);
        let program = compilation.program.unwrap_or_else(|| panic!("{rendered}"));
        let bytes = roe::bytecode::format::encode(&program);
        let header = roe::bytecode::format::header(&bytes).expect("a header");
        let loaded = roe::bytecode::format::decode(&bytes).expect("loads");
        let listing = roe::bytecode::disasm::disassemble(&loaded, Some(&header));
        // The compiler's version changes with every release; the rest must not.
        let listing = listing.replace(env!("CARGO_PKG_VERSION"), "VERSION");
        insta::assert_snapshot!(listing);
    });
}
