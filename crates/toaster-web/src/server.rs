//! The HTTP side: one axum handler that checks CSRF on unsafe methods, routes the path
//! (`/`, `/health`, `/static/*`, `/toastergui/*`), runs the page's database work on a
//! blocking thread in one read transaction, and turns the answer into a response with
//! the security headers. Errors never reach the client as text: a 404 page for unknown
//! objects, a plain 500 page for the rest (the detail goes to the server's log).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use crate::csrf::{COOKIE, Csrf, HEADER, cookie};
use crate::error::{Error, Result};
use crate::page::{App, Page, Req};
use crate::tables::TaskView;
use crate::{api, pages, urls};

/// Where the server's own messages go (errors a client only sees as "500").
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct Shared {
    app: App,
    csrf: Csrf,
    log: Option<Log>,
    /// The `Host` values answered (a server on a loopback address answers only to its
    /// own names: a DNS-rebinding page cannot read it); `None`: any.
    hosts: Option<Vec<String>>,
}

/// The application as an axum router over the database at `database` (read-only).
pub fn router(database: &Path, log: Option<Log>) -> Result<Router> {
    router_for(database, log, None)
}

/// The `Host` names a server bound to `addr` answers to: on a loopback address only
/// `localhost`, `127.0.0.1`, `[::1]` with its port; elsewhere any.
fn loopback_hosts(addr: SocketAddr) -> Option<Vec<String>> {
    if !addr.ip().is_loopback() {
        return None;
    }
    let p = addr.port();
    Some(vec![
        format!("localhost:{p}"),
        format!("127.0.0.1:{p}"),
        format!("[::1]:{p}"),
        "localhost".into(),
        "127.0.0.1".into(),
        "[::1]".into(),
    ])
}

fn router_for(database: &Path, log: Option<Log>, hosts: Option<Vec<String>>) -> Result<Router> {
    let app = App {
        store: crate::store::Store::open(database)?,
        env: crate::templates::environment()?,
        timelines: std::sync::Mutex::new(Vec::new()),
    };
    let shared = Arc::new(Shared {
        app,
        csrf: Csrf::new(),
        log,
        hosts,
    });
    Ok(Router::new().fallback(handle).with_state(shared))
}

/// The query string's pairs, percent-decoded (`+` is a space), invalid UTF-8 replaced:
/// never fails.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(x) => {
                            out.push(x);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (dec(k), dec(v))
        })
        .collect()
}

fn id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Routes `/toastergui/<segments>` to its page.
fn route(req: &Req<'_>, d: &crate::store::Db<'_>, seg: &[&str]) -> Result<Page> {
    let nf = || Ok(Page::NotFound("This page".into()));
    // The project pages and their XHR reads (projects.rs).
    if let Some(p) = crate::projects::route(req, d, seg) {
        return p;
    }
    match seg {
        [] => Ok(Page::Redirect(format!("{}/landing/", urls::ROOT))),
        ["landing"] => pages::landing(req, d),
        ["builds"] => pages::all_builds(req, d),
        ["projects"] => pages::projects(req, d),
        ["project", p] => match id(p) {
            Some(p) => pages::project(req, d, p),
            None => nf(),
        },
        ["project", p, "builds"] => match id(p) {
            Some(p) => pages::project_builds(req, d, p),
            None => nf(),
        },
        ["api", "builds"] => api::builds(d),
        ["api", "building"] => api::building(d),
        ["api", "build", b] => match id(b) {
            Some(b) => api::build(d, b),
            None => Ok(Page::Json(404, serde_json::json!({"build": null}))),
        },
        ["mostrecentbuilds"] => {
            let p = req.param("project_id").and_then(id);
            api::most_recent(d, p)
        }
        ["dentries", "build", b, "target", t] => match (id(b), id(t)) {
            (Some(b), Some(t)) => pages::dentries_json(req, d, b, t),
            _ => nf(),
        },
        ["build", b, rest @ ..] => {
            let Some(b) = id(b) else { return nf() };
            build_route(req, d, b, rest)
        }
        _ => nf(),
    }
}

