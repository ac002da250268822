//! Benchmarks of deciding records: bound records through the VM for each
//! shipped example policy, a whole run over generated leads, and the W1 and W2
//! workloads beside hand-written closures that decide the same way.

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a benchmark whose inputs are missing cannot measure anything"
)]

mod workloads;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn program(path: &str) -> roe::bytecode::program::Program {
    let compilation =
        roe::compile_file(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    compilation
        .program
        .unwrap_or_else(|| panic!("{path} does not compile"))
}

fn records(path: &str, program: &roe::bytecode::program::Program) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let format = roe::input::InputFormat::from_extension(std::path::Path::new(path))
        .unwrap_or(roe::input::InputFormat::Jsonl);
    let parts = program.parts();
    roe::input::read(format, &text, &parts.schema, parts.subject)
        .into_iter()
        .filter_map(Result::ok)
        .map(|record| record.json)
        .collect()
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_032_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn examples(c: &mut Criterion) {
    let cases = [
        (
            "inbound_routing",
            "examples/inbound_routing.roe",
            "examples/inbound_leads.jsonl",
        ),
        (
            "opportunity_ownership",
            "examples/opportunity_ownership.roe",
            "examples/opportunities.csv",
        ),
        (
            "lead_hygiene",
            "examples/lead_hygiene.roe",
            "examples/hygiene_leads.json",
        ),
    ];
    for (name, path, data) in cases {
        let program = program(path);
        let records = records(data, &program);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(records.len() as u64));
        let policy = roe::Policy::new(program);
        let mut vm = policy.vm(now());
        let bound: Vec<_> = records
            .iter()
            .map(|r| vm.bind(r).expect("example records are valid"))
            .collect();
        group.bench_function("decide_bound", |b| {
            b.iter(|| {
                for r in &bound {
                    black_box(vm.decide_bound(black_box(r)).is_ok());
                }
            });
        });
        group.bench_function("bind", |b| {
            b.iter(|| {
                for r in &records {
                    black_box(vm.bind(black_box(r)).is_ok());
                }
            });
        });
        group.bench_function("bind_and_decide", |b| {
            b.iter(|| {
                for r in &records {
                    black_box(vm.decide(black_box(r)).is_ok());
                }
            });
        });
        group.finish();
    }
}

fn end_to_end(c: &mut Criterion) {
    let policy = roe::Policy::new(program("examples/inbound_routing.roe"));
    let text = workloads::crm_leads_jsonl(100_000);
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("inbound_routing_100k_jsonl", |b| {
        b.iter(|| {
            let mut vm = policy.vm(now());
            let mut bytes = 0usize;
            for (index, line) in text.lines().enumerate() {
                if !line.trim().is_empty() {
                    let (id, outcome) = vm.decide_line(line);
                    bytes += roe::vm::decision::line(index, id.as_ref(), &outcome).len();
                }
            }
            black_box(bytes)
        });
    });
    // The same through the library's batch decider, as `roe run` decides a
    // file: blocks of lines on every core, lines delivered in input order.
    let lines: Vec<&str> = text.lines().collect();
    group.bench_function("inbound_routing_100k_jsonl_every_core", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            let delivered: Result<(), ()> = roe::batch::in_order(
                roe::batch::Spread::every_core(),
                lines.chunks(roe::batch::BLOCK).enumerate(),
                || policy.vm(now()),
                |vm, (b, block)| {
                    let mut out = String::with_capacity(block.len() * 160);
                    for (i, line) in block.iter().enumerate() {
                        let (id, outcome) = vm.decide_line(line);
                        let index = b * roe::batch::BLOCK + i;
                        out.push_str(&roe::vm::decision::line(index, id.as_ref(), &outcome));
                        out.push('\n');
                    }
                    out
                },
                |block| {
                    bytes += block.map_err(|_| ())?.len();
                    Ok(())
                },
            );
            black_box((delivered, bytes))
        });
    });
    // The same from a reader, as `roe run` decides a file now: blocks read
    // by `roe::input::blocks` (bounded memory) instead of a whole-file text.
    let parts = policy.program().parts();
    group.bench_function("inbound_routing_100k_jsonl_streamed_every_core", |b| {
        b.iter(|| {
            let mut bytes = 0usize;
            let blocks = roe::input::blocks(
                text.as_bytes(),
                roe::input::InputFormat::Jsonl,
                &parts.schema,
                parts.subject,
                roe::input::BlockSize::DEFAULT,
            );
            let delivered: Result<(), ()> = roe::batch::in_order(
                roe::batch::Spread::every_core(),
                blocks,
                || policy.vm(now()),
                |vm, block| {
                    let mut out = String::new();
                    if let Ok(roe::input::Block {
                        first,
                        records: roe::input::Records::Lines(lines),
                        ..
                    }) = block
                    {
                        out.reserve(roe::input::BlockSize::DEFAULT.records * 160);
                        for (index, line) in (*first..).zip(lines.iter()) {
                            let (id, outcome) = vm.decide_line(line);
                            out.push_str(&roe::vm::decision::line(index, id.as_ref(), &outcome));
                            out.push('\n');
                        }
                    }
                    out
                },
                |block| {
                    bytes += block.map_err(|_| ())?.len();
                    Ok(())
                },
            );
            black_box((delivered, bytes))
        });
    });
    // The floor the run is measured against: parsing the same lines with serde_json alone.
    group.bench_function("serde_json_parse_only_100k_jsonl", |b| {
        b.iter(|| {
            text.lines()
                .filter(|line| serde_json::from_str::<serde_json::Value>(line).is_ok())
                .count()
        });
    });
    group.finish();
}

