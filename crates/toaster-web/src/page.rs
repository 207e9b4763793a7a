//! What a handler answers ([`Page`]) and what it is given ([`Req`]): the request's
//! query pairs and CSRF token, and the application (store, templates). Also the parts
//! every page's template context shares.

use std::collections::BTreeMap;

use minijinja::Value;

use crate::error::Result;
use crate::table::{Answer, Table, TableQuery};

/// What a page handler answers.
pub(crate) enum Page {
    /// 200 with HTML.
    Html(String),
    /// JSON with a status.
    Json(u16, serde_json::Value),
    /// JSON text already safe in a script (as [`crate::html::json_script`] writes it),
    /// with a status.
    JsonText(u16, String),
    /// 302 to a URL of this site.
    Redirect(String),
    /// A file download.
    File {
        /// The name offered to the browser.
        name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// 404 with the not-found page (the text says what was not found).
    NotFound(String),
    /// An HTML page with a status other than 200.
    Status(u16, String),
}

/// The application: the database and the templates.
pub(crate) struct App {
    pub(crate) store: crate::store::Store,
    pub(crate) env: minijinja::Environment<'static>,
    /// The timelines of finished builds, which never change: (build id, started,
    /// completed) -> SVG, at most [`TIMELINES`] of them.
    pub(crate) timelines: std::sync::Mutex<Vec<(TimelineKey, Option<String>)>>,
}

/// A finished build's timeline key: its id, start and end.
pub(crate) type TimelineKey = (i64, String, String);

/// How many finished builds' timelines [`App::timelines`] keeps.
pub(crate) const TIMELINES: usize = 8;

/// One request, as the handlers see it.
pub(crate) struct Req<'a> {
    pub(crate) app: &'a App,
    pub(crate) csrf: String,
    pub(crate) query: Vec<(String, String)>,
}

impl Req<'_> {
    /// The value of query parameter `name` (the last one).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The context every page has: title, CSRF token, version.
    pub(crate) fn base(&self, title: &str) -> BTreeMap<String, Value> {
        let mut m = BTreeMap::new();
        m.insert("title".into(), Value::from(title));
        m.insert("csrf".into(), Value::from(self.csrf.as_str()));
        m.insert("version".into(), Value::from(env!("CARGO_PKG_VERSION")));
        m
    }

    /// Renders `template` with `ctx`.
    pub(crate) fn render(&self, template: &str, ctx: BTreeMap<String, Value>) -> Result<Page> {
        crate::templates::render(&self.app.env, template, Value::from(ctx)).map(Page::Html)
    }

    /// The 404 page.
    pub(crate) fn not_found_page(&self, what: &str) -> Result<String> {
        let mut ctx = self.base("Page not found");
        ctx.insert("kind".into(), Value::from("not-found"));
        ctx.insert("heading".into(), Value::from("Page not found"));
        ctx.insert("alert".into(), Value::from("alert-info"));
        ctx.insert(
            "message".into(),
            Value::from(format!("{what} does not exist.")),
        );
        crate::templates::render(&self.app.env, "message.html", Value::from(ctx))
    }
}

/// A breadcrumb.
pub(crate) fn crumb(text: &str, url: Option<&str>) -> Value {
    let mut m = BTreeMap::new();
    m.insert("text", Value::from(text));
    if let Some(u) = url {
        m.insert("url", Value::from(u));
    }
    Value::from(m)
}

