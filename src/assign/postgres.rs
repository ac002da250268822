//! Assignment state in PostgreSQL, shared by every process that names the
//! same database: several `roe run --state postgres://...` or replicas of a
//! service assign from one set of turns, cap counts and one ledger. The
//! tables are those of `roe::assign::sqlite` (`roe_state` with the layout
//! version, `turns`, `counts`, `ledger`), in the connection's current schema
//! (`public` unless the URL's `options=-csearch_path%3D...` names another).
//!
//! # Concurrency: one lock per state, held for a block
//!
//! The work between two [`Store::commit`]s (a block of records) is one
//! transaction, and its first statement takes a transaction-level advisory
//! lock on the state (`pg_advisory_xact_lock`, keyed by the schema), which
//! PostgreSQL releases at `COMMIT` or when the connection ends. While one
//! process assigns a block, another waits for the lock and then, under READ
//! COMMITTED, reads the turns, counts and ledger the first committed. So no
//! round-robin turn is handed out twice, no cap is exceeded and no record is
//! assigned twice, whatever the teams, with no retries.
//!
//! Why one lock rather than row locks (`SELECT ... FOR UPDATE` on a team's
//! turn and a member's counts) or a lock per team: a block hands records to
//! several teams in input order, so two processes would take per-team locks
//! in different orders and deadlock (PostgreSQL then aborts one of them,
//! failing its run); the assigner reads members' counts before their team's
//! turn, and one person may be a member of two teams, so a team's lock does
//! not cover their cap. The price is that blocks of different processes are
//! assigned one after another; picking is a few round trips per record, and
//! deciding (the expensive part) still runs in parallel, outside the lock.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::{Client, Config, NoTls, Statement};

use super::state::{Entry, Store, StoreError, Turn, Window, ledger_key};
use crate::diagnostics::codes;
use crate::vm::RecordId;

/// The layout of the tables this version writes (that of the SQLite file).
const SCHEMA_VERSION: &str = "1";

/// Takes the state's lock until the transaction ends: the first key is
/// roe's, the second the schema's, so states in two schemas of one database
/// do not wait for each other.
const LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext('roe assignment state'), hashtext(current_schema()))";

/// The tables, created when missing.
const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS roe_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS turns (team TEXT PRIMARY KEY, last TEXT, credit TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS counts (member TEXT NOT NULL, \"window\" TEXT NOT NULL,
        taken BIGINT NOT NULL, PRIMARY KEY (member, \"window\"));
    CREATE TABLE IF NOT EXISTS ledger (record TEXT PRIMARY KEY, team TEXT NOT NULL,
        assignee TEXT, at TEXT NOT NULL, rule TEXT NOT NULL);";

/// Each table's columns and their types, in order, as [`TABLES`] makes them.
const LAYOUT: &[(&str, &str, &str)] = &[
    ("counts", "member", "text"),
    ("counts", "window", "text"),
    ("counts", "taken", "bigint"),
    ("ledger", "record", "text"),
    ("ledger", "team", "text"),
    ("ledger", "assignee", "text"),
    ("ledger", "at", "text"),
    ("ledger", "rule", "text"),
    ("roe_state", "key", "text"),
    ("roe_state", "value", "text"),
    ("turns", "team", "text"),
    ("turns", "last", "text"),
    ("turns", "credit", "text"),
];

/// How long connecting may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The statements a store runs, prepared once when it opens.
struct Statements {
    turn: Statement,
    save_turn: Statement,
    count: Statement,
    take: Statement,
    recorded: Statement,
    record: Statement,
    ledger: Statement,
}

/// Assignment state in a PostgreSQL database, shared with other processes.
pub struct PostgresStore {
    client: Client,
    statements: Statements,
    /// The URL without its password, for messages.
    shown: String,
    /// Whether a transaction (holding the state's lock) is open.
    open: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`,
    /// or `postgresql://...`), creating roe's tables when they are missing;
    /// refuses a database that cannot be reached, or whose tables are of
    /// another layout, before anything is assigned.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let shown = without_password(url);
        let mut config = Config::from_str(url).map_err(|e| unreadable(&shown, &e))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut client = config.connect(NoTls).map_err(|e| unreadable(&shown, &e))?;
        prepare(&mut client, &shown)?;
        let statements = statements(&mut client).map_err(|e| layout(&shown, &e))?;
        Ok(PostgresStore {
            client,
            statements,
            shown,
            open: false,
        })
    }

    /// Opens a transaction and takes the state's lock, unless one is open.
    fn begin(&mut self) -> Result<(), StoreError> {
        if !self.open {
            self.client
                .batch_execute(&format!("BEGIN; {LOCK};"))
                .map_err(|e| unreadable(&self.shown, &e))?;
            self.open = true;
        }
        Ok(())
    }

    /// Runs `f` inside the open transaction, errors naming the database;
    /// after an error the transaction is rolled back (nothing of it kept).
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Client, &Statements) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.begin()?;
        f(&mut self.client, &self.statements).map_err(|e| {
            let _ = self.client.batch_execute("ROLLBACK");
            self.open = false;
            unreadable(&self.shown, &e)
        })
    }
}

