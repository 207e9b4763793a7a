//! [`Session::build`]: `bitbake TARGET...` once the recipes are parsed: the task graph,
//! what each recipe needs (from the parse cache when an earlier build worked it out),
//! taints for `-f`/`-C`, task hashes and stamps, the finalized recipes with work to do,
//! then the run queue. Events stream to the caller's channel; the caller draws them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;

use bb_cooker::BuildInfo;
use bb_cooker::providers::{Level, Providers};
use bb_data::DataStore;
use bb_events::BuildEvent;
use bb_pyexpr::EventAttr::Str;
use bb_runqueue::hashes::TaskPlan;
use bb_taskgraph::{GraphOptions, TaskGraph};

use crate::error::{Error, Result};
use crate::session::{Observer, Session, forward_log, graph_targets};

/// What a build is asked to do: `bitbake`'s command-line options.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// The targets (`sayhello`, `sayhello:do_compile`, `world`, `universe`).
    pub targets: Vec<String>,
    /// `-c TASK`: the task to run for each target (default: BB_DEFAULT_TASK, `build`).
    pub cmd: Option<String>,
    /// `-f`: run the target tasks even if their stamps are current.
    pub force: bool,
    /// `-C TASK`: invalidate TASK's stamp and run the default task.
    pub clear_stamp: Option<String>,
    /// `--runall TASK`.
    pub runall: Vec<String>,
    /// `--runonly TASK`.
    pub runonly: Vec<String>,
    /// `-k`: go on with what does not depend on a failure.
    pub keep_going: bool,
    /// `-n`: run no task, as if each succeeded.
    pub dry_run: bool,
    /// `-S`: write every task's signature data and run nothing.
    pub dump_signatures: bool,
    /// Set it to stop the build: no new task starts, running ones are waited for.
    pub cancel: Arc<AtomicBool>,
    /// Worker threads; `None` reads BB_NUMBER_THREADS (else the number of CPUs).
    pub threads: Option<usize>,
    /// `--setscene-only`, `--skip-setscene`, `--no-setscene`.
    pub setscene: bb_runqueue::SetsceneMode,
    /// The address of the hash equivalence server the caller started for
    /// `BB_HASHSERVE = "auto"` (any other value of BB_HASHSERVE is an address).
    pub hashserve: Option<String>,
}

/// What [`Observer::tasks_ready`] is given just before the first task runs.
pub struct TasksReady<'a> {
    /// The task graph.
    pub graph: &'a TaskGraph,
    /// Providers over the parsed recipes.
    pub providers: &'a Providers<'a>,
    /// Each task's hash, stamp and state, indexed as `graph.tasks`.
    pub plans: &'a [TaskPlan],
    /// The finalized datastores of the recipes with work to do.
    pub recipes: &'a HashMap<String, DataStore>,
}

/// How a build ended.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The run queue's summary (`None` for `-S`, which runs nothing).
    pub summary: Option<bb_runqueue::Summary>,
    /// Signature data files written (`-S`).
    pub sigdata_written: usize,
}

