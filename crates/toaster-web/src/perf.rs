//! `toaster-manage perf` over HTTP: serves the database on a free port of 127.0.0.1,
//! requests every route of the read side with real ids (of the newest finished build,
//! and of the newest build in progress when there is one) a number of times, and reports
//! per route the status, the SQL statements it ran, its size and its latency percentiles
//! as the client saw them (request written to last byte read).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::store::{Store, int};

/// One route's figures.
#[derive(Debug, Clone)]
pub struct RouteTime {
    /// The path and query requested.
    pub route: String,
    /// The HTTP status of the last request.
    pub status: u16,
    /// SQL statements the server ran for it.
    pub statements: u32,
    /// Bytes of the last answer.
    pub bytes: usize,
    /// Median, 95th and 99th percentile and worst latency, milliseconds.
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Every route of the read side with real ids of the newest builds (ids absent from
/// the database, e.g. of packages, fall back to 0: a 404 is then what is timed).
pub fn routes(store: &Store) -> Result<Vec<String>> {
    store.read(|d| {
        let mut out = vec![
            "/health".to_owned(),
            "/toastergui/landing/".into(),
            "/toastergui/builds/".into(),
            "/toastergui/builds/?format=json".into(),
            "/toastergui/builds/?format=json&cmd=filterinfo&name=failed_tasks_filter".into(),
            "/toastergui/projects/".into(),
            "/toastergui/api/builds".into(),
            "/toastergui/api/building".into(),
            "/toastergui/mostrecentbuilds".into(),
        ];
        let builds = d.rows(
            "perf builds",
            "SELECT id, project_id FROM (SELECT id, project_id FROM orm_build WHERE outcome != 2 ORDER BY id DESC LIMIT 1) \
             UNION ALL SELECT id, project_id FROM (SELECT id, project_id FROM orm_build WHERE outcome = 2 ORDER BY id DESC LIMIT 1)",
            &[],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        for (b, project) in builds {
            let id = |sql: &str| -> Result<i64> { d.count("perf ids", sql, &[int(b)]) };
            let task = id("SELECT min(id) FROM orm_task WHERE build_id = ?1 AND \"order\" IS NOT NULL")?;
            let failed = id("SELECT coalesce(min(id), 0) FROM orm_task WHERE build_id = ?1 AND outcome = 4")?;
            let recipe = id("SELECT min(r.id) FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id WHERE lv.build_id = ?1")?;
            let package = id("SELECT min(id) FROM orm_package WHERE build_id = ?1")?;
            let target = id("SELECT min(id) FROM orm_target WHERE build_id = ?1")?;
            let p = format!("/toastergui/build/{b}");
            out.extend([
                format!("/toastergui/project/{project}/builds/"),
                format!("/toastergui/api/build/{b}"),
                p.clone(),
                format!("{p}/tasks/"),
                format!("{p}/tasks/?format=json&orderby=-elapsed_time&limit=100"),
                format!("{p}/tasks/?format=json&cmd=filterinfo&name=task_outcome"),
                format!("{p}/tasks/?search=do_compile"),
                format!("{p}/buildtime"),
                format!("{p}/cputime"),
                format!("{p}/diskio"),
                format!("{p}/task/{task}"),
                format!("{p}/task/{failed}"),
                format!("{p}/recipes/"),
                format!("{p}/recipes/?orderby=-layer_version__layer__name&page=3"),
                format!("{p}/recipe/{recipe}"),
                format!("{p}/recipe/{recipe}/active_tab/3"),
                format!("{p}/recipe_packages/{recipe}"),
                format!("{p}/packages/"),
                format!("{p}/package/{package}"),
                format!("{p}/package_built_dependencies/{package}"),
                format!("{p}/target/{target}"),
                format!("{p}/target/{target}/dirinfo"),
                format!("/toastergui/dentries/build/{b}/target/{target}?start=/usr"),
                format!("{p}/configuration"),
                format!("{p}/configvars"),
                format!("{p}/configvars?filter=vhistory__file_name:local_conf"),
                format!("{p}/artifact/cookerlog/id/{b}"),
            ]);
        }
        Ok(out)
    })
}

/// One GET over a fresh connection: status, statements, body size.
fn get(addr: SocketAddr, path: &str) -> Result<(u16, u32, usize)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(buf.len());
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let statements = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-toaster-statements")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    Ok((status, statements, buf.len().saturating_sub(head_end + 4)))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Serves `database` on 127.0.0.1 (a free port) while it requests every route of
/// [`routes`] `runs` times (after one warm-up request each).
pub fn perf(database: &Path, runs: usize) -> Result<Vec<RouteTime>> {
    let store = Store::open(database)?;
    let routes = routes(&store)?;
    drop(store);
    let router = crate::server::router(database, None)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("toaster-web-perf".into())
        .spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let l = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(l, router)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await?;
                Ok(())
            })
        })
        .map_err(|e| Error::Invalid(format!("cannot start the perf server: {e}")))?;
    let mut out = Vec::new();
    let result = (|| -> Result<()> {
        for r in &routes {
            // A route that fails (or times out) is reported with status 0, not fatal.
            if get(addr, r).is_err() {
                out.push(RouteTime {
                    route: r.clone(),
                    status: 0,
                    statements: 0,
                    bytes: 0,
                    p50: f64::INFINITY,
                    p95: f64::INFINITY,
                    p99: f64::INFINITY,
                    max: f64::INFINITY,
                });
                continue;
            }
            let mut times = Vec::with_capacity(runs);
            let mut last = (0, 0, 0);
            for _ in 0..runs.max(1) {
                let t = Instant::now();
                last = get(addr, r)?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            out.push(RouteTime {
                route: r.clone(),
                status: last.0,
                statements: last.1,
                bytes: last.2,
                p50: percentile(&times, 50.0),
                p95: percentile(&times, 95.0),
                p99: percentile(&times, 99.0),
                max: times.last().copied().unwrap_or(0.0),
            });
        }
        Ok(())
    })();
    let _ = stop.send(());
    let served = server
        .join()
        .map_err(|_| Error::Invalid("the perf server panicked".into()))?;
    result?;
    served?;
    Ok(out)
}
