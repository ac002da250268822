//! Authoring mistakes: each `tests/ui/*.roe` file with the diagnostics roe
//! draws for it, uncoloured, in `tests/snapshots/ui__diagnostics@*.snap`.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

#[test]
fn diagnostics() {
    insta::glob!("ui/*.roe", |path| {
        let source = std::fs::read_to_string(path).expect("readable");
        let (compilation, rendered) = common::compile(path);
        assert!(
            !compilation.diagnostics.is_empty(),
            "{} should report at least one mistake",
            path.display()
        );
        let codes: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code).collect();
        insta::assert_snapshot!(format!(
            "{source}\n──── codes: {} ────\n{rendered}",
            codes.join(", ")
        ));
    });
}
