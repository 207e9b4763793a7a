//! `bake-layers`: the `bitbake-layers` commands bake has (`show-layers`, `show-recipes`,
//! `show-appends`, `show-overlayed`, `add-layer`, `remove-layer`). It parses the
//! arguments, starts the cooker, prints the reports of `bb_cooker::query` and writes the
//! edits of `bb_cooker::bblayers_edit` (atomically: temporary file, then rename). No
//! metadata logic lives here.

use bake::ui;

/// The same allocator as `bake`: these tools parse every recipe too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bb_cooker::bblayers_edit::{self, abspath};
use bb_cooker::providers::Level;
use bb_cooker::query::{self, RecipeQuery, Report};
use bb_cooker::{Cooker, CookerOptions, ParseResult};
use clap::{Parser, Subcommand};

/// `bake-layers`: the BitBake layers utility.
#[derive(Debug, Parser)]
#[command(
    name = "bake-layers",
    version,
    about = "BitBake layers utility",
    after_help = "Use bake-layers <subcommand> --help to get help on a specific command"
)]
struct Cli {
    /// Enable debug output.
    #[arg(short = 'd', long = "debug", global = true)]
    debug: bool,
    /// Print only errors.
    #[arg(short = 'q', long = "quiet", global = true)]
    quiet: bool,
    /// Forced execution: -F adds layers without checking that the configuration still
    /// parses, -FF also runs without reading the layer configuration.
    #[arg(short = 'F', long = "force", action = clap::ArgAction::Count, global = true)]
    force: u8,
    /// Colorize output (accepted for compatibility; bake-layers prints no colors).
    #[arg(long = "color", value_name = "COLOR", value_parser = ["auto", "always", "never"], default_value = "auto")]
    color: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show current configured layers.
    ShowLayers,
    /// List available recipes, showing the layer they are provided by.
    ShowRecipes {
        /// List file names instead of layers and versions, the preferred one first.
        #[arg(short = 'f', long = "filenames")]
        filenames: bool,
        /// List recipe names only.
        #[arg(short = 'r', long = "recipes-only")]
        recipes_only: bool,
        /// Only list names with more than one recipe (in the same or different layers).
        #[arg(short = 'm', long = "multiple")]
        multiple: bool,
        /// Only list recipes that inherit the named class(es), separated by `,`.
        #[arg(
            short = 'i',
            long = "inherits",
            value_name = "CLASS",
            default_value = ""
        )]
        inherits: String,
        /// Only list recipes from the selected layer.
        #[arg(short = 'l', long = "layer", default_value = "")]
        layer: String,
        /// Output just names, without the "(skipped)" marker.
        #[arg(short = 'b', long = "bare")]
        bare: bool,
        /// Show all BBCLASSEXTEND recipe variants.
        #[arg(long = "show-variants")]
        show_variants: bool,
        /// Use the specified multiconfig (only the default one is supported).
        #[arg(long = "mc", default_value = "")]
        mc: String,
        /// Optional recipe name patterns (wildcards allowed).
        pnspec: Vec<String>,
    },
    /// List bbappend files and the recipe files they apply to.
    ShowAppends {
        /// Use the specified multiconfig (only the default one is supported).
        #[arg(long = "mc", default_value = "")]
        mc: String,
        /// Optional recipe name patterns (wildcards allowed).
        pnspec: Vec<String>,
    },
    /// List overlayed recipes (where the same recipe exists in another layer).
    ShowOverlayed {
        /// List file names of the preferred recipes with the ones they overlay indented
        /// underneath.
        #[arg(short = 'f', long = "filenames")]
        filenames: bool,
        /// Only list overlayed recipes where the version is the same.
        #[arg(short = 's', long = "same-version")]
        same_version: bool,
        /// Use the specified multiconfig (only the default one is supported).
        #[arg(long = "mc", default_value = "")]
        mc: String,
    },
    /// Add one or more layers to bblayers.conf.
    AddLayer {
        /// Layer directories to add.
        #[arg(required = true)]
        layerdir: Vec<String>,
    },
    /// Remove one or more layers from bblayers.conf.
    RemoveLayer {
        /// Layer directories, names or wildcard patterns to remove.
        #[arg(required = true)]
        layerdir: Vec<String>,
    },
}

