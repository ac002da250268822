//! Loading a compiled 1,000-rule policy against compiling its source: what a
//! service gains by shipping `.roec` files. The sizes are printed once.

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a benchmark whose inputs are missing cannot measure anything"
)]

mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn load_against_compile(c: &mut Criterion) {
    let source = workloads::territory_policy();
    let program = roe::compile_source("territories.roe", &source)
        .program
        .expect("the workload compiles");
    let full = roe::bytecode::format::encode(&program);
    let stripped = roe::bytecode::format::encode(&program.stripped());
    eprintln!(
        "1,000-rule policy: source {} bytes, .roec {} bytes with debug info, {} bytes stripped",
        source.len(),
        full.len(),
        stripped.len()
    );
    let mut group = c.benchmark_group("territories_1000_rules");
    group.sample_size(20);
    group.bench_function("compile_source", |b| {
        b.iter(|| roe::compile_source("territories.roe", black_box(&source)))
    });
    group.bench_function("load_roec", |b| {
        b.iter(|| roe::load(black_box(&full)).expect("loads"))
    });
    group.bench_function("load_roec_stripped", |b| {
        b.iter(|| roe::load(black_box(&stripped)).expect("loads"))
    });
    group.finish();
}

criterion_group!(benches, load_against_compile);
criterion_main!(benches);
