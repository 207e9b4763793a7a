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

    /// Recipes to act on.
    #[arg(value_name = "RECIPE")]
    pub(crate) targets: Vec<String>,
}