/// A failure whose messages are already printed: exit status 1, nothing more to say.
#[derive(Debug)]
struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors were reported above")
    }
}

impl std::error::Error for Reported {}

fn options() -> anyhow::Result<CookerOptions> {
    Ok(CookerOptions::from_process()?)
}

/// Starts the cooker (the configuration part of `tinfoil.prepare`), printing its warnings
/// unless `quiet`.
fn cooker(quiet: bool) -> anyhow::Result<Cooker> {
    let cooker = Cooker::new(&options()?)?;
    if !quiet {
        for w in &cooker.warnings {
            ui::report_level("WARNING", w);
        }
    }
    Ok(cooker)
}

/// Parses every recipe as `tinfoil.parse_recipes` does, with BitBake's status lines; parse
/// errors and dangling appends are fatal.
fn parse_recipes(cooker: &Cooker) -> anyhow::Result<ParseResult> {
    let res = ui::parse_with_status(cooker);
    if !res.failures.is_empty() {
        bail!("Parsing halted due to errors, see error messages above");
    }
    let dangling = cooker.dangling_appends();
    if !dangling.is_empty() {
        // BitBake logs this error before its summary line, then fails.
        ui::report_level(
            "ERROR",
            &format!(
                "No recipes in default available for:\n  {}",
                dangling.join("\n  ")
            ),
        );
        ui::out(&res.summary_line());
        return Err(Reported.into());
    }
    ui::out(&res.summary_line());
    Ok(res)
}

/// Prints a report: its messages (on stderr, with their level), then its text.
fn print_report(report: &Report) {
    for m in &report.messages {
        match m.level {
            Level::Warning => ui::report_level("WARNING", &m.text),
            Level::Error => ui::report_level("ERROR", &m.text),
            Level::Note => ui::report_level("NOTE", &m.text),
            Level::Debug | Level::Verbose => {}
        }
    }
    print_text(&report.text);
}

