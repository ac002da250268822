//! Assignment state in an SQLite file, so turns, cap counts and the ledger
//! survive a restart. Changes are grouped in one transaction until
//! [`Store::commit`]; a caller writes a record's decision line only after
//! the commit that follows its assignment. A run killed midway loses at most
//! the uncommitted block, whose lines were never written, and the ledger
//! gives every record assigned before its assignee again, so running again
//! assigns each record exactly once.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::state::{Entry, Store, StoreError, Turn, Window, ledger_key};
use crate::diagnostics::codes;
use crate::vm::RecordId;

/// The layout of the tables this version writes.
const SCHEMA_VERSION: &str = "1";

/// Assignment state in an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
    /// Where it is, for messages.
    path: String,
    /// Whether a transaction is open.
    open: bool,
}

impl SqliteStore {
    /// Opens the state file at `path`, creating it (and its tables) when it
    /// does not exist; refuses a file that is not roe's state or is from
    /// another version, before anything is assigned.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let shown = path.display().to_string();
        let connection = Connection::open(path).map_err(|e| unreadable(&shown, &e))?;
        let mut store = SqliteStore {
            connection,
            path: shown,
            open: false,
        };
        store.prepare()?;
        Ok(store)
    }

    /// Creates the tables, or checks that the file holds this version's.
    fn prepare(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS roe_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS turns (team TEXT PRIMARY KEY, last TEXT, credit TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS counts (member TEXT NOT NULL, window TEXT NOT NULL,
                     taken INTEGER NOT NULL, PRIMARY KEY (member, window));
                 CREATE TABLE IF NOT EXISTS ledger (record TEXT PRIMARY KEY, team TEXT NOT NULL,
                     assignee TEXT, at TEXT NOT NULL, rule TEXT NOT NULL);",
            )
            .map_err(|e| unreadable(&path, &e))?;
        let version: Option<String> = self
            .connection
            .query_row(
                "SELECT value FROM roe_state WHERE key = 'schema'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| unreadable(&path, &e))?;
        match version.as_deref() {
            None => {
                self.connection
                    .execute(
                        "INSERT INTO roe_state (key, value) VALUES ('schema', ?1)",
                        params![SCHEMA_VERSION],
                    )
                    .map_err(|e| unreadable(&path, &e))?;
                Ok(())
            }
            Some(SCHEMA_VERSION) => Ok(()),
            Some(other) => Err(StoreError {
                code: codes::STATE_VERSION,
                message: format!(
                    "`{path}` holds assignment state of layout {other}, and this roe reads layout {SCHEMA_VERSION}: use the roe that wrote it, or start a new state file"
                ),
            }),
        }
    }

    /// Opens a transaction unless one is open.
    fn begin(&mut self) -> Result<(), StoreError> {
        if !self.open {
            self.connection
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| unreadable(&self.path, &e))?;
            self.open = true;
        }
        Ok(())
    }

    /// Runs `f` inside the open transaction, errors naming the file.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.begin()?;
        f(&self.connection).map_err(|e| unreadable(&self.path, &e))
    }
}

