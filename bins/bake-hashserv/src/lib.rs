//! A hash equivalence server speaking BitBake's protocol (`OEHASHEQUIV 1.1`, see
//! `bb_sstate::hashserv` for the framing): BitBake's client and `bitbake-hashclient`
//! talk to it, and bake's client talks to BitBake's server alike. SQLite underneath
//! (`db.rs`), one thread per connection, TCP (`HOST:PORT`) or a unix socket
//! (`unix://PATH`). A read-only server answers reports without recording them, as a
//! shared server for many builders does.
//!
//! Entry points: [`Server::bind`], [`Server::serve`] (blocking), [`Server::addr`],
//! [`Server::spawn`] (in a thread, for tests and `BB_HASHSERVE = "auto"`).
//!
//! Commands: `ping`, `get` (with `all`), `get-outhash`, `get-stream`,
//! `exists-stream`, `report`, `get-stats`, `backfill-wait`; unless read-only also
//! `report-equiv`, `reset-stats`, `remove`. Anything else is answered with an
//! `invoke-error` and the connection is closed.

mod db;

use std::io::{BufReader, Write as _};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bb_sstate::hashserv::{PROTOCOL, Stream, read_line, read_message, write_line, write_message};
use serde_json::{Map, Value, json};

use db::Db;

/// What can go wrong when starting the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address cannot be listened on.
    #[error("cannot listen on `{0}`: {1}")]
    Bind(String, std::io::Error),
    /// The database cannot be opened.
    #[error("database `{0}`: {1}")]
    Db(String, rusqlite::Error),
}

/// The crate's result.
pub type Result<T> = std::result::Result<T, Error>;

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, std::path::PathBuf),
}

/// Request counts for `get-stats`.
#[derive(Default)]
struct Stats {
    num: AtomicU64,
    total_us: AtomicU64,
    max_us: AtomicU64,
}

struct Shared {
    db: Mutex<Db>,
    read_only: bool,
    stats: Stats,
    log: bool,
}

/// A bound server.
pub struct Server {
    listener: Listener,
    shared: Arc<Shared>,
    addr: String,
}

