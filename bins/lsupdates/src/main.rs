//! `lsupdates`: imports a layer index into bake's Toaster database (the catalog the
//! project pages offer: layers, machines, distros, recipes), for the releases the
//! database knows, incrementally. From layerindex-web's REST API (`--url`, the API root
//! listing the collections) or a JSON dump holding the collections by name (`--file`).
//! Wiring only: fetching and the progress bar are here, the import is
//! `bb_toaster::layerindex`. Each answer of the API is kept with its `ETag` and
//! `Last-Modified` in `lsupdates-cache/` beside the database; the next run asks with
//! `If-None-Match`/`If-Modified-Since` and, on `304 Not Modified`, reads the kept copy
//! instead of downloading the collection again.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use bb_toaster::layerindex::{self, COLLECTIONS, Counts};
use clap::Parser;
use serde_json::Value;

/// Toaster's layer index import.
#[derive(Debug, Parser)]
#[command(
    name = "lsupdates",
    version,
    about = "Import a layer index into the Toaster database"
)]
struct Cli {
    /// The database (default: $TOASTER_DIR/toaster.sqlite, else
    /// $BUILDDIR/toaster.sqlite, else ./toaster.sqlite).
    #[arg(long, value_name = "PATH")]
    database: Option<PathBuf>,
    /// The layer index API root (default: the CUSTOM_LAYERINDEX_SERVER setting, else
    /// `https://layers.openembedded.org/layerindex/api/`).
    #[arg(long, value_name = "URL", conflicts_with = "file")]
    url: Option<String>,
    /// A JSON dump of the index: one object holding the collections by name.
    #[arg(long, value_name = "INDEX.json")]
    file: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

const DEFAULT_URL: &str = "https://layers.openembedded.org/layerindex/api/";

fn database(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.database {
        return p.clone();
    }
    std::env::var_os("TOASTER_DIR")
        .or_else(|| std::env::var_os("BUILDDIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(bb_toaster::db::DB_FILE)
}

/// Writes a line to stdout; a closed pipe is not an error.
fn out(line: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{line}").and_then(|()| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("write to stdout"),
    }
}

/// The progress bar on stderr (only on a terminal): `Updating WHAT [####    ] NN%`.
struct Bar {
    on: bool,
    last: (String, usize),
}

impl Bar {
    fn show(&mut self, what: &str, done: usize, total: usize) {
        if !self.on {
            return;
        }
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if self.last == (what.to_owned(), pct) {
            return;
        }
        self.last = (what.to_owned(), pct);
        let filled = pct * 30 / 100;
        let _ = write!(
            std::io::stderr(),
            "\rUpdating {what:<16} [{}{}] {pct:>3}%",
            "#".repeat(filled),
            " ".repeat(30 - filled)
        );
    }

    fn end(&mut self) {
        if self.on {
            let _ = writeln!(std::io::stderr(), "\r{:<60}", "");
        }
    }
}

/// The last answer of each URL with its validators, in a directory beside the
/// database: `<key>.json` (the body) and `<key>.meta` (URL, ETag, Last-Modified and
/// the body's hash, each on a line; written after the body, so a half-written pair is
/// never used).
struct HttpCache {
    dir: PathBuf,
    /// Answers downloaded.
    downloaded: usize,
    /// Answers the server said were unchanged (read from the cache).
    unchanged: usize,
}

/// A kept answer.
struct Kept {
    etag: String,
    last_modified: String,
    body: String,
}

impl HttpCache {
    fn new(database: &Path) -> HttpCache {
        let dir = database
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("lsupdates-cache");
        HttpCache {
            dir,
            downloaded: 0,
            unchanged: 0,
        }
    }

    fn paths(&self, url: &str) -> (PathBuf, PathBuf) {
        let key = blake3::hash(url.as_bytes()).to_hex();
        let key = &key[..32];
        (
            self.dir.join(format!("{key}.json")),
            self.dir.join(format!("{key}.meta")),
        )
    }

    /// The kept answer of `url`, if whole.
    fn load(&self, url: &str) -> Option<Kept> {
        let (body_path, meta_path) = self.paths(url);
        let meta = fs_err::read_to_string(meta_path).ok()?;
        let mut lines = meta.lines();
        let (u, etag, last_modified, hash) =
            (lines.next()?, lines.next()?, lines.next()?, lines.next()?);
        let body = fs_err::read_to_string(body_path).ok()?;
        (u == url && blake3::hash(body.as_bytes()).to_hex().as_str() == hash).then(|| Kept {
            etag: etag.to_owned(),
            last_modified: last_modified.to_owned(),
            body,
        })
    }

    /// Keeps `body` of `url` with its validators (none: nothing to keep).
    fn store(&self, url: &str, etag: &str, last_modified: &str, body: &str) -> anyhow::Result<()> {
        if etag.is_empty() && last_modified.is_empty() {
            return Ok(());
        }
        if [url, etag, last_modified]
            .iter()
            .any(|v| v.contains(['\n', '\r']))
        {
            return Ok(());
        }
        fs_err::create_dir_all(&self.dir)?;
        let (body_path, meta_path) = self.paths(url);
        bb_util::fs::atomic_write(&body_path, body.as_bytes())?;
        let hash = blake3::hash(body.as_bytes()).to_hex();
        bb_util::fs::atomic_write(
            &meta_path,
            format!("{url}\n{etag}\n{last_modified}\n{hash}\n").as_bytes(),
        )?;
        Ok(())
    }
}

/// GETs `url` as JSON; asks with the validators of the kept answer, and reads that one
/// when the server says it has not changed.
fn get_json(agent: &ureq::Agent, url: &str, cache: &mut HttpCache) -> anyhow::Result<Value> {
    let kept = cache.load(url);
    let mut req = agent.get(url);
    if let Some(k) = &kept {
        if !k.etag.is_empty() {
            req = req.header("If-None-Match", &k.etag);
        }
        if !k.last_modified.is_empty() {
            req = req.header("If-Modified-Since", &k.last_modified);
        }
    }
    let mut resp = req.call().with_context(|| format!("GET {url}"))?;
    let text = if resp.status() == 304 {
        let Some(k) = kept else {
            anyhow::bail!("GET {url}: `304 Not Modified` to a request that named no version");
        };
        cache.unchanged += 1;
        k.body
    } else {
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let text = resp
            .body_mut()
            .with_config()
            .limit(512 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("GET {url}: read the body"))?;
        cache.downloaded += 1;
        if let Err(e) = cache.store(url, &etag, &last_modified, &text) {
            // The import goes on; the next run downloads it again.
            let _ = writeln!(
                std::io::stderr(),
                "WARNING: {}: cannot keep the answer of {url}: {e:#}",
                cache.dir.display()
            );
        }
        text
    };
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))
}

