//! `bake-getvar`: `bitbake-getvar`, the value of one variable in the finalized base
//! configuration or in a recipe (`-r`), printed with its history as `bitbake -e` prints it,
//! or bare with `--value`. It wires arguments to the cooker, the providers and
//! `bb_data::dump`; no metadata logic lives here.

use bake::ui;

/// The same allocator as `bake`: these tools parse every recipe too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use anyhow::Context;
use bb_cooker::providers::Providers;
use bb_cooker::{Cooker, CookerOptions, RecipeInfo};
use bb_data::DataStore;
use clap::Parser;

/// `bake-getvar`: query a variable.
#[derive(Debug, Parser)]
#[command(name = "bake-getvar", version, about = "Bitbake Query Variable")]
struct Cli {
    /// Variable name to query.
    variable: String,
    /// Recipe name to query.
    #[arg(short = 'r', long = "recipe")]
    recipe: Option<String>,
    /// Do not expand the value (with --value).
    #[arg(short = 'u', long = "unexpand")]
    unexpand: bool,
    /// Specify a variable flag to query (with --value).
    #[arg(short = 'f', long = "flag")]
    flag: Option<String>,
    /// Only report the value, no history and no variable name.
    #[arg(long = "value")]
    value: bool,
    /// Silence bitbake server logging.
    #[arg(short = 'q', long = "quiet")]
    quiet: bool,
    /// Suppress any errors related to undefined variables.
    #[arg(long = "ignore-undefined")]
    ignore_undefined: bool,
}

/// How the command ends when it does not print a value.
enum Failure {
    /// A message on stderr as it is, exit status 1 (Python's `sys.exit(message)`).
    Plain(String),
    /// An error record (or several).
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Error(e)
    }
}

impl From<bb_cooker::Error> for Failure {
    fn from(e: bb_cooker::Error) -> Failure {
        Failure::Error(e.into())
    }
}

impl From<bb_data::Error> for Failure {
    fn from(e: bb_data::Error) -> Failure {
        Failure::Error(anyhow::anyhow!("{e}"))
    }
}

fn cooker(quiet: bool) -> anyhow::Result<Cooker> {
    let opts = CookerOptions::from_process()?;
    let cooker = Cooker::new(&opts)?;
    if !quiet {
        for w in &cooker.warnings {
            ui::report_level("WARNING", w);
        }
    }
    Ok(cooker)
}

/// `TaskData.get_reasons`: why each skipped target that has or provides `name` was skipped.
fn skip_reasons(recipes: &[RecipeInfo], name: &str) -> Vec<String> {
    recipes
        .iter()
        .filter_map(|r| {
            let reason = r.skipped.as_ref()?;
            (r.pn == name || r.provides.iter().any(|p| p == name))
                .then(|| format!("{} was skipped: {reason}", r.pn))
        })
        .collect()
}

/// `tinfoil.parse_recipe(name)`: parses every recipe quietly, picks the target for
/// `name` as `findBestProvider` does and returns its datastore.
fn recipe_data(cooker: &Cooker, name: &str) -> Result<DataStore, Failure> {
    let cache = cooker.cache_file();
    let res = cooker.parse_all(cache.as_deref(), &|_, _| {});
    if !res.failures.is_empty() {
        for f in &res.failures {
            ui::report_failure(f);
        }
        return Err(
            anyhow::anyhow!("Parsing halted due to errors, see error messages above").into(),
        );
    }
    let dangling = cooker.dangling_appends();
    if !dangling.is_empty() {
        return Err(anyhow::anyhow!(
            "No recipes in default available for:\n  {}",
            dangling.join("\n  ")
        )
        .into());
    }
    let mut keyed = cooker.config.clone();
    bb_data::expand_keys(&mut keyed)?;
    let providers = Providers::new(&res.recipes);
    let mut log = Vec::new();
    let best = providers.find_best_provider(name, &keyed, &mut log)?;
    let Some(fn_name) = best else {
        let reasons = skip_reasons(&res.recipes, name);
        if reasons.is_empty() {
            // BitBake adds close matches from difflib here (not available yet).
            return Err(Failure::Plain(format!(
                "Unable to find any recipe file matching \"{name}\""
            )));
        }
        return Err(Failure::Plain(format!(
            "{name} is unavailable:\n  {}",
            reasons.join("  \n")
        )));
    };
    let (variant, file) = bb_util::split_virtual(&fn_name);
    let mut list = cooker.parse_file(file, Some(variant))?;
    let (_, d) = list
        .pop()
        .with_context(|| format!("no variant `{variant}` of {file}"))?;
    Ok(d)
}

fn run(cli: &Cli) -> Result<(), Failure> {
    if !cli.value {
        if cli.unexpand {
            return Err(Failure::Plain(
                "--unexpand only makes sense with --value".to_owned(),
            ));
        }
        if cli.flag.is_some() {
            return Err(Failure::Plain(
                "--flag only makes sense with --value".to_owned(),
            ));
        }
    }
    let quiet = cli.quiet || cli.value;
    let cooker = cooker(quiet)?;
    let d = match &cli.recipe {
        Some(name) => recipe_data(&cooker, name)?,
        None => {
            let mut d = cooker.config.clone();
            cooker.evaluator().finalize_config(&mut d)?;
            d
        }
    };
    if !quiet {
        for w in cooker.evaluator().take_warnings() {
            ui::report_level("WARNING", &w);
        }
    }
    let var = cli.variable.as_str();
    let value = match &cli.flag {
        Some(flag) => {
            let v = d.get_var_flag(var, flag, !cli.unexpand)?;
            if v.is_none() && !cli.ignore_undefined {
                return Err(Failure::Plain(format!(
                    "The flag '{flag}' is not defined for variable '{var}'"
                )));
            }
            v
        }
        None => {
            let v = d.get_var_opts(var, !cli.unexpand, false)?;
            if v.is_none() && !cli.ignore_undefined {
                return Err(Failure::Plain(format!(
                    "The variable '{var}' is not defined"
                )));
            }
            v
        }
    };
    if cli.value {
        print_raw(&format!("{}\n", value.unwrap_or_default()));
    } else {
        let mut out = String::new();
        bb_data::dump::emit_one_var(&d, var, &mut out)?;
        print_raw(&out);
    }
    Ok(())
}

/// Writes text to stdout as it is; a closed pipe is not an error.
fn print_raw(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    bb_pyexpr::set_host(std::sync::Arc::new(bb_pyexpr::SystemHost));
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Plain(msg)) => {
            ui::report(&msg);
            ExitCode::FAILURE
        }
        Err(Failure::Error(e)) => {
            match e.downcast_ref::<bb_cooker::Error>() {
                Some(bb_cooker::Error::Multi(list)) => {
                    for m in list {
                        ui::report_level("ERROR", m);
                    }
                }
                _ => ui::report_level("ERROR", &format!("{e:#}")),
            }
            ExitCode::FAILURE
        }
    }
}