/// The name of the rule that decided, as the closures name it (`None` for `otherwise`).
fn decided_rule(vm: &mut roe::vm::Vm<'_>, record: &roe::vm::BoundRecord) -> Option<String> {
    match vm.decide_bound(record).map(|d| d.decided().clone()) {
        Ok(roe::vm::Decided::Rule(Some(name))) if name != "otherwise" => Some(name),
        _ => None,
    }
}

/// The workload's policy compiled, its records bound, and the same records as
/// structs for the closures, which are checked to decide exactly as the VM does.
fn workload<'p>(
    policy: &'p roe::Policy,
    closures: &[workloads::Closure],
) -> (
    roe::vm::Vm<'p>,
    Vec<roe::vm::BoundRecord>,
    Vec<workloads::Lead>,
) {
    let records = workloads::leads(1_000);
    let mut vm = policy.vm(now());
    let bound: Vec<_> = records
        .iter()
        .map(|r| vm.bind(r).expect("valid records"))
        .collect();
    let structs: Vec<_> = records.iter().map(workloads::Lead::from_json).collect();
    for (b, l) in bound.iter().zip(&structs) {
        assert_eq!(
            decided_rule(&mut vm, b).as_deref(),
            workloads::first_match(closures, l),
            "the closures and the VM disagree"
        );
    }
    (vm, bound, structs)
}

/// Deciding every bound record with `vm`, the decision lent by the VM.
fn bench_vm(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    vm: &mut roe::vm::Vm<'_>,
    bound: &[roe::vm::BoundRecord],
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            bound
                .iter()
                .filter(|r| vm.decide_bound_ref(black_box(r)).is_ok())
                .count()
        });
    });
}

/// Deciding every lead with the hand-written closures.
fn bench_closures(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    closures: &[workloads::Closure],
    structs: &[workloads::Lead],
) {
    group.bench_function("closures", |b| {
        b.iter(|| {
            structs
                .iter()
                .filter(|l| workloads::first_match(closures, black_box(l)).is_some())
                .count()
        });
    });
}

/// W1: six rules, decided by the VM and by hand-written closures over a struct.
fn inbound(c: &mut Criterion) {
    let policy = roe::Policy::new(
        roe::compile_source("inbound.roe", &workloads::inbound_policy())
            .program
            .expect("the workload compiles"),
    );
    let closures = workloads::w1_closures();
    let (mut vm, bound, structs) = workload(&policy, &closures);
    let mut group = c.benchmark_group("w1_inbound_6_rules");
    group.throughput(Throughput::Elements(bound.len() as u64));
    bench_vm(&mut group, "decide_bound", &mut vm, &bound);
    // The same, each decision a handle the caller keeps.
    group.bench_function("decide_bound_owned", |b| {
        b.iter(|| {
            bound
                .iter()
                .filter(|r| vm.decide_bound(black_box(r)).is_ok())
                .count()
        });
    });
    bench_closures(&mut group, &closures, &structs);
    group.finish();
}

