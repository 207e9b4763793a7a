//! Opening a Toaster database: WAL journal, foreign keys, incremental auto-vacuum, a busy
//! timeout, and the schema brought up to date by the numbered migrations of `schema.rs`.
//! Also the consistency checks (`integrity_check`, `foreign_key_check`). It knows no
//! model: queries live in `recorder.rs` and `manage.rs`.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result, db};
use crate::schema::MIGRATIONS;

/// The schema version this build of bake writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The file name Toaster gives its database (in TOASTER_DIR, by default the build
/// directory).
pub const DB_FILE: &str = "toaster.sqlite";

/// Opens (creating when missing) the database at `path`, with Toaster's settings:
/// foreign keys on, WAL journal, incremental auto-vacuum; brings the schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = open_unmigrated(path)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens the database at `path` with the connection settings of [`open`] but leaves the
/// schema as it is (for `migrate` reports and for tests of upgrades).
pub fn open_unmigrated(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db(format!("open {}", path.display())))?;
    refuse_toasters_own(&conn)?;
    // auto_vacuum must be chosen before the first table exists.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .map_err(db("auto_vacuum"))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db("foreign_keys"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(db("journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") && path != Path::new(":memory:") {
        return Err(Error::Invalid(format!(
            "{}: the database does not accept the WAL journal (got `{mode}`)",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db("synchronous"))?;
    conn.busy_timeout(std::time::Duration::from_secs(20))
        .map_err(db("busy_timeout"))?;
    Ok(conn)
}

/// A database Toaster's own Django made (its tables, no bake schema version) is not
/// bake's to migrate: refused before anything (even the journal mode) is changed.
fn refuse_toasters_own(conn: &Connection) -> Result<()> {
    if version(conn)? != 0 {
        return Ok(());
    }
    let foreign: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('django_migrations', 'orm_build')",
            [],
            |r| r.get(0),
        )
        .map_err(db("read the schema"))?;
    if foreign > 0 {
        return Err(Error::Invalid(format!(
            "{}: a database made by Toaster itself (Django's tables, no bake schema version); bake records into a database of its own: name another file with --database or TOASTER_DIR",
            conn.path().unwrap_or("")
        )));
    }
    Ok(())
}

/// The database's schema version (`PRAGMA user_version`; 0 for a new file).
pub fn version(conn: &Connection) -> Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(db("user_version"))
}

/// Creates or upgrades the schema to [`SCHEMA_VERSION`]: every migration after the
/// database's `user_version` runs, each in its own transaction. A database newer than
/// this build of bake is an error. Returns the version reached.
pub fn migrate(conn: &Connection) -> Result<i64> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the schema to `target` (at most [`SCHEMA_VERSION`]), never down.
pub fn migrate_to(conn: &Connection, target: i64) -> Result<i64> {
    let current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            path: conn.path().unwrap_or("").to_owned(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let target = target.clamp(current, SCHEMA_VERSION);
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
        .take(usize::try_from(target - current).unwrap_or(0))
    {
        let version = i as i64 + 1;
        // IMMEDIATE: the write lock first, so that two processes opening a new database
        // at once apply each migration once (the second sees the first's version).
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
                .map_err(db("begin migration"))?;
        let now: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db("user_version"))?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(db(format!("migration {version}")))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(db("user_version"))?;
        tx.commit().map_err(db("commit migration"))?;
    }
    Ok(target)
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: the problems found (empty
/// when the database is consistent).
pub fn check(conn: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut st = conn
        .prepare("PRAGMA integrity_check")
        .map_err(db("integrity_check"))?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db("integrity_check"))?;
    for r in rows {
        let r = r.map_err(db("integrity_check"))?;
        if r != "ok" {
            out.push(r);
        }
    }
    let mut st = conn
        .prepare("PRAGMA foreign_key_check")
        .map_err(db("foreign_key_check"))?;
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "foreign key: {} row {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                r.get::<_, String>(2)?
            ))
        })
        .map_err(db("foreign_key_check"))?;
    for r in rows {
        out.push(r.map_err(db("foreign_key_check"))?);
    }
    Ok(out)
}

/// The database's size in bytes (pages in use plus free pages) and its free pages.
pub fn size(conn: &Connection) -> Result<(u64, u64)> {
    let pages: i64 = conn
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .map_err(db("page_count"))?;
    let page_size: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .map_err(db("page_size"))?;
    let free: i64 = conn
        .pragma_query_value(None, "freelist_count", |r| r.get(0))
        .map_err(db("freelist_count"))?;
    Ok((
        u64::try_from(pages * page_size).unwrap_or(0),
        u64::try_from(free).unwrap_or(0),
    ))
}

/// Gives free pages back to the file system: `PRAGMA incremental_vacuum` (stepped to the
/// end: each step frees one page), then a WAL checkpoint that truncates the log, so the
/// database file itself shrinks (when no other connection is reading).
pub fn vacuum(conn: &Connection) -> Result<()> {
    let mut st = conn
        .prepare("PRAGMA incremental_vacuum")
        .map_err(db("incremental_vacuum"))?;
    let mut rows = st.query([]).map_err(db("incremental_vacuum"))?;
    while rows.next().map_err(db("incremental_vacuum"))?.is_some() {}
    drop(rows);
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(db("wal_checkpoint"))?;
    Ok(())
}
