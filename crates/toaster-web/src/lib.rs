//! Toaster's web interface, read side, and its JSON API, over the database bake's
//! recorder writes (`bb_toaster`): every recorded build can be browsed, searched and
//! followed live in a browser.
//!
//! Entry points:
//! - [`Server::bind`] + [`Server::run`]: serve on an address until Ctrl-C or SIGTERM
//!   (`toaster-manage runserver`, `toaster-manage start webport=`).
//! - [`router`]: the application as an axum `Router` (tests drive it without a socket).
//! - [`perf::perf`]: every route requested over HTTP with real ids, latency percentiles
//!   (`toaster-manage perf`).
//!
//! Files: `server.rs` (HTTP: routing, CSRF check, security headers, errors to pages),
//! `store.rs` (read-only connections, one read transaction per request, statement
//! counts), `table.rs` (the ToasterTable protocol), `tables.rs` (every table's SQL),
//! `pages.rs` (the other pages), `api.rs` (`api/*`, `mostrecentbuilds`), `timeline.rs`
//! (the SVG timeline), `page.rs` (what handlers answer, template contexts),
//! `templates.rs` (templates and static assets compiled in), `perf.rs` (the HTTP timing of every route), `html.rs` (escaping and
//! formats), `csrf.rs`, `urls.rs`, `error.rs`.
//!
//! Pages read through read-only connections (`query_only`). The only writes are the
//! project pages' changes (`projects.rs`: new project, layers, variables, build
//! requests), answered only for POST/PUT/DELETE carrying this site's CSRF token (else
//! 403), each on a connection of its own; other unsafe requests are answered 405.

mod api;
mod csrf;
mod error;
mod html;
mod page;
mod pages;
pub mod perf;
mod projects;
mod server;
mod store;
mod table;
mod tables;
mod templates;
mod timeline;
mod urls;

pub use error::{Error, Result};
pub use server::{Log, Server, router};
pub use store::Store;
