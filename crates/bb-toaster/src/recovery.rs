//! Crash recovery: which builds still "in progress" have lost their recorder. A build row
//! carries the recording process's pid and start time; a build recorded by this process
//! is alive while its [`crate::Recorder`] is (a registry of live recordings). What
//! `checksettings` and every new recording run first; it never deletes anything. A
//! build whose request is still queued (`bldcontrol`) has no recorder yet and is left
//! alone.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, params};

use crate::error::{Result, db};
use crate::model::BuildOutcome;

/// Builds being recorded by this process: (database file, build id).
static LIVE: Mutex<Option<HashSet<(String, i64)>>> = Mutex::new(None);

fn db_key(conn: &Connection) -> String {
    conn.path().unwrap_or("").to_owned()
}

/// Notes that this process records `build` into `conn`'s database.
pub(crate) fn register(conn: &Connection, build: i64) {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.get_or_insert_with(HashSet::new)
        .insert((db_key(conn), build));
}

/// Notes that the recording of `build` ended.
pub(crate) fn unregister(db_file: &str, build: i64) {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(set) = live.as_mut() {
        set.remove(&(db_file.to_owned(), build));
    }
}

fn live_here(db_file: &str, build: i64) -> bool {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.as_ref()
        .is_some_and(|s| s.contains(&(db_file.to_owned(), build)))
}

/// When process `pid` started (field 22 of `/proc/PID/stat`, clock ticks after boot), or
/// None when there is no such process (or no /proc).
pub(crate) fn process_start(pid: i64) -> Option<i64> {
    let stat = fs_err::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Is the process that recorded a build still running it?
fn recorder_alive(db_file: &str, build: i64, pid: Option<i64>, started: Option<i64>) -> bool {
    let Some(pid) = pid else { return false };
    if pid == i64::from(std::process::id()) {
        return live_here(db_file, build);
    }
    match process_start(pid) {
        None => false,
        // The same pid with another start time is a new process that reused the pid.
        Some(now) => started.is_none_or(|s| s == now),
    }
}

/// Builds still "in progress" whose recording process is gone (killed, crashed) are
/// marked failed, completed now, in one transaction. Returns their ids.
pub fn fail_stale_builds(conn: &Connection) -> Result<Vec<i64>> {
    let file = db_key(conn);
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = {
        let mut st = conn
            .prepare("SELECT id, recorder_pid, recorder_started FROM orm_build WHERE outcome = ?1 \
             AND id NOT IN (SELECT build_id FROM bldcontrol_buildrequest WHERE build_id IS NOT NULL AND state IN (0, 1))")
            .map_err(db("find builds in progress"))?;
        st.query_map([BuildOutcome::InProgress as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(db("find builds in progress"))?
        .collect::<std::result::Result<_, _>>()
        .map_err(db("find builds in progress"))?
    };
    let stale: Vec<i64> = rows
        .into_iter()
        .filter(|&(id, pid, started)| !recorder_alive(&file, id, pid, started))
        .map(|(id, _, _)| id)
        .collect();
    if stale.is_empty() {
        return Ok(stale);
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .map_err(db("begin crash recovery"))?;
    let now = crate::model::timestamp(std::time::SystemTime::now());
    for id in &stale {
        tx.execute(
            "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1 AND outcome = ?4",
            params![
                id,
                BuildOutcome::Failed as i64,
                now,
                BuildOutcome::InProgress as i64
            ],
        )
        .map_err(db(format!("mark build {id} failed")))?;
        tx.execute(
            "INSERT INTO orm_logmessage (build_id, level, message) VALUES (?1, ?2, ?3)",
            params![
                id,
                crate::model::LogLevel::Error as i64,
                "the build's recording process ended without recording an outcome (found in progress)"
            ],
        )
        .map_err(db(format!("note on build {id}")))?;
    }
    tx.commit().map_err(db("commit crash recovery"))?;
    Ok(stale)
}

/// Is `build` still being recorded (in progress, with its recorder alive)?
pub(crate) fn is_recording(conn: &Connection, build: i64) -> Result<bool> {
    let row: Option<(i64, Option<i64>, Option<i64>)> = conn
        .query_row(
            "SELECT outcome, recorder_pid, recorder_started FROM orm_build WHERE id = ?1",
            [build],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(db(format!("find build {build}")))?;
    Ok(row.is_some_and(|(outcome, pid, started)| {
        outcome == BuildOutcome::InProgress as i64
            && recorder_alive(&db_key(conn), build, pid, started)
    }))
}