impl Server {
    /// Listens on `addr` (`unix://PATH` or `HOST:PORT`; port 0 picks one) with the
    /// database at `db` (created if missing). `log`: one line per connection and
    /// failure on stderr.
    pub fn bind(addr: &str, db: &Path, read_only: bool, log: bool) -> Result<Server> {
        let db = Db::open(db)?;
        let (listener, addr) = match addr.strip_prefix("unix://") {
            Some(path) => {
                let p = std::path::PathBuf::from(path);
                // A socket file left by a server that is gone.
                if std::os::unix::net::UnixStream::connect(&p).is_err() {
                    let _ = std::fs::remove_file(&p);
                }
                let l = UnixListener::bind(&p).map_err(|e| Error::Bind(addr.to_owned(), e))?;
                (Listener::Unix(l, p), addr.to_owned())
            }
            None => {
                let l = TcpListener::bind(addr).map_err(|e| Error::Bind(addr.to_owned(), e))?;
                let local = l
                    .local_addr()
                    .map_err(|e| Error::Bind(addr.to_owned(), e))?;
                (Listener::Tcp(l), local.to_string())
            }
        };
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                db: Mutex::new(db),
                read_only,
                stats: Stats::default(),
                log,
            }),
            addr,
        })
    }

    /// The address clients connect to (with the port picked for port 0).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Serves until the process ends: each connection in its own thread.
    pub fn serve(self) {
        loop {
            let conn = match &self.listener {
                Listener::Tcp(l) => l.accept().map(|(s, _)| {
                    let _ = s.set_nodelay(true);
                    Stream::Tcp(s)
                }),
                Listener::Unix(l, _) => l.accept().map(|(s, _)| Stream::Unix(s)),
            };
            match conn {
                Ok(s) => {
                    let shared = Arc::clone(&self.shared);
                    std::thread::spawn(move || {
                        if let Err(e) = handle(s, &shared)
                            && shared.log
                        {
                            log(&format!("connection ended: {e}"));
                        }
                    });
                }
                Err(e) => {
                    if self.shared.log {
                        log(&format!("accept: {e}"));
                    }
                }
            }
        }
    }

    /// Serves in a background thread; returns the address.
    pub fn spawn(self) -> String {
        let addr = self.addr.clone();
        std::thread::spawn(move || self.serve());
        addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Listener::Unix(_, p) = &self.listener {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[expect(
    clippy::print_stderr,
    reason = "the server's log is its standard error"
)]
fn log(msg: &str) {
    eprintln!("bake-hashserv: {msg}");
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

/// One client: the opening lines, then requests until it goes.
fn handle(stream: Stream, shared: &Shared) -> std::io::Result<()> {
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    let Some(first) = read_line(&mut r)? else {
        return Ok(());
    };
    let (name, version) = first.split_once(' ').unwrap_or((first.as_str(), ""));
    let v: Vec<u32> = version.split('.').filter_map(|p| p.parse().ok()).collect();
    let ok_version = v.len() == 2 && v > vec![1, 0] && v <= vec![1, 1];
    if name != PROTOCOL || !ok_version {
        return Err(bad(format!("rejected protocol `{first}`")));
    }
    let mut needs_headers = false;
    while let Some(h) = read_line(&mut r)? {
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("needs-headers")
        {
            needs_headers = v.trim() == "true";
        }
    }
    if needs_headers {
        write_line(&mut w, "")?;
        w.flush()?;
    }
    while let Some(msg) = read_message(&mut r)? {
        let Some((cmd, args)) = msg.as_object().and_then(|o| o.iter().next()) else {
            return Err(bad(format!("not a command: {msg}")));
        };
        let t0 = std::time::Instant::now();
        let answer = match cmd.as_str() {
            "get-stream" | "exists-stream" => {
                write_message(&mut w, &json!("ok"))?;
                stream_mode(cmd == "get-stream", &mut r, &mut w, shared)?;
                continue;
            }
            _ => dispatch(cmd, args, shared),
        };
        let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        shared.stats.num.fetch_add(1, Ordering::Relaxed);
        shared.stats.total_us.fetch_add(us, Ordering::Relaxed);
        shared.stats.max_us.fetch_max(us, Ordering::Relaxed);
        match answer {
            Ok(v) => write_message(&mut w, &v)?,
            Err(message) => {
                write_message(&mut w, &json!({"invoke-error": {"message": message}}))?;
                return Err(bad(message));
            }
        }
    }
    Ok(())
}

/// `get-stream` / `exists-stream`: one answer line per question line, until `END`.
fn stream_mode(
    get: bool,
    r: &mut BufReader<Stream>,
    w: &mut Stream,
    shared: &Shared,
) -> std::io::Result<()> {
    let mut out = Vec::new();
    while let Some(l) = read_line(r)? {
        if l == "END" || l.is_empty() {
            break;
        }
        let answer = {
            let db = lock(shared);
            if get {
                let (method, taskhash) = l.split_once(' ').unwrap_or((l.as_str(), ""));
                db.get_equivalent(method, taskhash.trim())
                    .map_err(|e| bad(e.to_string()))?
                    .and_then(|v| v.get("unihash").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_default()
            } else if db.unihash_exists(&l).map_err(|e| bad(e.to_string()))? {
                "true".to_owned()
            } else {
                "false".to_owned()
            }
        };
        shared.stats.num.fetch_add(1, Ordering::Relaxed);
        out.clear();
        out.extend_from_slice(answer.as_bytes());
        out.push(b'\n');
        w.write_all(&out)?;
        // Answers go out as soon as no question waits in the buffer.
        if r.buffer().is_empty() {
            w.flush()?;
        }
    }
    write_line(w, "ok")?;
    w.flush()
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Db> {
    shared
        .db
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn str_arg<'a>(args: &'a Value, key: &str) -> std::result::Result<&'a str, String> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("missing `{key}`"))
}

fn now() -> String {
    // Seconds since the epoch with microseconds: sorts as the creation order.
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

fn dispatch(cmd: &str, args: &Value, shared: &Shared) -> std::result::Result<Value, String> {
    let db_err = |e: rusqlite::Error| e.to_string();
    match cmd {
        "ping" => Ok(json!({"alive": true})),
        "get" => {
            let (method, taskhash) = (str_arg(args, "method")?, str_arg(args, "taskhash")?);
            let db = lock(shared);
            let row = if args.get("all").and_then(Value::as_bool) == Some(true) {
                db.get_full(method, taskhash).map_err(db_err)?
            } else {
                db.get_equivalent(method, taskhash).map_err(db_err)?
            };
            Ok(row.unwrap_or(Value::Null))
        }
        "get-outhash" => {
            let (method, outhash) = (str_arg(args, "method")?, str_arg(args, "outhash")?);
            let with = args
                .get("with_unihash")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            Ok(lock(shared)
                .get_outhash(method, outhash, with)
                .map_err(db_err)?
                .unwrap_or(Value::Null))
        }
        "report" => report(args, shared),
        "report-equiv" if !shared.read_only => {
            let (method, taskhash, unihash) = (
                str_arg(args, "method")?,
                str_arg(args, "taskhash")?,
                str_arg(args, "unihash")?,
            );
            let db = lock(shared);
            db.insert_unihash(method, taskhash, unihash)
                .map_err(db_err)?;
            let row = db.get_equivalent(method, taskhash).map_err(db_err)?;
            Ok(row.unwrap_or(Value::Null))
        }
        "get-stats" => Ok(stats(shared)),
        "reset-stats" if !shared.read_only => {
            let before = stats(shared);
            shared.stats.num.store(0, Ordering::Relaxed);
            shared.stats.total_us.store(0, Ordering::Relaxed);
            shared.stats.max_us.store(0, Ordering::Relaxed);
            Ok(before)
        }
        "backfill-wait" => Ok(json!({"tasks": 0})),
        "remove" if !shared.read_only => {
            let w = args
                .get("where")
                .and_then(Value::as_object)
                .ok_or("missing `where`")?;
            let n = lock(shared).remove(w).map_err(db_err)?;
            Ok(json!({"count": n}))
        }
        _ => Err(format!("Unrecognized command {cmd:?}")),
    }
}

fn stats(shared: &Shared) -> Value {
    let num = shared.stats.num.load(Ordering::Relaxed);
    let total = shared.stats.total_us.load(Ordering::Relaxed) as f64 / 1e6;
    let max = shared.stats.max_us.load(Ordering::Relaxed) as f64 / 1e6;
    let average = if num > 0 { total / num as f64 } else { 0.0 };
    json!({"requests": {"num": num, "total_time": total, "max_time": max, "average": average, "stdev": 0.0}})
}

/// `report`: a task's output hash. A new output hash that another task hash already
/// produced gives this task hash that task's unihash (the outputs are equivalent);
/// otherwise the reported unihash. Read-only: nothing is recorded, the answer is what
/// would be.
fn report(args: &Value, shared: &Shared) -> std::result::Result<Value, String> {
    let db_err = |e: rusqlite::Error| e.to_string();
    let (method, taskhash, outhash, unihash) = (
        str_arg(args, "method")?,
        str_arg(args, "taskhash")?,
        str_arg(args, "outhash")?,
        str_arg(args, "unihash")?,
    );
    let db = lock(shared);
    if shared.read_only {
        let known = db.get_outhash(method, outhash, true).map_err(db_err)?;
        let u = known
            .as_ref()
            .and_then(|v| v.get("unihash"))
            .and_then(Value::as_str)
            .unwrap_or(unihash);
        return Ok(json!({"taskhash": taskhash, "method": method, "unihash": u}));
    }
    let mut data = Map::new();
    for k in ["method", "taskhash", "outhash"].iter().chain(db::EXTRA) {
        if let Some(v) = args.get(*k) {
            data.insert((*k).to_owned(), v.clone());
        }
    }
    if db.insert_outhash(&data, &now()).map_err(db_err)? {
        let equivalent = db
            .get_equivalent_for_outhash(method, outhash, taskhash)
            .map_err(db_err)?;
        let u = equivalent.as_deref().unwrap_or(unihash);
        db.insert_unihash(method, taskhash, u).map_err(db_err)?;
    }
    let u = db
        .get_equivalent(method, taskhash)
        .map_err(db_err)?
        .and_then(|v| v.get("unihash").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| unihash.to_owned());
    Ok(json!({"taskhash": taskhash, "method": method, "unihash": u}))
}