impl Session {
    /// Builds `req.targets` as `bitbake` does once the recipes are parsed (call
    /// [`Session::parse`] first): holds `bitbake.lock` in the build directory for the
    /// whole build, sends every run-queue event to `events`, and status lines, log
    /// records and the recorder's two moments to `obs`. Returns when every started task
    /// has ended.
    pub fn build(
        &mut self,
        req: &BuildRequest,
        events: &Sender<BuildEvent>,
        obs: &dyn Observer,
    ) -> Result<BuildReport> {
        let failures = self.parsed()?.errors();
        if failures > 0 {
            return Err(Error::ParseFailed(failures));
        }
        self.check_dangling(obs)?;
        let _lock = bb_runqueue::BuildLock::acquire(&self.topdir())?;
        self.reachable_stamps(obs)?;
        let config = self.expanded_config()?;
        let task = self.default_task(req.cmd.as_deref());
        let providers = self.providers()?;
        let opts = GraphOptions {
            targets: graph_targets(&req.targets, &providers, &task),
            runall: req.runall.clone(),
            runonly: req.runonly.clone(),
            halt: !req.keep_going,
            allow_incomplete: false,
        };
        obs.status("NOTE: Resolving any missing task queue dependencies");
        let (graph, log) = bb_taskgraph::build_graph(&providers, &config, &opts);
        forward_log(obs, &log);
        let graph = match graph {
            Ok(g) => g,
            Err(e) => {
                // BitBake fires BuildStarted once the targets' providers are known: a
                // failure of the run queue (a dependency loop) comes after it.
                if !matches!(e, bb_taskgraph::Error::NoProvider(_)) {
                    obs.build_started();
                }
                return Err(e.into());
            }
        };
        obs.build_started();
        // BitBake's run queue reads BB_DISKMON_DIRS when it is made (its errors come
        // before "Initialising tasks").
        let (monitor, said) = crate::diskmon::DiskMonitor::from_config(&config);
        for (level, text) in said {
            obs.log(level, &text);
        }
        // The configuration's BuildStarted handlers (oe-core: the SPDX document of the
        // build, uninative's loader, buildstats), on a copy of it as BitBake's cooker.
        // What they store stays for BuildCompleted (buildstats' build times), which is
        // fired on the same copy.
        let mut build_cfg: Option<DataStore> = None;
        let mut build_vars_cfg = config.clone();
        set_build_vars(&mut build_vars_cfg);
        let build_vars: Vec<(String, String)> = ["BUILDNAME", "DATE", "TIME"]
            .into_iter()
            .map(|v| {
                let value = build_vars_cfg.get_var(v).ok().flatten().unwrap_or_default();
                (v.to_owned(), value)
            })
            .collect();
        let pkgs: Vec<String> = req
            .targets
            .iter()
            .map(|t| {
                if t.contains(":do_") {
                    t.clone()
                } else if task.starts_with("do_") {
                    format!("{t}:{task}")
                } else {
                    format!("{t}:do_{task}")
                }
            })
            .collect();
        if !req.dry_run && bb_data::python::python_host().is_some() {
            bb_data::python::register_service("fetch", crate::natives::fetch_service);
            let mut cfg = build_vars_cfg;
            let e = build_event("bb.event.BuildStarted", &cfg, &pkgs, 0)
                .with("msg", Str("Building Started".to_owned()));
            bb_data::python::fire_event(&mut cfg, &e)?;
            build_cfg = Some(cfg);
        }
        // BitBake's server beats from BuildStarted on: while the run queue is prepared
        // too (the configuration comes back for the run).
        let preparing = build_cfg.map(|cfg| crate::rqevents::Preparing::start(cfg, &config));
        let fns: Vec<String> = graph.recipes.keys().cloned().collect();
        let infos: HashMap<String, BuildInfo> = {
            let res = self.parsed()?;
            let infos = self
                .cooker
                .build_infos(res, &fns, &bb_runqueue::hashes::build_info)?;
            fns.iter().cloned().zip(infos).collect()
        };
        self.taint(req, &graph, &infos, obs)?;
        let hashserv = crate::sstate::HashServ::from_config(&config, req.hashserve.as_deref())?;
        let cache_key = self.parsed()?.cache_key();
        let kept = cache_key.as_ref().map(|(file, key)| crate::pysiggen::Kept {
            cache_file: file,
            config_key: key,
        });
        let handler =
            crate::pysiggen::sig_handler(&config, kept, obs, &graph, self.recipes()?, &infos)?;
        let mut sums = bb_runqueue::hashes::ChecksumCache::for_config(&config);
        let plans = match &hashserv {
            Some(h) => {
                let mut lookup = |f: &str, t: &str, hash: &str| h.unihash(f, t, hash);
                let lookup: bb_runqueue::hashes::UnihashLookup<'_> = &mut lookup;
                bb_runqueue::hashes::plan_for(&graph, &infos, &handler, Some(lookup), &mut sums)?
            }
            None => bb_runqueue::hashes::plan_for(&graph, &infos, &handler, None, &mut sums)?,
        };
        if let Some(w) = sums.warning() {
            obs.log(Level::Warning, w);
        }
        if let Err(e) = sums.save() {
            obs.log(
                Level::Warning,
                &format!("file checksum cache not saved: {e}"),
            );
        }
        for (i, p) in plans.iter().enumerate() {
            if p.tainted {
                let msg = format!("{} is tainted from a forced run", graph.tasks[i]);
                obs.log(Level::Warning, &msg);
            }
        }
        let recipes = self.recipes_to_run(req, &graph, &plans, &fns)?;
        if req.dump_signatures {
            let n = write_sigdata(&graph, &plans, &recipes)?;
            obs.status(&format!("NOTE: Wrote {n} signature data files"));
            return Ok(BuildReport {
                summary: None,
                sigdata_written: n,
            });
        }
        let threads = req.threads.unwrap_or_else(|| {
            config
                .get_var("BB_NUMBER_THREADS")
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        });
        let stop_tasks = Arc::new(bb_runqueue::StopTasks::default());
        let run_opts = bb_runqueue::RunOptions {
            threads,
            keep_going: req.keep_going,
            dry_run: req.dry_run,
            cancel: Arc::clone(&req.cancel),
            stop_tasks: Arc::clone(&stop_tasks),
            targets: req.targets.clone(),
        };
        let natives = crate::worker::TaskRunner::with_workers(
            crate::natives::natives(),
            crate::worker::Hello {
                cwd: self.opts.cwd.clone(),
                env: self.opts.env.clone(),
                cmdline: self.opts.cmdline.clone(),
                build_vars,
            },
            Arc::clone(&req.cancel),
        )
        .with_task_events_of(&config);
        obs.tasks_ready(&TasksReady {
            graph: &graph,
            providers: &providers,
            plans: &plans,
            recipes: &recipes,
        });
        let setscene = if bb_runqueue::setscene::has_setscene_tasks(&graph) {
            let hooks = crate::sstate::SstateHooks::new(&config, &recipes, hashserv);
            let sq = bb_runqueue::setscene::plan(&graph, &plans, &hooks, req.setscene);
            if let Some(e) = hooks.failure() {
                return Err(e);
            }
            // The hash check prints its summary while BitBake's "Initialising tasks..."
            // progress is open (so, without a terminal, on the same line).
            if matches!(
                req.setscene,
                bb_runqueue::SetsceneMode::Normal | bb_runqueue::SetsceneMode::Only
            ) {
                // The metadata's own hash check prints its summary itself.
                let summary = bb_runqueue::SetsceneHooks::printed(&hooks)
                    .unwrap_or_else(|| sstate_summary(&sq));
                obs.status(&format!("Initialising tasks...{summary}"));
                obs.status("done.");
            } else {
                obs.status("Initialising tasks...done.");
            }
            obs.status("NOTE: Executing Tasks");
            Some((sq, hooks))
        } else {
            obs.status("Initialising tasks...done.");
            obs.status("NOTE: No setscene tasks");
            obs.status("NOTE: Executing Tasks");
            None
        };
        let mut build_cfg = preparing.and_then(|p| p.finish(obs));
        let run = |events: &Sender<BuildEvent>| match setscene {
            Some((sq, hooks)) => bb_runqueue::run_build_with_setscene(
                &graph,
                &plans,
                &recipes,
                &natives,
                &run_opts,
                events,
                (sq, &hooks),
            ),
            None => bb_runqueue::run_build(&graph, &plans, &recipes, &natives, &run_opts, events),
        };
        // The run queue's events to the configuration's handlers that listen to them
        // (oe-core: buildstats' runqueue_stats), on the copy BuildStarted was fired on;
        // the disk space monitor checks on BitBake's heartbeat while tasks run, from the
        // thread that fires them when there is one (its events then reach the handlers).
        let wanted = build_cfg
            .as_ref()
            .and_then(|_| crate::rqevents::Wanted::of(&config));
        let mut summary = match (&mut build_cfg, wanted) {
            (Some(cfg), Some(wanted)) => {
                let hashes: Vec<String> = plans.iter().map(|p| p.taskhash.clone()).collect();
                let stopping = crate::rqevents::Stopping {
                    keep_going: req.keep_going,
                    cancel: &req.cancel,
                    stop_tasks: &stop_tasks,
                    monitor,
                };
                crate::rqevents::around(cfg, &wanted, &hashes, stopping, events, obs, run)
            }
            _ => crate::diskmon::watch_while(
                monitor,
                crate::rqevents::heartbeat_interval(&config),
                (&stop_tasks, &req.cancel),
                obs,
                || run(events),
            ),
        };
        // Stopped by the monitor: the build did not complete (BitBake's exit code is
        // non-zero for the monitor's error).
        if stop_tasks.stopped() && summary.outcome == bb_events::Outcome::Succeeded {
            summary.outcome = bb_events::Outcome::Failed;
        }
        if let Some(mut cfg) = build_cfg {
            // As BitBake's cooker: the run queue's task count, the failed tasks, and
            // whether Ctrl-C ended it. A failing handler is reported, as BitBake logs it.
            let interrupted = summary.outcome == bb_events::Outcome::Cancelled;
            let e = build_event("bb.event.BuildCompleted", &cfg, &pkgs, summary.failed)
                .with("total", Str(graph.tasks.len().to_string()))
                .with("_interrupted", Str(u8::from(interrupted).to_string()))
                .with("msg", Str("Building Succeeded".to_owned()));
            if let Err(e) = bb_data::python::fire_event(&mut cfg, &e) {
                obs.log(Level::Error, &e.to_string());
            }
        }
        Ok(BuildReport {
            summary: Some(summary),
            sigdata_written: 0,
        })
    }

