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

/// `BBFILES_PRIORITIZED` as BitBake sets it before a `-b` parse: the words of BBFILES,
/// stably sorted by collection priority (all equal without layers).
fn collect_bbfiles(config: &DataStore) -> String {
    let bbfiles = config.get_var("BBFILES").ok().flatten().unwrap_or_default();
    bbfiles.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `os.uname()` of this machine, read from the kernel's files.
fn host_uname() -> [String; 5] {
    let read = |f: &str| {
        fs_err::read_to_string(format!("/proc/sys/kernel/{f}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    [
        read("ostype"),
        read("hostname"),
        read("osrelease"),
        read("version"),
        std::env::consts::ARCH.to_owned(),
    ]
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let bbpath = match std::env::var("BBPATH") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            if cwd.join("conf/bblayers.conf").is_file() {
                bail!(
                    "build directories with conf/bblayers.conf are not supported yet; set BBPATH to a directory holding conf/bitbake.conf"
                );
            }
            cwd.to_string_lossy().into_owned()
        }
    };
    let found = bbpath
        .split(':')
        .any(|p| Path::new(p).join("conf/bitbake.conf").is_file());
    if !found {
        bail!(
            "conf/bitbake.conf not found in BBPATH ({bbpath}): run bake in a build directory or set BBPATH"
        );
    }
    if !cli.environment {
        bail!("only `bake -e` (optionally with `-b FILE`) is implemented so far");
    }
    let src = FsSource;
    let ev = Evaluator::new(&src);
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut config = bb_data::base_datastore(&env);
    config.set_host_uname(host_uname());
    if config.get_raw("BBPATH").is_none() {
        config.set_var("BBPATH", &bbpath);
    }
    config.set_var_with(
        "BB_CMDLINE",
        &format!(
            "[{}]",
            std::env::args()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        SetOpts::api(&Origin::internal("cooker.py", 311, "initConfigurationData")),
    );
    ev.parse_base_config(&mut config)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let d = match (&cli.buildfile, cli.targets.first()) {
        (Some(file), _) => {
            let abs: PathBuf = if file.is_absolute() {
                file.clone()
            } else {
                cwd.join(file)
            };
            let abs = abs.to_string_lossy().into_owned();
            let mut base = config.clone();
            base.set_var_with(
                "BBFILES_PRIORITIZED",
                &collect_bbfiles(&config),
                SetOpts::api(&Origin::internal("cooker.py", 1852, "collect_bbfiles")),
            );

            ev.parse_recipe(&base, &abs, &[])
                .map_err(|e| anyhow::anyhow!("{e}"))?
        }
        (None, Some(t)) => bail!(
            "recipe targets need the cooker (build directories with layers); use `-b FILE` for `{t}`"
        ),
        (None, None) => {
            let mut d = config.clone();
            ev.finalize_config(&mut d)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            d
        }
    };
    for w in ev.take_warnings() {
        report(&format!("WARNING: {w}"));
    }
    let mut out = String::new();
    let dumped = bb_data::dump::emit_env(&d, &config, &mut out);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    dumped.map_err(|e| anyhow::anyhow!("{e}"))
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
