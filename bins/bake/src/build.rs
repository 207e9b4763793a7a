//! `bake TARGET...`: build. Parse, make the task graph, parse the recipes in it, work
//! out hashes and stamps, then run the tasks with knotty-style progress.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::bail;
use bb_cooker::Cooker;
use bb_data::DataStore;
use bb_events::{BuildEvent, Outcome, SkipReason};

use crate::{check_dangling, cli, default_task, print_log, ui};

/// What the command line asks of a build. When recording is on (see
/// [`crate::record`]), the build is recorded from the moment the configuration is
/// parsed, errors that stop it included.
pub(crate) fn build(cli: &cli::Cli, cooker: &Cooker) -> anyhow::Result<ExitCode> {
    let mut res = ui::parse_with_status(cooker);
    ui::out(&res.summary_line());
    let topdir = cooker
        .config
        .get_var("TOPDIR")
        .ok()
        .flatten()
        .unwrap_or_else(|| ".".to_owned());
    let recorder = match crate::record::database(&cooker.config, &topdir) {
        Some(db) => {
            // The configuration as BitBake's server holds it (keys not expanded:
            // `FILES:${PN}-dev` stays so), as Toaster reads it.
            let task = default_task(cli, &cooker.config);
            let start =
                crate::record::build_start(cooker, &cooker.config, &cli.targets, &task, res.parsed);
            match bb_toaster::Recorder::start(&db, start) {
                Ok(r) => {
                    let r = Arc::new(r);
                    ui::record_to(Some(r.logger()));
                    Some(r)
                }
                Err(e) => {
                    ui::report_level("WARNING", &format!("build not recorded: {e}"));
                    None
                }
            }
        }
        None => None,
    };
    let code = match build_parsed(cli, cooker, &mut res, &topdir, recorder.as_ref()) {
        Ok(code) => code,
        Err(e) => {
            crate::report_error(&e);
            ExitCode::FAILURE
        }
    };
    ui::record_to(None);
    if let Some(r) = recorder {
        let r = Arc::try_unwrap(r).map_err(|_| anyhow::anyhow!("the recorder is still in use"))?;
        if let Err(e) = r.finish() {
            ui::report_level("WARNING", &format!("build not fully recorded: {e}"));
        }
    }
    Ok(code)
}