fn with_filter(url: &str, filter: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}filter={}", filter.replace(' ', "%20"))
}

/// The collections for `branches`, fetched from the API at `root`, gathered into one
/// object like a dump.
fn fetch(
    root: &str,
    branches: &[String],
    bar: &mut Bar,
    cache: &mut HttpCache,
) -> anyhow::Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(300)))
        .build()
        .into();
    let api = get_json(&agent, root, cache)?;
    let link = |name: &str| -> anyhow::Result<String> {
        api.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("{root}: the API root does not list `{name}`"))
    };
    let mut all = serde_json::Map::new();
    let mut push = |name: &str, v: Value| -> anyhow::Result<()> {
        let Value::Array(items) = v else {
            anyhow::bail!("{root}: `{name}` is not a list");
        };
        let e = all
            .entry(name.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = e {
            a.extend(items);
        }
        Ok(())
    };
    bar.show("branches", 0, 1);
    push(
        "branches",
        get_json(
            &agent,
            &with_filter(&link("branches")?, &format!("name:{}", branches.join("OR"))),
            cache,
        )?,
    )?;
    bar.show("layerItems", 0, 1);
    push("layerItems", get_json(&agent, &link("layerItems")?, cache)?)?;
    let per_branch = &COLLECTIONS[2..];
    let steps = per_branch.len() * branches.len();
    let mut n = 0;
    for b in branches {
        for name in per_branch {
            bar.show("index", n, steps);
            n += 1;
            let field = if *name == "layerBranches" {
                "branch__name"
            } else {
                "layerbranch__branch__name"
            };
            push(
                name,
                get_json(
                    &agent,
                    &with_filter(&link(name)?, &format!("{field}:{b}")),
                    cache,
                )?,
            )?;
        }
    }
    Ok(Value::Object(all))
}

fn line(what: &str, c: &Counts) -> String {
    format!(
        "{what:<18} {:>6} new {:>6} changed {:>6} unchanged {:>6} removed {:>4} kept (in use)",
        c.created, c.updated, c.unchanged, c.deleted, c.kept
    )
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let path = database(cli);
    let mut conn = bb_toaster::db::open(&path)?;
    let mut bar = Bar {
        on: !cli.quiet && std::io::stderr().is_terminal(),
        last: (String::new(), usize::MAX),
    };
    let mut cache = HttpCache::new(&path);
    let (source, index) = match &cli.file {
        Some(f) => {
            let text = fs_err::read_to_string(f)?;
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", f.display()))?;
            let src = f.display().to_string();
            (src.clone(), layerindex::Index::from_json(&src, &v)?)
        }
        None => {
            let branches = layerindex::release_branches(&conn)?;
            if branches.is_empty() {
                anyhow::bail!(
                    "{}: the database knows no release (run `toaster-manage checksettings` first)",
                    path.display()
                );
            }
            let url = match &cli.url {
                Some(u) => u.clone(),
                None => conn
                    .query_row(
                        "SELECT value FROM orm_toastersetting WHERE name = 'CUSTOM_LAYERINDEX_SERVER' ORDER BY id LIMIT 1",
                        [],
                        |r| r.get::<_, String>(0),
                    )
                    .unwrap_or_else(|_| DEFAULT_URL.to_owned()),
            };
            let v = fetch(&url, &branches, &mut bar, &mut cache)?;
            (url.clone(), layerindex::Index::from_json(&url, &v)?)
        }
    };
    let report = layerindex::import(&mut conn, &index, &mut |w, d, t| bar.show(w, d, t))?;
    bar.end();
    out(&format!(
        "{source}: releases {}{}",
        report.releases.join(", "),
        if report.skipped_branches.is_empty() {
            String::new()
        } else {
            format!(
                " (branches with no release here, skipped: {})",
                report.skipped_branches.join(", ")
            )
        }
    ))?;
    out(&line("layers", &report.layers))?;
    out(&line("layer versions", &report.layer_versions))?;
    out(&line("dependency lists", &report.dependencies))?;
    out(&line("recipes", &report.recipes))?;
    out(&line("machines", &report.machines))?;
    out(&line("distros", &report.distros))?;
    if cli.file.is_none() {
        out(&format!(
            "answers: {} downloaded, {} unchanged on the server (kept copy read)",
            cache.downloaded, cache.unchanged
        ))?;
    }
    out(&format!("rows written: {}", report.rows_written))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = match e.downcast_ref::<bb_toaster::Error>() {
                Some(t) => t.to_string(),
                None => format!("{e:#}"),
            };
            let _ = writeln!(std::io::stderr(), "ERROR: {msg}");
            ExitCode::FAILURE
        }
    }
}
