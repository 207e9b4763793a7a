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

/// The recipe files BBFILES names (glob patterns), as BitBake collects them before a
/// `-b` parse; the full layer-priority ordering is the cooker's job.
fn collect_bbfiles(config: &DataStore) -> String {
    let bbfiles = config.get_var("BBFILES").ok().flatten().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for pat in bbfiles.split_whitespace() {
        let mut found: Vec<String> = glob_paths(pat);
        found.sort();
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out.join(" ")
}

/// Expands a `*`/`?` glob over the file system (directories are walked for `.bb`).
fn glob_paths(pat: &str) -> Vec<String> {
    let path = Path::new(pat);
    if path.is_dir() {
        return walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "bb" || x == "bbappend"))
            .map(|e| e.path().to_string_lossy().into_owned())
            .collect();
    }
    let mut current: Vec<PathBuf> = vec![if pat.starts_with('/') { PathBuf::from("/") } else { PathBuf::from(".") }];
    for comp in pat.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &current {
            if comp.contains(['*', '?', '[']) {
                if let Ok(rd) = std::fs::read_dir(base) {
                    for e in rd.flatten() {
                        let name = e.file_name().to_string_lossy().into_owned();
                        if !name.starts_with('.') && glob_match(comp, &name) {
                            next.push(base.join(name));
                        }
                    }
                }
            } else {
                let p = base.join(comp);
                if p.exists() {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    current.into_iter().filter(|p| p.is_file()).map(|p| p.to_string_lossy().into_owned()).collect()
}

/// `fnmatch` for `*` and `?`.
fn glob_match(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
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
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut config = bb_data::base_datastore(&env);
    if config.get_raw("BBPATH").is_none() {
        config.set_var("BBPATH", &bbpath);
    }
    config.set_var_with(
        "BB_CMDLINE",
        &format!("[{}]", std::env::args().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")),
        SetOpts::api(&Origin::internal("cooker.py", 311, "initConfigurationData")),
    );
    ev.parse_base_config(&mut config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let out = match (&cli.buildfile, cli.targets.first()) {
        (Some(file), _) => {
            let abs: PathBuf = if file.is_absolute() { file.clone() } else { cwd.join(file) };
            let abs = abs.to_string_lossy().into_owned();
            let mut base = config.clone();
            base.set_var_with(
                "BBFILES_PRIORITIZED",
                &collect_bbfiles(&config),
                SetOpts::api(&Origin::internal("cooker.py", 1852, "collect_bbfiles")),
            );
            let d = ev.parse_recipe(&base, &abs, &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
            bb_data::dump::emit_env(&d, &config)
        }
        (None, Some(t)) => bail!("recipe targets need the cooker (build directories with layers); use `-b FILE` for `{t}`"),
        (None, None) => {
            let mut d = config.clone();
            ev.finalize_config(&mut d).map_err(|e| anyhow::anyhow!("{e}"))?;
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