/// W1's rules under `all match` and `unique match`, beside closures that
/// collect every rule that holds (a new list per lead, as written by hand).
fn inbound_every_match(c: &mut Criterion) {
    let closures = workloads::w1_closures();
    let records = workloads::leads(1_000);
    let structs: Vec<_> = records.iter().map(workloads::Lead::from_json).collect();
    for hit in ["all", "unique"] {
        let policy = roe::Policy::new(workloads::program(
            "inbound.roe",
            &workloads::inbound_policy_under(hit),
        ));
        let mut vm = policy.vm(now());
        let bound: Vec<_> = records
            .iter()
            .map(|r| vm.bind(r).expect("valid records"))
            .collect();
        for (b, l) in bound.iter().zip(&structs) {
            let held: Vec<bool> = (0..closures.len())
                .map(|i| vm.rule_holds(b, i).expect("no record errors"))
                .collect();
            let by_hand = workloads::all_matches(&closures, l);
            let by_vm: Vec<&str> = closures
                .iter()
                .zip(&held)
                .filter(|(_, h)| **h)
                .map(|((n, _), _)| n.as_str())
                .collect();
            assert_eq!(by_vm, by_hand, "the closures and the VM disagree");
        }
        let mut group = c.benchmark_group(format!("w1_{hit}_match_6_rules"));
        group.throughput(Throughput::Elements(bound.len() as u64));
        bench_vm(&mut group, "decide_bound", &mut vm, &bound);
        group.bench_function("closures_collect_all", |b| {
            b.iter(|| {
                structs
                    .iter()
                    .map(|l| workloads::all_matches(&closures, black_box(l)).len())
                    .sum::<usize>()
            });
        });
        group.finish();
    }
}

/// W2: 1,000 territory rules, decided with the rule index, by evaluating every
/// rule in order, and by a linear scan of hand-written closures.
fn territories(c: &mut Criterion) {
    let source = workloads::territory_policy();
    let program = roe::compile_source("territories.roe", &source)
        .program
        .expect("the workload compiles");
    let closures = workloads::w2_closures();
    let policy = roe::Policy::new(program.clone());
    let (mut indexed, bound, structs) = workload(&policy, &closures);
    let mut group = c.benchmark_group("w2_territories_1000_rules");
    group.throughput(Throughput::Elements(bound.len() as u64));
    let now = now();
    bench_vm(&mut group, "indexed", &mut indexed, &bound);
    bench_closures(&mut group, &closures, &structs);
    let no_index = roe::vm::plan::PlanOptions {
        index: false,
        ..roe::vm::plan::PlanOptions::ALL
    };
    let unindexed = roe::Policy::with_options(program, no_index);
    let mut plain = unindexed.vm(now);
    group.sample_size(10);
    bench_vm(&mut group, "every_rule", &mut plain, &bound);
    group.finish();
}

/// Assignment's cost: the run pipeline over 100,000 inbound leads on one
/// thread, deciding only, then also assigning each hand-off in memory and in
/// an SQLite state file (committed every 2,048 records, as `roe run` does).
fn assignment(c: &mut Criterion) {
    use roe::assign::{Assigner, Roster, State, Store, sqlite::SqliteStore};
    let program = program("examples/inbound_routing.roe");
    let policy = roe::Policy::new(program.clone());
    let text = workloads::crm_leads_jsonl(100_000);
    let run = |assigner: Option<&mut Assigner<Box<dyn Store>>>| {
        let mut vm = policy.vm(now());
        let mut bytes = 0usize;
        let mut assigner = assigner;
        for (index, line) in text.lines().enumerate() {
            let (id, outcome) = vm.decide_line(line);
            let outcome = match (&mut assigner, outcome) {
                (Some(a), Ok(decision)) => a
                    .assign(id.as_ref(), &decision, now())
                    .map_err(|_| roe::batch_failed()),
                (_, outcome) => outcome,
            };
            if index % 2_048 == 2_047
                && let Some(a) = &mut assigner
            {
                let _ = a.commit();
            }
            bytes += roe::vm::decision::line(index, id.as_ref(), &outcome).len();
        }
        if let Some(a) = &mut assigner {
            let _ = a.commit();
        }
        black_box(bytes)
    };
    let mut group = c.benchmark_group("assign");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("inbound_100k_decide_only", |b| b.iter(|| run(None)));
    group.bench_function("inbound_100k_assign_in_memory", |b| {
        b.iter_batched(
            || {
                Assigner::new(
                    &program,
                    Roster::empty(),
                    Box::new(State::new()) as Box<dyn Store>,
                )
            },
            |mut assigner| run(Some(&mut assigner)),
            criterion::BatchSize::PerIteration,
        );
    });
    let dir = std::env::temp_dir().join(format!("roe-bench-assign-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut n = 0;
    group.bench_function("inbound_100k_assign_sqlite", |b| {
        b.iter_batched(
            || {
                n += 1;
                let path = dir.join(format!("state-{n}.db"));
                let _ = std::fs::remove_file(&path);
                let store = SqliteStore::open(&path).map(|s| Box::new(s) as Box<dyn Store>);
                Assigner::new(
                    &program,
                    Roster::empty(),
                    store.unwrap_or_else(|_| Box::new(State::new())),
                )
            },
            |mut assigner| run(Some(&mut assigner)),
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(
    benches,
    examples,
    end_to_end,
    assignment,
    inbound,
    inbound_every_match,
    territories
);
criterion_main!(benches);
