//! `loaddata FILE.xml`: Django-style XML fixtures (`<django-objects>` holding
//! `<object model="orm.release" pk="1">` with `<field name="...">` children), read with
//! quick-xml. Each object is written to its `orm_*` table, overwriting the row with the
//! same primary key; foreign keys (`rel=` fields) go to `<name>_id` columns. The whole
//! file is one transaction: an error names the object and the field, and nothing is
//! written.

use std::collections::HashSet;
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
    Error::Invalid(format!("{}: {what}", file.display()))
}

/// Reads the objects of a fixture file.
pub fn parse(file: &Path, text: &str) -> Result<Vec<FixtureObject>> {
    let mut r = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    let mut cur: Option<FixtureObject> = None;
    // (column name, is a relation, text so far, explicit None)
    let mut field: Option<(String, String, bool)> = None;
    loop {
        let ev = r.read_event().map_err(|e| {
            bad(
                file,
                format!("XML error at byte {}: {e}", r.buffer_position()),
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
                                    format!("object {}: pk `{v}` is not an integer", o.model),
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
                let mut name = String::new();
                let mut rel = false;
                for a in e.attributes().flatten() {
                    match a.key.as_ref() {
                        b"name" => name = String::from_utf8_lossy(&a.value).into_owned(),
                        b"rel" => rel = true,
                        _ => {}
                    }
                }
                let col = if rel { format!("{name}_id") } else { name };
                field = Some((col, String::new(), false));
            }
            Event::Empty(e) if e.name().as_ref() == b"None" => {
                if let Some(f) = field.as_mut() {
                    f.2 = true;
                }
            }
            Event::Empty(e) if e.name().as_ref() == b"field" => {
                let mut name = String::new();
                let mut rel = false;
                for a in e.attributes().flatten() {
                    match a.key.as_ref() {
                        b"name" => name = String::from_utf8_lossy(&a.value).into_owned(),
                        b"rel" => rel = true,
                        _ => {}
                    }
                }
                if let Some(o) = cur.as_mut() {
                    let col = if rel { format!("{name}_id") } else { name };
                    o.fields.push((col, Some(String::new())));
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
    let text = std::fs::read_to_string(file).map_err(|e| bad(file, format!("cannot read: {e}")))?;
    let objects = parse(file, &text)?;
    let tx = conn.transaction().map_err(|e| Error::Db {
        what: "begin loaddata".into(),
        source: e,
    })?;
    for o in &objects {
        let Some(model) = o.model.strip_prefix("orm.") else {
            return Err(bad(
                file,
                format!(
                    "object {} pk={}: only orm.* models are known",
                    o.model, o.pk
                ),
            ));
        };
        let table = format!("orm_{model}");
        let mut st = tx
            .prepare(&format!("PRAGMA table_info({table})"))
            .map_err(|e| Error::Db {
                what: format!("columns of {table}"),
                source: e,
            })?;
        let cols: HashSet<String> = st
            .query_map([], |r| r.get::<_, String>(1))
            .map_err(|e| Error::Db {
                what: format!("columns of {table}"),
                source: e,
            })?
            .filter_map(std::result::Result::ok)
            .collect();
        if cols.is_empty() {
            return Err(bad(
                file,
                format!("object {} pk={}: unknown model", o.model, o.pk),
            ));
        }
        let mut names = vec!["id".to_owned()];
        let mut values: Vec<Option<String>> = vec![Some(o.pk.to_string())];
        for (col, v) in &o.fields {
            if !cols.contains(col) {
                return Err(bad(
                    file,
                    format!("object {} pk={}: unknown field `{col}`", o.model, o.pk),
                ));
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
            .map_err(|e| bad(file, format!("object {} pk={}: {e}", o.model, o.pk)))?;
    }
    tx.commit().map_err(|e| Error::Db {
        what: "commit loaddata".into(),
        source: e,
    })?;
    Ok(objects.len())
}
