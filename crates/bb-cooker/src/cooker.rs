//! The cooker proper: reads the base configuration of a build directory (layers,
//! `bitbake.conf`, `base.bbclass`, INHERIT), collects the recipe files, and parses
//! them all in parallel into [`RecipeInfo`] summaries, using the parse cache when it
//! can. Printing is the caller's job: progress comes out through a callback.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bb_data::{DataStore, Evaluator, FileSource, Origin, SetOpts};
use bb_util::split_virtual;
use rayon::prelude::*;

use crate::cache::{CacheEntry, FileHasher, ParseCache};
use crate::collect::{Collected, collect_bbfiles};
use crate::error::{Error, Result};
use crate::layers::{Collections, LayerSetup, find_bblayers, read_layers};
use crate::recipe::{BuildInfo, RecipeInfo};

/// Reads metadata from the real file system.
#[derive(Debug, Default)]
pub struct FsSource;

impl FileSource for FsSource {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        fs_err::read_to_string(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

static FS: FsSource = FsSource;

/// How the cooker is started.
#[derive(Debug, Clone, Default)]
pub struct CookerOptions {
    /// The directory `bake` runs in.
    pub cwd: PathBuf,
    /// The calling environment (filtered as BitBake filters it).
    pub env: Vec<(String, String)>,
    /// The command line, for BB_CMDLINE.
    pub cmdline: Vec<String>,
    /// `os.uname()` of the host, when known.
    pub host_uname: Option<[String; 5]>,
}

impl CookerOptions {
    /// The options of the running process: its working directory, environment and
    /// command line, and `os.uname()` read from `/proc/sys/kernel`.
    pub fn from_process() -> Result<CookerOptions> {
        let cwd = std::env::current_dir().map_err(Error::CurrentDir)?;
        let read = |f: &str| {
            fs_err::read_to_string(format!("/proc/sys/kernel/{f}"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        Ok(CookerOptions {
            cwd,
            env: std::env::vars().collect(),
            cmdline: std::env::args().collect(),
            host_uname: Some([
                read("ostype"),
                read("hostname"),
                read("osrelease"),
                read("version"),
                std::env::consts::ARCH.to_owned(),
            ]),
        })
    }
}

/// A build directory read and ready to parse recipes.
pub struct Cooker {
    ev: Evaluator<'static>,
    /// The base configuration (after `base.bbclass` and INHERIT), not finalized.
    pub config: DataStore,
    /// The layers read from `conf/bblayers.conf`.
    pub layers: LayerSetup,
    /// Collections with their patterns and priorities.
    pub collections: Collections,
    /// The recipe and append files found.
    pub collected: Collected,
    /// Warnings from reading the configuration and collecting files.
    pub warnings: Vec<String>,
    env: Vec<(String, String)>,
    /// Set (from a signal handler, say) to stop a parse: see [`Cooker::interrupt_flag`].
    interrupt: Arc<AtomicBool>,
}

/// One recipe file that failed to parse, with its message (file:line first when
/// known).
#[derive(Debug, Clone)]
pub struct ParseFailure {
    /// The recipe file.
    pub file: String,
    /// What went wrong, in BitBake's words (`ParseError at FILE:LINE: ...`, or
    /// `Unable to parse FILE`).
    pub message: String,
    /// bake's own explanation when BitBake's words don't carry it.
    pub detail: Option<String>,
}

impl ParseFailure {
    /// The failure of `file` with error `e`, worded as BitBake words it.
    pub fn new(file: &str, e: &bb_data::Error) -> ParseFailure {
        let (message, detail) = match e {
            bb_data::Error::Parse(diag) => {
                let text = diag.line_text.replace("\\\n", "");
                let msg = if diag.message.starts_with("unparsed line") {
                    format!("unparsed line: '{}'", text.trim_end())
                } else {
                    diag.message.clone()
                };
                (
                    format!("ParseError at {}:{}: {msg}", diag.span.file, diag.span.line),
                    None,
                )
            }
            bb_data::Error::Eval {
                file: f,
                line,
                message,
            } if !f.is_empty() && !message.starts_with("cyclic inclusion") => {
                (format!("ParseError at {f}:{line}: {message}"), None)
            }
            bb_data::Error::At {
                file: f,
                line,
                inner,
                ..
            } => (format!("ParseError at {f}:{line}: {inner}"), None),
            other => (format!("Unable to parse {file}"), Some(other.to_string())),
        };
        ParseFailure {
            file: file.to_owned(),
            message,
            detail,
        }
    }
}

/// A parse cache read from disk and checked against the configuration, ready for
/// [`Cooker::parse_all_from`].
#[derive(Debug)]
pub struct LoadedCache {
    path: Option<PathBuf>,
    cache: ParseCache,
    config_hash: String,
    /// Content hashes, shared by the configuration check and every recipe's lookup.
    hasher: FileHasher,
    /// Set when the cache file was damaged (and is being rebuilt).
    pub warning: Option<String>,
}

impl LoadedCache {
    /// How many targets the cache holds (BitBake's "Loaded N entries").
    pub fn targets(&self) -> usize {
        self.cache.targets()
    }
}

/// One recipe file's targets in a parse: from the cache, or parsed now.
enum Parsed {
    Cached(Vec<RecipeInfo>),
    /// Parsed now, its entry to be added to the new cache.
    Now(CacheEntry),
    /// Parsed now, its entry already sent to the new cache.
    Stored(Vec<RecipeInfo>),
}

/// The outcome of parsing every recipe.
#[derive(Debug, Default)]
pub struct ParseResult {
    /// Every target (base recipes and variants), skipped ones included, in file order.
    pub recipes: Vec<RecipeInfo>,
    /// Recipes that failed to parse.
    pub failures: Vec<ParseFailure>,
    /// `.bb` files considered.
    pub total: usize,
    /// Files taken from the parse cache.
    pub cached: usize,
    /// Files parsed now.
    pub parsed: usize,
    /// Files excluded by BBMASK.
    pub masked: usize,
    /// Warnings produced while parsing, each once.
    pub warnings: Vec<String>,
    /// Python code that was not run because no interpreter could run it (see
    /// [`bb_data::DataStore::needs_python`]): the configuration's entries once, then each
    /// target's own, as `WHERE: needs Python: ENTRY`. Each counts as an error.
    pub dropped_python: Vec<String>,
    /// The parse was stopped ([`Cooker::interrupt_flag`]) before every file was parsed:
    /// the targets are incomplete and the parse cache was not written.
    pub interrupted: bool,
    /// The refreshed parse cache and where it is saved, for [`Cooker::build_infos`].
    /// Behind a lock so that builds can read the targets (as [`Providers`] borrows
    /// them) while build information is added.
    ///
    /// [`Providers`]: crate::providers::Providers
    store: Mutex<Option<(PathBuf, String, ParseCache)>>,
}

impl ParseResult {
    /// Targets (recipes and variants).
    pub fn targets(&self) -> usize {
        self.recipes.len()
    }

    /// Targets that skipped themselves.
    pub fn skipped(&self) -> usize {
        self.recipes.iter().filter(|r| r.skipped.is_some()).count()
    }

    /// BitBake's summary line of `bitbake -p`.
    pub fn summary_line(&self) -> String {
        format!(
            "Parsing of {} .bb files complete ({} cached, {} parsed). {} targets, {} skipped, {} masked, {} errors.",
            self.total,
            self.cached,
            self.parsed,
            self.targets(),
            self.skipped(),
            self.masked,
            self.errors()
        )
    }

    /// Errors of the parse: files that failed, plus Python code that was not run.
    pub fn errors(&self) -> usize {
        self.failures.len() + self.dropped_python.len()
    }

    /// Where the parse cache is kept and the key of the configuration it was checked
    /// against (a hash of every configuration file, the environment and bake's own
    /// build), for what is kept beside it with the same key; `None` without a cache.
    pub fn cache_key(&self) -> Option<(PathBuf, String)> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.as_ref().map(|(p, key, _)| (p.clone(), key.clone()))
    }
}

fn words(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl Cooker {
    /// Finds the build directory, reads the layers and the base configuration, and
    /// collects the recipe files.
    pub fn new(opts: &CookerOptions) -> Result<Cooker> {
        let ev = Evaluator::new(&FS);
        let mut config = bb_data::base_datastore(&opts.env);
        if let Some(u) = &opts.host_uname {
            config.set_host_uname(u.clone());
        }
        if !opts.cmdline.is_empty() {
            let args: Vec<String> = opts.cmdline.iter().map(|a| format!("'{a}'")).collect();
            config.set_var_with(
                "BB_CMDLINE",
                &format!("[{}]", args.join(", ")),
                SetOpts::api(&Origin::internal("cooker.py", 311, "initConfigurationData")),
            );
        }
        let env_bbpath = opts
            .env
            .iter()
            .find(|(k, _)| k == "BBPATH")
            .map(|(_, v)| v.as_str());
        let layerconf = find_bblayers(env_bbpath, &opts.cwd);
        let mut setup = LayerSetup::default();
        let mut layer_error: Option<Error> = None;
        let parsed = ev.parse_base_config_with(&mut config, &mut |ev, d| match &layerconf {
            Some(lc) => match read_layers(ev, d, lc) {
                Ok(s) => {
                    setup = s;
                    Ok(true)
                }
                Err(e) => {
                    layer_error = Some(e);
                    // Stops the configuration parse; the layer error is returned below.
                    Err(bb_data::Error::Fatal(
                        "layer configuration failed".to_owned(),
                    ))
                }
            },
            None => {
                // No bblayers.conf: TOPDIR is the directory bake runs in (BitBake's
                // os.getcwd()), which for a library caller is `opts.cwd`.
                if d.get_var("TOPDIR")?.is_none_or(|t| t.is_empty()) {
                    d.set_var_with(
                        "TOPDIR",
                        &opts.cwd.to_string_lossy(),
                        SetOpts::api(&Origin::internal(
                            "cookerdata.py",
                            480,
                            "parseConfigurationFiles",
                        )),
                    );
                }
                Ok(false)
            }
        });
        if let Some(e) = layer_error {
            return Err(e);
        }
        parsed?;
        let mut warnings = std::mem::take(&mut setup.warnings);
        warnings.extend(ev.take_warnings());
        let collections = Collections::from_config(&config)?;
        if !collections.errors.is_empty() {
            return Err(Error::Multi(collections.errors.clone()));
        }
        let collected = collect_bbfiles(&config, &collections, &opts.cwd)?;
        warnings.extend(collected.warnings.iter().cloned());
        // Every recipe starts from a copy of this: its writes then go to a table of
        // its own instead of copying parts of the configuration's (frozen once here,
        // not at each parse).
        config.freeze();
        Ok(Cooker {
            ev,
            config,
            layers: setup,
            collections,
            collected,
            warnings,
            env: opts.env.clone(),
            interrupt: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The flag that stops a parse in progress (BitBake's Ctrl-C while parsing): once
    /// it is set, [`Cooker::parse_all_from`] starts no further recipe file and returns
    /// with [`ParseResult::interrupted`] set, without writing the parse cache. Register
    /// it with a signal handler, for example.
    pub fn interrupt_flag(&self) -> &Arc<AtomicBool> {
        &self.interrupt
    }

    /// The evaluator (shares parsed classes and includes between recipes).
    pub fn evaluator(&self) -> &Evaluator<'static> {
        &self.ev
    }

    /// Appends that match no recipe file: BitBake's "No recipes in default available
    /// for" list.
    pub fn dangling_appends(&self) -> Vec<String> {
        let mut applied = std::collections::HashSet::new();
        for r in &self.collected.recipes {
            applied.extend(self.collected.appends_for(r));
        }
        self.collected
            .appends
            .iter()
            .filter(|(_, a)| !applied.contains(a))
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Parses one recipe file and its variants (`only`: just that variant), with its
    /// appends.
    pub fn parse_file(&self, file: &str, only: Option<&str>) -> Result<Vec<(String, DataStore)>> {
        Parser::new(self, false).parse_file(file, only, true, false)
    }

    /// Parses one recipe target (`/path/x.bb` or `virtual:VARIANT:/path/x.bb`) with its
    /// appends as a build's task parses it (bitbake-worker's): FILE_LAYERNAME is the
    /// real file's collection, for a variant too.
    pub fn parse_task_target(&self, target: &str) -> Result<DataStore> {
        let (variant, file) = split_virtual(target);
        Parser::new(self, false)
            .parse_file(file, Some(variant), true, true)?
            .pop()
            .map(|(_, d)| d)
            .ok_or_else(|| Error::NoSuchVariant {
                target: target.to_owned(),
            })
    }

    /// Parses recipe targets (`/path/x.bb` or `virtual:VARIANT:/path/x.bb`) in
    /// parallel, each with its appends and without variable history (what a build
    /// needs to run tasks). Results are in the order of `fns`.
    pub fn parse_targets(&self, fns: &[String]) -> Vec<(String, Result<DataStore>)> {
        let parser = Parser::new(self, false);
        parser
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_tracking(false);
        fns.par_iter()
            .map(|f| {
                let (variant, file) = split_virtual(f);
                let r = parser
                    .parse_file(file, Some(variant), true, true)
                    .and_then(|mut v| {
                        v.pop()
                            .map(|(_, d)| d)
                            .ok_or_else(|| Error::NoSuchVariant { target: f.clone() })
                    });
                (f.clone(), r)
            })
            .collect()
    }

    /// What builds need of targets `fns` ([`BuildInfo`]): taken from the parse cache
    /// when a build worked it out before for the same inputs, otherwise computed with
    /// `compute` from the target's finalized datastore (targets parsed in parallel) and
    /// kept in the cache, which is saved again. Results in the order of `fns`.
    pub fn build_infos(
        &self,
        res: &ParseResult,
        fns: &[String],
        compute: &(dyn Fn(&DataStore) -> std::result::Result<BuildInfo, String> + Sync),
    ) -> Result<Vec<BuildInfo>> {
        let mut store = res.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Option<BuildInfo>> = fns
            .iter()
            .map(|f| {
                let (_, file) = split_virtual(f);
                store
                    .as_ref()
                    .and_then(|(_, _, c)| c.build_info(file, f).cloned())
            })
            .collect();
        let missing: Vec<String> = fns
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .map(|(f, _)| f.clone())
            .collect();
        if missing.is_empty() {
            return out
                .into_iter()
                .map(|o| {
                    o.ok_or_else(|| Error::BuildInfo {
                        target: String::new(),
                        message: "invariant: build info present".into(),
                    })
                })
                .collect();
        }
        let parsed = self.parse_targets(&missing);
        let computed: Vec<(String, std::result::Result<BuildInfo, String>)> = parsed
            .into_par_iter()
            .map(|(f, r)| {
                let info = match r {
                    Ok(d) => compute(&d),
                    Err(e) => Err(e.to_string()),
                };
                (f, info)
            })
            .collect();
        let mut changed = false;
        for (f, info) in computed {
            let info = info.map_err(|message| Error::BuildInfo {
                target: f.clone(),
                message,
            })?;
            let (_, file) = split_virtual(&f);
            if let Some((_, _, c)) = store.as_mut() {
                changed |= c.set_build_info(file, &f, info.clone());
            }
            for (slot, name) in out.iter_mut().zip(fns) {
                if *name == f {
                    *slot = Some(info.clone());
                }
            }
        }
        if changed && let Some((path, config, c)) = store.as_ref() {
            c.save(path, config).map_err(|message| Error::CacheWrite {
                path: path.clone(),
                message,
            })?;
        }
        out.into_iter()
            .map(|o| {
                o.ok_or_else(|| Error::BuildInfo {
                    target: String::new(),
                    message: "a target has no build information".into(),
                })
            })
            .collect()
    }

    /// Parses one recipe file as `bitbake -b` does: its appends are not applied.
    pub fn parse_buildfile(
        &self,
        file: &str,
        only: Option<&str>,
    ) -> Result<Vec<(String, DataStore)>> {
        Parser::new(self, true).parse_file(file, only, false, false)
    }

    /// Parses every recipe in parallel, using and refreshing the parse cache at
    /// `cache_file` when given. `progress(done, total)` is called as files finish.
    pub fn parse_all(
        &self,
        cache_file: Option<&Path>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> ParseResult {
        self.parse_all_from(self.load_cache(cache_file), progress)
    }

    /// Reads the parse cache at `cache_file` (once) and checks it against this
    /// configuration; [`Cooker::parse_all_from`] then parses with it.
    pub fn load_cache(&self, cache_file: Option<&Path>) -> LoadedCache {
        let hasher = FileHasher::default();
        let config_hash = self.config_hash(&hasher);
        let (cache, warning) = match cache_file {
            Some(p) => match ParseCache::load(p, &config_hash) {
                Ok(c) => (c, None),
                Err(e) => (ParseCache::default(), Some(e)),
            },
            None => (ParseCache::default(), None),
        };
        LoadedCache {
            path: cache_file.map(Path::to_path_buf),
            cache,
            config_hash,
            hasher,
            warning,
        }
    }

    /// Parses every recipe in parallel with a loaded parse cache, and writes the
    /// refreshed cache back when anything changed.
    pub fn parse_all_from(
        &self,
        loaded: LoadedCache,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> ParseResult {
        let LoadedCache {
            path: cache_file,
            cache,
            config_hash,
            hasher,
            warning,
        } = loaded;
        let files = &self.collected.recipes;
        let total = files.len();
        let mut warnings: Vec<String> = warning.into_iter().collect();
        let done = AtomicUsize::new(0);
        let interrupt: &AtomicBool = &self.interrupt;
        let parser = Parser::new(self, false);
        // Summaries need no variable history (BitBake tracks it only for `-e`).
        parser
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_tracking(false);
        // With nothing loaded (a cold parse), each new entry goes to the new cache as
        // soon as it is made, on a thread of its own, instead of all of them one after
        // the other once every recipe is parsed (work that had the machine to itself).
        let cold = cache.is_empty();
        let (sender, inbox) = std::sync::mpsc::channel::<(String, CacheEntry)>();
        let (results, filled) = std::thread::scope(|scope| {
            let filler = cold.then(|| {
                scope.spawn(move || {
                    let mut fresh = ParseCache::default();
                    for (file, entry) in inbox {
                        fresh.insert(file, entry);
                    }
                    fresh
                })
            });
            let results: Vec<(String, std::result::Result<Parsed, ParseFailure>)> = files
                .par_iter()
                .filter_map(|file| {
                    if interrupt.load(Ordering::Relaxed) {
                        return None;
                    }
                    let appends = parser.collected.appends_for(file);
                    let res = match cache.lookup(file, &appends, &hasher) {
                        // An entry that skipped Python may parse fully now (an interpreter
                        // is there this time): it is parsed again.
                        Some(infos) if infos.iter().all(|i| i.needs_python.is_empty()) => {
                            Ok(Parsed::Cached(infos))
                        }
                        _ => parser.parse_entry(file, &appends, &hasher).map(|entry| {
                            match &filler {
                                Some(_) => {
                                    let infos = entry.infos.clone();
                                    // The filler ends only once every sender is gone.
                                    let _ = sender.send((file.clone(), entry));
                                    Parsed::Stored(infos)
                                }
                                None => Parsed::Now(entry),
                            }
                        }),
                    };
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(n, total);
                    Some((file.clone(), res))
                })
                .collect();
            drop(sender);
            (results, filler.and_then(|f| f.join().ok()))
        });
        if interrupt.load(Ordering::Relaxed) {
            // The cache keeps what it had: a refresh now would drop every entry of the
            // files not reached.
            return ParseResult {
                total,
                masked: self.collected.masked,
                interrupted: true,
                failures: results.into_iter().filter_map(|(_, r)| r.err()).collect(),
                ..ParseResult::default()
            };
        }
        let mut out = ParseResult {
            total,
            masked: self.collected.masked,
            ..ParseResult::default()
        };
        // The loaded cache is refreshed in place: the entries reused stay as they are.
        let mut new_cache = match filled {
            Some(fresh) => fresh,
            None => {
                let mut new_cache = cache;
                let reused: std::collections::HashSet<&str> = results
                    .iter()
                    .filter(|(_, r)| matches!(r, Ok(Parsed::Cached(_))))
                    .map(|(f, _)| f.as_str())
                    .collect();
                new_cache.refresh(&hasher, |f| reused.contains(f));
                new_cache
            }
        };
        for (file, res) in results {
            match res {
                Ok(Parsed::Cached(infos)) => {
                    out.cached += 1;
                    out.recipes.extend(infos);
                }
                Ok(Parsed::Stored(infos)) => {
                    out.parsed += 1;
                    out.recipes.extend(infos);
                }
                Ok(Parsed::Now(entry)) => {
                    out.parsed += 1;
                    out.recipes.extend(entry.infos.iter().cloned());
                    new_cache.insert(file, entry);
                }
                Err(failure) => {
                    out.parsed += 1;
                    out.failures.push(failure);
                }
            }
        }
        warnings.extend(self.ev.take_warnings());
        let mut seen = std::collections::HashSet::new();
        warnings.retain(|w| seen.insert(w.clone()));
        out.warnings = warnings;
        if let Some(p) = cache_file.as_deref()
            && new_cache.changed()
            && let Err(e) = new_cache.save(p, &config_hash)
        {
            out.warnings.push(e);
        }
        out.dropped_python = dropped_python(self.config.needs_python(), &out.recipes);
        out.store = Mutex::new(cache_file.map(|p| (p, config_hash, new_cache)));
        out
    }

    /// The summary of one finalized target.
    pub fn recipe_info(&self, file: &str, variant: &str, d: &DataStore) -> RecipeInfo {
        recipe_info(&self.collections, file, variant, d)
    }

    /// A hash of everything the base configuration came from: the content of every
    /// configuration file read (and of the paths tried, `bblayers.conf` included), the
    /// environment, the collected file lists, and bake's own build.
    fn config_hash(&self, hasher: &FileHasher) -> String {
        let mut h = blake3::Hasher::new();
        h.update(b"bake-config-v1\0");
        // The parse results depend on bake itself: a new build of it parses again.
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        if let Ok(exe) = std::env::current_exe()
            && let Ok(meta) = fs_err::metadata(&exe)
        {
            h.update(format!("{}:{:?}", meta.len(), meta.modified().ok()).as_bytes());
        }
        for (k, v) in &self.env {
            if self.config.get_raw(k).as_deref() == Some(v.as_str()) {
                h.update(k.as_bytes());
                h.update(b"=");
                h.update(v.as_bytes());
                h.update(b"\0");
            }
        }
        for f in bb_data::file_depends(&self.config) {
            h.update(f.as_bytes());
            h.update(b"\0");
            h.update(hasher.hash(&f).as_deref().unwrap_or("missing").as_bytes());
        }
        h.update(self.collected.bbfiles_prioritized.join(" ").as_bytes());
        h.finalize().to_hex().to_string()
    }

    /// Where the parse cache lives: `${CACHE}` when the configuration sets it, else
    /// `${BB_CACHEDIR}` (by default `${TOPDIR}/cache`).
    pub fn cache_file(&self) -> Option<PathBuf> {
        let dir = self
            .config
            .get_var("CACHE")
            .ok()
            .flatten()
            .filter(|c| !c.is_empty())
            .or_else(|| self.config.get_var("BB_CACHEDIR").ok().flatten())?;
        Some(Path::new(&dir).join("bake_recipes.cache"))
    }
}

/// The Python code that was not run, each entry once: the configuration's (which every
/// recipe inherits), then each target's own.
fn dropped_python(config: &[String], recipes: &[RecipeInfo]) -> Vec<String> {
    let mut out: Vec<String> = config
        .iter()
        .map(|e| format!("configuration: needs Python: {e}"))
        .collect();
    for r in recipes {
        for e in &r.needs_python {
            if !config.contains(e) {
                out.push(format!("{}: needs Python: {e}", r.fn_name));
            }
        }
    }
    out
}

/// The summary of one finalized target.
fn recipe_info(collections: &Collections, file: &str, variant: &str, d: &DataStore) -> RecipeInfo {
    let mut needs = Vec::new();
    let mut bad_world = None;
    let mut get = |k: &str| match d.get_var(k) {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => {
            needs.push(format!("{k}: {e}"));
            String::new()
        }
    };
    let pn = get("PN");
    let mut provides = vec![pn.clone()];
    for p in dep_names(&get("PROVIDES")) {
        if !provides.contains(&p) {
            provides.push(p);
        }
    }
    let mut packages: Vec<String> = get("PACKAGES")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if packages.is_empty() {
        packages.push(pn.clone());
    }
    let mut rprovides_pkg = std::collections::BTreeMap::new();
    for p in &packages {
        let v = dep_names(&get(&format!("RPROVIDES:{p}")));
        if !v.is_empty() {
            rprovides_pkg.insert(p.clone(), v);
        }
    }
    let depends = dep_names(&get("DEPENDS"));
    let rprovides = dep_names(&get("RPROVIDES"));
    let default_preference = get("DEFAULT_PREFERENCE").trim().parse().unwrap_or(0);
    let fn_name = if variant.is_empty() {
        file.to_owned()
    } else {
        format!("virtual:{variant}:{file}")
    };
    let (priority, coll) = collections.priority_of(file);
    let info = RecipeInfo {
        fn_name,
        file: file.to_owned(),
        variant: variant.to_owned(),
        skipped: d.get_raw("__SKIPPED"),
        pe: get("PE"),
        pv: get("PV"),
        pr: get("PR"),
        provides,
        rprovides,
        rprovides_pkg,
        packages_dynamic: get("PACKAGES_DYNAMIC")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        packages,
        depends,
        default_preference,
        priority,
        collection: coll.map(|c| c.name.clone()).unwrap_or_default(),
        inherits: words(d.get_raw("__inherit_cache")),
        bbclassextend: get("BBCLASSEXTEND")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        pn,
        needs_python: Vec::new(),
        task_deps: bb_data::TaskDeps::default(),
        rundeps: Default::default(),
        runrecs: Default::default(),
        exclude_from_world: false,
        about: crate::recipe::RecipeAbout::default(),
        stamp: String::new(),
    };
    let mut info = info;
    if info.skipped.is_none() {
        info.stamp = get("STAMP");
        let rdepends = dep_names(&get("RDEPENDS"));
        let rrecommends = dep_names(&get("RRECOMMENDS"));
        for p in &info.packages {
            let mut r = rdepends.clone();
            r.extend(dep_names(&get(&format!("RDEPENDS:{p}"))));
            info.rundeps.insert(p.clone(), r);
            let mut r = rrecommends.clone();
            r.extend(dep_names(&get(&format!("RRECOMMENDS:{p}"))));
            info.runrecs.insert(p.clone(), r);
        }
        if let Some(t) = d.task_deps() {
            info.task_deps = t.clone();
        }
        let x = get("EXCLUDE_FROM_WORLD");
        // BitBake's cache raises on a value `to_boolean` refuses; it is noted here.
        let world = bb_util::to_boolean(Some(&x), false);
        info.exclude_from_world = *world.as_ref().unwrap_or(&false);
        if let Err(e) = world {
            bad_world = Some(format!("EXCLUDE_FROM_WORLD: {e}"));
        }
        info.about = crate::recipe::RecipeAbout {
            summary: get("SUMMARY"),
            description: get("DESCRIPTION"),
            license: get("LICENSE"),
            section: get("SECTION"),
            homepage: get("HOMEPAGE"),
            bugtracker: get("BUGTRACKER"),
        };
    }
    info.needs_python = needs;
    info.needs_python.extend(bad_world);
    info.needs_python.extend(d.needs_python().iter().cloned());
    info
}

/// The thread-shareable parts of a [`Cooker`] used while parsing: the base
/// configuration sits behind a mutex only to be copied (O(1)) by each parse.
struct Parser<'c> {
    ev: &'c Evaluator<'static>,
    config: std::sync::Mutex<DataStore>,
    collections: &'c Collections,
    collected: &'c Collected,
}

impl<'c> Parser<'c> {
    /// `prioritized`: whether the parse sees BBFILES_PRIORITIZED (BitBake's `-b`
    /// parses do, recipe targets don't).
    fn new(c: &'c Cooker, prioritized: bool) -> Parser<'c> {
        let mut config = c.config.clone();
        if prioritized {
            config.set_var_with(
                "BBFILES_PRIORITIZED",
                &c.collected.bbfiles_prioritized.join(" "),
                SetOpts::api(&Origin::internal("cooker.py", 1852, "collect_bbfiles")),
            );
        }
        Parser {
            ev: &c.ev,
            config: std::sync::Mutex::new(config),
            collections: &c.collections,
            collected: &c.collected,
        }
    }

    fn parse_file(
        &self,
        file: &str,
        only: Option<&str>,
        with_appends: bool,
        real_layer: bool,
    ) -> Result<Vec<(String, DataStore)>> {
        // Variants are independent copies: finalize them on every core (an image
        // recipe can have more than a hundred `mcextend` variants).
        let run: &bb_data::VariantRunner<'_> = &|items, fin| {
            items
                .into_par_iter()
                .map(|(n, mut d)| fin(&mut d).map(|()| (n, d)))
                .collect()
        };
        self.parse_file_with(file, only, with_appends, real_layer, run)
    }

    /// [`Parser::parse_file`] with the finalization of the BBCLASSEXTEND variants
    /// handed to `run`.
    fn parse_file_with(
        &self,
        file: &str,
        only: Option<&str>,
        with_appends: bool,
        real_layer: bool,
        run: &bb_data::VariantRunner<'_>,
    ) -> Result<Vec<(String, DataStore)>> {
        let appends = if with_appends {
            self.collected.appends_for(file)
        } else {
            Vec::new()
        };
        // A single variant parsed alone (`bitbake -e VARIANT`, `-b`) is looked up by its
        // virtual name, which no collection pattern matches: it has no FILE_LAYERNAME. A
        // build's parse of a target (`real_layer`, bitbake-worker's) uses the real
        // file's collection, for every variant.
        let lookup = match only {
            Some(v) if !v.is_empty() && !real_layer => format!("virtual:{v}:{file}"),
            _ => file.to_owned(),
        };
        let (_, coll) = self.collections.priority_of(&lookup);
        let layername = coll.map(|c| c.name.clone());
        let base = self
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(self.ev.parse_recipe_variants_with(
            &base,
            file,
            &appends,
            layername.as_deref(),
            only,
            run,
        )?)
    }

    fn parse_entry(
        &self,
        file: &str,
        appends: &[String],
        hasher: &FileHasher,
    ) -> std::result::Result<CacheEntry, ParseFailure> {
        // Each variant is summarized as soon as it is finalized and its datastore
        // dropped there, instead of all of them living until the last is done
        // (core-image-ptest has over a hundred: about 100 MB of peak memory).
        type Summary = (RecipeInfo, Vec<String>);
        let summaries: Mutex<Vec<(String, Summary)>> = Mutex::new(Vec::new());
        let summarize = |variant: &str, d: &DataStore| -> Summary {
            (
                recipe_info(self.collections, file, variant, d),
                bb_data::file_depends(d),
            )
        };
        let run: &bb_data::VariantRunner<'_> = &|items, fin| {
            items
                .into_par_iter()
                .map(|(n, mut d)| {
                    fin(&mut d)?;
                    let summary = summarize(&n, &d);
                    drop(d);
                    summaries
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((n.clone(), summary));
                    Ok((n, DataStore::new()))
                })
                .collect()
        };
        let variants = self
            .parse_file_with(file, None, true, false, run)
            .map_err(|e| match e {
                Error::Data(d) => ParseFailure::new(file, &d),
                other => ParseFailure {
                    file: file.to_owned(),
                    message: format!("Unable to parse {file}"),
                    detail: Some(other.to_string()),
                },
            })?;
        // Every file any target read, the recipe and its appends first, each once.
        let mut all = vec![file.to_owned()];
        all.extend(appends.iter().cloned());
        let mut seen: std::collections::HashSet<String> = all.iter().cloned().collect();
        let mut infos = Vec::new();
        let mut summaries = summaries.into_inner().unwrap_or_else(|e| e.into_inner());
        for (variant, d) in &variants {
            let (info, deps) = match summaries.iter().position(|(n, _)| n == variant) {
                Some(i) => summaries.swap_remove(i).1,
                None => summarize(variant, d),
            };
            infos.push(info);
            for f in deps {
                if seen.insert(f.clone()) {
                    all.push(f);
                }
            }
        }
        Ok(CacheEntry::new(appends.to_vec(), &all, hasher, infos))
    }
}

/// `bb.utils.explode_deps` of a value, as owned names (BitBake's cache reads DEPENDS,
/// PROVIDES, RDEPENDS and friends this way).
fn dep_names(s: &str) -> Vec<String> {
    bb_util::deps::explode_deps(s)
        .into_iter()
        .map(str::to_owned)
        .collect()
}
