//! The roster: what the policy does not say about people. Each member's
//! user id in the CRM (Salesforce re-imports an owner by its Id, not an
//! e-mail) and the times they are away. Read from a JSON array:
//! `[{"member": "ana@acme.example", "user_id": "0055e000001", "away":
//! [{"from": "2026-12-01T00:00:00Z", "until": "2026-12-05T00:00:00Z"}]}]`.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Deserialize;

use crate::time::rfc3339;

/// What the roster knows of one person.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Person {
    /// Their user id in the CRM.
    pub user_id: Option<String>,
    /// When they are away: from (inclusive) until (exclusive).
    pub away: Vec<(Timestamp, Timestamp)>,
}

/// Every person the roster names, by the name `members` gives them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roster {
    people: HashMap<String, Person>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    member: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    away: Vec<Away>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Away {
    from: String,
    until: String,
}

impl Roster {
    /// A roster that knows no one: everyone is in, with no user id.
    pub fn empty() -> Roster {
        Roster::default()
    }

    /// Reads a roster from its JSON text; the error names the entry and
    /// what is wrong with it.
    pub fn read(text: &str) -> Result<Roster, String> {
        let text = crate::source::without_byte_order_mark(text);
        let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| {
            format!(
                "the roster is not a JSON array of {{\"member\", \"user_id\", \"away\"}} entries: {e}"
            )
        })?;
        let mut people: HashMap<String, Person> = HashMap::new();
        for (i, row) in rows.into_iter().enumerate() {
            let person = people.entry(row.member.clone()).or_default();
            if row.user_id.is_some() {
                person.user_id = row.user_id;
            }
            for away in row.away {
                let read = |text: &str| {
                    rfc3339::instant(text).map_err(|_| {
                        format!(
                            "roster entry {i} ({}): {text:?} is not an RFC 3339 instant such as 2026-12-01T00:00:00Z",
                            row.member
                        )
                    })
                };
                let (from, until) = (read(&away.from)?, read(&away.until)?);
                if until <= from {
                    return Err(format!(
                        "roster entry {i} ({}): away until {} is not after {}",
                        row.member, away.until, away.from
                    ));
                }
                person.away.push((from, until));
            }
        }
        Ok(Roster { people })
    }

    /// What the roster knows of `member` (nothing, for one it does not name).
    pub fn person(&self, member: &str) -> Person {
        self.people.get(member).cloned().unwrap_or_default()
    }

    /// A roster to keep in the state, from `text` in JSON or, when `csv`,
    /// CSV: its JSON text (what the state keeps) and the roster it reads
    /// as; the error names what is wrong.
    pub fn import(text: &str, csv: bool) -> Result<(String, Roster), String> {
        let json = match csv {
            true => csv_as_json(text)?,
            false => text.to_owned(),
        };
        let roster = Roster::read(&json)?;
        Ok((json, roster))
    }

    /// Whether `member` is away at `now`.
    pub fn is_away(&self, member: &str, now: Timestamp) -> bool {
        self.people.get(member).is_some_and(|p| p.is_away(now))
    }

    /// How many people it names.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether it names no one.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// `member`'s user id in the CRM, if the roster gives one.
    pub fn user_id(&self, member: &str) -> Option<&str> {
        self.people.get(member).and_then(|p| p.user_id.as_deref())
    }
}

/// The roster of a CSV text as the JSON text [`Roster::read`] reads: a
/// header with `member` and any of `user_id`, `away_from`, `away_until`,
/// and a row per member or per absence (a member's rows add up).
pub fn csv_as_json(text: &str) -> Result<String, String> {
    let text = crate::source::without_byte_order_mark(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("the roster's header cannot be read: {e}"))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(member) = column("member") else {
        return Err("the roster has no `member` column: its header needs member, and any of user_id, away_from, away_until".to_owned());
    };
    let (user_id, from, until) = (column("user_id"), column("away_from"), column("away_until"));
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("roster row {}: {e}", i + 2))?;
        let cell = |at: Option<usize>| {
            at.and_then(|at| record.get(at))
                .map(str::trim)
                .filter(|c| !c.is_empty())
        };
        let Some(name) = cell(Some(member)) else {
            return Err(format!("roster row {}: the member is empty", i + 2));
        };
        let mut row = serde_json::json!({ "member": name });
        if let Some(id) = cell(user_id) {
            row["user_id"] = id.into();
        }
        match (cell(from), cell(until)) {
            (Some(from), Some(until)) => {
                row["away"] = serde_json::json!([{ "from": from, "until": until }]);
            }
            (None, None) => {}
            _ => {
                return Err(format!(
                    "roster row {} ({name}): an absence needs both away_from and away_until",
                    i + 2
                ));
            }
        }
        rows.push(row);
    }
    Ok(serde_json::Value::Array(rows).to_string())
}

