//! The analysis is exact on its fragment: for random policies built only from
//! fields compared with constants, enum and bool tests, `in` lists, `is set`,
//! `default`, string equality and `starts with`, under `and`/`or`/`not`, every
//! finding of `roe lint` agrees with deciding every record of a universe that
//! holds one record of each class the constants tell apart. No false alarms
//! (each finding holds on the universe) and no misses (each fact of the
//! universe is found), and every finding is certain, never "may".

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::collections::BTreeSet;

use proptest::prelude::*;
use roe::diagnostics::{Diagnostic, codes};

const HEADER: &str = "\
enum tier gold, silver, bronze
record lead
  id: string
  tier: tier
  vip: bool
  score: int
  region: string
  size: int?
team t0
  members \"a@acme.example\"
team t1
  members \"b@acme.example\"
team t2
  members \"c@acme.example\"
";

/// One record of every class the generated conditions can tell apart.
fn universe() -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for score in -1..=6 {
        for tier in ["gold", "silver", "bronze"] {
            for vip in [false, true] {
                for region in ["", "a", "ab", "abx", "ax", "b", "bx", "c"] {
                    for size in std::iter::once(None).chain((-1..=6).map(Some)) {
                        let mut r = serde_json::json!({
                            "id": "x", "tier": tier, "vip": vip, "score": score, "region": region,
                        });
                        if let Some(size) = size {
                            r["size"] = size.into();
                        }
                        out.push(r);
                    }
                }
            }
        }
    }
    out
}