    /// `bb.event.ReachableStamps` to the configuration's handlers that listen to it, as
    /// BitBake's cooker fires it once the recipes are parsed (before a build, and for
    /// `-p`, `-g`, `-e TARGET`): every target that did not skip itself, to its STAMP
    /// (openembedded-core's sstate.bbclass removes the manifests and stamps of what this
    /// machine built before and no recipe reaches). On the configuration itself: what
    /// the handlers store stays (BuildStarted's handlers see it). A failing handler is
    /// an error, as in BitBake. Nothing is computed when no handler listens.
    pub fn reachable_stamps(&mut self, obs: &dyn Observer) -> Result<()> {
        const CLASS: &str = "bb.event.ReachableStamps";
        if !crate::rqevents::listened(&self.cooker.config, CLASS) {
            return Ok(());
        }
        let stamps: serde_json::Map<String, serde_json::Value> = self
            .recipes()?
            .iter()
            .filter(|r| r.skipped.is_none())
            .map(|r| (r.fn_name.clone(), r.stamp.clone().into()))
            .collect();
        let e = bb_pyexpr::Event::new(CLASS).with(
            "stamps",
            bb_pyexpr::EventAttr::Object(serde_json::Value::Object(stamps).to_string()),
        );
        bb_data::python::register_service("fetch", crate::natives::fetch_service);
        bb_data::python::register_service("process_event", process_event);
        let fired = bb_data::python::fire_event(&mut self.cooker.config, &e);
        // What the handlers started and finished, as knotty prints it without a terminal.
        let lines = std::mem::take(&mut *PROCESSES.lock().unwrap_or_else(|e| e.into_inner()));
        for (name, done) in lines {
            obs.status(&format!("{name}...{}", if done { "done." } else { "" }));
        }
        fired?;
        Ok(())
    }

