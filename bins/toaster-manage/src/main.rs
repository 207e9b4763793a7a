//! `toaster-manage`: Toaster's management commands over the build database
//! (`toaster.sqlite` in TOASTER_DIR, by default the build directory; `--database`
//! overrides it). Wiring only: the logic is in `bb_toaster`.

mod cli;
mod runbuilds;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use bb_events::{BuildEvent, Outcome, TaskRef, Usage};
use clap::Parser as _;

use crate::cli::{Cli, Cmd};

fn database(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.database {
        return p.clone();
    }
    let dir = std::env::var_os("TOASTER_DIR")
        .or_else(|| std::env::var_os("BUILDDIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    dir.join(bb_toaster::db::DB_FILE)
}

/// The fixtures directory: `--fixtures`, else $BAKE_FIXTURES_DIR, else the repository's
/// `fixtures/`.
fn fixtures_dir(given: Option<&PathBuf>) -> PathBuf {
    given
        .cloned()
        .or_else(|| std::env::var_os("BAKE_FIXTURES_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures")))
}

/// Writes a line to stdout; a closed pipe (EPIPE) is not an error.
fn out(line: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{line}").and_then(|()| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("write to stdout"),
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if let Cmd::Start { options } = &cli.cmd {
        return start(cli, options);
    }
    if let Cmd::Stop = cli.cmd {
        return stop();
    }
    if let Cmd::Runserver { addr } = &cli.cmd {
        return runserver(&database(cli), addr.as_deref());
    }
    let path = database(cli);
    if let Cmd::Migrate = cli.cmd {
        let conn = bb_toaster::db::open_unmigrated(&path)?;
        let from = bb_toaster::db::version(&conn)?;
        let to = bb_toaster::db::migrate(&conn)?;
        return out(&format!(
            "{}: schema version {to}{}",
            path.display(),
            if from == to {
                " (up to date)".to_owned()
            } else {
                format!(" (from {from})")
            }
        ));
    }
    if let Cmd::Runbuilds {
        once,
        bake,
        poll_ms,
    } = &cli.cmd
    {
        let o = runbuilds::Options {
            database: path,
            bake: bake.clone().unwrap_or_else(runbuilds::default_bake),
            once: *once,
            poll: std::time::Duration::from_millis(*poll_ms),
        };
        let n = runbuilds::run(&o, &|l| {
            let _ = out(l);
        })?;
        return out(&format!("runbuilds: {n} build request(s) taken"));
    }
    let mut conn = bb_toaster::db::open(&path)?;
    match &cli.cmd {
        Cmd::Migrate
        | Cmd::Start { .. }
        | Cmd::Stop
        | Cmd::Runserver { .. }
        | Cmd::Runbuilds { .. } => {}
        Cmd::Buildslist { json } => {
            let list = bb_toaster::manage::buildslist(&conn)?;
            if *json {
                out(&serde_json::to_string_pretty(&list)?)?;
            } else {
                for b in list {
                    out(&b.text())?;
                }
            }
        }
        Cmd::Builddelete { ids } => {
            bb_toaster::manage::builddelete(&mut conn, ids)?;
            for id in ids {
                out(&format!("build {id} deleted"))?;
            }
        }
        Cmd::Checksettings { fixtures, oe_core } => {
            let dir = fixtures_dir(fixtures.as_ref());
            let custom_only = std::env::var_os("CUSTOM_XML_ONLY").is_some();
            let r = bb_toaster::manage::checksettings(&mut conn, &dir, custom_only)?;
            // The local checkouts the catalog's "local" layers point at.
            let meta = fs_err::canonicalize(dir.join("../meta"))
                .ok()
                .filter(|m| m.join("conf/layer.conf").is_file());
            if let Some(meta) = meta {
                bb_toaster::manage::patch_local_dir(
                    &conn,
                    bb_toaster::manage::BAKE_META_PLACEHOLDER,
                    &meta.display().to_string(),
                )?;
            }
            let oe = oe_core
                .clone()
                .or_else(|| std::env::var_os("OE_CORE_DIR").map(PathBuf::from));
            if let Some(oe) = oe {
                let meta = fs_err::canonicalize(oe.join("meta"))
                    .with_context(|| format!("--oe-core {}: no meta/ there", oe.display()))?;
                let n = bb_toaster::manage::patch_local_dir(
                    &conn,
                    bb_toaster::manage::OE_CORE_PLACEHOLDER,
                    &meta.display().to_string(),
                )?;
                if n > 0 {
                    out(&format!(
                        "release local: openembedded-core at {}",
                        meta.display()
                    ))?;
                }
            }
            let db_dir = std::path::absolute(&path)
                .ok()
                .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
                .unwrap_or_else(|| PathBuf::from("."));
            bb_toaster::bldcontrol::ensure_environment(&conn, &db_dir)?;
            for id in bb_toaster::bldcontrol::fail_stale_requests(&conn)? {
                out(&format!(
                    "build request {id} was in progress with no runbuilds: marked failed"
                ))?;
            }
            for f in r.loaded {
                out(&format!("loaded {f}"))?;
            }
            for f in r.skipped {
                out(&format!("skipped {f} (CUSTOM_XML_ONLY)"))?;
            }
            for id in r.failed_builds {
                out(&format!(
                    "build {id} was in progress with no recorder: marked failed"
                ))?;
            }
        }
        Cmd::Perf { runs } => {
            for p in bb_toaster::manage::perf(&conn)? {
                out(&format!("{:>9.3} ms {:>6} rows  {}", p.ms, p.rows, p.page))?;
            }
            drop(conn);
            out(&format!(
                "{:>6} {:>4} {:>9} {:>9} {:>9} {:>9} {:>9}  route ({runs} requests each, over HTTP)",
                "status", "sql", "bytes", "p50 ms", "p95 ms", "p99 ms", "max ms"
            ))?;
            let mut worst: f64 = 0.0;
            for r in toaster_web::perf::perf(&path, *runs)? {
                worst = worst.max(r.p95);
                out(&format!(
                    "{:>6} {:>4} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}",
                    r.status, r.statements, r.bytes, r.p50, r.p95, r.p99, r.max, r.route
                ))?;
            }
            out(&format!("worst p95: {worst:.2} ms"))?;
        }
        Cmd::Loaddata { files, fixtures } => {
            let dir = fixtures_dir(fixtures.as_ref());
            let mut n = 0;
            for f in files {
                // A bare name is a fixture of the fixtures directory, as in Django.
                let path = if !f.exists() && f.components().count() == 1 {
                    let mut p = dir.join(f);
                    if p.extension().is_none() {
                        p.set_extension("xml");
                    }
                    p
                } else {
                    f.clone()
                };
                n += bb_toaster::fixtures::loaddata(&mut conn, &path)?;
            }
            out(&format!(
                "Installed {n} object(s) from {} fixture(s)",
                files.len()
            ))?;
        }
        Cmd::RecordDemo { tasks, delay_ms } => record_demo(&path, *tasks, *delay_ms)?,
    }
    Ok(())
}

/// The build directory `start`/`stop` work in: TOASTER_DIR, else the current directory.
fn toaster_dir() -> PathBuf {
    std::env::var_os("TOASTER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The pid file of the web server `start` started (Toaster's name).
const PID_FILE: &str = ".toastermain.pid";

/// `[ADDR:]PORT` as a socket address: a bare port, and `localhost`, are 127.0.0.1.
fn parse_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let s = s.trim();
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h.trim_start_matches('[').trim_end_matches(']'), p),
        _ => ("127.0.0.1", s),
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("`{s}`: the port must be a number from 0 to 65535"))?;
    let host = if host.is_empty() || host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let ip: std::net::IpAddr = host
        .parse()
        .with_context(|| format!("`{s}`: `{host}` is not an IP address (or localhost)"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `runserver [ADDR:]PORT`: the web interface in the foreground until Ctrl-C.
fn runserver(db: &std::path::Path, addr: Option<&str>) -> anyhow::Result<()> {
    let addr = parse_addr(addr.unwrap_or("127.0.0.1:8000"))?;
    // As Toaster's start script does: the schema up to date before serving.
    drop(bb_toaster::db::open(db)?);
    let log: toaster_web::Log = std::sync::Arc::new(|msg: &str| {
        let _ = writeln!(std::io::stderr(), "toaster-web: {msg}");
    });
    let server = toaster_web::Server::bind(db, addr, Some(log))?;
    let at = server.local_addr()?;
    out(&format!(
        "Starting server at http://{at}/ on {}",
        db.display()
    ))?;
    out("Quit the server with CONTROL-C.")?;
    server.run()?;
    out("Server stopped.")
}

/// `start [webport=ADDR:PORT] [noweb]`: recording on, then the web server in the
/// background (its pid in `.toastermain.pid`, its output in `toaster_logs/web.log`).
fn start(cli: &Cli, options: &[String]) -> anyhow::Result<()> {
    let mut webport = "127.0.0.1:8000".to_owned();
    let mut web = true;
    for o in options {
        match o.split_once('=') {
            Some(("webport", v)) => webport = v.to_owned(),
            _ if o == "noweb" => web = false,
            _ if o == "nobuild" => {}
            _ => {
                anyhow::bail!("unknown option `{o}` (expected webport=ADDR:PORT, noweb or nobuild)")
            }
        }
    }
    let dir = toaster_dir();
    let marker = dir.join(".toaster");
    fs_err::write(&marker, "bake records builds here (toaster-manage start)\n")
        .with_context(|| marker.display().to_string())?;
    out(&format!("build recording on in {}", dir.display()))?;
    if !web {
        return Ok(());
    }
    let addr = parse_addr(&webport)?;
    let db = database(cli);
    drop(bb_toaster::db::open(&db)?);
    // Toaster's checksocket: say now, not in a log, that the port is taken.
    drop(
        std::net::TcpListener::bind(addr).with_context(|| {
            format!("cannot listen on {addr} (webport=ADDR:PORT picks another)")
        })?,
    );
    let logs = dir.join("toaster_logs");
    std::fs::create_dir_all(&logs).with_context(|| logs.display().to_string())?;
    let log_path = logs.join("web.log");
    let log = std::fs::File::create(&log_path).with_context(|| log_path.display().to_string())?;
    let err = log
        .try_clone()
        .with_context(|| log_path.display().to_string())?;
    let exe = std::env::current_exe().context("find toaster-manage's own path")?;
    let db_abs = std::path::absolute(&db).unwrap_or(db);
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--database")
        .arg(&db_abs)
        .arg("runserver")
        .arg(addr.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(err);
    // Its own process group: a Ctrl-C in this terminal does not stop it (`stop` does).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().context("start the web server")?;
    let pid_file = dir.join(PID_FILE);
    bb_util::fs::atomic_write(&pid_file, format!("{}\n", child.id()).as_bytes())
        .with_context(|| pid_file.display().to_string())?;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().context("wait for the web server")? {
            let _ = std::fs::remove_file(&pid_file);
            anyhow::bail!(
                "the web server stopped at once ({status}); see {}",
                log_path.display()
            );
        }
        if std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(100))
            .is_ok()
        {
            return out(&format!(
                "Toaster's web interface: http://{addr}/ (log: {}; stop it with `toaster-manage stop`)",
                log_path.display()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    anyhow::bail!(
        "the web server did not start listening on {addr}; see {}",
        log_path.display()
    )
}

/// `stop`: recording off; the web server `start` started is sent SIGTERM and waited for.
fn stop() -> anyhow::Result<()> {
    let dir = toaster_dir();
    let marker = dir.join(".toaster");
    match std::fs::remove_file(&marker) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| marker.display().to_string());
        }
        _ => {}
    }
    out(&format!("build recording off in {}", dir.display()))?;
    let pid_file = dir.join(PID_FILE);
    let Ok(text) = std::fs::read_to_string(&pid_file) else {
        return Ok(());
    };
    let pid: u32 = text.trim().parse().with_context(|| {
        format!(
            "{}: `{}` is not a process id",
            pid_file.display(),
            text.trim()
        )
    })?;
    // Only our server: a stale pid file whose pid now belongs to another process is
    // removed, not acted on.
    let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            let c = String::from_utf8_lossy(&c);
            c.contains("toaster-manage") && c.contains("runserver")
        })
        .unwrap_or(false);
    if ours {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .context("run `kill`")?;
        if status.success() {
            for _ in 0..100 {
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        out(&format!("web server {pid} stopped"))?;
    }
    std::fs::remove_file(&pid_file).with_context(|| pid_file.display().to_string())?;
    Ok(())
}

/// A synthetic build recorded slowly, so that a test can kill the process mid-way.
fn record_demo(path: &std::path::Path, tasks: usize, delay_ms: u64) -> anyhow::Result<()> {
    let rec = bb_toaster::Recorder::start(
        path,
        bb_toaster::BuildStart {
            machine: "demo".into(),
            distro: "bake".into(),
            targets: vec![("demo".into(), String::new())],
            ..bb_toaster::BuildStart::default()
        },
    )?;
    out(&format!("build {}", rec.build_id()))?;
    rec.event(&BuildEvent::BuildStarted {
        targets: vec!["demo".into()],
        total: tasks,
    });
    for i in 0..tasks {
        let task = TaskRef {
            index: i,
            pn: format!("r{i}"),
            fn_name: format!("/demo/r{i}.bb"),
            task: "do_compile".into(),
        };
        rec.event(&BuildEvent::TaskStarted {
            task: task.clone(),
            number: i + 1,
            total: tasks,
            log: format!("/demo/r{i}/temp/log.do_compile"),
            noexec: false,
        });
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        rec.event(&BuildEvent::TaskSucceeded {
            task,
            usage: Usage::default(),
        });
    }
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: tasks,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    rec.finish()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // bb_toaster's errors already say what SQLite said; the chain would repeat it.
            let msg = match e.downcast_ref::<bb_toaster::Error>() {
                Some(t) => t.to_string(),
                None => format!("{e:#}"),
            };
            let _ = writeln!(std::io::stderr(), "ERROR: {msg}");
            ExitCode::FAILURE
        }
    }
}