impl Person {
    /// Whether they are away at `now`.
    pub fn is_away(&self, now: Timestamp) -> bool {
        self.away
            .iter()
            .any(|(from, until)| *from <= now && now < *until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_gives_ids_and_absences() {
        let roster = Roster::read(
            r#"[{"member":"ana@x","user_id":"005A","away":[{"from":"2026-12-01T00:00:00Z","until":"2026-12-02T00:00:00Z"}]},
                {"member":"ben@x"}]"#,
        )
        .unwrap_or_default();
        let at = |t: &str| t.parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH);
        let (ana, ben) = (roster.person("ana@x"), roster.person("ben@x"));
        assert_eq!(roster.user_id("ana@x"), Some("005A"));
        assert!(ana.is_away(at("2026-12-01T09:00:00Z")));
        assert!(!ana.is_away(at("2026-12-02T00:00:00Z")));
        assert!(!ben.is_away(at("2026-12-01T09:00:00Z")));
        assert_eq!(roster.person("carl@x"), Person::default());
    }

    #[test]
    fn a_csv_roster_reads_as_its_json() {
        let json = csv_as_json(
            "member,user_id,away_from,away_until\nana@x,005A,,\nana@x,,2026-12-01T00:00:00Z,2026-12-02T00:00:00Z\n",
        )
        .unwrap_or_default();
        let roster = Roster::read(&json).unwrap_or_default();
        assert_eq!(roster.user_id("ana@x"), Some("005A"));
        let at = |t: &str| t.parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH);
        assert!(roster.is_away("ana@x", at("2026-12-01T09:00:00Z")));
        assert!(csv_as_json("name\nana@x\n").is_err_and(|e| e.contains("no `member` column")));
        assert!(
            csv_as_json("member,away_from\nana@x,2026-12-01T00:00:00Z\n")
                .is_err_and(|e| e.contains("row 2 (ana@x)"))
        );
    }

    proptest::proptest! {
        /// Any text read as a CSV roster gives a JSON roster or a reason,
        /// and a JSON roster it gives reads as a roster or is refused with
        /// one: never a panic.
        #[test]
        fn any_csv_text_is_a_roster_or_a_reason(text in ".{0,200}") {
            if let Ok(json) = csv_as_json(&text) {
                let _ = Roster::read(&json);
            }
        }

        /// A member per row, each with its id and absence, reads back whole.
        #[test]
        fn rows_read_back(
            rows in proptest::collection::vec(("[a-z]{1,8}@x", "[0-9A-Z]{0,6}"), 1..8)
        ) {
            let mut text = "member,user_id,away_from,away_until\n".to_owned();
            for (member, id) in &rows {
                text.push_str(&format!("{member},{id},2026-12-01T00:00:00Z,2026-12-02T00:00:00Z\n"));
            }
            let roster = Roster::read(&csv_as_json(&text).unwrap_or_default()).unwrap_or_default();
            let at = |t: &str| t.parse::<Timestamp>().unwrap_or(Timestamp::UNIX_EPOCH);
            for (member, _) in &rows {
                proptest::prop_assert!(roster.is_away(member, at("2026-12-01T12:00:00Z")));
                // The last id given for a member is theirs.
                let last_id = rows.iter().rev().find(|(m, i)| m == member && !i.is_empty());
                proptest::prop_assert_eq!(roster.user_id(member), last_id.map(|(_, i)| i.as_str()));
            }
        }
    }

    #[test]
    fn a_bad_roster_names_the_entry() {
        let error = Roster::read(
            r#"[{"member":"ana@x","away":[{"from":"2026-12-02T00:00:00Z","until":"2026-12-01T00:00:00Z"}]}]"#,
        );
        assert!(error.is_err_and(|e| e.contains("entry 0 (ana@x)")));
        assert!(Roster::read(r#"[{"name":"ana@x"}]"#).is_err());
    }
}