/// Creates the tables under the state's lock (so two processes starting at
/// once do not both create them), or checks that they are this version's.
fn prepare(client: &mut Client, shown: &str) -> Result<(), StoreError> {
    let mut transaction = client.transaction().map_err(|e| unreadable(shown, &e))?;
    transaction
        .batch_execute(&format!("{LOCK}; {TABLES}"))
        .map_err(|e| unreadable(shown, &e))?;
    let found: Vec<(String, String, String)> = transaction
        .query(
            "SELECT table_name::text, column_name::text, data_type::text
               FROM information_schema.columns
              WHERE table_schema = current_schema()
                AND table_name IN ('roe_state', 'turns', 'counts', 'ledger')
              ORDER BY table_name, ordinal_position",
            &[],
        )
        .and_then(|rows| {
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
                .collect()
        })
        .map_err(|e| unreadable(shown, &e))?;
    let expected: Vec<(String, String, String)> = LAYOUT
        .iter()
        .map(|(t, c, d)| ((*t).to_owned(), (*c).to_owned(), (*d).to_owned()))
        .collect();
    if found != expected {
        return Err(StoreError {
            code: codes::STATE_VERSION,
            message: format!(
                "assignment state `{shown}`: its tables roe_state, turns, counts and ledger are not laid out as this roe's (layout {SCHEMA_VERSION}): {}; name another database or schema (options=-csearch_path%3D...), or the one roe wrote",
                difference(&expected, &found)
            ),
        });
    }
    let version = transaction
        .query_opt("SELECT value FROM roe_state WHERE key = 'schema'", &[])
        .and_then(|row| row.map(|row| row.try_get::<_, String>(0)).transpose())
        .map_err(|e| unreadable(shown, &e))?;
    match version.as_deref() {
        None => {
            transaction
                .execute(
                    "INSERT INTO roe_state (key, value) VALUES ('schema', $1)",
                    &[&SCHEMA_VERSION],
                )
                .map_err(|e| unreadable(shown, &e))?;
        }
        Some(SCHEMA_VERSION) => {}
        Some(other) => {
            return Err(StoreError {
                code: codes::STATE_VERSION,
                message: format!(
                    "`{shown}` holds assignment state of layout {other}, and this roe reads layout {SCHEMA_VERSION}: use the roe that wrote it, or start from another database or schema"
                ),
            });
        }
    }
    transaction.commit().map_err(|e| unreadable(shown, &e))
}

/// The first column where `found` differs from `expected`, in words.
fn difference(expected: &[(String, String, String)], found: &[(String, String, String)]) -> String {
    let columns = |all: &[(String, String, String)], table: &str| -> Vec<(String, String)> {
        all.iter()
            .filter(|c| c.0 == table)
            .map(|c| (c.1.clone(), c.2.clone()))
            .collect()
    };
    let mut tables: Vec<&str> = expected.iter().map(|c| c.0.as_str()).collect();
    tables.dedup();
    for table in tables {
        let (want, have) = (columns(expected, table), columns(found, table));
        for n in 0..want.len().max(have.len()) {
            match (want.get(n), have.get(n)) {
                (Some(w), Some(h)) if w != h => {
                    return format!(
                        "table `{table}` has column `{}` ({}) where roe expects `{}` ({})",
                        h.0, h.1, w.0, w.1
                    );
                }
                (Some(w), None) => return format!("table `{table}` has no column `{}`", w.0),
                (None, Some(h)) => {
                    return format!("table `{table}` has a column `{}` roe does not know", h.0);
                }
                _ => {}
            }
        }
    }
    "the columns differ".to_owned()
}

