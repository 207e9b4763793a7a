//! The ToasterTable protocol (spec §0): a table is a [`Table`] (SQL source, columns,
//! search fields, filters, default order) answered from the query parameters of the
//! request ([`TableQuery`]): search (words ANDed, each ORed over the search fields with
//! a case-insensitive `LIKE`), `orderby` (`f`/`-f` over the orderable columns), a filter
//! action (`filter=F:A`, `filter_value`), `page` and `limit`; `cmd=filterinfo` counts
//! the rows of every action of one filter. Every value from the request is either
//! matched against the table's own names or bound as a parameter: nothing of it is
//! spliced into SQL, and no parameter value can make a query fail.
//!
//! The rows are built by the table's row function as [`Cell`]s: the value the JSON
//! answer carries and the HTML the page shows (escaped by the row function).

use rusqlite::types::Value;
use serde_json::{Value as Json, json};

use crate::error::Result;
use crate::store::Db;

/// The page sizes the page offers.
pub(crate) const PAGE_SIZES: [usize; 5] = [10, 25, 50, 100, 150];
/// The largest `limit` answered.
const MAX_LIMIT: usize = 1000;
/// Search words beyond this many are ignored.
const MAX_WORDS: usize = 8;

/// A column.
pub(crate) struct Col {
    /// Toaster's field name: the JSON key, the `th`/`td` class, `#checkbox-<name>`,
    /// and the `orderby` value.
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) help: &'static str,
    /// The SQL it sorts by; `None`: not orderable.
    pub(crate) order: Option<&'static str>,
    pub(crate) hideable: bool,
    pub(crate) hidden: bool,
    /// The filter shown in its header.
    pub(crate) filter: Option<&'static str>,
}

impl Col {
    /// An orderable, hideable, visible column.
    pub(crate) const fn new(name: &'static str, title: &'static str, order: &'static str) -> Col {
        Col {
            name,
            title,
            help: "",
            order: Some(order),
            hideable: true,
            hidden: false,
            filter: None,
        }
    }
    /// A column that cannot be sorted by.
    pub(crate) const fn plain(name: &'static str, title: &'static str) -> Col {
        Col {
            name,
            title,
            help: "",
            order: None,
            hideable: true,
            hidden: false,
            filter: None,
        }
    }
    pub(crate) const fn fixed(mut self) -> Col {
        self.hideable = false;
        self
    }
    pub(crate) const fn hidden(mut self) -> Col {
        self.hidden = true;
        self
    }
    pub(crate) const fn help(mut self, help: &'static str) -> Col {
        self.help = help;
        self
    }
    pub(crate) const fn filter(mut self, filter: &'static str) -> Col {
        self.filter = Some(filter);
        self
    }
}

/// What kind of action a filter has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionKind {
    /// On or off.
    Toggle,
    /// Between two dates (`filter_value=YYYY-MM-DD,YYYY-MM-DD`); the action's SQL is the
    /// timestamp column compared.
    DateRange,
}

/// One action of a filter.
pub(crate) struct Action {
    pub(crate) name: &'static str,
    pub(crate) title: String,
    pub(crate) kind: ActionKind,
    /// A boolean SQL expression without parameters (a toggle), or the timestamp column
    /// (a date range).
    pub(crate) sql: String,
}

impl Action {
    pub(crate) fn toggle(
        name: &'static str,
        title: impl Into<String>,
        sql: impl Into<String>,
    ) -> Action {
        Action {
            name,
            title: title.into(),
            kind: ActionKind::Toggle,
            sql: sql.into(),
        }
    }
    pub(crate) fn range(
        name: &'static str,
        title: impl Into<String>,
        column: impl Into<String>,
    ) -> Action {
        Action {
            name,
            title: title.into(),
            kind: ActionKind::DateRange,
            sql: column.into(),
        }
    }
}

/// A filter: a name and its actions ("all" is implicit).
pub(crate) struct Filter {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) actions: Vec<Action>,
}

