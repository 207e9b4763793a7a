//! `lsupdates`: imports a layer index into bake's Toaster database (the catalog the
//! project pages offer: layers, machines, distros, recipes), for the releases the
//! database knows, incrementally. From layerindex-web's REST API (`--url`, the API root
//! listing the collections) or a JSON dump holding the collections by name (`--file`).
//! Wiring only: fetching and the progress bar are here, the import is
//! `bb_toaster::layerindex`.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
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

/// GETs `url` as JSON.
fn get_json(agent: &ureq::Agent, url: &str) -> anyhow::Result<Value> {
    let mut resp = agent
        .get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let text = resp
        .body_mut()
        .with_config()
        .limit(512 * 1024 * 1024)
        .read_to_string()
        .with_context(|| format!("GET {url}: read the body"))?;
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))
}

fn with_filter(url: &str, filter: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}filter={}", filter.replace(' ', "%20"))
}

/// The collections for `branches`, fetched from the API at `root`, gathered into one
/// object like a dump.
fn fetch(root: &str, branches: &[String], bar: &mut Bar) -> anyhow::Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(300)))
        .build()
        .into();
    let api = get_json(&agent, root)?;
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
        )?,
    )?;
    bar.show("layerItems", 0, 1);
    push("layerItems", get_json(&agent, &link("layerItems")?)?)?;
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
                get_json(&agent, &with_filter(&link(name)?, &format!("{field}:{b}")))?,
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
            let v = fetch(&url, &branches, &mut bar)?;
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
