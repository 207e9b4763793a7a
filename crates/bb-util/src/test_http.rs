//! A loopback HTTP/1.1 server for tests (feature `test-http`; started by the test, on
//! 127.0.0.1 and a port the OS picks): `GET` and `HEAD` of the files under a directory
//! (the query string ignored; a directory serves its `index.html`, as
//! `python3 -m http.server` does), 404 for the rest, one connection at a time,
//! `Connection: close`. Every file has an `ETag` (of its bytes) and a `Last-Modified`
//! (its mtime); a request whose `If-None-Match` names the ETag, or without one, whose
//! `If-Modified-Since` is not older than the mtime, gets `304 Not Modified` (counted in
//! [`Server::not_modified`]). `cut` makes it announce the whole length of a file and
//! send half of it (a connection cut mid-transfer).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A running server; it stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Requests answered so far.
    pub requests: Arc<AtomicUsize>,
    /// Of those, the ones answered `304 Not Modified`.
    pub not_modified: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    /// Serves the files under `root` (with `cut`, every GET body stops halfway).
    pub fn start(root: &Path, cut: bool) -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let not_modified = Arc::new(AtomicUsize::new(0));
        let (root, stop2, req2, nm2) = (
            root.to_path_buf(),
            Arc::clone(&stop),
            Arc::clone(&requests),
            Arc::clone(&not_modified),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    req2.fetch_add(1, Ordering::SeqCst);
                    if let Ok(true) = serve(c, &root, cut) {
                        nm2.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
        Ok(Server {
            url: format!("http://{addr}"),
            requests,
            not_modified,
            stop,
            addr,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Answers one request; true when it was answered `304 Not Modified`.
fn serve(conn: TcpStream, root: &Path, cut: bool) -> std::io::Result<bool> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let (mut if_none_match, mut if_modified_since) = (None, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let value = value.trim().to_owned();
            match name.trim().to_ascii_lowercase().as_str() {
                "if-none-match" => if_none_match = Some(value),
                "if-modified-since" => if_modified_since = Some(value),
                _ => {}
            }
        }
    }
    let rel = target
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/');
    let decoded = rel.replace("%3A", ":").replace("%3a", ":");
    let mut path: PathBuf = root.join(decoded);
    if path.is_dir() {
        path = path.join("index.html");
    }
    let mut out = conn;
    let ok = !rel.contains("..") && path.is_file();
    if !ok {
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(false);
    }
    let body = fs_read(&path)?;
    let etag = {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        format!("\"{:x}-{:016x}\"", body.len(), h.finish())
    };
    let mtime = std::fs::metadata(&path)?.modified()?;
    let last_modified = httpdate::fmt_http_date(mtime);
    let fresh = match (&if_none_match, &if_modified_since) {
        (Some(tags), _) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        (None, Some(since)) => httpdate::parse_http_date(since).is_ok_and(|since| {
            // HTTP dates have whole seconds
            mtime
                .duration_since(since)
                .map_or(true, |d| d < std::time::Duration::from_secs(1))
        }),
        (None, None) => false,
    };
    if fresh {
        write!(
            out,
            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\nConnection: close\r\n\r\n"
        )?;
        out.flush()?;
        return Ok(true);
    }
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method == "GET" {
        let n = if cut { body.len() / 2 } else { body.len() };
        out.write_all(&body[..n])?;
    }
    out.flush()?;
    Ok(false)
}

fn fs_read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
