//! A loopback HTTP/1.1 server for tests (feature `test-http`; started by the test, on
//! 127.0.0.1 and a port the OS picks): `GET` and `HEAD` of the files under a directory, 404 for the
//! rest, one connection at a time, `Connection: close`. `cut` makes it announce the
//! whole length of a file and send half of it (a connection cut mid-transfer).

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
        let (root, stop2, req2) = (root.to_path_buf(), Arc::clone(&stop), Arc::clone(&requests));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    req2.fetch_add(1, Ordering::SeqCst);
                    let _ = serve(c, &root, cut);
                }
            }
        });
        Ok(Server {
            url: format!("http://{addr}"),
            requests,
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

fn serve(conn: TcpStream, root: &Path, cut: bool) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let rel = target.trim_start_matches('/');
    let decoded = rel.replace("%3A", ":").replace("%3a", ":");
    let path: PathBuf = root.join(decoded);
    let mut out = conn;
    let ok = !rel.contains("..") && path.is_file();
    if !ok {
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(());
    }
    let body = fs_read(&path)?;
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method == "GET" {
        let n = if cut { body.len() / 2 } else { body.len() };
        out.write_all(&body[..n])?;
    }
    out.flush()
}

fn fs_read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