/// One cell: what the JSON carries and what the page shows (already escaped).
pub(crate) struct Cell {
    pub(crate) json: Json,
    pub(crate) html: String,
}

impl Cell {
    /// A text value, shown escaped.
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            html: crate::html::esc(&s),
            json: Json::String(s),
        }
    }
    /// A number shown as it is.
    pub(crate) fn num(n: impl Into<serde_json::Number> + ToString + Copy) -> Cell {
        Cell {
            html: n.to_string(),
            json: Json::Number(n.into()),
        }
    }
    /// HTML (the JSON carries it too, as Toaster's template columns do).
    pub(crate) fn html(h: String) -> Cell {
        Cell {
            json: Json::String(h.clone()),
            html: h,
        }
    }
    /// A value with its own display.
    pub(crate) fn both(json: Json, html: String) -> Cell {
        Cell { json, html }
    }
}

/// One row: its id and a cell per column.
pub(crate) struct RowOut {
    pub(crate) id: i64,
    pub(crate) cells: Vec<Cell>,
}

/// A row function: one database row into a [`RowOut`], given the table's context id.
pub(crate) type RowFn = fn(&rusqlite::Row<'_>, i64) -> rusqlite::Result<RowOut>;

/// A table.
pub(crate) struct Table {
    /// The element id and Toaster's class name lowercased (`allbuildstable`).
    pub(crate) id: &'static str,
    pub(crate) title: String,
    /// `col, col, ...` read by the row function.
    pub(crate) select: &'static str,
    /// `FROM ... WHERE ...` (the rows of the table before search and filters).
    pub(crate) from: String,
    pub(crate) params: Vec<Value>,
    /// Boolean SQL expressions with one `?` each (the search word, as a LIKE pattern).
    pub(crate) search: &'static [&'static str],
    pub(crate) cols: Vec<Col>,
    pub(crate) filters: Vec<Filter>,
    /// `name` or `-name` of a column.
    pub(crate) default_order: &'static str,
    /// The row's key, when the page's rows are to be picked before the select list is
    /// computed (tables whose select list has correlated subqueries over many rows:
    /// SQLite would compute them for every row before sorting). Needs an ORDER BY that
    /// names no select alias.
    pub(crate) page_key: Option<&'static str>,
    /// A unique key appended to every ORDER BY, in the same direction (stable pages).
    pub(crate) tiebreak: &'static str,
    pub(crate) default_limit: usize,
    /// A filter action applied when the request names no filter and no search.
    pub(crate) default_filter: Option<(&'static str, &'static str)>,
    /// Passed to the row function (a build id, for links).
    pub(crate) ctx: i64,
    pub(crate) row: RowFn,
}

/// The query parameters of a table request, parsed leniently: a value that does not
/// parse is taken as absent.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableQuery {
    pub(crate) json: bool,
    pub(crate) page: usize,
    pub(crate) limit: Option<usize>,
    pub(crate) search: String,
    pub(crate) orderby: String,
    pub(crate) filter: String,
    pub(crate) filter_value: String,
    pub(crate) cmd: String,
    pub(crate) name: String,
}

impl TableQuery {
    /// From the decoded query pairs (the last of a repeated name wins).
    pub(crate) fn parse(pairs: &[(String, String)]) -> TableQuery {
        let mut q = TableQuery {
            page: 1,
            ..TableQuery::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "format" => q.json = v == "json",
                "page" => q.page = v.trim().parse().unwrap_or(1).max(1),
                "limit" => q.limit = v.trim().parse().ok().filter(|&n| n > 0),
                "search" => q.search = v.chars().take(200).collect(),
                "orderby" => q.orderby = v.clone(),
                "filter" => q.filter = v.clone(),
                "filter_value" => q.filter_value = v.clone(),
                "cmd" => q.cmd = v.clone(),
                "name" => q.name = v.clone(),
                _ => {}
            }
        }
        q
    }
}

