//! `bake`: the command-line entry point. It only wires arguments to the library crates
//! and prints their results; no metadata logic lives here.

mod build;
mod cli;
mod record;

use bake::ui;

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
use bake::ui::Console;
use bb_cooker::CookerOptions;
use bb_data::DataStore;
use bb_session::Session;
use clap::Parser;

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

/// Opens the build directory of the working directory, printing the configuration's
/// warnings.
fn session() -> anyhow::Result<Session> {
    let session = Session::with_options(&CookerOptions::from_process()?)?;
    for w in session.warnings() {
        ui::report_level("WARNING", w);
    }
    Ok(session)
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    if cli.parse_only {
        let mut session = session()?;
        if !ui::parse_session(&mut session)? {
            return Ok(ExitCode::FAILURE);
        }
        let console = Console::new();
        session.check_dangling(&console)?;
        session.reachable_stamps(&console)?;
        // The process ends now: freeing every parsed recipe one by one (tens of
        // milliseconds on one core) would only delay the exit. Nothing in a session
        // that parsed only has work to do when dropped.
        std::mem::forget(session);
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
        let mut session = session()?;
        let code = build::build(&cli, &mut session);
        // The parsed targets and the parse cache go with the process: freeing them one
        // by one was 5 % of a no-op build (nothing in a session needs dropping).
        std::mem::forget(session);
        return code;
    }
    let mut session = session()?;
    let mut failed = false;
    let d = match (&cli.buildfile, cli.targets.first()) {
        (Some(file), _) => {
            let name = file.to_string_lossy();
            let (variant, file) = bb_util::split_virtual(&name);
            let path = PathBuf::from(file);
            let abs = if path.is_absolute() {
                path
            } else {
                std::env::current_dir()?.join(path)
            };
            let abs = abs.to_string_lossy().into_owned();
            let mut v = session.cooker().parse_buildfile(&abs, Some(variant))?;
            v.pop().map(|(_, d)| d).context("no such variant")?
        }
        (None, Some(target)) => {
            if !ui::parse_session(&mut session)? {
                failed = true;
            }
            let console = Console::new();
            session.check_dangling(&console)?;
            session.reachable_stamps(&console)?;
            let (fn_name, missing) = session.resolve_target(target, &console)?;
            failed |= !missing.is_empty();
            session.target_data(&fn_name)?
        }
        (None, None) => {
            let mut d = session.config().clone();
            session
                .cooker()
                .evaluator()
                .finalize_config(&mut d)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            d
        }
    };
    for w in session.cooker().evaluator().take_warnings() {
        ui::report_level("WARNING", &w);
    }
    // BitBake prints nothing here (and returns 0): said, not counted as an error.
    if let Some(reason) = d.get_raw("__SKIPPED") {
        ui::report_local("ERROR", &format!("recipe is skipped: {reason}"));
    }
    emit(&d, session.config())?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
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
    let mut session = session()?;
    if !ui::parse_session(&mut session)? {
        return Ok(ExitCode::FAILURE);
    }
    let console = Console::new();
    session.check_dangling(&console)?;
    session.reachable_stamps(&console)?;
    let task = session.default_task(cli.cmd.as_deref());
    let opts = bb_taskgraph::GraphOptions {
        targets: Vec::new(),
        runall: cli.runall.clone(),
        runonly: cli.runonly.clone(),
        halt: true,
        allow_incomplete: true,
    };
    match session.task_graph(&cli.targets, &task, opts, &console) {
        Ok((g, errors)) => {
            bb_taskgraph::dot::write(&g, &std::env::current_dir()?)?;
            ui::out("NOTE: PN build list saved to 'pn-buildlist'");
            ui::out("NOTE: Task dependencies saved to 'task-depends.dot'");
            Ok(if errors {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(bb_session::Error::Graph(e)) => {
            crate::report_graph_error(&e);
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// Reports an error that ends the command, one ERROR record per message.
pub(crate) fn report_error(e: &anyhow::Error) {
    let multi = match e.downcast_ref::<bb_session::Error>() {
        Some(bb_session::Error::Cooker(c)) => Some(c),
        _ => e.downcast_ref::<bb_cooker::Error>(),
    };
    match multi {
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
            bb_python::Level::Plain => ui::report(msg),
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
    // bake started as a task worker (see bb_session::worker): it runs the tasks it is
    // sent in forked children.
    if std::env::args().nth(1).as_deref() == Some("--worker") {
        bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
        #[cfg(feature = "python")]
        {
            // Metadata Python's messages go to the running task's log.
            bb_python::set_logger(|level, msg| {
                let level = match level {
                    bb_python::Level::Debug => "DEBUG",
                    bb_python::Level::Note => "NOTE",
                    bb_python::Level::Plain => "PLAIN",
                    bb_python::Level::Warning => "WARNING",
                    bb_python::Level::Error => "ERROR",
                };
                bb_session::worker::task_log(level, msg);
            });
            bb_python::install();
            bb_session::worker::set_fork_hooks(
                bb_python::before_fork,
                bb_python::after_fork_parent,
                bb_python::after_fork_child,
            );
        }
        return bb_session::worker::worker_main();
    }
    if let Ok(exe) = std::env::current_exe() {
        let exe = exe.to_string_lossy().into_owned();
        bb_runqueue::set_runner_command(vec![exe.clone(), "--task-runner".to_owned()]);
        bb_session::worker::set_worker_command(vec![exe, "--worker".to_owned()]);
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
    let failed = ui::summary(code != ExitCode::SUCCESS);
    #[cfg(feature = "python")]
    if let Err(e) = bb_python::write_stats() {
        ui::report_level("WARNING", &format!("BAKE_PYSTATS: {e}"));
    }
    if let Some(line) = bake::interrupt::closing_line() {
        ui::out(line);
        return ExitCode::FAILURE;
    }
    if failed { ExitCode::FAILURE } else { code }
}