/// Prepares every statement a store runs.
fn statements(client: &mut Client) -> Result<Statements, postgres::Error> {
    Ok(Statements {
        turn: client.prepare("SELECT last, credit FROM turns WHERE team = $1")?,
        save_turn: client.prepare(
            "INSERT INTO turns (team, last, credit) VALUES ($1, $2, $3)
             ON CONFLICT (team) DO UPDATE SET last = EXCLUDED.last, credit = EXCLUDED.credit",
        )?,
        count: client.prepare("SELECT taken FROM counts WHERE member = $1 AND \"window\" = $2")?,
        take: client.prepare(
            "INSERT INTO counts (member, \"window\", taken) VALUES ($1, $2, 1)
             ON CONFLICT (member, \"window\") DO UPDATE SET taken = counts.taken + 1",
        )?,
        recorded: client
            .prepare("SELECT team, assignee, at, rule FROM ledger WHERE record = $1")?,
        record: client.prepare(
            "INSERT INTO ledger (record, team, assignee, at, rule) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (record) DO UPDATE SET team = EXCLUDED.team,
                 assignee = EXCLUDED.assignee, at = EXCLUDED.at, rule = EXCLUDED.rule",
        )?,
        ledger: client
            .prepare("SELECT record, team, assignee, at, rule FROM ledger ORDER BY record")?,
    })
}

impl Store for PostgresStore {
    fn turn(&mut self, team: &str, turn: &mut Turn) -> Result<(), StoreError> {
        let row: Option<(Option<String>, String)> = self.with(|c, s| {
            c.query_opt(&s.turn, &[&team])?
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .transpose()
        })?;
        let Some((last, credit)) = row else {
            *turn = Turn::default();
            return Ok(());
        };
        *turn = Turn::from_stored(last, &credit).map_err(|e| StoreError {
            code: codes::STATE_UNREADABLE,
            message: format!("`{}`: team `{team}`'s credit is damaged: {e}", self.shown),
        })?;
        Ok(())
    }

    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        let credit = turn.credit_json();
        self.with(|c, s| {
            c.execute(&s.save_turn, &[&team, &turn.last, &credit])
                .map(|_| ())
        })
    }

    fn count(&mut self, member: &str, window: Window) -> Result<u32, StoreError> {
        let taken: Option<i64> = self.with(|c, s| {
            c.query_opt(&s.count, &[&member, &window.to_string()])?
                .map(|row| row.try_get(0))
                .transpose()
        })?;
        Ok(taken.map_or(0, |t| u32::try_from(t).unwrap_or(u32::MAX)))
    }

    fn take(&mut self, member: &str, window: Window) -> Result<(), StoreError> {
        self.with(|c, s| {
            c.execute(&s.take, &[&member, &window.to_string()])
                .map(|_| ())
        })
    }

    fn recorded(&mut self, policy: &str, id: &RecordId) -> Result<Option<Entry>, StoreError> {
        let key = ledger_key(policy, id);
        self.with(|c, s| {
            c.query_opt(&s.recorded, &[&key])?
                .map(|row| {
                    Ok(Entry {
                        team: row.try_get::<_, String>(0)?.into(),
                        assignee: row.try_get::<_, Option<String>>(1)?.map(Arc::from),
                        at: row.try_get::<_, String>(2)?.into(),
                        rule: row.try_get::<_, String>(3)?.into(),
                    })
                })
                .transpose()
        })
    }

    fn record(&mut self, policy: &str, id: &RecordId, entry: &Entry) -> Result<(), StoreError> {
        let key = ledger_key(policy, id);
        self.with(|c, s| {
            c.execute(
                &s.record,
                &[
                    &key,
                    &&*entry.team,
                    &entry.assignee.as_deref(),
                    &&*entry.at,
                    &&*entry.rule,
                ],
            )
            .map(|_| ())
        })
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.open {
            self.open = false;
            self.client
                .batch_execute("COMMIT")
                .map_err(|e| unreadable(&self.shown, &e))?;
        }
        Ok(())
    }

    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        self.with(|c, s| {
            c.query(&s.ledger, &[])?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        Entry {
                            team: row.try_get::<_, String>(1)?.into(),
                            assignee: row.try_get::<_, Option<String>>(2)?.map(Arc::from),
                            at: row.try_get::<_, String>(3)?.into(),
                            rule: row.try_get::<_, String>(4)?.into(),
                        },
                    ))
                })
                .collect()
        })
    }
    fn roster(&mut self) -> Result<Option<String>, StoreError> {
        self.with(|c, _| {
            c.query_opt("SELECT value FROM roe_state WHERE key = 'roster'", &[])?
                .map(|row| row.try_get(0))
                .transpose()
        })
    }

    fn save_roster(&mut self, roster: &str) -> Result<(), StoreError> {
        self.with(|c, _| {
            c.execute(
                "INSERT INTO roe_state (key, value) VALUES ('roster', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&roster],
            )
            .map(|_| ())
        })
    }
}

/// `url` with any password replaced by `***`, for messages.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The error of a database that cannot be reached, read or written.
fn unreadable(shown: &str, e: &postgres::Error) -> StoreError {
    StoreError {
        code: codes::STATE_UNREADABLE,
        message: format!("assignment state `{shown}`: {}", said(e)),
    }
}

/// The error of tables the store's statements do not fit: another layout.
fn layout(shown: &str, e: &postgres::Error) -> StoreError {
    let class = e.code().map(|c| c.code().get(..2) == Some("42"));
    match class {
        Some(true) => StoreError {
            code: codes::STATE_VERSION,
            message: format!(
                "assignment state `{shown}`: its tables are not laid out as this roe's (layout {SCHEMA_VERSION}): {}",
                said(e)
            ),
        },
        _ => unreadable(shown, e),
    }
}

/// What the client and the server said about `e`.
fn said(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_not_shown() {
        assert_eq!(
            without_password("postgres://roe:s3cret@db.example:5432/state?sslmode=disable"),
            "postgres://roe:***@db.example:5432/state?sslmode=disable"
        );
        assert_eq!(
            without_password("postgres://roe@127.0.0.1:5432/state"),
            "postgres://roe@127.0.0.1:5432/state"
        );
        assert_eq!(without_password("postgresql://h/db"), "postgresql://h/db");
    }

    #[test]
    fn an_unreachable_database_is_refused_with_a_code() {
        // Port 1 on the loopback: nothing listens there.
        let error = PostgresStore::open("postgres://roe@127.0.0.1:1/state?connect_timeout=2")
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error.code, codes::STATE_UNREADABLE);
        assert!(error.message.contains("127.0.0.1:1"), "{}", error.message);
    }
}
