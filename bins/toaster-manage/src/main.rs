//! `toaster-manage`: Toaster's management commands over the build database
//! (`toaster.sqlite` in TOASTER_DIR, by default the build directory; `--database`
//! overrides it). Wiring only: the logic is in `bb_toaster`.

mod cli;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use bb_events::{BuildEvent, Outcome, TaskRef, Usage};
use clap::Parser as _;

use crate::cli::{Cli, Cmd};

fn database(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.database {
        return p.clone();
    }
    let dir = std::env::var_os("TOASTER_DIR")
        .or_else(|| std::env::var_os("BUILDDIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    dir.join(bb_toaster::db::DB_FILE)
}

/// The fixtures directory: `--fixtures`, else $BAKE_FIXTURES_DIR, else the repository's
/// `fixtures/`.
fn fixtures_dir(given: Option<&PathBuf>) -> PathBuf {
    given
        .cloned()
        .or_else(|| std::env::var_os("BAKE_FIXTURES_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures")))
}

/// Writes a line to stdout; a closed pipe (EPIPE) is not an error.
fn out(line: &str) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{line}").and_then(|()| o.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("write to stdout"),
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    if matches!(cli.cmd, Cmd::Start | Cmd::Stop) {
        // `bake` records when the build directory holds a `.toaster` marker.
        let dir = std::env::var_os("TOASTER_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let marker = dir.join(".toaster");
        if matches!(cli.cmd, Cmd::Start) {
            fs_err::write(&marker, "bake records builds here (toaster-manage start)\n")
                .with_context(|| marker.display().to_string())?;
            return out(&format!("build recording on in {}", dir.display()));
        }
        match std::fs::remove_file(&marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| marker.display().to_string());
            }
            _ => {}
        }
        return out(&format!("build recording off in {}", dir.display()));
    }
    let path = database(cli);
    if let Cmd::Migrate = cli.cmd {
        let conn = bb_toaster::db::open_unmigrated(&path)?;
        let from = bb_toaster::db::version(&conn)?;
        let to = bb_toaster::db::migrate(&conn)?;
        return out(&format!(
            "{}: schema version {to}{}",
            path.display(),
            if from == to {
                " (up to date)".to_owned()
            } else {
                format!(" (from {from})")
            }
        ));
    }
    let mut conn = bb_toaster::db::open(&path)?;
    match &cli.cmd {
        Cmd::Migrate | Cmd::Start | Cmd::Stop => {}
        Cmd::Buildslist { json } => {
            let list = bb_toaster::manage::buildslist(&conn)?;
            if *json {
                out(&serde_json::to_string_pretty(&list)?)?;
            } else {
                for b in list {
                    out(&b.text())?;
                }
            }
        }
        Cmd::Builddelete { ids } => {
            bb_toaster::manage::builddelete(&mut conn, ids)?;
            for id in ids {
                out(&format!("build {id} deleted"))?;
            }
        }
        Cmd::Checksettings { fixtures } => {
            let dir = fixtures_dir(fixtures.as_ref());
            let custom_only = std::env::var_os("CUSTOM_XML_ONLY").is_some();
            let r = bb_toaster::manage::checksettings(&mut conn, &dir, custom_only)?;
            for f in r.loaded {
                out(&format!("loaded {f}"))?;
            }
            for f in r.skipped {
                out(&format!("skipped {f} (CUSTOM_XML_ONLY)"))?;
            }
            for id in r.failed_builds {
                out(&format!(
                    "build {id} was in progress with no recorder: marked failed"
                ))?;
            }
        }
        Cmd::Perf => {
            for p in bb_toaster::manage::perf(&conn)? {
                out(&format!("{:>9.3} ms {:>6} rows  {}", p.ms, p.rows, p.page))?;
            }
        }
        Cmd::Loaddata { files, fixtures } => {
            let dir = fixtures_dir(fixtures.as_ref());
            let mut n = 0;
            for f in files {
                // A bare name is a fixture of the fixtures directory, as in Django.
                let path = if !f.exists() && f.components().count() == 1 {
                    let mut p = dir.join(f);
                    if p.extension().is_none() {
                        p.set_extension("xml");
                    }
                    p
                } else {
                    f.clone()
                };
                n += bb_toaster::fixtures::loaddata(&mut conn, &path)?;
            }
            out(&format!(
                "Installed {n} object(s) from {} fixture(s)",
                files.len()
            ))?;
        }
        Cmd::RecordDemo { tasks, delay_ms } => record_demo(&path, *tasks, *delay_ms)?,
    }
    Ok(())
}

/// A synthetic build recorded slowly, so that a test can kill the process mid-way.
fn record_demo(path: &std::path::Path, tasks: usize, delay_ms: u64) -> anyhow::Result<()> {
    let rec = bb_toaster::Recorder::start(
        path,
        bb_toaster::BuildStart {
            machine: "demo".into(),
            distro: "bake".into(),
            targets: vec![("demo".into(), String::new())],
            ..bb_toaster::BuildStart::default()
        },
    )?;
    out(&format!("build {}", rec.build_id()))?;
    rec.event(&BuildEvent::BuildStarted {
        targets: vec!["demo".into()],
        total: tasks,
    });
    for i in 0..tasks {
        let task = TaskRef {
            index: i,
            pn: format!("r{i}"),
            fn_name: format!("/demo/r{i}.bb"),
            task: "do_compile".into(),
        };
        rec.event(&BuildEvent::TaskStarted {
            task: task.clone(),
            number: i + 1,
            total: tasks,
            log: format!("/demo/r{i}/temp/log.do_compile"),
            noexec: false,
        });
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        rec.event(&BuildEvent::TaskSucceeded {
            task,
            usage: Usage::default(),
        });
    }
    rec.event(&BuildEvent::BuildFinished {
        outcome: Outcome::Succeeded,
        ran: tasks,
        skipped: 0,
        failed: 0,
        not_run: 0,
    });
    rec.finish()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // bb_toaster's errors already say what SQLite said; the chain would repeat it.
            let msg = match e.downcast_ref::<bb_toaster::Error>() {
                Some(t) => t.to_string(),
                None => format!("{e:#}"),
            };
            let _ = writeln!(std::io::stderr(), "ERROR: {msg}");
            ExitCode::FAILURE
        }
    }
}