    /// `-C TASK` taints TASK of each target (and the default task runs); `-f` taints the
    /// target tasks themselves, unless they are `nostamp`.
    fn taint(
        &self,
        req: &BuildRequest,
        graph: &TaskGraph,
        infos: &HashMap<String, BuildInfo>,
        obs: &dyn Observer,
    ) -> Result<()> {
        let mut taints: Vec<(String, String)> = Vec::new();
        if let Some(t) = &req.clear_stamp {
            let t = if t.starts_with("do_") {
                t.clone()
            } else {
                format!("do_{t}")
            };
            for &i in &graph.targets {
                taints.push((graph.tasks[i].fn_name.clone(), t.clone()));
            }
        }
        if req.force {
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
                obs.status(&format!(
                    "NOTE: Tainting hash to force rebuild of task {f}, {task}"
                ));
            }
        }
        Ok(())
    }

    /// The finalized datastores of the recipes with a task to run (`-S`: all of them),
    /// parsed in parallel.
    fn recipes_to_run(
        &self,
        req: &BuildRequest,
        graph: &TaskGraph,
        plans: &[TaskPlan],
        fns: &[String],
    ) -> Result<HashMap<String, DataStore>> {
        let need: Vec<String> = if req.dump_signatures {
            fns.to_vec()
        } else {
            let current = bb_runqueue::hashes::up_to_date(graph, plans);
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
        let mut recipes = HashMap::new();
        for (f, r) in self.cooker().parse_targets(&need) {
            let d = r.map_err(|source| Error::Recipe {
                target: f.clone(),
                source,
            })?;
            recipes.insert(f, d);
        }
        Ok(recipes)
    }
}

