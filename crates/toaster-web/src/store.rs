//! Read-only access to the build database: a small pool of connections opened with
//! `SQLITE_OPEN_READ_ONLY` and `query_only`, so that the web interface can never write and
//! never takes the recorder's write lock (the database is in WAL mode: readers and the
//! writer do not block each other). Each request runs in one read transaction, so that
//! a page's counts and rows come from the same snapshot, and counts the statements it
//! runs ([`Db::statements`]).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};

use crate::error::{Error, Result, db};

/// How many idle connections are kept.
const POOL: usize = 8;

/// The build database, read-only.
pub struct Store {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens `path` for reading. The file must exist with bake's current schema
    /// (`toaster-manage migrate` makes it so).
    pub fn open(path: &Path) -> Result<Store> {
        let store = Store {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        let conn = store.connect()?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db(format!("read the schema version of {}", path.display())))?;
        if version != bb_toaster::db::SCHEMA_VERSION {
            return Err(Error::Invalid(format!(
                "{}: schema version {version}, this server reads version {} (run `toaster-manage migrate`)",
                path.display(),
                bb_toaster::db::SCHEMA_VERSION
            )));
        }
        store.give_back(conn);
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> Result<Connection> {
        let what = || format!("open {} read-only", self.path.display());
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db(what()))?;
        conn.pragma_update(None, "query_only", "ON")
            .map_err(db(what()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db(what()))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(conn);
        }
    }

    /// Runs `f` in one read transaction of a pooled connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        let conn = {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.pop()
        };
        let conn = match conn {
            Some(c) => c,
            None => self.connect()?,
        };
        conn.execute_batch("BEGIN DEFERRED")
            .map_err(db("begin a read transaction"))?;
        let d = Db {
            conn: &conn,
            statements: Cell::new(0),
        };
        let out = f(&d);
        let end = conn
            .execute_batch("COMMIT")
            .map_err(db("end a read transaction"));
        if end.is_ok() {
            self.give_back(conn);
        }
        let out = out?;
        end?;
        Ok(out)
    }
}

/// One request's view of the database: every query goes through here and is counted.
pub(crate) struct Db<'c> {
    conn: &'c Connection,
    statements: Cell<u32>,
}

impl Db<'_> {
    /// How many statements this request ran.
    pub(crate) fn statements(&self) -> u32 {
        self.statements.get()
    }

    /// Every row of `sql`, mapped by `f`.
    pub(crate) fn rows<T>(
        &self,
        what: &str,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        self.statements.set(self.statements.get() + 1);
        let mut st = self.conn.prepare_cached(sql).map_err(db(what))?;
        let rows = st
            .query_map(rusqlite::params_from_iter(params.iter()), f)
            .map_err(db(what))?;
        rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db(what))
    }

    /// The first row of `sql`, if any, mapped by `f`.
    pub(crate) fn one<T>(
        &self,
        what: &str,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        self.statements.set(self.statements.get() + 1);
        let mut st = self.conn.prepare_cached(sql).map_err(db(what))?;
        st.query_row(rusqlite::params_from_iter(params.iter()), f)
            .optional()
            .map_err(db(what))
    }

    /// Runs a read helper of `bb_toaster` on this request's connection (counted as
    /// `statements` statements).
    pub(crate) fn with_conn<T>(&self, statements: u32, f: impl FnOnce(&Connection) -> T) -> T {
        self.statements.set(self.statements.get() + statements);
        f(self.conn)
    }

    /// A single integer (a count).
    pub(crate) fn count(&self, what: &str, sql: &str, params: &[Value]) -> Result<i64> {
        Ok(self
            .one(what, sql, params, |r| r.get::<_, Option<i64>>(0))?
            .flatten()
            .unwrap_or(0))
    }
}

/// An integer parameter.
pub(crate) fn int(v: i64) -> Value {
    Value::Integer(v)
}

/// A text parameter.
pub(crate) fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}
