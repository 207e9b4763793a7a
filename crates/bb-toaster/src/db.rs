//! Opening a Toaster database: WAL, foreign keys, incremental vacuum, migrations.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::schema::MIGRATIONS;

/// The schema version this build of bake writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating when missing) the database at `path`, with Toaster's settings:
/// foreign keys on, WAL journal, incremental auto-vacuum; brings the schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| Error::Db {
        what: format!("open {}", path.display()),
        source: e,
    })?;
    setup(&conn, path)?;
    migrate(&conn)?;
    Ok(conn)
}

fn db_err(what: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Db {
        what: what.to_owned(),
        source: e,
    }
}

fn setup(conn: &Connection, path: &Path) -> Result<()> {
    // auto_vacuum must be chosen before the first table exists.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .map_err(db_err("auto_vacuum"))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_err("foreign_keys"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(db_err("journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") && !path.as_os_str().is_empty() {
        // In-memory databases cannot use WAL; files can.
        if path != Path::new(":memory:") {
            return Err(Error::Invalid(format!(
                "{}: the database does not accept the WAL journal (got {mode})",
                path.display()
            )));
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db_err("synchronous"))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(db_err("busy_timeout"))?;
    Ok(())
}

/// Creates or upgrades the schema: every migration after the database's
/// `user_version` runs, each in its own transaction. A database newer than this build
/// of bake is an error.
pub fn migrate(conn: &Connection) -> Result<i64> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(db_err("user_version"))?;
    if current > SCHEMA_VERSION {
        return Err(Error::Invalid(format!(
            "the database has schema version {current}, newer than this bake's {SCHEMA_VERSION}"
        )));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let version = i as i64 + 1;
        let tx = conn
            .unchecked_transaction()
            .map_err(db_err("begin migration"))?;
        tx.execute_batch(sql).map_err(|e| Error::Db {
            what: format!("migration {version}"),
            source: e,
        })?;
        tx.pragma_update(None, "user_version", version)
            .map_err(db_err("user_version"))?;
        tx.commit().map_err(db_err("commit migration"))?;
    }
    Ok(SCHEMA_VERSION)
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: the problems found (empty
/// when the database is consistent).
pub fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut st = conn
        .prepare("PRAGMA integrity_check")
        .map_err(db_err("integrity_check"))?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db_err("integrity_check"))?;
    for r in rows {
        let r = r.map_err(db_err("integrity_check"))?;
        if r != "ok" {
            out.push(r);
        }
    }
    let mut st = conn
        .prepare("PRAGMA foreign_key_check")
        .map_err(db_err("foreign_key_check"))?;
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "foreign key: {} row {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .map_err(db_err("foreign_key_check"))?;
    for r in rows {
        out.push(r.map_err(db_err("foreign_key_check"))?);
    }
    Ok(out)
}