fn atom() -> impl Strategy<Value = String> {
    let k = 0i64..6;
    prop_oneof![
        (
            prop::sample::select(&["<", "<=", ">", ">=", "=", "!="][..]),
            k.clone()
        )
            .prop_map(|(op, k)| format!("score {op} {k}")),
        prop::sample::select(&["gold", "silver", "bronze"][..]).prop_map(|t| format!("tier = {t}")),
        prop::sample::select(&["gold", "silver", "bronze"][..])
            .prop_map(|t| format!("tier != {t}")),
        Just("tier in [gold, bronze]".to_owned()),
        Just("vip".to_owned()),
        prop::sample::select(&["a", "ab", "b"][..]).prop_map(|s| format!("region = \"{s}\"")),
        prop::sample::select(&["a", "ab", "b"][..])
            .prop_map(|s| format!("region starts with \"{s}\"")),
        Just("region in [\"a\", \"b\"]".to_owned()),
        Just("region not in [\"ab\"]".to_owned()),
        Just("size is set".to_owned()),
        k.clone()
            .prop_map(|k| format!("(size is set and size >= {k})")),
        k.prop_map(|k| format!("default(size, 2) < {k}")),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A policy: hit policy, rules as (condition, team), and whether it has an `otherwise`.
fn policy() -> impl Strategy<Value = (String, Vec<usize>)> {
    (
        prop::sample::select(&["first", "all", "unique"][..]),
        prop::collection::vec((condition(), 0usize..3), 1..6),
        any::<bool>(),
    )
        .prop_map(|(hit, rules, otherwise)| {
            let mut text = format!("policy p for lead\n  {hit} match\n{HEADER}");
            for (i, (c, team)) in rules.iter().enumerate() {
                text.push_str(&format!(
                    "rule r{i}\n  when {c}\n  then hand off to t{team}\n"
                ));
            }
            if otherwise {
                text.push_str("otherwise\n  drop \"none\"\n");
            }
            (text, rules.into_iter().map(|(_, t)| t).collect())
        })
}

/// The rules a finding labels, by index, in label order.
fn labelled(finding: &Diagnostic, sources: &roe::source::SourceMap) -> Vec<usize> {
    finding
        .labels
        .iter()
        .filter_map(|l| sources.snippet(l.span).strip_prefix('r')?.parse().ok())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn findings_agree_with_deciding_every_record((text, teams) in policy()) {
        let compilation = roe::compile_source("p.roe", &text);
        let (program, findings) = common::analyse(&compilation);
        let checked = compilation.checked.as_ref().expect("checked");
        let now = common::NOW.parse().expect("an instant");
        let n = teams.len();
        let policy = program.parts().hit_policy;
        let has_otherwise = checked.otherwise.is_some();

        // Which rules hold for each record of the universe.
        let vm_policy = roe::Policy::new(program.clone());
        let mut vm = vm_policy.vm(now);
        let table: Vec<Vec<bool>> = universe()
            .iter()
            .map(|r| {
                let bound = vm.bind(r).expect("a valid record");
                (0..n).map(|i| vm.rule_holds(&bound, i).expect("evaluates")).collect()
            })
            .collect();
        let first = |row: &Vec<bool>| row.iter().position(|h| *h);
        let never: Vec<bool> = (0..n).map(|i| table.iter().all(|row| !row[i])).collect();
        let always: Vec<bool> = (0..n).map(|i| table.iter().all(|row| row[i])).collect();
        let first_match = policy == roe::bytecode::program::HitPolicy::First;
        let shadowed: Vec<bool> = (0..n)
            .map(|i| first_match && !never[i] && table.iter().all(|row| first(row) != Some(i)))
            .collect();
        let gap = !has_otherwise && table.iter().any(|row| row.iter().all(|h| !h));

        let found = |code: &str| -> Vec<&Diagnostic> { findings.iter().filter(|d| d.code == code).collect() };
        let rules_of = |code: &str, label: usize| -> BTreeSet<usize> {
            found(code).iter().filter_map(|d| labelled(d, &compilation.sources).get(label).copied()).collect()
        };
        for d in &findings {
            prop_assert!(!d.message.contains(" may "), "not certain: {}\n{text}", d.message);
        }
        let expect = |flags: &[bool]| -> BTreeSet<usize> { (0..n).filter(|&i| flags[i]).collect() };
        prop_assert_eq!(rules_of(codes::NEVER_HOLDS, 0), BTreeSet::new(), "W3004 labels the condition, not the name");
        let never_found: BTreeSet<usize> = found(codes::NEVER_HOLDS)
            .iter()
            .filter_map(|d| d.message.split('`').nth(1)?.strip_prefix('r')?.parse().ok())
            .collect();
        prop_assert_eq!(never_found, expect(&never), "never holds\n{}", text);
        let always_found: BTreeSet<usize> = found(codes::ALWAYS_HOLDS)
            .iter()
            .filter_map(|d| d.message.split('`').nth(1)?.strip_prefix('r')?.parse().ok())
            .collect();
        prop_assert_eq!(always_found, expect(&always), "always holds\n{}", text);
        prop_assert_eq!(rules_of(codes::SHADOWED_RULE, 0), expect(&shadowed), "shadowed\n{}", text);
        let owns_nothing_missing = policy == roe::bytecode::program::HitPolicy::All && has_otherwise;
        prop_assert_eq!(!found(codes::GAP).is_empty(), gap && !owns_nothing_missing, "gap\n{}", text);

        // Overlaps, as pairs (upper, lower).
        let mut pairs = BTreeSet::new();
        for a in 0..n {
            for b in a + 1..n {
                let differ = policy == roe::bytecode::program::HitPolicy::Unique || teams[a] != teams[b];
                if !differ || shadowed[b] {
                    continue;
                }
                let shared = table.iter().any(|row| {
                    row[a] && row[b] && (!first_match || first(row) == Some(a))
                });
                if shared {
                    pairs.insert((a, b));
                }
            }
        }
        let reported: BTreeSet<(usize, usize)> = found(codes::OVERLAP)
            .iter()
            .flat_map(|d| {
                let rules = labelled(d, &compilation.sources);
                if first_match {
                    // One note per upper rule, labelling (up to four of) the rules below.
                    let upper = rules[0];
                    rules[1..].iter().map(|&b| (upper, b)).collect::<Vec<_>>()
                } else {
                    vec![(rules[1], rules[0])]
                }
            })
            .collect();
        if first_match {
            prop_assert!(reported.is_subset(&pairs), "overlaps {:?} vs {:?}\n{}", reported, pairs, text);
            let uppers: BTreeSet<usize> = pairs.iter().map(|p| p.0).collect();
            let reported_uppers: BTreeSet<usize> = reported.iter().map(|p| p.0).collect();
            prop_assert_eq!(reported_uppers, uppers, "overlapping rules\n{}", text);
        } else {
            prop_assert_eq!(reported, pairs, "overlaps\n{}", text);
        }
    }
}

/// A condition outside the fragment as often as inside it: lets, `matches`,
/// functions, arithmetic, nested records, `default`.
fn wide_atom() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "size >= 1000",
            "size >= 200",
            "size < 50",
            "hot",
            "not hot",
            "email matches \"@\"",
            "not (email matches \"@\")",
            "domain(email) = \"gmail.com\"",
            "domain(email) != \"acme.example\"",
            "lower(country) = \"de\"",
            "country in [\"DE\", \"FR\"]",
            "email contains \"vp\"",
            "score * 2 > 50",
            "score > 70",
            "default(employees, 0) > 100",
            "employees is set and employees >= 500",
            "account is set and account.employees is set and account.employees > 100",
            "account is set and account.is_named",
            "hours_since(created_at) > 4",
            "title is set and title starts with \"VP\"",
            "segment = strategic",
            "do_not_route",
        ][..],
    )
    .prop_map(str::to_owned)
}

fn wide_condition() -> impl Strategy<Value = String> {
    wide_atom().prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A `use crm` lead policy over conditions of every kind, each rule a
/// hand-off to one of two teams or a tag.
fn wide_policy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["first", "all", "unique"][..]),
        prop::collection::vec((wide_condition(), 0usize..3), 1..6),
    )
        .prop_map(|(hit, rules)| {
            let mut text = format!(
                "policy p for lead\n  {hit} match\nuse crm\n\
                 team t0\n  members \"a@acme.example\"\nteam t1\n  members \"b@acme.example\"\n\
                 let size = default(employees, 0)\nlet hot = score > 50 and segment = strategic\n"
            );
            for (i, (c, action)) in rules.iter().enumerate() {
                let then = match action {
                    0 | 1 => format!("hand off to t{action}"),
                    _ => format!("tag \"r{i}\""),
                };
                text.push_str(&format!("rule r{i}\n  when {c}\n  then {then}\n"));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Outside the fragment too, every example `roe lint` prints is decided
    /// by the VM to show its finding, and a finding that only may hold shows
    /// no example and says why.
    #[test]
    fn every_example_printed_confirms_its_finding(text in wide_policy()) {
        let compilation = roe::compile_source("p.roe", &text);
        prop_assume!(compilation.checked.is_some());
        let (program, findings) = common::analyse(&compilation);
        for finding in &findings {
            common::check_witness(&compilation, &program, finding);
        }
    }
}