/// An answered table.
pub(crate) struct Answer {
    pub(crate) total: i64,
    pub(crate) rows: Vec<RowOut>,
    pub(crate) page: usize,
    pub(crate) pages: usize,
    pub(crate) limit: usize,
    /// The order applied (`name`/`-name`).
    pub(crate) orderby: String,
    /// The filter applied (`F:A`), if any.
    pub(crate) filter: Option<(String, String)>,
}

/// `LIKE` pattern of a search word: `%word%` with `%`, `_` and `\` escaped.
fn like(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A date `YYYY-MM-DD` checked for shape, else `None`.
fn date(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    ok.then(|| s.to_owned())
}

impl Table {
    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|c| c.name == name)
    }

    /// The search condition and its parameters.
    fn search_sql(&self, search: &str, sql: &mut String, params: &mut Vec<Value>) {
        if self.search.is_empty() {
            return;
        }
        for word in search.split_whitespace().take(MAX_WORDS) {
            let pat = like(word);
            sql.push_str(" AND (");
            for (i, f) in self.search.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                // Every search expression holds `LIKE ?`: add the escape character.
                sql.push_str(&f.replace("LIKE ?", "LIKE ? ESCAPE '\\'"));
                params.push(Value::Text(pat.clone()));
            }
            sql.push(')');
        }
    }

    /// The filter action the request names (or the default one), as SQL.
    fn filter_sql(
        &self,
        q: &TableQuery,
        sql: &mut String,
        params: &mut Vec<Value>,
    ) -> Option<(String, String)> {
        let (f, a) = match q.filter.split_once(':') {
            Some((f, a)) => (f.to_owned(), a.to_owned()),
            None if q.filter.is_empty() && q.search.trim().is_empty() => {
                let (f, a) = self.default_filter?;
                (f.to_owned(), a.to_owned())
            }
            None => return None,
        };
        let filter = self.filters.iter().find(|x| x.name == f)?;
        let action = filter.actions.iter().find(|x| x.name == a)?;
        match action.kind {
            ActionKind::Toggle => {
                sql.push_str(" AND (");
                sql.push_str(&action.sql);
                sql.push(')');
            }
            ActionKind::DateRange => {
                let (from, to) = q.filter_value.split_once(',')?;
                let (from, to) = (date(from)?, date(to)?);
                sql.push_str(&format!(" AND date({}) BETWEEN ? AND ?", action.sql));
                params.push(Value::Text(from));
                params.push(Value::Text(to));
            }
        }
        Some((f, a))
    }

    /// The ORDER BY clause and the order applied.
    fn order_sql(&self, orderby: &str) -> (String, String) {
        let pick = |o: &str| {
            let (desc, name) = match o.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, o),
            };
            let col = self.col(name)?;
            let sql = col.order?;
            Some((
                {
                    let dir = if desc { "DESC" } else { "ASC" };
                    format!("ORDER BY {sql} {dir}, {} {dir}", self.tiebreak)
                },
                o.to_owned(),
            ))
        };
        pick(orderby)
            .or_else(|| pick(self.default_order))
            .unwrap_or_else(|| (format!("ORDER BY {}", self.tiebreak), String::new()))
    }

    /// Answers a table request: total, the page's rows.
    pub(crate) fn answer(&self, d: &Db<'_>, q: &TableQuery) -> Result<Answer> {
        let mut wh = String::new();
        let mut params = self.params.clone();
        self.search_sql(&q.search, &mut wh, &mut params);
        let filter = self.filter_sql(q, &mut wh, &mut params);
        let total = d.count(
            &format!("count rows of {}", self.id),
            &format!("SELECT count(*) {}{wh}", self.from),
            &params,
        )?;
        let limit = q.limit.unwrap_or(self.default_limit).min(MAX_LIMIT);
        let pages = usize::try_from(total).unwrap_or(0).div_ceil(limit).max(1);
        let page = if q.page > pages { 1 } else { q.page };
        let (order, orderby) = self.order_sql(&q.orderby);
        let mut p = params.clone();
        let sql = match self.page_key {
            // The page's keys first (ordering needs no select list), then its rows.
            Some(key) => {
                p.extend(params);
                format!(
                    "SELECT {} {}{wh} AND {key} IN (SELECT {key} {}{wh} {order} LIMIT ? OFFSET ?) {order}",
                    self.select, self.from, self.from
                )
            }
            None => format!(
                "SELECT {} {}{wh} {order} LIMIT ? OFFSET ?",
                self.select, self.from
            ),
        };
        p.push(Value::Integer(limit as i64));
        p.push(Value::Integer(((page - 1) * limit) as i64));
        let ctx = self.ctx;
        let row = self.row;
        let rows = d.rows(&format!("rows of {}", self.id), &sql, &p, |r| row(r, ctx))?;
        Ok(Answer {
            total,
            rows,
            page,
            pages,
            limit,
            orderby,
            filter,
        })
    }

    /// `cmd=filterinfo&name=F`: the filter's actions with the number of rows each keeps
    /// (after the search), in one statement; "all" first; date ranges count `null`.
    pub(crate) fn filterinfo(&self, d: &Db<'_>, q: &TableQuery) -> Result<Option<Json>> {
        let Some(filter) = self.filters.iter().find(|f| f.name == q.name) else {
            return Ok(None);
        };
        let mut wh = String::new();
        let mut params = self.params.clone();
        self.search_sql(&q.search, &mut wh, &mut params);
        let mut select = String::from("count(*)");
        for a in &filter.actions {
            if a.kind == ActionKind::Toggle {
                select.push_str(&format!(
                    ", coalesce(sum(CASE WHEN ({}) THEN 1 ELSE 0 END), 0)",
                    a.sql
                ));
            }
        }
        let n = 1 + filter
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::Toggle)
            .count();
        let counts = d
            .one(
                &format!("filter counts of {}", self.id),
                &format!("SELECT {select} {}{wh}", self.from),
                &params,
                |r| {
                    (0..n)
                        .map(|i| r.get::<_, i64>(i))
                        .collect::<rusqlite::Result<Vec<i64>>>()
                },
            )?
            .unwrap_or_default();
        let mut actions = vec![json!({
            "action_name": "all",
            "title": "All",
            "type": "toggle",
            "count": counts.first().copied().unwrap_or(0),
        })];
        let mut i = 1;
        for a in &filter.actions {
            let (kind, count) = match a.kind {
                ActionKind::Toggle => {
                    let c = counts.get(i).copied().unwrap_or(0);
                    i += 1;
                    ("toggle", json!(c))
                }
                ActionKind::DateRange => ("daterange", Json::Null),
            };
            actions.push(
                json!({"action_name": a.name, "title": a.title, "type": kind, "count": count}),
            );
        }
        Ok(Some(json!({
            "name": filter.name,
            "title": filter.title,
            "filter_actions": actions,
        })))
    }

    /// The column descriptions of the JSON answer.
    pub(crate) fn columns_json(&self) -> Json {
        Json::Array(
            self.cols
                .iter()
                .map(|c| {
                    json!({
                        "title": c.title,
                        "help_text": c.help,
                        "orderable": c.order.is_some(),
                        "hideable": c.hideable,
                        "hidden": c.hidden,
                        "field_name": c.name,
                        "filter_name": c.filter,
                        "static_data_name": c.name,
                        "static_data_template": Json::Null,
                    })
                })
                .collect(),
        )
    }

    /// The JSON answer: `{total, default_orderby, columns, rows, error}`.
    pub(crate) fn json(&self, a: Answer) -> Json {
        let rows: Vec<Json> = a
            .rows
            .into_iter()
            .map(|r| {
                let mut m = serde_json::Map::new();
                m.insert("id".into(), json!(r.id));
                for (c, cell) in self.cols.iter().zip(r.cells) {
                    m.insert(c.name.into(), cell.json);
                }
                Json::Object(m)
            })
            .collect();
        json!({
            "total": a.total,
            "default_orderby": self.default_order,
            "columns": self.columns_json(),
            "rows": rows,
            "error": "ok",
        })
    }
}

#[cfg(test)]
mod tests;