/// `bb.event.ProcessStarted`/`ProcessFinished` fired by the metadata's handlers in bake's
/// process: each process's name and whether it finished, in order.
static PROCESSES: std::sync::Mutex<Vec<(String, bool)>> = std::sync::Mutex::new(Vec::new());

/// The `process_event` service (`bb.event.fire` of a Process event): `[class, name]`.
fn process_event(_: &mut DataStore, args: &[String]) -> std::result::Result<String, String> {
    let [class, name] = args else {
        return Err(format!(
            "process_event: expected a class and a name, got {args:?}"
        ));
    };
    let mut p = PROCESSES.lock().unwrap_or_else(|e| e.into_inner());
    match class.as_str() {
        "ProcessStarted" => p.push((name.clone(), false)),
        _ => match p.iter_mut().rev().find(|(n, done)| n == name && !done) {
            Some(entry) => entry.1 = true,
            None => p.push((name.clone(), true)),
        },
    }
    Ok(String::new())
}

/// What BitBake's cooker sets before a build: BUILDNAME (`${DATE}${TIME}` unless it is
/// set), BUILDSTART (`%m/%d/%Y %H:%M:%S`), DATE and TIME, from the UTC time now.
fn set_build_vars(cfg: &mut DataStore) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let (y, m, d) = bb_util::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let named = cfg
        .get_var_opts("BUILDNAME", false, false)
        .ok()
        .flatten()
        .is_some_and(|v| !v.is_empty());
    if !named {
        cfg.set_var("BUILDNAME", "${DATE}${TIME}");
    }
    cfg.set_var(
        "BUILDSTART",
        &format!("{m:02}/{d:02}/{y:04} {hh:02}:{mm:02}:{ss:02}"),
    );
    cfg.set_var("DATE", &format!("{y:04}{m:02}{d:02}"));
    cfg.set_var("TIME", &format!("{hh:02}{mm:02}{ss:02}"));
}

/// BuildStarted or BuildCompleted as BitBake's cooker makes them: `_name` (BUILDNAME, unexpanded),
/// `_pkgs` (the targets as `TARGET:TASK`), `_failures`.
fn build_event(class: &str, cfg: &DataStore, pkgs: &[String], failures: usize) -> bb_pyexpr::Event {
    let name = cfg
        .get_var_opts("BUILDNAME", false, false)
        .ok()
        .flatten()
        .unwrap_or_default();
    bb_pyexpr::Event::new(class)
        .with("_name", Str(name))
        .with("_pkgs", bb_pyexpr::EventAttr::List(pkgs.to_vec()))
        .with("_failures", Str(failures.to_string()))
}

/// openembedded-core's line after the hash check: `Sstate summary: Wanted N Local N
/// Mirrors N Missed N Current N (x% match, y% complete)` (percentages truncated, as
/// Python's `%d` does).
fn sstate_summary(sq: &bb_runqueue::SetscenePlan) -> String {
    let (wanted, local, mirrors, missed) = sq.counts();
    let found = local + mirrors;
    let current = sq.current;
    let complete = if current > 0 {
        ((found + current) * 100)
            .checked_div(wanted + current)
            .unwrap_or(0)
    } else {
        0
    };
    let matched = (found * 100).checked_div(wanted).unwrap_or(0);
    format!(
        "Sstate summary: Wanted {wanted} Local {local} Mirrors {mirrors} Missed {missed} Current {current} ({matched}% match, {complete}% complete)"
    )
}

/// `-S`: every task's signature data, written where its plan says.
fn write_sigdata(
    graph: &TaskGraph,
    plans: &[TaskPlan],
    recipes: &HashMap<String, DataStore>,
) -> Result<usize> {
    let sigs = bb_runqueue::hashes::sigdata(graph, plans, recipes)?;
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
    Ok(n)
}
