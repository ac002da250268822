//! Picking the person: round robin, smooth weights, caps counted in the
//! team's zone with overflow, absences from the roster, the ledger that
//! keeps a record's assignee, and the same assignees for the same input.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use roe::assign::{Assigner, Roster, State};
use roe::vm::RecordId;

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

/// The assignee (or why none) of each lead, decided and assigned in order at `now`.
fn assign_all(assigner: &mut Assigner, leads: &[(&str, &str)], now: &str) -> Vec<String> {
    let now: jiff::Timestamp = now.parse().expect("an instant");
    let policy = policy();
    let mut vm = policy.vm(now);
    leads
        .iter()
        .map(|(id, country)| {
            let decision = vm.decide(&lead(id, country)).expect("decides");
            let id = RecordId::of(&serde_json::Value::from(*id));
            let assigned = assigner
                .assign(id.as_ref(), &decision, now)
                .expect("in memory");
            let a = &assigned.actions()[0];
            match (&a.assignee, &a.overflow, &a.unassigned) {
                (Some(who), None, _) => who.to_string(),
                (Some(who), Some(team), _) => format!("{who} via {team}"),
                (None, _, Some(why)) => format!("none: {why}"),
                (None, _, None) => "-".to_owned(),
            }
        })
        .collect()
}

fn assigner(roster: Roster) -> Assigner {
    Assigner::new(policy().program(), roster, State::new())
}

#[test]
fn round_robin_takes_turns_in_member_order() {
    let mut a = assigner(Roster::empty());
    let got = assign_all(
        &mut a,
        &[("1", "FR"), ("2", "FR"), ("3", "FR"), ("4", "FR")],
        "2026-11-30T10:00:00Z",
    );
    assert_eq!(
        got,
        [
            "ana@acme.example",
            "ben@acme.example",
            "chen@acme.example",
            "ana@acme.example"
        ]
    );
}

#[test]
fn weights_interleave_sixty_forty() {
    let mut a = assigner(Roster::empty());
    let leads: Vec<(String, &str)> = (0..10).map(|i| (format!("n{i}"), "US")).collect();
    let leads: Vec<(&str, &str)> = leads.iter().map(|(i, c)| (i.as_str(), *c)).collect();
    let got = assign_all(&mut a, &leads, "2026-11-30T10:00:00Z");
    let dana = got.iter().filter(|g| g.starts_with("dana")).count();
    assert_eq!(dana, 6, "{got:?}");
    assert_eq!(
        got[..3],
        ["dana@acme.example", "eli@acme.example", "dana@acme.example"]
    );
}

#[test]
fn a_cap_overflows_and_resets_at_midnight_in_the_team_zone() {
    let mut a = assigner(Roster::empty());
    let day = [
        ("d1", "DE"),
        ("d2", "DE"),
        ("d3", "DE"),
        ("d4", "DE"),
        ("d5", "DE"),
    ];
    // 23:30 UTC on 30 November is already 1 December in Berlin.
    let got = assign_all(&mut a, &day, "2026-11-30T23:30:00Z");
    assert_eq!(
        got,
        [
            "fritz@acme.example",
            "greta@acme.example",
            "fritz@acme.example",
            "greta@acme.example",
            "maria@acme.example via managers",
        ]
    );
    // Still 1 December in Berlin: everyone is at the cap.
    let more = assign_all(&mut a, &[("d6", "DE")], "2026-12-01T12:00:00Z");
    assert_eq!(more, ["maria@acme.example via managers"]);
    // 2 December in Berlin starts a new window.
    let next = assign_all(&mut a, &[("d7", "DE")], "2026-12-01T23:30:00Z");
    assert_eq!(next, ["fritz@acme.example"]);
}

#[test]
fn an_absent_member_is_skipped_and_gets_no_turn() {
    let roster = Roster::read(
        r#"[{"member":"ben@acme.example","user_id":"005B","away":[{"from":"2026-11-30T00:00:00Z","until":"2026-12-01T00:00:00Z"}]},
            {"member":"ana@acme.example","user_id":"005A"}]"#,
    )
    .expect("a roster");
    let mut a = assigner(roster);
    let got = assign_all(
        &mut a,
        &[("1", "FR"), ("2", "FR"), ("3", "FR")],
        "2026-11-30T10:00:00Z",
    );
    assert_eq!(
        got,
        ["ana@acme.example", "chen@acme.example", "ana@acme.example"]
    );
}

