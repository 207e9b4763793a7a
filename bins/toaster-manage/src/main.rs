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
    /// First-run setup and crash recovery (builds left in progress are marked failed).
    Checksettings,
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
        Cmd::Checksettings => {
            for id in bb_toaster::manage::fail_stale_builds(&conn)? {
                let _ = writeln!(
                    out,
                    "build {id} was in progress with no recorder: marked failed"
                );
            }
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
