//! `bake`: the command-line entry point. It only wires arguments to the library crates
//! and prints their results; no metadata logic lives here.

mod build;
mod cli;
mod natives;
mod record;
mod ui;

/// Parsing makes and drops millions of small strings and map nodes on every core;
/// mimalloc's per-thread heaps do that faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps freed memory in the process instead of returning it to the kernel after 10 ms
/// and faulting fresh zeroed pages in again: a cold `bake -p` on openembedded-core goes
/// from 4.6 s to 3.1 s (peak memory 305 -> 360 MB).
#[allow(unsafe_code, reason = "two calls into the allocator's option table")]
fn tune_allocator() {
    /// `mi_option_arena_eager_commit` in mimalloc.h (the same index in v2 and v3).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    /// `mi_option_purge_delay` in mimalloc.h (the same index in v2 and v3).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` only stores an integer in mimalloc's option table; it is
    // thread-safe and valid at any time, and these values are documented ones.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 1);
    }
}

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use bb_cooker::{Cooker, CookerOptions, ParseResult};
use bb_data::DataStore;
use clap::Parser;

pub(crate) fn cooker() -> anyhow::Result<Cooker> {
    let opts = CookerOptions::from_process()?;
    let cooker = Cooker::new(&opts)?;
    for w in &cooker.warnings {
        ui::report_level("WARNING", w);
    }
    Ok(cooker)
}

/// Fails like BitBake when appends match no recipe (a warning with
/// BB_DANGLINGAPPENDS_WARNONLY set).
pub(crate) fn check_dangling(cooker: &Cooker) -> anyhow::Result<()> {
    let dangling = cooker.dangling_appends();
    if dangling.is_empty() {
        return Ok(());
    }
    let msg = format!(
        "No recipes in default available for:\n  {}",
        dangling.join("\n  ")
    );
    let warn_only = cooker
        .config
        .get_var("BB_DANGLINGAPPENDS_WARNONLY")
        .ok()
        .flatten()
        .is_some_and(|v| matches!(v.to_lowercase().as_str(), "1" | "yes" | "true"));
    if warn_only {
        ui::report_level("WARNING", &msg);
        Ok(())
    } else {
        bail!("{msg}")
    }
}

