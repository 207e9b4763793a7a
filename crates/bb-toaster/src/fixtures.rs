//! `loaddata FILE.xml`: Django-style XML fixtures (`<django-objects>` holding
//! `<object model="orm.release" pk="1">` with `<field name="...">` children), read with
//! quick-xml. Each object is written to its `orm_*` table, overwriting the row with the
//! same primary key; foreign keys (`rel=` fields) go to `<name>_id` columns. The whole
//! file is one transaction: an error names the object and the field, and nothing is
//! written.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use quick_xml::events::Event;
use rusqlite::Connection;

use crate::error::{Error, Result};

/// One object of a fixture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixtureObject {
    /// `orm.release`.
    pub model: String,
    /// The primary key.
    pub pk: i64,
    /// (column, value or None for `<None/>`).
    pub fields: Vec<(String, Option<String>)>,
}

fn bad(file: &Path, what: String) -> Error {
    Error::Fixture {
        file: file.to_path_buf(),
        object: None,
        field: None,
        message: what,
    }
}

fn bad_object(file: &Path, o: &FixtureObject, field: Option<&str>, what: String) -> Error {
    Error::Fixture {
        file: file.to_path_buf(),
        object: Some(format!("{} pk={}", o.model, o.pk)),
        field: field.map(str::to_owned),
        message: what,
    }
}

/// The column a `<field name="x">` fills: `x`, or `x_id` for a relation (`rel=`).
fn field_column(e: &quick_xml::events::BytesStart<'_>) -> String {
    let mut name = String::new();
    let mut rel = false;
    for a in e.attributes().flatten() {
        match a.key.as_ref() {
            b"name" => name = String::from_utf8_lossy(&a.value).into_owned(),
            b"rel" => rel = true,
            _ => {}
        }
    }
    if rel { format!("{name}_id") } else { name }
}

/// The 1-based line and column of byte `pos` of `text`, and that line's text from
/// there (at most 60 characters).
fn line_col(text: &str, pos: usize) -> (usize, usize, String) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[start..pos].chars().count() + 1;
    let rest: String = text[pos..]
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    (line, col, rest)
}

