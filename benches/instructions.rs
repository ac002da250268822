//! The decide workloads of `benches/decide.rs`, each run a fixed number of
//! times inside one function, `measured`, for instruction counts that a
//! noisy machine does not move:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/deps/instructions-HASH w1
//! ```
//!
//! Run without valgrind it prints each workload's checksum, so two builds
//! can be checked to do the same work. Workloads: `w1` (six rules, first
//! match), `w1_all`, `w1_unique`, `w2` (1,000 rules, indexed), `run` (100,000
//! JSON lines read, decided and written as lines, on one thread).

#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "a benchmark whose inputs are missing cannot measure anything"
)]

mod workloads;

use std::hint::black_box;

/// How many times each workload's records are decided.
const REPEATS: usize = 100;

fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_796_032_800).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn policy(name: &str, source: &str) -> roe::Policy {
    roe::Policy::new(workloads::program(name, source))
}

/// Decides every bound record `REPEATS` times; the count of decisions that
/// are not errors.
#[inline(never)]
fn measured_bound(vm: &mut roe::vm::Vm<'_>, bound: &[roe::vm::BoundRecord]) -> usize {
    let mut decided = 0;
    for _ in 0..REPEATS {
        for record in bound {
            decided += usize::from(vm.decide_bound_ref(black_box(record)).is_ok());
        }
    }
    decided
}

/// Decides every line and writes its output line, once; the bytes written.
#[inline(never)]
fn measured_run(vm: &mut roe::vm::Vm<'_>, text: &str) -> usize {
    let mut bytes = 0;
    for (index, line) in text.lines().enumerate() {
        let (id, outcome) = vm.decide_line(line);
        bytes += roe::vm::decision::line(index, id.as_ref(), &outcome).len();
    }
    bytes
}

fn bound_workload(policy: &roe::Policy) -> usize {
    let mut vm = policy.vm(now());
    let bound: Vec<_> = workloads::leads(1_000)
        .iter()
        .map(|r| vm.bind(r).expect("valid records"))
        .collect();
    measured_bound(&mut vm, &bound)
}

fn main() {
    let workload = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let checksum = match workload.as_str() {
        "w1" => bound_workload(&policy("w1.roe", &workloads::inbound_policy())),
        "w1_all" => bound_workload(&policy("w1.roe", &workloads::inbound_policy_under("all"))),
        "w1_unique" => bound_workload(&policy(
            "w1.roe",
            &workloads::inbound_policy_under("unique"),
        )),
        "w2" => bound_workload(&policy("w2.roe", &workloads::territory_policy())),
        "run" => {
            let source = std::fs::read_to_string("examples/inbound_routing.roe")
                .expect("run from the repository's root");
            let policy = policy("inbound_routing.roe", &source);
            let text = workloads::crm_leads_jsonl(100_000);
            measured_run(&mut policy.vm(now()), &text)
        }
        // `cargo bench` runs every bench target with `--bench`: nothing to do.
        _ => return,
    };
    println!("{workload}: {checksum}");
}
