//! The command line of `toaster-manage` (clap): one subcommand per Toaster management
//! command, plus a hidden one used by the crash-recovery tests.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Toaster's management commands.
#[derive(Debug, Parser)]
#[command(
    name = "toaster-manage",
    version,
    about = "Toaster's management commands over the build database"
)]
pub(crate) struct Cli {
    /// The database (default: $TOASTER_DIR/toaster.sqlite, else $BUILDDIR/toaster.sqlite,
    /// else ./toaster.sqlite).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) database: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Cmd {
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
    /// First-run setup (fixtures settings.xml, bake.xml unless CUSTOM_XML_ONLY,
    /// custom.xml) and crash recovery (builds left in progress are marked failed).
    Checksettings {
        /// Where the fixtures are (default: $BAKE_FIXTURES_DIR, else the repository's
        /// fixtures/).
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
        /// The openembedded-core checkout the "local" release builds with (default:
        /// $OE_CORE_DIR).
        #[arg(long, value_name = "DIR")]
        oe_core: Option<PathBuf>,
    },
    /// Run the builds queued from the web interface, one at a time per build
    /// environment (several runbuilds processes may share a database), until Ctrl-C.
    Runbuilds {
        /// Stop once nothing is queued.
        #[arg(long)]
        once: bool,
        /// The bake to run (default: the one beside toaster-manage, else on PATH).
        #[arg(long, value_name = "PATH")]
        bake: Option<PathBuf>,
        /// Milliseconds between two looks at the queue.
        #[arg(long, default_value_t = 1000)]
        poll_ms: u64,
    },
    /// Time the queries of Toaster's pages on this database, then request every route
    /// of the web interface over HTTP with real ids (latency percentiles, SQL statements).
    Perf {
        /// Requests per route.
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Turn recording on for the build directory (the current directory, or
    /// TOASTER_DIR): every `bake` build there is recorded; then start the web interface
    /// in the background (`webport=ADDR:PORT`, default localhost:8000; `noweb`: none),
    /// its log in `toaster_logs/web.log`.
    Start {
        /// `webport=[ADDR:]PORT`, `noweb`.
        #[arg(value_name = "OPTION")]
        options: Vec<String>,
    },
    /// Turn recording off again (a configuration that inherits `toaster` still records)
    /// and stop the web interface `start` started.
    Stop,
    /// Serve the web interface in the foreground on PORT or ADDR:PORT (default
    /// 127.0.0.1:8000) until Ctrl-C.
    Runserver {
        /// `[ADDR:]PORT`.
        #[arg(value_name = "[ADDR:]PORT")]
        addr: Option<String>,
    },
    /// Load Django-style XML fixtures (objects overwrite rows with the same pk), in
    /// order, all in one transaction each.
    Loaddata {
        /// Fixture files, or fixture names (`settings` is `settings.xml` in the fixtures
        /// directory, as Django finds fixtures by name).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where named fixtures are (default: $BAKE_FIXTURES_DIR, else the repository's
        /// fixtures/).
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
    },
    /// Record a synthetic build slowly (for crash-recovery tests): prints the build id,
    /// then records TASKS tasks, DELAY_MS apart.
    #[command(hide = true)]
    RecordDemo {
        /// How many tasks.
        #[arg(long, default_value_t = 100)]
        tasks: usize,
        /// Milliseconds between two tasks.
        #[arg(long, default_value_t = 10)]
        delay_ms: u64,
    },
}