/// Reads the objects of a fixture file. Never panics: bad XML is an error naming the
/// line and column.
pub fn parse(file: &Path, text: &str) -> Result<Vec<FixtureObject>> {
    let mut r = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    let mut cur: Option<FixtureObject> = None;
    // (column name, is a relation, text so far, explicit None)
    let mut field: Option<(String, String, bool)> = None;
    loop {
        let at = r.buffer_position();
        let ev = r.read_event().map_err(|e| {
            // Where the reader stopped: the error is in the event that began at `at`.
            let (line, col, text) = line_col(text, usize::try_from(at).unwrap_or(0));
            bad(
                file,
                format!("line {line}, column {col}: XML error: {e}: `{text}`"),
            )
        })?;
        match ev {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"object" => {
                let mut o = FixtureObject::default();
                for a in e.attributes().flatten() {
                    let v = String::from_utf8_lossy(&a.value).into_owned();
                    match a.key.as_ref() {
                        b"model" => o.model = v,
                        b"pk" => {
                            o.pk = v.trim().parse().map_err(|_| {
                                bad(
                                    file,
                                    format!("object `{}`: pk `{v}` is not an integer", o.model),
                                )
                            })?
                        }
                        _ => {}
                    }
                }
                if o.model.is_empty() {
                    return Err(bad(file, "an object without a model".into()));
                }
                cur = Some(o);
            }
            Event::Start(e) if e.name().as_ref() == b"field" => {
                field = Some((field_column(&e), String::new(), false));
            }
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == b"None" => {
                if let Some(f) = field.as_mut() {
                    f.2 = true;
                }
            }
            Event::Empty(e) if e.name().as_ref() == b"field" => {
                if let Some(o) = cur.as_mut() {
                    o.fields.push((field_column(&e), Some(String::new())));
                }
            }
            Event::Text(t) => {
                if let Some(f) = field.as_mut() {
                    let s = t
                        .unescape()
                        .map_err(|e| bad(file, format!("field {}: {e}", f.0)))?;
                    f.1.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(f) = field.as_mut() {
                    f.1.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(e) if e.name().as_ref() == b"field" => {
                if let (Some((col, text, none)), Some(o)) = (field.take(), cur.as_mut()) {
                    o.fields.push((col, (!none).then_some(text)));
                }
            }
            Event::End(e) if e.name().as_ref() == b"object" => {
                if let Some(o) = cur.take() {
                    out.push(o);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Loads a fixture file into the database (one transaction); returns how many
/// objects were written.
pub fn loaddata(conn: &mut Connection, file: &Path) -> Result<usize> {
    let text = fs_err::read_to_string(file)?;
    let objects = parse(file, &text)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| Error::Db {
            what: "begin loaddata".into(),
            source: e,
        })?;
    tx.pragma_update(None, "defer_foreign_keys", "ON")
        .map_err(|e| Error::Db {
            what: "defer_foreign_keys".into(),
            source: e,
        })?;
    let mut columns: HashMap<String, HashSet<String>> = HashMap::new();
    for o in &objects {
        let Some(model) = o.model.strip_prefix("orm.") else {
            return Err(bad_object(
                file,
                o,
                None,
                "only `orm.*` models are known".into(),
            ));
        };
        let table = format!("orm_{model}");
        let cols = match columns.get(&table) {
            Some(c) => c,
            None => {
                let c = table_columns(&tx, &table)?;
                columns.entry(table.clone()).or_insert(c)
            }
        };
        if cols.is_empty() {
            return Err(bad_object(file, o, None, "unknown model".into()));
        }
        let mut names = vec!["id".to_owned()];
        let mut values: Vec<Option<String>> = vec![Some(o.pk.to_string())];
        for (col, v) in &o.fields {
            if !cols.contains(col) {
                return Err(bad_object(file, o, Some(col), "unknown field".into()));
            }
            names.push(format!("\"{col}\""));
            values.push(v.clone());
        }
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let updates: Vec<String> = names[1..]
            .iter()
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        let sql = if updates.is_empty() {
            format!("INSERT OR IGNORE INTO {table} (id) VALUES (?1)")
        } else {
            format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT(id) DO UPDATE SET {}",
                names.join(", "),
                placeholders.join(", "),
                updates.join(", ")
            )
        };
        tx.execute(&sql, rusqlite::params_from_iter(values.iter()))
            .map_err(|e| {
                // Name the field when SQLite names a column.
                let msg = e.to_string();
                let field = o
                    .fields
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .find(|c| msg.contains(&format!(".{c}")));
                bad_object(file, o, field, msg)
            })?;
    }
    // Objects may name objects later in the file (foreign keys are checked at the end,
    // as Django does); rows that still point nowhere are refused, naming the object.
    for table in columns.keys() {
        let mut st = tx
            .prepare(&format!("PRAGMA foreign_key_check(\"{table}\")"))
            .map_err(|e| Error::Db {
                what: format!("foreign keys of `{table}`"),
                source: e,
            })?;
        let bad_row = st
            .query_map([], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
            .map_err(|e| Error::Db {
                what: format!("foreign keys of `{table}`"),
                source: e,
            })?
            .next();
        if let Some(row) = bad_row {
            let (pk, parent) = row.map_err(|e| Error::Db {
                what: format!("foreign keys of `{table}`"),
                source: e,
            })?;
            let model = format!("orm.{}", table.trim_start_matches("orm_"));
            let o = objects
                .iter()
                .find(|o| o.model == model && o.pk == pk)
                .cloned()
                .unwrap_or(FixtureObject {
                    model,
                    pk,
                    fields: Vec::new(),
                });
            let parent_model = format!("orm.{}", parent.trim_start_matches("orm_"));
            return Err(bad_object(
                file,
                &o,
                None,
                format!("refers to a `{parent_model}` that does not exist"),
            ));
        }
    }
    tx.commit().map_err(|e| Error::Db {
        what: "commit loaddata".into(),
        source: e,
    })?;
    Ok(objects.len())
}

/// The columns of `table` (empty when there is no such table).
fn table_columns(conn: &Connection, table: &str) -> Result<HashSet<String>> {
    let what = || format!("columns of `{table}`");
    let mut st = conn
        .prepare(&format!("PRAGMA table_info(\"{table}\")"))
        .map_err(|e| Error::Db {
            what: what(),
            source: e,
        })?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(1))
        .map_err(|e| Error::Db {
            what: what(),
            source: e,
        })?;
    let mut out = HashSet::new();
    for r in rows {
        out.insert(r.map_err(|e| Error::Db {
            what: what(),
            source: e,
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