impl Store for SqliteStore {
    fn turn(&mut self, team: &str, turn: &mut Turn) -> Result<(), StoreError> {
        let row: Option<(Option<String>, String)> = self.with(|c| {
            c.query_row(
                "SELECT last, credit FROM turns WHERE team = ?1",
                params![team],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
        })?;
        let Some((last, credit)) = row else {
            *turn = Turn::default();
            return Ok(());
        };
        *turn = Turn::from_stored(last, &credit).map_err(|e| StoreError {
            code: codes::STATE_UNREADABLE,
            message: format!("`{}`: team `{team}`'s credit is damaged: {e}", self.path),
        })?;
        Ok(())
    }

    fn save_turn(&mut self, team: &str, turn: &Turn) -> Result<(), StoreError> {
        let credit = turn.credit_json();
        self.with(|c| {
            c.execute(
                "INSERT INTO turns (team, last, credit) VALUES (?1, ?2, ?3)
                 ON CONFLICT (team) DO UPDATE SET last = ?2, credit = ?3",
                params![team, turn.last, credit],
            )
            .map(|_| ())
        })
    }

    fn count(&mut self, member: &str, window: Window) -> Result<u32, StoreError> {
        let taken: Option<u32> = self.with(|c| {
            c.query_row(
                "SELECT taken FROM counts WHERE member = ?1 AND window = ?2",
                params![member, window.to_string()],
                |row| row.get(0),
            )
            .optional()
        })?;
        Ok(taken.unwrap_or(0))
    }

    fn take(&mut self, member: &str, window: Window) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO counts (member, window, taken) VALUES (?1, ?2, 1)
                 ON CONFLICT (member, window) DO UPDATE SET taken = taken + 1",
                params![member, window.to_string()],
            )
            .map(|_| ())
        })
    }

    fn recorded(&mut self, policy: &str, id: &RecordId) -> Result<Option<Entry>, StoreError> {
        let key = ledger_key(policy, id);
        self.with(|c| {
            c.query_row(
                "SELECT team, assignee, at, rule FROM ledger WHERE record = ?1",
                params![key],
                |row| {
                    Ok(Entry {
                        team: row.get::<_, String>(0)?.into(),
                        assignee: row.get::<_, Option<String>>(1)?.map(Arc::from),
                        at: row.get::<_, String>(2)?.into(),
                        rule: row.get::<_, String>(3)?.into(),
                    })
                },
            )
            .optional()
        })
    }

    fn record(&mut self, policy: &str, id: &RecordId, entry: &Entry) -> Result<(), StoreError> {
        let key = ledger_key(policy, id);
        self.with(|c| {
            c.execute(
                "INSERT INTO ledger (record, team, assignee, at, rule) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (record) DO UPDATE SET team = ?2, assignee = ?3, at = ?4, rule = ?5",
                params![
                    key,
                    &*entry.team,
                    entry.assignee.as_deref(),
                    &*entry.at,
                    &*entry.rule
                ],
            )
            .map(|_| ())
        })
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if self.open {
            self.connection
                .execute_batch("COMMIT")
                .map_err(|e| unreadable(&self.path, &e))?;
            self.open = false;
        }
        Ok(())
    }

    fn ledger(&mut self) -> Result<Vec<(String, Entry)>, StoreError> {
        self.with(|c| {
            let mut statement =
                c.prepare("SELECT record, team, assignee, at, rule FROM ledger ORDER BY record")?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get(0)?,
                    Entry {
                        team: row.get::<_, String>(1)?.into(),
                        assignee: row.get::<_, Option<String>>(2)?.map(Arc::from),
                        at: row.get::<_, String>(3)?.into(),
                        rule: row.get::<_, String>(4)?.into(),
                    },
                ))
            })?;
            rows.collect()
        })
    }
    fn roster(&mut self) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT value FROM roe_state WHERE key = 'roster'",
                [],
                |row| row.get(0),
            )
            .optional()
        })
    }

    fn save_roster(&mut self, roster: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO roe_state (key, value) VALUES ('roster', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
                params![roster],
            )
            .map(|_| ())
        })
    }
}

/// The error of a state file that cannot be opened, read or written.
fn unreadable(path: &str, e: &rusqlite::Error) -> StoreError {
    let what = match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "is not an SQLite file: name a new file, or the state file roe wrote".to_owned()
        }
        other => other.to_string(),
    };
    StoreError {
        code: codes::STATE_UNREADABLE,
        message: format!("assignment state `{path}`: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("roe-sqlite-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        dir
    }

    #[test]
    fn state_survives_reopening_once_committed() {
        let path = scratch("reopen");
        let mut store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
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
        let day = Window::Day(jiff::civil::date(2026, 11, 30));
        let id = RecordId::of(&serde_json::json!("L-1")).unwrap_or_else(|| panic!("an id"));
        assert!(store.save_turn("emea", &turn).is_ok());
        assert!(store.take("ana@x", day).is_ok());
        assert!(store.record("p", &id, &entry).is_ok());
        assert!(store.save_roster("[]").is_ok());
        assert!(store.commit().is_ok());
        // Not committed: lost with the process.
        assert!(store.take("ana@x", day).is_ok());
        drop(store);
        let mut again = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut read = Turn::default();
        assert_eq!(again.turn("emea", &mut read), Ok(()));
        assert_eq!(read, turn);
        assert_eq!(again.count("ana@x", day), Ok(1));
        assert_eq!(again.recorded("p", &id), Ok(Some(entry)));
        assert_eq!(again.roster(), Ok(Some("[]".to_owned())));
        assert_eq!(
            again
                .ledger()
                .map(|l| l.into_iter().map(|(k, _)| k).collect::<Vec<_>>()),
            Ok(vec!["p\u{1f}\"L-1\"".to_owned()])
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_file_that_is_not_state_is_refused_with_a_code() {
        let path = scratch("garbage");
        let _ = std::fs::write(
            &path,
            "this is not a database, it is a shopping list\n".repeat(200),
        );
        let error = SqliteStore::open(&path).map(|_| ()).unwrap_err();
        assert_eq!(error.code, codes::STATE_UNREADABLE);
        assert!(
            error.message.contains("is not an SQLite file"),
            "{}",
            error.message
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn state_of_another_layout_is_refused() {
        let path = scratch("layout");
        {
            let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
            let _ = store
                .connection
                .execute("UPDATE roe_state SET value = '9' WHERE key = 'schema'", []);
        }
        let error = SqliteStore::open(&path).map(|_| ()).unwrap_err();
        assert_eq!(error.code, codes::STATE_VERSION);
        let _ = std::fs::remove_file(&path);
    }
}