fn emit(d: &DataStore, config: &DataStore) -> anyhow::Result<()> {
    let mut out = String::new();
    let dumped = bb_data::dump::emit_env(d, config, &mut out);
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

/// Splits `virtual:native:/path/x.bb` into (variant, file).
fn split_virtual(f: &str) -> (String, String) {
    if let Some(rest) = f.strip_prefix("virtual:") {
        let mut parts: Vec<&str> = rest.split(':').collect();
        if parts.len() >= 2 {
            let file = parts.pop().unwrap_or_default().to_owned();
            return (parts.join(":"), file);
        }
    }
    (String::new(), f.to_owned())
}

/// Prints the provider module's log the way knotty does (NOTE/WARNING/ERROR; debug and
/// verbose messages are not shown).
pub(crate) fn print_log(log: &[bb_cooker::providers::Message]) {
    use bb_cooker::providers::Level;
    for m in log {
        match m.level {
            Level::Note => ui::report_level("NOTE", &m.text),
            Level::Warning => ui::report_level("WARNING", &m.text),
            Level::Error => ui::report_level("ERROR", &m.text),
            Level::Debug | Level::Verbose => {}
        }
    }
}

/// The target (virtual file name) a build name resolves to, and whether some of its
/// build-time dependencies have no provider.
fn resolve_target(
    cooker: &Cooker,
    res: &ParseResult,
    name: &str,
) -> anyhow::Result<(String, bool)> {
    let mut d = cooker.config.clone();
    bb_data::expand_keys(&mut d).map_err(|e| anyhow::anyhow!("{e}"))?;
    let providers = bb_cooker::providers::Providers::new(&res.recipes);
    let mut log = Vec::new();
    let found = providers.resolve_build_target(name, &d, &mut log);
    print_log(&log);
    let found = found?;
    ui::out("NOTE: Resolving any missing task queue dependencies");
    let mut log = Vec::new();
    let missing = providers.resolve_depends_tree(&found, &d, &mut log);
    print_log(&log);
    let missing = missing?;
    for m in &missing {
        ui::report_level("ERROR", m);
    }
    Ok((found, !missing.is_empty()))
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    if cli.parse_only {
        let cooker = cooker()?;
        let res = ui::parse_with_status(&cooker);
        ui::out(&res.summary_line());
        if res.errors() > 0 {
            return Ok(ExitCode::FAILURE);
        }
        check_dangling(&cooker)?;
        return Ok(ExitCode::SUCCESS);
    }
    if cli.graphviz {
        return graph(&cli);
    }
    if !cli.environment {
        if cli.targets.is_empty() && cli.buildfile.is_none() {
            bail!("nothing to do: give a recipe, or -e, or -p (see bake --help)");
        }
        if cli.buildfile.is_some() {
            bail!("building with -b is not implemented yet; name the recipe instead");
        }
        let cooker = cooker()?;
        return build::build(&cli, &cooker);
    }
    let cooker = cooker()?;
    let mut failed = false;
    let d = match (&cli.buildfile, cli.targets.first()) {
        (Some(file), _) => {
            let (variant, file) = split_virtual(&file.to_string_lossy());
            let path = PathBuf::from(&file);
            let abs = if path.is_absolute() {
                path
            } else {
                std::env::current_dir()?.join(path)
            };
            let abs = abs.to_string_lossy().into_owned();
            let mut v = cooker
                .parse_buildfile(&abs, Some(&variant))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            v.pop().map(|(_, d)| d).context("no such variant")?
        }
        (None, Some(target)) => {
            let res = ui::parse_with_status(&cooker);
            ui::out(&res.summary_line());
            if res.errors() > 0 {
                failed = true;
            }
            check_dangling(&cooker)?;
            let (fn_name, incomplete) = resolve_target(&cooker, &res, target)?;
            failed |= incomplete;
            let (variant, file) = split_virtual(&fn_name);
            let mut v = cooker
                .parse_file(&file, Some(&variant))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            v.pop().map(|(_, d)| d).context("no such variant")?
        }
        (None, None) => {
            let mut d = cooker.config.clone();
            cooker
                .evaluator()
                .finalize_config(&mut d)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            d
        }
    };
    for w in cooker.evaluator().take_warnings() {
        ui::report_level("WARNING", &w);
    }
    if let Some(reason) = d.get_raw("__SKIPPED") {
        ui::report_level("ERROR", &format!("recipe is skipped: {reason}"));
    }
    emit(&d, &cooker.config)?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The command-line targets with BitBake's special names expanded: `world` (every
/// recipe not excluded from world, see `Providers::world_targets`) and `universe`
/// (every recipe), appended after the others as BitBake does.
pub(crate) fn graph_targets(
    names: &[String],
    providers: &bb_cooker::providers::Providers,
    task: &str,
) -> Vec<bb_taskgraph::Target> {
    let full = if task.starts_with("do_") {
        task.to_owned()
    } else {
        format!("do_{task}")
    };
    let mut out: Vec<bb_taskgraph::Target> = names
        .iter()
        .filter(|n| *n != "world" && *n != "universe")
        .map(|t| bb_taskgraph::Target::parse(t, task))
        .collect();
    if names.iter().any(|n| n == "world") {
        for pn in providers.world_targets(Some(&full)) {
            out.push(bb_taskgraph::Target::parse(&pn, task));
        }
    }
    if names.iter().any(|n| n == "universe") {
        let mut pns: Vec<&str> = providers.pns().collect();
        pns.sort_unstable();
        pns.dedup();
        for pn in pns {
            out.push(bb_taskgraph::Target::parse(pn, task));
        }
    }
    out
}

/// The default task: `-c TASK`, else BB_DEFAULT_TASK, else `build`.
pub(crate) fn default_task(cli: &cli::Cli, config: &DataStore) -> String {
    cli.cmd
        .clone()
        .or_else(|| config.get_var("BB_DEFAULT_TASK").ok().flatten())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "build".to_owned())
}

/// Prints a task-graph error as BitBake's UI shows it: provider errors were logged
/// already; fatal run-queue errors end with "Command execution failed".
pub(crate) fn report_graph_error(e: &bb_taskgraph::Error) {
    match e {
        bb_taskgraph::Error::NoProvider(_) => return,
        bb_taskgraph::Error::Unbuildable { count, loops } => {
            ui::report_level(
                "ERROR",
                &format!(
                    "{count} unbuildable tasks were found.\nThese are usually caused by circular dependencies and any circular dependency chains found will be printed below. Increase the debug level to see a list of unbuildable tasks.\n\nIdentifying dependency loops (this may take a short while)...\n"
                ),
            );
            ui::report_level("ERROR", &format!("\n{loops}"));
        }
        other => ui::report_level("ERROR", &other.to_string()),
    }
    ui::report_ui("ERROR", "Command execution failed: Exited with 1");
}

/// `bake -g TARGET...`: the task graph, written as BitBake writes it.
fn graph(cli: &cli::Cli) -> anyhow::Result<ExitCode> {
    if cli.targets.is_empty() {
        bail!("-g needs at least one target");
    }
    let cooker = cooker()?;
    let res = ui::parse_with_status(&cooker);
    ui::out(&res.summary_line());
    if res.errors() > 0 {
        return Ok(ExitCode::FAILURE);
    }
    check_dangling(&cooker)?;
    let mut d = cooker.config.clone();
    bb_data::expand_keys(&mut d).map_err(|e| anyhow::anyhow!("{e}"))?;
    let providers = bb_cooker::providers::Providers::new(&res.recipes);
    let task = default_task(cli, &d);
    let opts = bb_taskgraph::GraphOptions {
        targets: crate::graph_targets(&cli.targets, &providers, &task),
        runall: cli.runall.clone(),
        runonly: cli.runonly.clone(),
        halt: true,
        allow_incomplete: true,
    };
    ui::out("NOTE: Resolving any missing task queue dependencies");
    let (g, log) = bb_taskgraph::build_graph(&providers, &d, &opts);
    print_log(&log);
    match g {
        Ok(g) => {
            let errors = log
                .iter()
                .any(|m| m.level == bb_cooker::providers::Level::Error);
            bb_taskgraph::dot::write(&g, &std::env::current_dir()?)?;
            ui::out("NOTE: PN build list saved to 'pn-buildlist'");
            ui::out("NOTE: Task dependencies saved to 'task-depends.dot'");
            Ok(if errors {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(e) => {
            crate::report_graph_error(&e);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Reports an error that ends the command, one ERROR record per message.
pub(crate) fn report_error(e: &anyhow::Error) {
    match e.downcast_ref::<bb_cooker::Error>() {
        Some(bb_cooker::Error::Multi(list)) => {
            for m in list {
                ui::report_level("ERROR", m);
            }
        }
        _ => ui::report_level("ERROR", &format!("{e:#}")),
    }
}

/// Installs embedded CPython for what the native evaluator cannot run, with metadata
/// Python's messages (`bb.note`, `bb.warn`, ...) shown as knotty shows them.
fn install_python() {
    #[cfg(feature = "python")]
    {
        bb_python::set_logger(|level, msg| match level {
            bb_python::Level::Debug => {}
            bb_python::Level::Note => ui::report_level("NOTE", msg),
            bb_python::Level::Warning => ui::report_level("WARNING", msg),
            bb_python::Level::Error => ui::report_level("ERROR", msg),
        });
        bb_python::install();
    }
}

fn main() -> ExitCode {
    // bake started as its own task runner (inside a network namespace, see
    // bb_runqueue::runner_main): nothing else to do.
    if std::env::args().nth(1).as_deref() == Some("--task-runner") {
        return bb_runqueue::runner_main();
    }
    tune_allocator();
    if let Ok(exe) = std::env::current_exe() {
        bb_runqueue::set_runner_command(vec![
            exe.to_string_lossy().into_owned(),
            "--task-runner".to_owned(),
        ]);
    }
    let cli = cli::Cli::parse();
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    install_python();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    };
    ui::summary(code != ExitCode::SUCCESS);
    code
}
