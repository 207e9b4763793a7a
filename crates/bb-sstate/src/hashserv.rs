//! BitBake's hash equivalence protocol (`OEHASHEQUIV 1.1`), learnt from BitBake's
//! documentation of it and its behaviour: the framing both sides use, and a blocking
//! client.
//!
//! A connection starts with the client's lines `OEHASHEQUIV 1.1`, `needs-headers:
//! true|false`, any `name: value` headers, then an empty line (the server answers
//! with its own headers and an empty line when asked). Then each request is one JSON
//! object on a line, `{"command": arguments}`, answered by one JSON value on a line;
//! a message longer than the chunk size is sent as `{"chunk-stream": null}`, the JSON
//! text in lines of at most that size, and an empty line. `get-stream` and
//! `exists-stream` switch to a line mode (`METHOD TASKHASH` -> unihash or an empty
//! line; `UNIHASH` -> `true`/`false`) until the client sends `END`, answered `ok`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use serde_json::Value;

use crate::error::{Error, Result};

/// The protocol's name and the version this side speaks.
pub const PROTOCOL: &str = "OEHASHEQUIV";
/// The version sent by the client.
pub const VERSION: &str = "1.1";
/// Questions in flight at once in the line modes.
const STREAM_WINDOW: usize = 64;

/// Messages at least this long are chunked.
pub const MAX_CHUNK: usize = 32 * 1024;

/// A connection's byte stream: TCP or a unix socket.
pub enum Stream {
    /// `HOST:PORT`.
    Tcp(TcpStream),
    /// `unix://PATH`.
    Unix(UnixStream),
}

impl Stream {
    /// Connects to BitBake's address forms: `unix://PATH`, `HOST:PORT`, `[V6]:PORT`.
    pub fn connect(addr: &str) -> Result<Stream> {
        let err = |e: std::io::Error| Error::HashServer {
            addr: addr.to_owned(),
            reason: e.to_string(),
        };
        match addr.strip_prefix("unix://") {
            Some(path) => UnixStream::connect(path).map(Stream::Unix).map_err(err),
            None => {
                let s = TcpStream::connect(addr).map_err(err)?;
                let _ = s.set_nodelay(true);
                Ok(Stream::Tcp(s))
            }
        }
    }

    /// A second handle on the same connection (one to read, one to write).
    pub fn try_clone(&self) -> std::io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Unix(s) => Stream::Unix(s.try_clone()?),
        })
    }
}

impl std::io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// Reads one line without its newline; `None` at the end of the stream.
pub fn read_line(r: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    if line.ends_with('\n') {
        line.pop();
    }
    Ok(Some(line))
}

/// Writes one line.
pub fn write_line(w: &mut impl Write, line: &str) -> std::io::Result<()> {
    w.write_all(line.as_bytes())?;
    w.write_all(b"\n")
}