fn build_route(req: &Req<'_>, d: &crate::store::Db<'_>, b: i64, rest: &[&str]) -> Result<Page> {
    let nf = || Ok(Page::NotFound("This page".into()));
    match rest {
        [] => pages::dashboard(req, d, b),
        ["tasks"] => pages::tasks(req, d, b, TaskView::Tasks),
        ["buildtime"] => pages::tasks(req, d, b, TaskView::Time),
        ["cputime"] => pages::tasks(req, d, b, TaskView::Cpu),
        ["diskio"] => pages::tasks(req, d, b, TaskView::DiskIo),
        ["task", t] => match id(t) {
            Some(t) => pages::task(req, d, b, t),
            None => nf(),
        },
        ["recipes"] => pages::recipes(req, d, b),
        ["recipe", r] => match id(r) {
            Some(r) => pages::recipe(req, d, b, r, 1),
            None => nf(),
        },
        ["recipe", r, "active_tab", tab] => match (id(r), id(tab)) {
            (Some(r), Some(tab)) => pages::recipe(req, d, b, r, tab),
            _ => nf(),
        },
        ["recipe_packages", r] => match id(r) {
            Some(r) => pages::recipe_packages(req, d, b, r),
            None => nf(),
        },
        ["packages"] => pages::packages(req, d, b),
        ["package", p] => match id(p) {
            Some(p) => pages::package(req, d, b, p, false),
            None => nf(),
        },
        ["package_built_dependencies", p] => match id(p) {
            Some(p) => pages::package(req, d, b, p, true),
            None => nf(),
        },
        ["target", t] => match id(t) {
            Some(t) => pages::target(req, d, b, t),
            None => nf(),
        },
        ["target", t, "dirinfo"] => match id(t) {
            Some(t) => pages::dirinfo(req, d, b, t),
            None => nf(),
        },
        ["configuration"] => pages::configuration(req, d, b),
        ["configvars"] => pages::configvars(req, d, b),
        ["artifact", kind, "id", a] => match id(a) {
            Some(a) => pages::artifact(req, d, b, kind, a),
            None => nf(),
        },
        _ => nf(),
    }
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn html(status: u16, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// The one handler.
async fn handle(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let cookie_token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| cookie(c, COOKIE))
        .filter(|t| sh.csrf.valid(t))
        .map(str::to_owned);
    let header_token = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let host_ok = match (&sh.hosts, req.headers().get(header::HOST)) {
        (Some(allowed), Some(h)) => h
            .to_str()
            .is_ok_and(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h))),
        _ => true,
    };
    // A change's form (the project pages); bounded.
    let body = if is_safe(&method) {
        drop(req);
        axum::body::Bytes::new()
    } else {
        axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap_or_default()
    };
    if !host_ok {
        return html(
            400,
            pages::plain_error(400, "This server answers only to its own address."),
        );
    }
    let (token, new_token) = match &cookie_token {
        Some(t) => (t.clone(), false),
        None => (sh.csrf.token(), true),
    };
    let mut resp = if !is_safe(&method) {
        let ok = matches!((&cookie_token, &header_token), (Some(c), Some(h)) if c == h);
        if ok {
            // The project pages' changes (projects.rs), on a blocking thread.
            let sh2 = Arc::clone(&sh);
            let m = method.as_str().to_owned();
            let p = path.clone();
            let done = tokio::task::spawn_blocking(move || {
                crate::projects::write(&sh2.app, &m, &p, &body)
            })
            .await;
            let (status, v) = done.unwrap_or_else(|e| {
                (
                    500,
                    serde_json::json!({"error": format!("the change stopped: {e}")}),
                )
            });
            if status == 404 {
                html(405, pages::plain_error(405, "This page cannot be changed."))
            } else {
                respond(Page::Json(status, v))
            }
        } else {
            html(
                403,
                pages::plain_error(
                    403,
                    "CSRF verification failed: the request did not carry this site's token.",
                ),
            )
        }
    } else {
        answer(&sh, &path, &query, token.clone()).await
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if new_token
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={token}; Path=/; SameSite=Strict; HttpOnly"
        ))
    {
        h.insert(header::SET_COOKIE, v);
    }
    resp
}

