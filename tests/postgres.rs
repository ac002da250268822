//! Assignment state in PostgreSQL, shared by several assigners at once:
//! state survives reconnecting, tables of another layout are refused, and
//! assigners working concurrently (threads with a connection each, and
//! `roe run` processes) never hand out a turn twice or exceed a cap.
//!
//! These tests need a PostgreSQL server they may create databases on:
//! `ROE_TEST_POSTGRES=postgres://USER@HOST:PORT/DB cargo test --test postgres`
//! (`.ci/run` starts a throwaway one). Without it they skip, printing one
//! line; with `ROE_REQUIRE_POSTGRES=1` a missing server fails them instead.
//! Each test works in a database of its own, named with the process id, and
//! drops it at the end.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Barrier, Once};

use roe::assign::postgres::PostgresStore;
use roe::assign::state::{Turn, Window};
use roe::assign::{Assigner, Entry, Roster, Store};
use roe::vm::RecordId;

#[cfg(feature = "service")]
mod service;

/// The server's URL, or `None` (after saying once how to run these tests)
/// when there is none and none is required.
fn server() -> Option<String> {
    if let Ok(url) = std::env::var("ROE_TEST_POSTGRES")
        && !url.is_empty()
    {
        return Some(url);
    }
    if std::env::var("ROE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("ROE_REQUIRE_POSTGRES=1 but ROE_TEST_POSTGRES names no server");
    }
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        // Past the test harness's capture, so it shows in a passing run.
        let _ = writeln!(
            std::io::stderr(),
            "tests/postgres.rs: skipped; run them with ROE_TEST_POSTGRES=postgres://USER@HOST:PORT/DB cargo test --test postgres (a server the tests may create databases on; .ci/run starts one)"
        );
    });
    None
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let query = tail.find('?').map_or("", |q| &tail[q..]);
    format!("{scheme}://{authority}/{name}{query}")
}

/// A database of this test's own, dropped at the end.
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    fn new(server: &str, test: &str) -> Scratch {
        let name = format!("roe_test_{}_{test}", std::process::id());
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach ROE_TEST_POSTGRES: {e}"));
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin
                .batch_execute(&statement)
                .unwrap_or_else(|e| panic!("cannot create database {name}: {e:?}"));
        }
        Scratch {
            admin: server.to_owned(),
            url: with_database(server, &name),
            name,
        }
    }

    fn store(&self) -> PostgresStore {
        PostgresStore::open(&self.url).unwrap_or_else(|e| panic!("{e}"))
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("the scratch database")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn policy() -> roe::Policy {
    let compilation =
        roe::compile_file(std::path::Path::new("tests/assign/teams.roe")).expect("readable");
    roe::Policy::new(compilation.program.expect("compiles"))
}

fn lead(id: &str, country: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "email": "x@y.example", "country": country, "segment": "smb",
        "source": "web", "status": "mql", "score": 50,
        "created_at": "2026-11-30T08:00:00Z", "do_not_route": false
    })
}

/// Every lead of the concurrent tests: a mix of teams, in a fixed order.
fn leads(total: usize) -> Vec<(String, &'static str)> {
    (0..total)
        .map(|i| {
            let country = match i % 10 {
                0 | 5 => "DE",
                1 | 3 | 7 => "FR",
                _ => "US",
            };
            (format!("L-{i:04}"), country)
        })
        .collect()
}

/// One decision on Monday 30 November 2026 at 10:00 UTC: one cap window.
const NOW: &str = "2026-11-30T10:00:00Z";

