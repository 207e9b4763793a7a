//! `toaster-manage`: Toaster's management commands over the build database
//! (`toaster.sqlite` in TOASTER_DIR, by default the current build directory; `--database`
//! overrides it). Wiring only: the logic is in `bb_toaster`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Toaster's management commands.
#[derive(Debug, Parser)]
#[command(
    name = "toaster-manage",
    version,
    about = "Toaster's management commands"
)]
struct Cli {
    /// The database (default: $TOASTER_DIR/toaster.sqlite, else ./toaster.sqlite).
    #[arg(long, global = true, value_name = "PATH")]
    database: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create or upgrade the schema.
    Migrate,
    /// One line per recorded build: `ID: MACHINE DISTRO TARGET,...`.
    Buildslist {
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Delete builds and everything that belongs only to them.
    Builddelete {
        /// Build ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// First-run setup (fixtures/settings.xml, then custom.xml) and crash recovery
    /// (builds left in progress are marked failed).
    Checksettings {
        /// Where settings.xml and custom.xml are (default: the repository's fixtures/).
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
    },
    /// Time the queries of Toaster's pages on this database.
    Perf,
    /// Turn recording on for the build directory (the current directory, or
    /// TOASTER_DIR): every `bake` build there is recorded.
    Start,
    /// Turn recording off again (a configuration that inherits `toaster` still records).
    Stop,
    /// Load a Django-style XML fixture (objects overwrite rows with the same pk).
    Loaddata {
        /// The fixture file.
        file: PathBuf,
    },
}

fn database(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.database {
        return p.clone();
    }
    let dir = std::env::var_os("TOASTER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    dir.join("toaster.sqlite")
}

fn run(cli: &Cli) -> bb_toaster::Result<()> {
    let path = database(cli);
    let mut conn = bb_toaster::db::open(&path)?;
    let mut out = std::io::stdout().lock();
    match &cli.cmd {
        Cmd::Migrate => {
            let v = bb_toaster::db::migrate(&conn)?;
            let _ = writeln!(out, "{}: schema version {v}", path.display());
        }
        Cmd::Buildslist { json } => {
            let list = bb_toaster::manage::buildslist(&conn)?;
            if *json {
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                for b in list {
                    let _ = writeln!(out, "{}", b.text());
                }
            }
        }
        Cmd::Builddelete { ids } => {
            bb_toaster::manage::builddelete(&mut conn, ids)?;
            for id in ids {
                let _ = writeln!(out, "build {id} deleted");
            }
        }
        Cmd::Checksettings { fixtures } => {
            let dir = fixtures
                .clone()
                .or_else(|| std::env::var_os("BAKE_FIXTURES_DIR").map(PathBuf::from))
                .unwrap_or_else(|| {
                    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
                });
            let custom_only = std::env::var_os("CUSTOM_XML_ONLY").is_some();
            let r = bb_toaster::manage::checksettings(&mut conn, &dir, custom_only)?;
            for f in r.loaded {
                let _ = writeln!(out, "loaded {f}");
            }
            for id in r.failed_builds {
                let _ = writeln!(
                    out,
                    "build {id} was in progress with no recorder: marked failed"
                );
            }
        }
        Cmd::Start | Cmd::Stop => {
            let dir = std::env::var_os("TOASTER_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            let marker = dir.join(".toaster");
            let r = if matches!(cli.cmd, Cmd::Start) {
                std::fs::write(&marker, "bake records builds here (toaster-manage start)\n")
            } else {
                match std::fs::remove_file(&marker) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other,
                }
            };
            match r {
                Ok(()) => {
                    let state = if matches!(cli.cmd, Cmd::Start) {
                        "on"
                    } else {
                        "off"
                    };
                    let _ = writeln!(out, "build recording {state} in {}", dir.display());
                }
                Err(e) => {
                    return Err(bb_toaster::Error::Invalid(format!(
                        "{}: {e}",
                        marker.display()
                    )));
                }
            }
        }
        Cmd::Perf => {
            for p in bb_toaster::manage::perf(&conn)? {
                let _ = writeln!(out, "{:>9.3} ms {:>6} rows  {}", p.ms, p.rows, p.page);
            }
        }
        Cmd::Loaddata { file } => {
            let n = bb_toaster::fixtures::loaddata(&mut conn, file)?;
            let _ = writeln!(out, "Installed {n} object(s) from 1 fixture(s)");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {e}");
            ExitCode::FAILURE
        }
    }
}
