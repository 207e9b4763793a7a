//! `bake`: the command-line entry point. It only wires arguments to the library crates
//! and prints their results; no metadata logic lives here.

mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bb_data::{DataStore, Evaluator, FileSource, Origin, SetOpts};
use clap::Parser;

/// Reads metadata from the real file system.
struct FsSource;

impl FileSource for FsSource {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        fs_err::read_to_string(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// Variables BitBake takes from the calling environment by default
/// (its built-in passthrough list).
const ENV_PASSTHROUGH: &[&str] = &[
    "BBPATH",
    "BB_PRESERVE_ENV",
    "BB_ENV_PASSTHROUGH",
    "BB_ENV_PASSTHROUGH_ADDITIONS",
    "BB_ORIGENV",
    "HOME",
    "LOGNAME",
    "PATH",
    "PWD",
    "SHELL",
    "USER",
    "LC_ALL",
    "BBSERVER",
];

/// The datastore every parse starts from: environment passthrough and built-ins.
fn base_datastore(bbpath: &str, topdir: &Path) -> DataStore {
    let mut d = DataStore::new();
    d.set_tracking(true);
    let mut allowed: Vec<String> = ENV_PASSTHROUGH.iter().map(|s| (*s).to_owned()).collect();
    if let Ok(extra) = std::env::var("BB_ENV_PASSTHROUGH_ADDITIONS") {
        allowed.extend(extra.split_whitespace().map(str::to_owned));
    }
    let origin = Origin::internal("data.py", 0, "inheritFromOS");
    for (k, v) in std::env::vars() {
        if allowed.iter().any(|a| *a == k) {
            d.set_var_with(&k, &v, SetOpts::api(&origin));
            d.set_var_flag(&k, "export", "1");
        }
    }
    d.set_var_with("BBPATH", bbpath, SetOpts::api(&origin));
    d.set_var("__bbclasstype", "global");
    d.set_var_with("TOPDIR", &topdir.to_string_lossy(), SetOpts::api(&Origin::internal("cookerdata.py", 0, "parseConfigurationFiles")));
    d.set_var_with("BB_CACHEDIR", "${TOPDIR}/cache", SetOpts::api(&Origin::internal("cookerdata.py", 0, "parseConfigurationFiles")));
    d
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let bbpath = match std::env::var("BBPATH") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            if cwd.join("conf/bblayers.conf").is_file() {
                bail!("build directories with conf/bblayers.conf are not supported yet; set BBPATH to a directory holding conf/bitbake.conf");
            }
            cwd.to_string_lossy().into_owned()
        }
    };
    let found = bbpath.split(':').any(|p| Path::new(p).join("conf/bitbake.conf").is_file());
    if !found {
        bail!("conf/bitbake.conf not found in BBPATH ({bbpath}): run bake in a build directory or set BBPATH");
    }
    if !cli.environment {
        bail!("only `bake -e` (optionally with `-b FILE`) is implemented so far");
    }
    let src = FsSource;
    let ev = Evaluator::new(&src);
    let mut config = base_datastore(&bbpath, &cwd);
    ev.parse_base_config(&mut config).map_err(|e| anyhow::anyhow!("{e}"))?;
    config.set_var("__bbclasstype", "recipe");
    let out = match (&cli.buildfile, cli.targets.first()) {
        (Some(file), _) => {
            let abs: PathBuf = if file.is_absolute() { file.clone() } else { cwd.join(file) };
            let abs = abs.to_string_lossy().into_owned();
            let d = ev.parse_recipe(&config, &abs, &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
            bb_data::dump::emit_env(&d, &config)
        }
        (None, Some(t)) => bail!("recipe targets need the cooker (build directories with layers); use `-b FILE` for `{t}`"),
        (None, None) => {
            let mut d = config.clone();
            ev.finalize(&mut d).map_err(|e| anyhow::anyhow!("{e}"))?;
            bb_data::dump::emit_env(&d, &config)
        }
    };
    for w in ev.take_warnings() {
        report(&format!("WARNING: {w}"));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[expect(clippy::print_stderr, reason = "the binary reports errors on stderr")]
fn report(msg: &str) {
    eprintln!("{msg}");
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&format!("ERROR: {e:#}"));
            ExitCode::FAILURE
        }
    }
}