#[test]
fn state_survives_reconnecting_once_committed() {
    let Some(server) = server() else { return };
    let db = Scratch::new(&server, "reconnect");
    let turn = Turn {
        last: Some("ana@x".into()),
        credit: vec![("ana@x".to_owned(), -4_000), ("ben@x".to_owned(), 4_000)],
    };
    let entry = Entry {
        team: "emea".into(),
        assignee: Some("ana@x".into()),
        at: "2026-11-30T10:00:00Z".into(),
        rule: "hot".into(),
    };
    let nobody = Entry {
        team: "dach".into(),
        assignee: None,
        at: "2026-11-30T10:00:00Z".into(),
        rule: "dach_leads".into(),
    };
    let day = |d| Window::Day(jiff::civil::date(2026, 11, d));
    let id = |text: &str| RecordId::of(&serde_json::json!(text)).unwrap();
    let turn_of = |store: &mut PostgresStore| {
        let mut read = Turn::default();
        store.turn("emea", &mut read).map(|()| read)
    };
    {
        let mut store = db.store();
        assert_eq!(turn_of(&mut store), Ok(Turn::default()));
        assert_eq!(store.count("ana@x", day(30)), Ok(0));
        store.save_turn("emea", &turn).unwrap();
        store.take("ana@x", day(30)).unwrap();
        store.take("ana@x", day(30)).unwrap();
        store.record("p", &id("L-1"), &entry).unwrap();
        store.record("p", &id("L-2"), &nobody).unwrap();
        // Seen at once by the store that made it, before the commit.
        assert_eq!(store.count("ana@x", day(30)), Ok(2));
        assert_eq!(store.roster(), Ok(None));
        store.save_roster(r#"[{"member":"ana@x"}]"#).unwrap();
        store.commit().unwrap();
        // Not committed: lost with the connection.
        store.take("ana@x", day(30)).unwrap();
        store.record("p", &id("L-3"), &entry).unwrap();
    }
    let mut again = db.store();
    assert_eq!(turn_of(&mut again), Ok(turn));
    assert_eq!(again.count("ana@x", day(30)), Ok(2));
    assert_eq!(again.count("ana@x", day(29)), Ok(0));
    assert_eq!(again.recorded("p", &id("L-1")), Ok(Some(entry.clone())));
    assert_eq!(again.recorded("p", &id("L-3")), Ok(None));
    assert_eq!(
        again.roster(),
        Ok(Some(r#"[{"member":"ana@x"}]"#.to_owned()))
    );
    assert_eq!(
        again.ledger(),
        Ok(vec![
            ("p\u{1f}\"L-1\"".to_owned(), entry),
            ("p\u{1f}\"L-2\"".to_owned(), nobody),
        ])
    );
    again.commit().unwrap();
}

#[test]
fn tables_of_another_layout_are_refused_before_anything_is_assigned() {
    let Some(server) = server() else { return };
    let db = Scratch::new(&server, "layout");
    // Another program's `turns`.
    db.client()
        .batch_execute("CREATE TABLE turns (team TEXT PRIMARY KEY, position INTEGER)")
        .unwrap();
    let error = PostgresStore::open(&db.url).map(|_| ()).unwrap_err();
    assert_eq!(error.code, "S0002", "{}", error.message);
    assert!(
        error
            .message
            .contains("table `turns` has column `position`"),
        "{}",
        error.message
    );
    // Nothing was written: not even roe's other tables.
    let written: bool = db
        .client()
        .query_one("SELECT to_regclass('roe_state') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!written);

    // roe's tables, of a later layout.
    db.client().batch_execute("DROP TABLE turns").unwrap();
    drop(db.store());
    db.client()
        .batch_execute("UPDATE roe_state SET value = '9' WHERE key = 'schema'")
        .unwrap();
    let error = PostgresStore::open(&db.url).map(|_| ()).unwrap_err();
    assert_eq!(error.code, "S0002", "{}", error.message);
    assert!(error.message.contains("layout 9"), "{}", error.message);
}

#[test]
fn a_database_that_does_not_exist_is_refused_with_a_code() {
    let Some(server) = server() else { return };
    let url = with_database(&server, "roe_test_no_such_database");
    let error = PostgresStore::open(&url).map(|_| ()).unwrap_err();
    assert_eq!(error.code, "S0001", "{}", error.message);
    assert!(
        error.message.contains("roe_test_no_such_database"),
        "{}",
        error.message
    );
}

/// Per member, how many records went to them, from the ledger; and how
/// many ledger entries there are.
fn member_totals(store: &mut PostgresStore) -> (BTreeMap<String, usize>, usize) {
    let ledger = store.ledger().unwrap();
    store.commit().unwrap();
    let mut totals = BTreeMap::new();
    for (_, entry) in &ledger {
        let who = entry.assignee.as_deref().unwrap_or("-").to_owned();
        *totals.entry(who).or_insert(0) += 1;
    }
    (totals, ledger.len())
}

/// The checks of the concurrent tests: caps kept, one entry per record, round
/// robin even, weights close to 60/40.
fn check_totals(totals: &BTreeMap<String, usize>, leads: &[(String, &str)]) {
    let of = |who: &str| totals.get(who).copied().unwrap_or(0);
    let teams = |c: &str| leads.iter().filter(|(_, country)| *country == c).count();
    // dach: 2 a day each in Berlin; the rest overflows to managers.
    assert_eq!(of("fritz@acme.example"), 2, "{totals:?}");
    assert_eq!(of("greta@acme.example"), 2, "{totals:?}");
    assert_eq!(of("maria@acme.example"), teams("DE") - 4, "{totals:?}");
    // emea: round robin, within one of each other.
    let emea = ["ana@acme.example", "ben@acme.example", "chen@acme.example"].map(of);
    assert_eq!(emea.iter().sum::<usize>(), teams("FR"), "{totals:?}");
    let (most, least) = (emea.iter().max().unwrap(), emea.iter().min().unwrap());
    assert!(most - least <= 1, "round robin uneven: {totals:?}");
    // na: 60/40, within one record of it.
    let na = teams("US");
    let dana = of("dana@acme.example");
    assert_eq!(dana + of("eli@acme.example"), na, "{totals:?}");
    assert!(
        (dana as f64 - 0.6 * na as f64).abs() <= 1.0,
        "weights off 60/40: {dana} of {na}: {totals:?}"
    );
    assert_eq!(of("-"), 0, "someone was left unassigned: {totals:?}");
}

#[test]
fn assigners_on_threads_share_turns_and_caps() {
    let Some(server) = server() else { return };
    let db = Scratch::new(&server, "threads");
    const ASSIGNERS: usize = 4;
    let leads = leads(400);
    let now: jiff::Timestamp = NOW.parse().unwrap();
    let start = Barrier::new(ASSIGNERS);
    let began = std::time::Instant::now();
    let picked: Vec<Vec<(String, String)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..ASSIGNERS)
            .map(|k| {
                // Opened here, so a store that cannot open fails the test
                // rather than leaving the others waiting at the barrier.
                let store = db.store();
                let (leads, start) = (&leads, &start);
                scope.spawn(move || {
                    let policy = policy();
                    let mut vm = policy.vm(now);
                    let mut assigner = Assigner::new(policy.program(), Roster::empty(), store);
                    let mut picked = Vec::new();
                    start.wait();
                    // Its share, every ASSIGNERS-th lead, in blocks of 5 records.
                    for (n, (id, country)) in leads.iter().skip(k).step_by(ASSIGNERS).enumerate() {
                        let decision = vm.decide(&lead(id, country)).unwrap();
                        let record = RecordId::of(&serde_json::Value::from(id.as_str()));
                        let assigned = assigner.assign(record.as_ref(), &decision, now).unwrap();
                        let who = assigned.actions()[0].assignee.as_deref().unwrap_or("-");
                        picked.push((id.clone(), who.to_owned()));
                        if n % 5 == 4 {
                            assigner.commit().unwrap();
                        }
                    }
                    assigner.commit().unwrap();
                    picked
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    eprintln!(
        "{ASSIGNERS} assigners, {} leads: {:?}",
        leads.len(),
        began.elapsed()
    );

    let mut store = db.store();
    let (totals, entries) = member_totals(&mut store);
    assert_eq!(entries, leads.len(), "one ledger entry per record");
    check_totals(&totals, &leads);
    // Each assigner was told what the ledger holds.
    let ledger: BTreeMap<String, Option<String>> = store
        .ledger()
        .unwrap()
        .into_iter()
        .map(|(key, e)| (key, e.assignee.as_deref().map(str::to_owned)))
        .collect();
    for (id, who) in picked.iter().flatten() {
        let key = format!("assignment\u{1f}\"{id}\"");
        assert_eq!(ledger.get(&key), Some(&Some(who.clone())), "{id}");
    }
}

#[test]
fn roe_run_processes_share_turns_and_caps() {
    let Some(server) = server() else { return };
    let db = Scratch::new(&server, "processes");
    const PROCESSES: usize = 4;
    let leads = leads(200);
    let dir = std::env::temp_dir().join(format!("roe-postgres-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<std::path::PathBuf> = (0..PROCESSES)
        .map(|k| {
            let path = dir.join(format!("share-{k}.jsonl"));
            let lines: String = leads
                .iter()
                .skip(k)
                .step_by(PROCESSES)
                .map(|(id, country)| format!("{}\n", lead(id, country)))
                .collect();
            std::fs::write(&path, lines).unwrap();
            path
        })
        .collect();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_roe"))
            .args([
                "run",
                "tests/assign/teams.roe",
                "--now",
                NOW,
                "--state",
                &db.url,
            ])
            .arg("--records")
            .arg(file)
            .output()
            .unwrap()
    };
    let began = std::time::Instant::now();
    let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let children: Vec<_> = files
            .iter()
            .map(|file| scope.spawn(move || run(file)))
            .collect();
        children.into_iter().map(|c| c.join().unwrap()).collect()
    });
    eprintln!(
        "{PROCESSES} processes, {} leads: {:?}",
        leads.len(),
        began.elapsed()
    );
    let mut lines = 0;
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines += String::from_utf8_lossy(&out.stdout).lines().count();
    }
    assert_eq!(lines, leads.len());
    let mut store = db.store();
    let (totals, entries) = member_totals(&mut store);
    assert_eq!(entries, leads.len(), "one ledger entry per record");
    check_totals(&totals, &leads);

    // Run a share again: the same assignees, no new turn or count.
    let again = run(&files[0]);
    assert!(again.status.success());
    assert_eq!(again.stdout, outputs[0].stdout);
    assert_eq!(member_totals(&mut store).0, totals);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two replicas of `roe serve --state postgres://...` share one roster and
/// one set of turns: a roster saved through one is used by the other, and
/// leads decided through both at once take each turn once.
#[cfg(feature = "service")]
#[test]
fn replicas_of_the_service_share_the_roster_and_the_turns() {
    use service::{NOW, Service, post, put_roster};
    let Some(server) = server() else { return };
    let db = Scratch::new(&server, "replicas");
    let dir = std::env::temp_dir().join(format!("roe-pg-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("tests/assign/teams.roe", dir.join("teams.roe")).unwrap();
    std::fs::write(dir.with_extension("token"), "a").unwrap();
    let token = dir.with_extension("token").display().to_string();
    let args = [
        "--state",
        db.url.as_str(),
        "--admin-token-file",
        token.as_str(),
    ];
    let (one, two) = (Service::start(&dir, &args), Service::start(&dir, &args));
    // Ben is away, through the first replica.
    let (status, body) = put_roster(
        &one.url("/v1/admin/roster"),
        "a",
        "application/json",
        r#"[{"member":"ben@acme.example","away":[{"from":"2026-11-30T00:00:00Z","until":"2026-12-01T00:00:00Z"}]}]"#,
    );
    assert_eq!(status, 200, "{body}");
    // Forty FR leads, decided through both replicas at once, a lead a request.
    let replicas = [
        one.url("/v1/policies/teams/decide"),
        two.url("/v1/policies/teams/decide"),
    ];
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let url = format!("{}?now={NOW}", replicas[w % 2]);
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        let lead = lead(&format!("R-{w}-{i}"), "FR").to_string();
                        let (status, _, line) = post(&url, "application/json", &lead);
                        assert_eq!(status, 200, "{line}");
                        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
                        line["actions"][0]["assignee"]
                            .as_str()
                            .unwrap_or("-")
                            .to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut totals = BTreeMap::<String, usize>::new();
    for worker in workers {
        for who in worker.join().unwrap() {
            *totals.entry(who).or_default() += 1;
        }
    }
    // Ben is away on both; Ana and Chen alternate, whichever replica asked.
    assert_eq!(
        totals,
        BTreeMap::from([
            ("ana@acme.example".to_owned(), 20),
            ("chen@acme.example".to_owned(), 20)
        ])
    );
    let mut store = db.store();
    assert_eq!(
        store.ledger().unwrap().len(),
        40,
        "one ledger entry per lead"
    );
    store.commit().unwrap();
}