async fn answer(sh: &Arc<Shared>, path: &str, query: &str, csrf: String) -> Response {
    if path == "/" {
        return redirect(&format!("{}/", urls::ROOT));
    }
    if path == "/health" || path == "/health/" {
        return html(
            200,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Toaster Health</title></head><body>Ok</body></html>".into(),
        );
    }
    let asset = if path == "/favicon.ico" {
        Some("favicon.svg")
    } else {
        path.strip_prefix("/static/")
    };
    if let Some(name) = asset {
        return match crate::templates::STATIC.iter().find(|(n, ..)| *n == name) {
            Some((_, ctype, body)) => {
                let mut r = Response::new(Body::from(*body));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
                r.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                );
                r
            }
            None => not_found(sh, csrf, "This file").await,
        };
    }
    let Some(rest) = path
        .strip_prefix(urls::ROOT)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return not_found(sh, csrf, "This page").await;
    };
    let rest = rest.to_owned();
    let query = parse_query(query);
    let sh2 = Arc::clone(sh);
    let done = tokio::task::spawn_blocking(move || {
        let req = Req {
            app: &sh2.app,
            csrf,
            query,
        };
        let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let mut statements = 0;
        let out = sh2.app.store.read(|d| {
            let r = route(&req, d, &seg);
            statements = d.statements();
            r
        });
        let out = match out {
            Ok(Page::NotFound(what)) | Err(Error::NotFound(what)) => {
                req.not_found_page(&what).map(|h| Page::Status(404, h))
            }
            other => other,
        };
        (out, statements)
    })
    .await;
    let (out, statements) = match done {
        Ok(x) => x,
        Err(e) => (
            Err(Error::Invalid(format!("the page's worker stopped: {e}"))),
            0,
        ),
    };
    let mut resp = match out {
        Ok(p) => respond(p),
        Err(e) => {
            if let Some(log) = &sh.log {
                log(&format!("{path}: {e}"));
            }
            html(
                500,
                pages::plain_error(500, "The server could not answer this request."),
            )
        }
    };
    if let Ok(v) = HeaderValue::from_str(&statements.to_string()) {
        resp.headers_mut().insert("x-toaster-statements", v);
    }
    resp
}

async fn not_found(sh: &Arc<Shared>, csrf: String, what: &str) -> Response {
    let req = Req {
        app: &sh.app,
        csrf,
        query: vec![],
    };
    match req.not_found_page(what) {
        Ok(h) => html(404, h),
        Err(_) => html(404, pages::plain_error(404, "Not found")),
    }
}

fn redirect(to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A file name safe in a `Content-Disposition` header.
fn attachment_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if n.is_empty() { "artifact".into() } else { n }
}

fn respond(p: Page) -> Response {
    match p {
        Page::Html(h) => html(200, h),
        Page::Status(s, h) => html(s, h),
        Page::NotFound(what) => html(
            404,
            pages::plain_error(404, &format!("{what} does not exist.")),
        ),
        Page::Redirect(to) => redirect(&to),
        Page::Json(status, v) => respond(Page::JsonText(status, crate::html::json_script(&v))),
        Page::JsonText(status, text) => {
            let mut r = Response::new(Body::from(text));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Page::File { name, bytes } => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"{}\"",
                attachment_name(&name)
            )) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
    }
}

/// A server bound to its address, not yet answering.
pub struct Server {
    listener: std::net::TcpListener,
    router: Router,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Opens the database read-only and binds `addr` (a port of 0 picks a free one).
    pub fn bind(database: &Path, addr: SocketAddr, log: Option<Log>) -> Result<Server> {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("cannot listen on {addr}: {e}"),
            ))
        })?;
        listener.set_nonblocking(true)?;
        let router = router_for(database, log, loopback_hosts(listener.local_addr()?))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(16)
            .thread_name("toaster-web")
            .enable_all()
            .build()?;
        Ok(Server {
            listener,
            router,
            runtime,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Answers until Ctrl-C (SIGINT) or SIGTERM, then stops accepting, finishes the
    /// requests under way, and returns.
    pub fn run(self) -> Result<()> {
        let Server {
            listener,
            router,
            runtime,
        } = self;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            Ok(())
        })
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
