//! The web interface over databases recorded by bake's recorder: every route, the
//! ToasterTable protocol on every table (the generic test of Toaster's `test_views.py`),
//! the JSON API's schema, escaping, CSRF, downloads, statement counts, and a property
//! test of the table endpoints' query parameters.

mod api;
mod live;
mod pages;
mod projects;
mod props;
mod security;
mod synthetic;
mod tables;

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt as _;

/// A recorded database and the application over it.
pub struct Site {
    _dir: tempfile::TempDir,
    pub dir: PathBuf,
    pub db: PathBuf,
    router: Router,
    rt: tokio::runtime::Runtime,
    /// A succeeded build.
    pub ok: i64,
    /// A failed build (recipe 3's do_compile).
    pub failed: i64,
    /// A build whose names try to break out of HTML and JSON; it has a cooker log.
    pub hostile: i64,
    /// A build still in progress.
    pub running: i64,
    /// A build of a user project.
    pub user: i64,
}

/// An answer.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// SQL statements the request ran.
    pub fn statements(&self) -> u32 {
        self.headers
            .get("x-toaster-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Site {
    pub fn send(&self, req: Request<Body>) -> Resp {
        self.rt.block_on(async {
            let r = self
                .router
                .clone()
                .oneshot(req)
                .await
                .unwrap_or_else(|e| match e {});
            let status = r.status();
            let headers = r.headers().clone();
            let bytes = axum::body::to_bytes(r.into_body(), 64 << 20)
                .await
                .unwrap_or_else(|e| panic!("body: {e}"));
            Resp {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
    }

    pub fn get(&self, uri: &str) -> Resp {
        let req = Request::get(uri)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
        self.send(req)
    }

    /// A fresh application over another database (empty, for empty states).
    pub fn over(db: &std::path::Path) -> Router {
        toaster_web::router(db, None).unwrap_or_else(|e| panic!("router: {e}"))
    }
}

/// The shared site: four builds recorded by bake's recorder.
pub fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = dir.path().join("toaster.sqlite");
        let log = dir.path().join("cooker.log");
        fs_err::write(&log, "NOTE: the cooker's log\n").unwrap_or_else(|e| panic!("{e}"));
        let ok = synthetic::record(&db, &synthetic::Spec::default());
        let failed = synthetic::record(
            &db,
            &synthetic::Spec {
                fail: Some(3),
                machine: "qemuarm".into(),
                ..synthetic::Spec::default()
            },
        );
        let hostile = synthetic::record(
            &db,
            &synthetic::Spec {
                hostile: true,
                cooker_log: log.display().to_string(),
                ..synthetic::Spec::default()
            },
        );
        let running = synthetic::record(&db, &synthetic::Spec::default());
        let user = synthetic::record(
            &db,
            &synthetic::Spec {
                project: Some("my project".into()),
                recipes: 3,
                ..synthetic::Spec::default()
            },
        );
        {
            let conn = bb_toaster::db::open(&db).unwrap_or_else(|e| panic!("{e}"));
            // A build caught mid-way: in progress, half its tasks not reached yet.
            conn.execute_batch(&format!(
                "UPDATE orm_build SET outcome = 2 WHERE id = {running}; \
                 UPDATE orm_task SET outcome = -1, \"order\" = NULL WHERE build_id = {running} AND id % 2 = 0;"
            ))
            .unwrap_or_else(|e| panic!("{e}"));
            // A task log on disk for the download test.
            let tlog = dir.path().join("log.do_compile");
            fs_err::write(&tlog, "compiling\n").unwrap_or_else(|e| panic!("{e}"));
            conn.execute(
                "UPDATE orm_task SET logfile = ?1 WHERE build_id = ?2 AND outcome = 4",
                rusqlite::params![tlog.display().to_string(), failed],
            )
            .unwrap_or_else(|e| panic!("{e}"));
            // A recorded path that climbs out: never served.
            conn.execute(
                "UPDATE orm_task SET logfile = ?1 WHERE build_id = ?2 AND task_name = 'do_fetch'",
                rusqlite::params![format!("{}/../../etc/passwd", dir.path().display()), ok],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let router = Site::over(&db);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        Site {
            dir: dir.path().to_owned(),
            _dir: dir,
            db,
            router,
            rt,
            ok,
            failed,
            hostile,
            running,
            user,
        }
    })
}

/// Every page route with real ids of `build`.
pub fn routes(s: &Site, build: i64) -> Vec<String> {
    let conn = rusqlite::Connection::open(&s.db).unwrap_or_else(|e| panic!("{e}"));
    let one = |sql: &str| -> i64 {
        conn.query_row(sql, [build], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let task = one("SELECT min(id) FROM orm_task WHERE build_id = ?1 AND \"order\" IS NOT NULL");
    let recipe = one(
        "SELECT min(r.id) FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id WHERE lv.build_id = ?1 AND r.name LIKE 'recipe%'",
    );
    let package = one("SELECT min(id) FROM orm_package WHERE build_id = ?1");
    let target = one("SELECT min(id) FROM orm_target WHERE build_id = ?1");
    let project = one("SELECT project_id FROM orm_build WHERE id = ?1");
    let b = format!("/toastergui/build/{build}");
    vec![
        "/health".into(),
        "/toastergui/landing/".into(),
        "/toastergui/builds/".into(),
        "/toastergui/projects/".into(),
        format!("/toastergui/project/{project}/builds/"),
        "/toastergui/api/builds".into(),
        "/toastergui/api/building".into(),
        format!("/toastergui/api/build/{build}"),
        "/toastergui/mostrecentbuilds".into(),
        b.clone(),
        format!("{b}/tasks/"),
        format!("{b}/buildtime"),
        format!("{b}/cputime"),
        format!("{b}/diskio"),
        format!("{b}/task/{task}"),
        format!("{b}/task/{task}?show_matches=1"),
        format!("{b}/recipes/"),
        format!("{b}/recipe/{recipe}"),
        format!("{b}/recipe/{recipe}/active_tab/3"),
        format!("{b}/recipe/{recipe}/active_tab/4"),
        format!("{b}/recipe_packages/{recipe}"),
        format!("{b}/packages/"),
        format!("{b}/package/{package}"),
        format!("{b}/package_built_dependencies/{package}"),
        format!("{b}/target/{target}"),
        format!("{b}/target/{target}/dirinfo"),
        format!("{b}/target/{target}/dirinfo?start=/usr"),
        format!("/toastergui/dentries/build/{build}/target/{target}?start=/usr"),
        format!("{b}/configuration"),
        format!("{b}/configvars"),
    ]
}