/// The template context of a table (`macros.html`'s `toastertable`).
pub(crate) fn table_ctx(t: &Table, q: &TableQuery, a: &Answer) -> Value {
    let keep = |page: Option<usize>, orderby: Option<&str>, search: Option<&str>, filter: bool| {
        let page = page.map(|p| p.to_string()).unwrap_or_default();
        let limit = q.limit.map(|l| l.to_string()).unwrap_or_default();
        let (f, fv) = if filter {
            a.filter
                .as_ref()
                .map(|(f, x)| (format!("{f}:{x}"), q.filter_value.clone()))
                .unwrap_or_default()
        } else if let Some((df, _)) = t.default_filter {
            (format!("{df}:all"), String::new())
        } else {
            Default::default()
        };
        crate::html::query(&[
            ("search", search.unwrap_or(&q.search)),
            ("orderby", orderby.unwrap_or(&q.orderby)),
            ("filter", &f),
            ("filter_value", &fv),
            ("limit", &limit),
            ("page", &page),
        ])
    };
    let (sorted_name, desc) = match a.orderby.strip_prefix('-') {
        Some(n) => (n, true),
        None => (a.orderby.as_str(), false),
    };
    let active_filter = a.filter.as_ref().map(|(f, _)| f.as_str());
    let cols: Vec<Value> = t
        .cols
        .iter()
        .map(|c| {
            let mut m = BTreeMap::new();
            m.insert("name", Value::from(c.name));
            m.insert("title", Value::from(c.title));
            m.insert("help", Value::from(c.help));
            m.insert("hidden", Value::from(c.hidden));
            m.insert("hideable", Value::from(c.hideable));
            if c.order.is_some() {
                let is_sorted = c.name == sorted_name;
                let next = if is_sorted && !desc {
                    format!("-{}", c.name)
                } else {
                    c.name.to_owned()
                };
                let url = keep(None, Some(&next), None, true);
                m.insert(
                    "sort_url",
                    Value::from(if url.is_empty() { "?".into() } else { url }),
                );
                if is_sorted {
                    m.insert("sorted", Value::from(if desc { "desc" } else { "asc" }));
                }
            }
            if let Some(f) = c.filter {
                m.insert("filter", Value::from(f));
                m.insert("filter_active", Value::from(active_filter == Some(f)));
            }
            Value::from(m)
        })
        .collect();
    let rows: Vec<Value> = a
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<Value> = t
                .cols
                .iter()
                .zip(&r.cells)
                .map(|(c, cell)| {
                    let mut m = BTreeMap::new();
                    m.insert("name", Value::from(c.name));
                    m.insert("hidden", Value::from(c.hidden));
                    // invariant: built by the row functions from escaped values.
                    m.insert("html", Value::from_safe_string(cell.html.clone()));
                    Value::from(m)
                })
                .collect();
            let mut m = BTreeMap::new();
            m.insert("id", Value::from(r.id));
            m.insert("cells", Value::from(cells));
            Value::from(m)
        })
        .collect();
    let mut links = Vec::new();
    let first = a.page.saturating_sub(4).max(1);
    let last = (first + 8).min(a.pages);
    for n in first..=last {
        let mut m = BTreeMap::new();
        m.insert("n", Value::from(n));
        m.insert("url", Value::from(keep(Some(n), None, None, true)));
        m.insert("current", Value::from(n == a.page));
        links.push(Value::from(m));
    }
    let filter_title = a
        .filter
        .as_ref()
        .and_then(|(f, x)| {
            let filter = t.filters.iter().find(|y| y.name == f)?;
            let action = filter.actions.iter().find(|y| y.name == x)?;
            Some(action.title.clone())
        })
        .unwrap_or_default();
    let mut m: BTreeMap<&str, Value> = BTreeMap::new();
    m.insert("id", Value::from(t.id));
    m.insert("title", Value::from(t.title.as_str()));
    m.insert("cols", Value::from(cols));
    m.insert("rows", Value::from(rows));
    m.insert("total", Value::from(a.total));
    m.insert("page", Value::from(a.page));
    m.insert("pages", Value::from(a.pages));
    m.insert("limit", Value::from(a.limit));
    m.insert("limit_param", Value::from(q.limit.is_some()));
    m.insert("page_sizes", Value::from(crate::table::PAGE_SIZES.to_vec()));
    m.insert("search", Value::from(q.search.as_str()));
    m.insert("orderby", Value::from(a.orderby.as_str()));
    m.insert("default_orderby", Value::from(t.default_order));
    m.insert("page_links", Value::from(links));
    m.insert("filter", Value::from(a.filter.is_some()));
    m.insert("filter_title", Value::from(filter_title));
    m.insert(
        "clear_filter_url",
        Value::from(match keep(Some(1), None, None, false) {
            s if s.is_empty() => "?".to_owned(),
            s => s,
        }),
    );
    m.insert(
        "clear_search_url",
        Value::from(match keep(Some(1), None, Some(""), true) {
            s if s.is_empty() => "?".to_owned(),
            s => s,
        }),
    );
    if a.page > 1 {
        m.insert(
            "prev_url",
            Value::from(keep(Some(a.page - 1), None, None, true)),
        );
    }
    if a.page < a.pages {
        m.insert(
            "next_url",
            Value::from(keep(Some(a.page + 1), None, None, true)),
        );
    }
    Value::from(m)
}