#[test]
fn a_record_assigned_before_keeps_its_assignee_and_takes_no_turn() {
    let mut a = assigner(Roster::empty());
    let first = assign_all(&mut a, &[("1", "FR"), ("2", "FR")], "2026-11-30T10:00:00Z");
    let again = assign_all(&mut a, &[("1", "FR"), ("3", "FR")], "2026-11-30T11:00:00Z");
    assert_eq!(first, ["ana@acme.example", "ben@acme.example"]);
    assert_eq!(again, ["ana@acme.example", "chen@acme.example"]);
}

#[test]
fn queues_and_unknown_owners_get_no_assignee() {
    let mut a = assigner(Roster::empty());
    let got = assign_all(&mut a, &[("1", "JP")], "2026-11-30T10:00:00Z");
    assert_eq!(got, ["-"]);
}

#[test]
fn the_same_input_gives_the_same_assignees() {
    let leads: Vec<(String, &str)> = (0..60)
        .map(|i| (format!("L-{i}"), ["FR", "US", "DE", "JP"][i % 4]))
        .collect();
    let leads: Vec<(&str, &str)> = leads.iter().map(|(i, c)| (i.as_str(), *c)).collect();
    let one = assign_all(
        &mut assigner(Roster::empty()),
        &leads,
        "2026-11-30T10:00:00Z",
    );
    let two = assign_all(
        &mut assigner(Roster::empty()),
        &leads,
        "2026-11-30T10:00:00Z",
    );
    assert_eq!(one, two);
}

/// Each lead of `owners.roe` decided and assigned in order at `now`: the
/// action, and its person (`to`, or the assignee with assignment on).
fn owners(assign: Option<Roster>, leads: &[serde_json::Value]) -> Vec<String> {
    let now: jiff::Timestamp = "2026-11-30T10:00:00Z".parse().expect("an instant");
    let compilation =
        roe::compile_file(std::path::Path::new("tests/assign/owners.roe")).expect("readable");
    let policy = roe::Policy::new(compilation.program.expect("compiles"));
    let mut assigner = assign.map(|roster| Assigner::new(policy.program(), roster, State::new()));
    let mut vm = policy.vm(now);
    leads
        .iter()
        .map(|lead| {
            let mut decision = vm.decide(lead).expect("decides");
            if let Some(assigner) = &mut assigner {
                let id = RecordId::of(&lead["id"]);
                decision = assigner
                    .assign(id.as_ref(), &decision, now)
                    .expect("in memory");
            }
            let a = &decision.actions()[0];
            let person = a.assignee.as_ref().or(a.to.as_ref());
            let why = a.unassigned.as_deref().unwrap_or("");
            format!(
                "{:?} {} {}{why}",
                a.action,
                person.map_or("-", |p| p),
                a.team.as_ref().or(a.fallback.as_ref()).map_or("-", |t| t),
            )
        })
        .collect()
}

#[test]
fn an_owner_who_is_missing_or_away_falls_back_to_the_team() {
    let lead = |id: &str, owner: Option<&str>, score: i64| {
        let mut lead = serde_json::json!({"id": id, "score": score});
        if let Some(owner) = owner {
            lead["owner"] = owner.into();
        }
        lead
    };
    let leads = [
        lead("1", Some("kim@acme.example"), 80),
        lead("2", None, 80),
        lead("3", Some("lou@acme.example"), 80),
        lead("4", Some("kim@acme.example"), 80),
        lead("5", Some("kim@acme.example"), 30),
    ];
    // Deciding alone: a missing owner is a hand-off, whatever the roster says.
    assert_eq!(
        owners(None, &leads),
        [
            "Assign kim@acme.example enterprise_na",
            "HandOff - enterprise_na",
            "Assign lou@acme.example enterprise_na",
            "Assign kim@acme.example enterprise_na",
            "Assign kim@acme.example nurture",
        ]
    );
    let roster = Roster::read(
        r#"[{"member":"kim@acme.example","away":[{"from":"2026-11-30T00:00:00Z","until":"2026-12-01T00:00:00Z"}]}]"#,
    )
    .expect("a roster");
    // Kim is away: her leads take the team's turns with the hand-off's.
    assert_eq!(
        owners(Some(roster), &leads),
        [
            "Assign dana@acme.example enterprise_na",
            "HandOff eli@acme.example enterprise_na",
            "Assign lou@acme.example enterprise_na",
            "Assign dana@acme.example enterprise_na",
            "Assign kim@acme.example nurture`kim@acme.example` is away and `nurture` has no members to take it",
        ]
    );
    // Nobody away: every owner keeps their leads, and takes no turn.
    assert_eq!(
        owners(Some(Roster::empty()), &leads)[..2],
        [
            "Assign kim@acme.example enterprise_na",
            "HandOff dana@acme.example enterprise_na",
        ]
    );
}