/// The build once the recipes are parsed.
fn build_parsed(
    cli: &cli::Cli,
    cooker: &Cooker,
    res: &mut bb_cooker::ParseResult,
    topdir: &str,
    recorder: Option<&Arc<bb_toaster::Recorder>>,
) -> anyhow::Result<ExitCode> {
    if res.errors() > 0 {
        return Ok(ExitCode::FAILURE);
    }
    check_dangling(cooker)?;
    let _lock = bb_runqueue::BuildLock::acquire(std::path::Path::new(topdir))?;
    let mut config = cooker.config.clone();
    bb_data::expand_keys(&mut config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let providers = bb_cooker::providers::Providers::new(&res.recipes);
    let task = default_task(cli, &config);
    let opts = bb_taskgraph::GraphOptions {
        targets: crate::graph_targets(&cli.targets, &providers, &task),
        runall: cli.runall.clone(),
        runonly: cli.runonly.clone(),
        halt: !cli.keep_going,
        allow_incomplete: false,
    };
    ui::out("NOTE: Resolving any missing task queue dependencies");
    let (graph, log) = bb_taskgraph::build_graph(&providers, &config, &opts);
    print_log(&log);
    let mut graph = match graph {
        Ok(g) => g,
        Err(e) => {
            // BitBake fires BuildStarted once the targets' providers are known: a
            // failure of the run queue (a dependency loop) comes after it.
            if let Some(r) = recorder
                && !matches!(e, bb_taskgraph::Error::NoProvider(_))
            {
                r.build_started();
            }
            crate::report_graph_error(&e);
            return Ok(ExitCode::FAILURE);
        }
    };
    // The recipes of the graph, finalized (in parallel).
    // What the build needs of each recipe in the graph: from the parse cache when an
    // earlier build worked it out, else from the finalized recipe (then cached).
    // The targets' providers are known: BitBake's BuildStarted (the configuration is
    // recorded even if working out the hashes fails next).
    if let Some(r) = recorder {
        r.build_started();
    }
    let fns: Vec<String> = graph.recipes.keys().cloned().collect();
    let infos: HashMap<String, bb_cooker::BuildInfo> = fns
        .iter()
        .cloned()
        .zip(cooker.build_infos(res, &fns, &bb_runqueue::hashes::build_info)?)
        .collect();
    // -C TASK: taint TASK of each target and build the default task; -f: taint the
    // target tasks themselves.
    let mut taints: Vec<(String, String)> = Vec::new();
    if let Some(t) = &cli.clear_stamp {
        let t = if t.starts_with("do_") {
            t.clone()
        } else {
            format!("do_{t}")
        };
        for &i in &graph.targets {
            taints.push((graph.tasks[i].fn_name.clone(), t.clone()));
        }
    }
    if cli.force {
        for &i in &graph.targets {
            let t = &graph.tasks[i];
            let nostamp = graph
                .flags
                .get(&t.fn_name)
                .is_some_and(|td| td.has("nostamp", &t.task));
            if !nostamp {
                taints.push((t.fn_name.clone(), t.task.clone()));
            }
        }
    }
    for (f, task) in &taints {
        if let Some(info) = infos.get(f) {
            bb_runqueue::hashes::write_taint(&info.stamp, task)?;
            ui::out(&format!(
                "NOTE: Tainting hash to force rebuild of task {f}, {task}"
            ));
        }
    }
    let plans = bb_runqueue::hashes::plan(&graph, &infos)?;
    for (i, p) in plans.iter().enumerate() {
        if p.tainted {
            ui::report_level(
                "WARNING",
                &format!("{} is tainted from a forced run", graph.tasks[i]),
            );
        }
    }
    // The finalized datastores of the recipes with something to run (-S: all of them).
    let need: Vec<String> = if cli.dump_signatures.is_some() {
        fns.clone()
    } else {
        let current = bb_runqueue::hashes::up_to_date(&graph, &plans);
        let mut v: Vec<String> = plans
            .iter()
            .zip(&graph.tasks)
            .zip(&current)
            .filter(|((p, _), up)| !**up && !p.noexec)
            .map(|((_, t), _)| t.fn_name.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut recipes: HashMap<String, DataStore> = HashMap::new();
    for (f, r) in cooker.parse_targets(&need) {
        match r {
            Ok(d) => {
                recipes.insert(f, d);
            }
            Err(e) => bail!("{f}: {e}"),
        }
    }
    if cli.dump_signatures.is_some() {
        let sigs = bb_runqueue::hashes::sigdata(&graph, &plans, &recipes)?;
        let mut n = 0;
        for (p, sig) in plans.iter().zip(&sigs) {
            if let Some(path) = &p.sigdata_path {
                if let Some(dir) = path.parent() {
                    fs_err::create_dir_all(dir)?;
                }
                bb_siggen::write_sigdata(path, sig)?;
                n += 1;
            }
        }
        ui::out(&format!("NOTE: Wrote {n} signature data files"));
        return Ok(ExitCode::SUCCESS);
    }
    let threads = config
        .get_var("BB_NUMBER_THREADS")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cancel = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&cancel));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&cancel));
    let run_opts = bb_runqueue::RunOptions {
        threads,
        keep_going: cli.keep_going,
        dry_run: cli.dry_run,
        cancel,
        targets: cli.targets.clone(),
    };
    let natives = crate::natives::natives();
    if let Some(r) = recorder {
        let hashes: Vec<String> = plans.iter().map(|p| p.taskhash.clone()).collect();
        r.dep_tree(crate::record::dep_tree(
            &graph, &providers, &hashes, &recipes,
        ));
    }
    let (tx, rx) = std::sync::mpsc::channel::<BuildEvent>();
    let versions: HashMap<String, String> = graph
        .recipes
        .iter()
        .map(|(f, (pn, v))| {
            let v = v.strip_prefix(':').unwrap_or(v);
            (f.clone(), format!("{pn}-{v}"))
        })
        .collect();
    let recorder = recorder.cloned();
    let logs = IncludeLogs::from(&config);
    let printer =
        std::thread::spawn(move || print_events(&rx, &versions, recorder.as_deref(), &logs));
    ui::out("Initialising tasks...done.");
    ui::out("NOTE: No setscene tasks");
    ui::out("NOTE: Executing Tasks");
    let summary = bb_runqueue::run_build(&graph, &plans, &recipes, &natives, &run_opts, &tx);
    drop(tx);
    let failed_tasks = printer.join().unwrap_or_default();
    graph.targets.clear();
    let attempted = summary.ran + summary.skipped;
    let rerun = summary.skipped;
    let tail = if summary.failed == 0 {
        "all succeeded".to_owned()
    } else {
        format!("{} failed", summary.failed)
    };
    ui::out(&format!(
        "NOTE: Tasks Summary: Attempted {attempted} tasks of which {rerun} didn't need to be rerun and {tail}."
    ));
    if summary.outcome == Outcome::Cancelled {
        ui::report_ui(
            "ERROR",
            "Build interrupted: running tasks were waited for, no further task started.",
        );
    }
    if !failed_tasks.is_empty() {
        let n = failed_tasks.len();
        let word = if n == 1 { "task" } else { "tasks" };
        ui::out(&format!(
            "\nSummary: {n} {word} failed:\n  {}",
            failed_tasks.join("\n  ")
        ));
    }
    Ok(if summary.outcome == Outcome::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether a failed task's log is printed (BBINCLUDELOGS set), and its last how many
/// lines (BBINCLUDELOGS_LINES; all when unset), as knotty reads them.
struct IncludeLogs {
    include: bool,
    lines: Option<usize>,
}

impl IncludeLogs {
    fn from(config: &DataStore) -> IncludeLogs {
        let get = |v: &str| config.get_var(v).ok().flatten().filter(|s| !s.is_empty());
        IncludeLogs {
            include: get("BBINCLUDELOGS").is_some(),
            lines: get("BBINCLUDELOGS_LINES").and_then(|n| n.trim().parse().ok()),
        }
    }
}

/// Knotty's "Log data follows:" block: every line of the log as `| line`, or with
/// BBINCLUDELOGS_LINES the last N as ` | line`.
fn log_data(log: &str, lines: Option<usize>) -> String {
    let text = std::fs::read(log)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut out = vec!["Log data follows:".to_owned()];
    match lines {
        Some(n) => {
            let from = all.len().saturating_sub(n);
            out.extend(all[from..].iter().map(|l| format!(" | {l}")));
        }
        _ => out.extend(all.iter().map(|l| format!("| {l}"))),
    }
    out.join("\n")
}

/// Prints events as knotty does: on a terminal, a footer with the tasks running now
/// and their elapsed time under the messages; otherwise plain lines for each task
/// start and end. Returns the failed tasks as `fn:do_task`.
fn print_events(
    rx: &std::sync::mpsc::Receiver<BuildEvent>,
    versions: &HashMap<String, String>,
    recorder: Option<&bb_toaster::Recorder>,
    logs: &IncludeLogs,
) -> Vec<String> {
    use std::io::{IsTerminal as _, Write as _};
    let fancy = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("BAKE_NO_PROGRESS").is_none();
    let mut failed = Vec::new();
    let name = |f: &str| versions.get(f).cloned().unwrap_or_else(|| f.to_owned());
    // Running tasks: (started at, label), in start order.
    let mut running: Vec<(usize, std::time::Instant, String)> = Vec::new();
    let mut done = 0usize;
    let mut total = 0usize;
    let mut footer_lines = 0usize;
    let clear = |lines: &mut usize| {
        if *lines > 0 {
            let mut o = std::io::stdout().lock();
            let _ = write!(o, "\x1b[{}A\x1b[J", *lines);
            let _ = o.flush();
            *lines = 0;
        }
    };
    loop {
        let ev = match rx.recv_timeout(std::time::Duration::from_millis(250)) {
            Ok(ev) => Some(ev),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if fancy {
            clear(&mut footer_lines);
        }
        if let (Some(r), Some(e)) = (recorder, &ev) {
            r.event(e);
        }
        match ev {
            Some(BuildEvent::BuildStarted { total: t, .. }) => total = t,
            Some(BuildEvent::TaskStarted {
                task,
                number,
                total,
                noexec: true,
                ..
            }) => {
                if !fancy {
                    ui::out(&format!(
                        "NOTE: Running noexec task {number} of {total} ({}:{})",
                        task.fn_name, task.task
                    ));
                }
            }
            Some(BuildEvent::TaskStarted {
                task,
                number,
                total,
                ..
            }) => {
                let label = format!("{} {}", name(&task.fn_name), task.task);
                running.push((task.index, std::time::Instant::now(), label));
                if !fancy {
                    ui::out(&format!(
                        "NOTE: Running task {number} of {total} ({}:{})",
                        task.fn_name, task.task
                    ));
                    ui::out(&format!(
                        "NOTE: recipe {}: task {}: Started",
                        name(&task.fn_name),
                        task.task
                    ));
                }
            }
            Some(BuildEvent::TaskSucceeded { task, .. }) => {
                running.retain(|(i, _, _)| *i != task.index);
                done += 1;
                if !fancy {
                    ui::out(&format!(
                        "NOTE: recipe {}: task {}: Succeeded",
                        name(&task.fn_name),
                        task.task
                    ));
                }
            }
            Some(BuildEvent::TaskFailed {
                task, log, message, ..
            }) => {
                running.retain(|(i, _, _)| *i != task.index);
                done += 1;
                let who = name(&task.fn_name);
                ui::report_as(
                    "ERROR",
                    &format!("{who} {}: {message}", task.task),
                    Some(&message),
                );
                if !log.is_empty() && std::path::Path::new(&log).exists() {
                    ui::report_local("ERROR", &format!("Logfile of failure stored in: {log}"));
                    if logs.include {
                        ui::out(&log_data(&log, logs.lines));
                    }
                }
                ui::out(&format!("NOTE: recipe {who}: task {}: Failed", task.task));
                ui::report_local(
                    "ERROR",
                    &format!(
                        "Task ({}:{}) failed with exit code '1'",
                        task.fn_name, task.task
                    ),
                );
                failed.push(format!("{}:{}", task.fn_name, task.task));
            }
            Some(BuildEvent::TaskSkipped { reason, .. }) => {
                if reason != SkipReason::DependencyFailed {
                    done += 1;
                }
            }
            Some(BuildEvent::LogLine { task, line }) => {
                // Warnings from a task reach the console, as bbwarn's do in BitBake.
                if let Some(w) = line.strip_prefix("WARNING: ") {
                    ui::report_as(
                        "WARNING",
                        &format!("{} {}: {w}", name(&task.fn_name), task.task),
                        Some(w),
                    );
                }
            }
            Some(BuildEvent::BuildFinished { .. }) | None => {}
        }
        if fancy && total > 0 {
            let pct = done * 100 / total;
            let width = 30;
            let filled = pct * width / 100;
            let bar: String = "#".repeat(filled) + &" ".repeat(width - filled);
            let mut lines = vec![format!(
                "Currently {} running tasks ({done} of {total})  {pct:3}% |{bar}|",
                running.len()
            )];
            for (n, (_, t0, label)) in running.iter().enumerate() {
                lines.push(format!("{n}: {label} - {}s", t0.elapsed().as_secs()));
            }
            let mut o = std::io::stdout().lock();
            for l in &lines {
                let _ = writeln!(o, "{l}");
            }
            let _ = o.flush();
            footer_lines = lines.len();
        }
    }
    if fancy {
        clear(&mut footer_lines);
    }
    failed
}
