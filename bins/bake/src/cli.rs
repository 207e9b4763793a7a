//! Command-line arguments of `bake`, spelled as BitBake users expect them.

use std::path::PathBuf;

/// `bake`: a fast re-implementation of BitBake.
#[derive(Debug, clap::Parser)]
#[command(
    name = "bake",
    version,
    about = "Runs BitBake metadata: parse, show and build recipes"
)]
pub(crate) struct Cli {
    /// Show the global or per-recipe environment, complete with information about
    /// where variables were set and changed (like `bitbake -e`).
    #[arg(short = 'e', long = "environment")]
    pub(crate) environment: bool,

    /// Parse all recipes and report (like `bitbake -p`).
    #[arg(short = 'p', long = "parse-only")]
    pub(crate) parse_only: bool,

    /// Execute tasks from a specific .bb recipe directly (its appends are applied;
    /// dependencies on other recipes are not handled).
    #[arg(short = 'b', long = "buildfile", value_name = "FILE")]
    pub(crate) buildfile: Option<PathBuf>,

    /// Save dependency tree information (`task-depends.dot`, `pn-buildlist`) in the
    /// current directory, like `bitbake -g`.
    #[arg(short = 'g', long = "graphviz")]
    pub(crate) graphviz: bool,

    /// Specify the task to execute (`-c compile`); the default is BB_DEFAULT_TASK.
    #[arg(short = 'c', long = "cmd", value_name = "TASK")]
    pub(crate) cmd: Option<String>,

    /// Run the specified task for every recipe in the targets' task graph.
    #[arg(long = "runall", value_name = "TASK")]
    pub(crate) runall: Vec<String>,

    /// Run only the specified task within the targets' task graph.
    #[arg(long = "runonly", value_name = "TASK")]
    pub(crate) runonly: Vec<String>,

    /// Force the specified targets/task to run (invalidating any existing stamp).
    #[arg(short = 'f', long = "force")]
    pub(crate) force: bool,

    /// Invalidate the stamp for the specified task (such as `compile`) and then run
    /// the default task for the specified targets.
    #[arg(short = 'C', long = "clear-stamp", value_name = "TASK")]
    pub(crate) clear_stamp: Option<String>,

    /// Don't execute, just go through the motions.
    #[arg(short = 'n', long = "dry-run")]
    pub(crate) dry_run: bool,

    /// Dump out the signature construction information, with no task execution
    /// (`-S none`); sig data files go next to the stamps.
    #[arg(
        short = 'S',
        long = "dump-signatures",
        value_name = "SIGNATURE_HANDLER"
    )]
    pub(crate) dump_signatures: Option<String>,

    /// Continue as much as possible after an error.
    #[arg(short = 'k', long = "continue")]
    pub(crate) keep_going: bool,

    /// Only run setscene tasks, don't run any real tasks.
    #[arg(long = "setscene-only", conflicts_with_all = ["skip_setscene", "no_setscene"])]
    pub(crate) setscene_only: bool,

    /// Skip setscene tasks if they would be executed. Tasks previously restored from
    /// sstate will be kept, unlike --no-setscene.
    #[arg(long = "skip-setscene", conflicts_with = "no_setscene")]
    pub(crate) skip_setscene: bool,

    /// Do not run any setscene tasks. sstate will be ignored and everything needed,
    /// built.
    #[arg(long = "no-setscene")]
    pub(crate) no_setscene: bool,

    /// Recipes to act on.
    #[arg(value_name = "RECIPE")]
    pub(crate) targets: Vec<String>,
}