/// Writes report text to stdout; a closed pipe (`| head`) is not an error.
fn print_text(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn check_mc(mc: &str) -> anyhow::Result<()> {
    if !mc.is_empty() {
        bail!("multiconfig `{mc}` is not supported by bake-layers yet");
    }
    Ok(())
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename,
/// keeping the original file's permissions.
fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    bb_util::fs::atomic_write(path, text.as_bytes())?;
    Ok(())
}

/// `findTopdir()`'s `conf/bblayers.conf`: the cooker's when it started, else searched for.
fn bblayers_conf(cooker: Option<&Cooker>, opts: &CookerOptions) -> anyhow::Result<PathBuf> {
    if let Some(p) = cooker.and_then(|c| c.layers.bblayers_conf.clone()) {
        return Ok(p);
    }
    let env_bbpath = opts
        .env
        .iter()
        .find(|(k, _)| k == "BBPATH")
        .map(|(_, v)| v.as_str());
    bb_cooker::layers::find_bblayers(env_bbpath, &opts.cwd).context("Unable to find bblayers.conf")
}

fn home(opts: &CookerOptions) -> Option<String> {
    opts.env
        .iter()
        .find(|(k, _)| k == "HOME")
        .map(|(_, v)| v.clone())
}

/// A failure reported on stderr without an `ERROR:` prefix (as bitbake-layers writes
/// these with `sys.stderr.write`), exit status 1.
fn plain_failure(msg: &str) -> ExitCode {
    ui::report(msg);
    ExitCode::FAILURE
}

fn add_layer(cli: &Cli, dirs: &[String]) -> anyhow::Result<ExitCode> {
    let opts = options()?;
    let cooker = if cli.force > 1 {
        None
    } else {
        Some(cooker(cli.quiet)?)
    };
    let layers: Vec<String> = dirs.iter().map(|d| abspath(d, &opts.cwd)).collect();
    for l in &layers {
        if !Path::new(l).exists() {
            return Ok(plain_failure(&format!(
                "Specified layer directory {l} doesn't exist"
            )));
        }
        if !Path::new(l).join("conf/layer.conf").exists() {
            return Ok(plain_failure(&format!(
                "Specified layer directory {l} doesn't contain a conf/layer.conf file"
            )));
        }
    }
    let conf = bblayers_conf(cooker.as_ref(), &opts)?;
    let original = fs_err::read_to_string(&conf)?;
    let edit = bblayers_edit::add_layers(&original, &layers, home(&opts).as_deref())
        .map_err(|e| anyhow::anyhow!("{e} in {}", conf.display()))?;
    if edit.updated {
        write_atomic(&conf, &edit.text)?;
    }
    if !edit.not_added.is_empty() {
        // BitBake skips the parse check here and prints nothing (its "already in
        // BBLAYERS" message is unreachable); bake says it with --debug only.
        if cli.debug {
            for l in &edit.not_added {
                ui::report(&format!("Specified layer {l} is already in BBLAYERS"));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if cli.force > 0 {
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = Cooker::new(&opts) {
        if edit.updated {
            write_atomic(&conf, &original)?;
        }
        report_error(&anyhow::Error::new(e));
        bail!("Parse failure with the specified layer added, exiting.");
    }
    Ok(ExitCode::SUCCESS)
}

fn remove_layer(cli: &Cli, dirs: &[String]) -> anyhow::Result<ExitCode> {
    let opts = options()?;
    let cooker = if cli.force > 1 {
        None
    } else {
        Some(cooker(cli.quiet)?)
    };
    let conf = bblayers_conf(cooker.as_ref(), &opts)?;
    let patterns: Vec<String> = dirs
        .iter()
        .map(|d| bblayers_edit::remove_pattern(d, &opts.cwd))
        .collect();
    let original = fs_err::read_to_string(&conf)?;
    let edit = bblayers_edit::remove_layers(&original, &patterns, home(&opts).as_deref())
        .map_err(|e| anyhow::anyhow!("{e} in {}", conf.display()))?;
    if edit.updated {
        write_atomic(&conf, &edit.text)?;
    }
    if cli.force > 1 || edit.not_removed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for p in &edit.not_removed {
        ui::report(&format!("No layers matching {p} found in BBLAYERS"));
    }
    Ok(ExitCode::FAILURE)
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::ShowLayers => {
            let c = cooker(cli.quiet)?;
            print_text(&query::show_layers(&c)?);
        }
        Command::ShowRecipes {
            filenames,
            recipes_only,
            multiple,
            inherits,
            layer,
            bare,
            show_variants,
            mc,
            pnspec,
        } => {
            check_mc(mc)?;
            let c = cooker(cli.quiet)?;
            let res = parse_recipes(&c)?;
            let q = RecipeQuery {
                pnspec: pnspec.clone(),
                filenames: *filenames,
                recipes_only: *recipes_only,
                multiple: *multiple,
                inherits: inherits
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                layer: Some(layer.clone()).filter(|l| !l.is_empty()),
                bare: *bare,
                show_variants: *show_variants,
            };
            print_report(&query::show_recipes(&c, &res.recipes, &q)?);
        }
        Command::ShowAppends { mc, pnspec } => {
            check_mc(mc)?;
            let c = cooker(cli.quiet)?;
            let res = parse_recipes(&c)?;
            print_report(&query::show_appends(&c, &res.recipes, pnspec)?);
        }
        Command::ShowOverlayed {
            filenames,
            same_version,
            mc,
        } => {
            check_mc(mc)?;
            let c = cooker(cli.quiet)?;
            let res = parse_recipes(&c)?;
            print_report(&query::show_overlayed(
                &c,
                &res.recipes,
                *filenames,
                *same_version,
            )?);
        }
        Command::AddLayer { layerdir } => return add_layer(cli, layerdir),
        Command::RemoveLayer { layerdir } => return remove_layer(cli, layerdir),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints an error chain as BitBake logs it: one `ERROR:` record per cooker message.
fn report_error(e: &anyhow::Error) {
    if e.downcast_ref::<Reported>().is_some() {
        return;
    }
    match e.downcast_ref::<bb_cooker::Error>() {
        Some(bb_cooker::Error::Multi(list)) => {
            for m in list {
                ui::report_level("ERROR", m);
            }
        }
        _ => ui::report_level("ERROR", &format!("{e:#}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}
