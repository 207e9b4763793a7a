//! The server's SQLite database: task hash -> unihash (`unihashes_v3`) and the output
//! hashes reported for task hashes (`outhashes_v2`), the tables and queries of a hash
//! equivalence server. One connection, shared behind a lock (SQLite serializes
//! writers anyway; WAL lets readers in other processes read while it writes).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use crate::Result;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS unihashes_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    taskhash TEXT NOT NULL,
    unihash TEXT NOT NULL,
    gc_mark TEXT NOT NULL DEFAULT '',
    UNIQUE(method, taskhash)
);
CREATE TABLE IF NOT EXISTS outhashes_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    taskhash TEXT NOT NULL,
    outhash TEXT NOT NULL,
    created TEXT NOT NULL,
    owner TEXT,
    PN TEXT,
    PV TEXT,
    PR TEXT,
    task TEXT,
    outhash_siginfo TEXT,
    UNIQUE(method, taskhash, outhash)
);
CREATE INDEX IF NOT EXISTS outhash_lookup_v3 ON outhashes_v2 (method, outhash);
CREATE INDEX IF NOT EXISTS unihash_lookup_v1 ON unihashes_v3 (unihash);
";

/// The extra columns a report may carry.
pub(crate) const EXTRA: &[&str] = &["owner", "PN", "PV", "PR", "task", "outhash_siginfo"];

/// The database.
pub(crate) struct Db {
    conn: Connection,
}

fn row_map(row: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let stmt = row.as_ref();
    let mut m = Map::new();
    for (i, name) in stmt.column_names().iter().enumerate() {
        let v: Option<String> = row.get(i)?;
        m.insert((*name).to_owned(), v.map_or(Value::Null, Value::String));
    }
    Ok(Value::Object(m))
}

impl Db {
    /// Opens (creating) the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<Db> {
        let conn =
            Connection::open(path).map_err(|e| crate::Error::Db(path.display().to_string(), e))?;
        conn.busy_timeout(std::time::Duration::from_secs(20))
            .and_then(|()| conn.execute_batch(SCHEMA))
            .map_err(|e| crate::Error::Db(path.display().to_string(), e))?;
        Ok(Db { conn })
    }

    /// `method`/`taskhash` -> `{method, taskhash, unihash}`.
    pub(crate) fn get_equivalent(
        &self,
        method: &str,
        taskhash: &str,
    ) -> rusqlite::Result<Option<Value>> {
        self.conn
            .prepare_cached("SELECT method, taskhash, unihash FROM unihashes_v3 WHERE method = ?1 AND taskhash = ?2")?
            .query_row(params![method, taskhash], row_map)
            .optional()
    }

    /// Every column known for a task hash (its outhash row joined with its unihash).
    pub(crate) fn get_full(&self, method: &str, taskhash: &str) -> rusqlite::Result<Option<Value>> {
        self.conn
            .prepare_cached(
                "SELECT o.method, o.taskhash, o.outhash, o.created, o.owner, o.PN, o.PV, o.PR, o.task, o.outhash_siginfo, u.unihash \
                 FROM outhashes_v2 o JOIN unihashes_v3 u ON o.method = u.method AND o.taskhash = u.taskhash \
                 WHERE o.method = ?1 AND o.taskhash = ?2 ORDER BY o.created ASC, o.id ASC LIMIT 1",
            )?
            .query_row(params![method, taskhash], row_map)
            .optional()
    }

    /// The first task reported with this output hash (with its unihash when `with_unihash`).
    pub(crate) fn get_outhash(
        &self,
        method: &str,
        outhash: &str,
        with_unihash: bool,
    ) -> rusqlite::Result<Option<Value>> {
        let sql = if with_unihash {
            "SELECT o.method, o.taskhash, o.outhash, o.created, o.owner, o.PN, o.PV, o.PR, o.task, o.outhash_siginfo, u.unihash \
             FROM outhashes_v2 o JOIN unihashes_v3 u ON o.method = u.method AND o.taskhash = u.taskhash \
             WHERE o.method = ?1 AND o.outhash = ?2 ORDER BY o.created ASC, o.id ASC LIMIT 1"
        } else {
            "SELECT method, taskhash, outhash, created, owner, PN, PV, PR, task, outhash_siginfo \
             FROM outhashes_v2 WHERE method = ?1 AND outhash = ?2 ORDER BY created ASC, id ASC LIMIT 1"
        };
        self.conn
            .prepare_cached(sql)?
            .query_row(params![method, outhash], row_map)
            .optional()
    }

    /// Another task hash with the same output hash, and its unihash.
    pub(crate) fn get_equivalent_for_outhash(
        &self,
        method: &str,
        outhash: &str,
        taskhash: &str,
    ) -> rusqlite::Result<Option<String>> {
        self.conn
            .prepare_cached(
                "SELECT u.unihash FROM outhashes_v2 o JOIN unihashes_v3 u ON o.method = u.method AND o.taskhash = u.taskhash \
                 WHERE o.method = ?1 AND o.outhash = ?2 AND o.taskhash != ?3 ORDER BY o.created ASC, o.id ASC LIMIT 1",
            )?
            .query_row(params![method, outhash, taskhash], |r| r.get(0))
            .optional()
    }

    /// Records an output hash; `true` when the row is new.
    pub(crate) fn insert_outhash(
        &self,
        data: &Map<String, Value>,
        created: &str,
    ) -> rusqlite::Result<bool> {
        let s = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO outhashes_v2 (method, taskhash, outhash, created, owner, PN, PV, PR, task, outhash_siginfo) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            s("method"), s("taskhash"), s("outhash"), created,
            s(EXTRA[0]), s(EXTRA[1]), s(EXTRA[2]), s(EXTRA[3]), s(EXTRA[4]), s(EXTRA[5])
        ])?;
        Ok(n > 0)
    }

    /// Maps a task hash to a unihash, unless it is mapped already.
    pub(crate) fn insert_unihash(
        &self,
        method: &str,
        taskhash: &str,
        unihash: &str,
    ) -> rusqlite::Result<bool> {
        let n = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO unihashes_v3 (method, taskhash, unihash) VALUES (?1, ?2, ?3)")?
            .execute(params![method, taskhash, unihash])?;
        Ok(n > 0)
    }

    /// Whether any task hash maps to `unihash`.
    pub(crate) fn unihash_exists(&self, unihash: &str) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM unihashes_v3 WHERE unihash = ?1 LIMIT 1")?
            .query_row(params![unihash], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }

    /// Removes the rows whose columns equal `where_`; returns how many.
    pub(crate) fn remove(&self, where_: &Map<String, Value>) -> rusqlite::Result<usize> {
        let mut n = 0;
        for (table, cols) in [
            ("unihashes_v3", &["method", "taskhash", "unihash"][..]),
            (
                "outhashes_v2",
                &[
                    "method", "taskhash", "outhash", "owner", "PN", "PV", "PR", "task",
                ][..],
            ),
        ] {
            let keys: Vec<(&str, String)> = where_
                .iter()
                .filter_map(|(k, v)| {
                    let col = cols.iter().find(|c| **c == k.as_str())?;
                    Some((*col, v.as_str()?.to_owned()))
                })
                .collect();
            if keys.is_empty() || keys.len() != where_.len() {
                continue;
            }
            let cond: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{c} = ?{}", i + 1))
                .collect();
            let sql = format!("DELETE FROM {table} WHERE {}", cond.join(" AND "));
            let vals: Vec<&String> = keys.iter().map(|(_, v)| v).collect();
            n += self.conn.execute(&sql, rusqlite::params_from_iter(vals))?;
        }
        Ok(n)
    }
}
