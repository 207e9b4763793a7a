//! `bake TARGET...`: wires a [`bb_session::Session`] build to the console (knotty) and,
//! when recording is on, to the Toaster recorder. Ctrl-C and SIGTERM cancel the build.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bake::ui::{self, Console};
use bb_events::Outcome;
use bb_session::{BuildRequest, Level, Observer, Session, TasksReady};

use crate::cli;

/// The console, plus the recorder's two moments when the build is recorded.
struct Watch<'a> {
    console: Console,
    recorder: Option<&'a bb_toaster::Recorder>,
    /// What the recipes package, for the recorder (see [`crate::record::Packaging`]).
    packaging: &'a crate::record::Packaging,
}

impl Observer for Watch<'_> {
    fn status(&self, line: &str) {
        self.console.status(line);
    }

    fn log(&self, level: Level, text: &str) {
        self.console.log(level, text);
    }

    fn build_started(&self) {
        if let Some(r) = self.recorder {
            r.build_started();
        }
    }

    fn tasks_ready(&self, ready: &TasksReady<'_>) {
        if let Some(r) = self.recorder {
            self.packaging.capture(ready.recipes);
            let hashes: Vec<String> = ready.plans.iter().map(|p| p.taskhash.clone()).collect();
            r.dep_tree(crate::record::dep_tree(
                ready.graph,
                ready.providers,
                &hashes,
                ready.recipes,
            ));
            r.sstate_names(crate::record::sstate_names(ready.graph, ready.recipes));
        }
    }
}

/// What the command line asks of a build. When recording is on (see
/// [`crate::record`]), the build is recorded from the moment the configuration is
/// parsed, errors that stop it included.
pub(crate) fn build(cli: &cli::Cli, session: &mut Session) -> anyhow::Result<ExitCode> {
    let topdir = session.topdir().to_string_lossy().into_owned();
    // The build is recorded from before the recipes are parsed, as Toaster creates it
    // at ParseStarted: the parse progress shows in the web interface.
    let recorder = match crate::record::database(session.config(), &topdir) {
        Some(db) => {
            // The configuration as BitBake's server holds it (keys not expanded:
            // `FILES:${PN}-dev` stays so), as Toaster reads it.
            let task = session.default_task(cli.cmd.as_deref());
            let start =
                crate::record::build_start(session.cooker(), session.config(), &cli.targets, &task);
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
    let parsed_ok = ui::parse_session_to(session, recorder.as_deref())?;
    let code = if parsed_ok {
        match run(cli, session, recorder.as_ref()) {
            Ok(code) => code,
            Err(e) => {
                crate::report_error(&e);
                ExitCode::FAILURE
            }
        }
    } else {
        ExitCode::FAILURE
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

/// The build once the recipes are parsed: the session builds, knotty draws the events.
fn run(
    cli: &cli::Cli,
    session: &mut Session,
    recorder: Option<&Arc<bb_toaster::Recorder>>,
) -> anyhow::Result<ExitCode> {
    let cancel = Arc::new(AtomicBool::new(false));
    bake::interrupt::take_over();
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&cancel));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&cancel));
    let req = BuildRequest {
        targets: cli.targets.clone(),
        cmd: cli.cmd.clone(),
        force: cli.force,
        clear_stamp: cli.clear_stamp.clone(),
        runall: cli.runall.clone(),
        runonly: cli.runonly.clone(),
        keep_going: cli.keep_going,
        dry_run: cli.dry_run,
        dump_signatures: cli.dump_signatures.is_some(),
        cancel,
        threads: None,
        setscene: if cli.setscene_only {
            bb_session::SetsceneMode::Only
        } else if cli.skip_setscene {
            bb_session::SetsceneMode::Skip
        } else if cli.no_setscene {
            bb_session::SetsceneMode::Off
        } else {
            bb_session::SetsceneMode::Normal
        },
        hashserve: None,
    };
    let config = session.expanded_config()?;
    let mut req = req;
    req.hashserve = auto_hashserve(&config)?;
    // Recipe targets as knotty names them (`PN-PV`), from the parsed recipes.
    let versions: HashMap<String, String> = session
        .recipes()?
        .iter()
        .map(|r| {
            let pe = if r.pe.is_empty() {
                String::new()
            } else {
                format!("{}:", r.pe)
            };
            (r.fn_name.clone(), format!("{}-{pe}{}-{}", r.pn, r.pv, r.pr))
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    // When recording, the events pass the packaging reader on their way to the console.
    let packaging = Arc::new(crate::record::Packaging::default());
    let (rx, tee) = match recorder {
        Some(r) => {
            let (to_printer, rx2) = std::sync::mpsc::channel();
            let t = Arc::clone(&packaging).tee(Arc::clone(r), rx, to_printer);
            (rx2, Some(t))
        }
        None => (rx, None),
    };
    let printer_recorder = recorder.cloned();
    let logs = ui::IncludeLogs::from(&config);
    let printer = std::thread::spawn(move || {
        ui::print_events(&rx, &versions, printer_recorder.as_deref(), &logs)
    });
    let watch = Watch {
        console: Console::new(),
        recorder: recorder.map(|r| &**r),
        packaging: &packaging,
    };
    let report = session.build(&req, &tx, &watch);
    drop(tx);
    if let Some(t) = tee {
        let _ = t.join();
    }
    let failed_tasks = printer.join().unwrap_or_default();
    let report = match report {
        Ok(r) => r,
        Err(bb_session::Error::Graph(e)) => {
            crate::report_graph_error(&e);
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(summary) = report.summary else {
        return Ok(ExitCode::SUCCESS);
    };
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
        bake::interrupt::note_interrupted();
        ui::report_ui(
            "ERROR",
            "Build interrupted: running tasks were waited for, no further task started.",
        );
    }
    ui::set_failed_tasks(failed_tasks);
    Ok(if summary.outcome == Outcome::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `BB_HASHSERVE = "auto"`: a local hash equivalence server for this build, as BitBake
/// starts one: on `${TOPDIR}/hashserve.sock` (a TCP port on 127.0.0.1 when that path
/// is too long for a socket), its database `${PERSISTENT_DIR}/hashserv.db` (else
/// `${TOPDIR}/cache/hashserv.db`). Serves in a thread until bake exits.
fn auto_hashserve(config: &bb_data::DataStore) -> anyhow::Result<Option<String>> {
    let var = |n: &str| config.get_var(n).ok().flatten().unwrap_or_default();
    if var("BB_HASHSERVE").trim() != "auto" {
        return Ok(None);
    }
    let topdir = std::path::PathBuf::from(var("TOPDIR"));
    let db_dir = match var("PERSISTENT_DIR") {
        d if d.is_empty() => topdir.join("cache"),
        d => std::path::PathBuf::from(d),
    };
    fs_err::create_dir_all(&db_dir)?;
    let sock = topdir.join("hashserve.sock");
    // sun_path holds 108 bytes with its terminating NUL.
    let addr = if sock.as_os_str().len() < 100 {
        format!("unix://{}", sock.display())
    } else {
        "127.0.0.1:0".to_owned()
    };
    let server = bake_hashserv::Server::bind(&addr, &db_dir.join("hashserv.db"), false, false)?;
    Ok(Some(server.spawn()))
}