/// Writes one message, chunked when long.
pub fn write_message(w: &mut impl Write, msg: &Value) -> std::io::Result<()> {
    let text = msg.to_string();
    if text.len() < MAX_CHUNK - 1 {
        write_line(w, &text)?;
    } else {
        write_line(w, r#"{"chunk-stream": null}"#)?;
        let bytes: Vec<char> = text.chars().collect();
        for chunk in bytes.chunks(MAX_CHUNK - 1) {
            write_line(w, &chunk.iter().collect::<String>())?;
        }
        write_line(w, "")?;
    }
    w.flush()
}

/// Reads one message (reassembling a chunked one); `None` at the end of the stream.
pub fn read_message(r: &mut impl BufRead) -> std::io::Result<Option<Value>> {
    let Some(line) = read_line(r)? else {
        return Ok(None);
    };
    let bad = |e: serde_json::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let v: Value = serde_json::from_str(&line).map_err(bad)?;
    if v.as_object()
        .is_some_and(|o| o.contains_key("chunk-stream"))
    {
        let mut text = String::new();
        while let Some(l) = read_line(r)? {
            if l.is_empty() {
                break;
            }
            text.push_str(&l);
        }
        return serde_json::from_str(&text).map(Some).map_err(bad);
    }
    Ok(Some(v))
}

/// A blocking client of a hash equivalence server (bake's or BitBake's).
pub struct Client {
    addr: String,
    reader: BufReader<Stream>,
    writer: Stream,
    /// In `get-stream` mode.
    streaming: bool,
}

impl Client {
    /// Connects and sends the protocol's opening lines.
    pub fn connect(addr: &str) -> Result<Client> {
        let s = Stream::connect(addr)?;
        let w = s.try_clone()?;
        let mut c = Client {
            addr: addr.to_owned(),
            reader: BufReader::new(s),
            writer: w,
            streaming: false,
        };
        write_line(&mut c.writer, &format!("{PROTOCOL} {VERSION}"))?;
        write_line(&mut c.writer, "needs-headers: false")?;
        write_line(&mut c.writer, "")?;
        c.writer.flush()?;
        Ok(c)
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::HashServer {
            addr: self.addr.clone(),
            reason: reason.into(),
        }
    }

    /// Sends `{command: args}` and returns the answer (`invoke-error` is an error).
    pub fn invoke(&mut self, command: &str, args: Value) -> Result<Value> {
        self.normal_mode()?;
        let mut m = serde_json::Map::new();
        m.insert(command.to_owned(), args);
        write_message(&mut self.writer, &Value::Object(m))?;
        let answer = read_message(&mut self.reader)?
            .ok_or_else(|| self.err(format!("connection closed after `{command}`")))?;
        if let Some(e) = answer.get("invoke-error") {
            return Err(self.err(e.get("message").map(Value::to_string).unwrap_or_default()));
        }
        Ok(answer)
    }

    fn normal_mode(&mut self) -> Result<()> {
        if self.streaming {
            write_line(&mut self.writer, "END")?;
            self.writer.flush()?;
            let ok = read_line(&mut self.reader)?;
            if ok.as_deref() != Some("ok") {
                return Err(self.err(format!("bad answer to END: {ok:?}")));
            }
            self.streaming = false;
        }
        Ok(())
    }

    /// `ping`: whether the server answers `{"alive": true}`.
    pub fn ping(&mut self) -> Result<bool> {
        let v = self.invoke("ping", Value::Object(serde_json::Map::new()))?;
        Ok(v.get("alive").and_then(Value::as_bool) == Some(true))
    }

    /// The unihashes of `(method, taskhash)` pairs (`None`: unknown), through
    /// `get-stream`: all the questions are written before the answers are read.
    pub fn get_unihashes(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Option<String>>> {
        if !self.streaming {
            let ok = self.invoke("get-stream", Value::Null)?;
            if ok.as_str() != Some("ok") {
                return Err(self.err(format!("bad answer to get-stream: {ok}")));
            }
            self.streaming = true;
        }
        // In windows: a window's questions and answers fit in the sockets' buffers, so
        // neither side can block writing while the other does.
        let mut out = Vec::with_capacity(queries.len());
        for window in queries.chunks(STREAM_WINDOW) {
            for (method, taskhash) in window {
                write_line(&mut self.writer, &format!("{method} {taskhash}"))?;
            }
            self.writer.flush()?;
            for _ in window {
                let l = read_line(&mut self.reader)?
                    .ok_or_else(|| self.err("connection closed in get-stream"))?;
                out.push((!l.is_empty()).then_some(l));
            }
        }
        Ok(out)
    }

    /// `report`: the output hash of a task that ran; returns the unihash the server
    /// gives the task hash (an earlier task's, when the outputs are equivalent).
    pub fn report(
        &mut self,
        taskhash: &str,
        method: &str,
        outhash: &str,
        unihash: &str,
        extra: &[(&str, &str)],
    ) -> Result<String> {
        let mut m = serde_json::Map::new();
        for (k, v) in extra {
            m.insert((*k).to_owned(), Value::String((*v).to_owned()));
        }
        for (k, v) in [
            ("taskhash", taskhash),
            ("method", method),
            ("outhash", outhash),
            ("unihash", unihash),
        ] {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        }
        let v = self.invoke("report", Value::Object(m))?;
        v.get("unihash")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.err(format!("report answered without a unihash: {v}")))
    }
}
