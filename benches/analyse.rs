//! The static analysis of `roe lint` on the 1,000-rule territory policy
//! (country × industry × employee band, shuffled): with its `otherwise`, and
//! without it, when the gap search must cover the whole grid. The findings
//! are counted once, so the bench shows it analyses what it claims to.

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a benchmark whose inputs are missing cannot measure anything"
)]

mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn analyse_territories(c: &mut Criterion) {
    let now: jiff::Timestamp = "2026-11-30T10:00:00Z".parse().expect("an instant");
    let with_otherwise = workloads::territory_policy();
    let without = with_otherwise.replace("\notherwise\n  hand off to territory_0\n", "\n");
    assert_ne!(
        with_otherwise, without,
        "the workload ends with its otherwise"
    );
    let mut group = c.benchmark_group("analyse_territories_1000_rules");
    group.sample_size(10);
    for (name, source) in [
        ("with_otherwise", &with_otherwise),
        ("without_otherwise", &without),
    ] {
        let compilation = roe::compile_source("territories.roe", source);
        let checked = compilation.checked.expect("the workload checks");
        let program = compilation.program.expect("the workload compiles");
        let findings = roe::analysis::analyse(&checked, &program, &compilation.sources, now);
        // At the default levels, as `roe lint` reports them.
        let shown = roe::analysis::levels::Levels::default().apply(findings, false);
        let codes: Vec<&str> = shown.iter().map(|d| d.code).collect();
        eprintln!("{name}: findings {codes:?}");
        group.bench_function(name, |b| {
            b.iter(|| {
                roe::analysis::analyse(black_box(&checked), &program, &compilation.sources, now)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, analyse_territories);
criterion_main!(benches);
