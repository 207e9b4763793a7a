//! The signature handler (`BB_SIGNATURE_HANDLER`): which dependency edges of the task
//! graph go into a task hash. BitBake asks the handler's `rundep_check` for every edge;
//! bake implements the rules of the handlers it knows natively (BitBake's `basic` /
//! `basichash`, openembedded-core's `OEBasicHash` / `OEEquivHash`, whose rules are
//! `sstate_rundepfilter`) and refuses any other handler by name, rather than hashing
//! with rules the metadata did not ask for. A handler class defined in Python is judged
//! by bb-session (`pysiggen.rs`), which picks these native rules for it or gives rules of
//! its own ([`EdgeRules`]: the class's `rundep_check` asked in CPython).
//!
//! Natively, because the rules are a handful of string tests per edge and
//! `core-image-minimal` has 24,304 edges: a call into CPython per edge would cost more
//! than the whole hash computation.

use std::collections::HashSet;
use std::sync::Arc;

use bb_data::DataStore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The handlers whose rules bake implements (their names as `BB_SIGNATURE_HANDLER`
/// gives them).
pub const KNOWN_HANDLERS: [&str; 5] = ["noop", "basic", "basichash", "OEBasicHash", "OEEquivHash"];

/// What the rules need to know about a recipe (from its finalized datastore).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeTraits {
    /// It inherits `packagegroup`.
    pub packagegroup: bool,
    /// It inherits `allarch`.
    pub allarch: bool,
    /// It inherits `image`.
    pub image: bool,
    /// It inherits `kernel` or `module-base`.
    pub kernel: bool,
    /// One of its packages' RRECOMMENDS names a `kernel-module-*`.
    pub recommends_kernel_module: bool,
}

impl RecipeTraits {
    /// The traits as one byte (how a parse cache keeps them).
    ///
    /// ```
    /// let t = bb_siggen::RecipeTraits { image: true, kernel: true, ..Default::default() };
    /// assert_eq!(bb_siggen::RecipeTraits::from_bits(t.bits()), t);
    /// ```
    pub fn bits(self) -> u8 {
        u8::from(self.packagegroup)
            | u8::from(self.allarch) << 1
            | u8::from(self.image) << 2
            | u8::from(self.kernel) << 3
            | u8::from(self.recommends_kernel_module) << 4
    }

    /// The traits [`bits`](Self::bits) gave.
    pub fn from_bits(b: u8) -> RecipeTraits {
        RecipeTraits {
            packagegroup: b & 1 != 0,
            allarch: b & 2 != 0,
            image: b & 4 != 0,
            kernel: b & 8 != 0,
            recommends_kernel_module: b & 16 != 0,
        }
    }

    /// The traits of a finalized recipe datastore (`__inherit_cache`, PACKAGES,
    /// RRECOMMENDS and RRECOMMENDS:pkg).
    pub fn of(d: &DataStore) -> Result<RecipeTraits> {
        let inherits = d.get_raw("__inherit_cache").unwrap_or_default();
        let has = |class: &str| {
            let needle = format!("/{class}.bbclass");
            inherits.split_whitespace().any(|c| c.ends_with(&needle))
        };
        let get = |name: &str| {
            d.get_var(name)
                .map(Option::unwrap_or_default)
                .map_err(|source| Error::Expand {
                    var: name.to_owned(),
                    source,
                })
        };
        let kernel = has("kernel") || has("module-base");
        // Only target recipes that are not kernels look at their recommends.
        let mut recommends_kernel_module = false;
        if !kernel {
            let mut names = vec!["RRECOMMENDS".to_owned()];
            names.extend(
                get("PACKAGES")?
                    .split_whitespace()
                    .map(|p| format!("RRECOMMENDS:{p}")),
            );
            for name in names {
                if get(&name)?.contains("kernel-module-") {
                    recommends_kernel_module = true;
                    break;
                }
            }
        }
        Ok(RecipeTraits {
            packagegroup: has("packagegroup"),
            allarch: has("allarch"),
            image: has("image"),
            kernel,
            recommends_kernel_module,
        })
    }
}

/// One end of a dependency edge, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct EdgeEnd<'a> {
    /// The recipe's PN.
    pub pn: &'a str,
    /// The recipe file (`virtual:native:/path/x.bb` for a variant).
    pub fn_name: &'a str,
    /// The task.
    pub task: &'a str,
    /// The recipe's traits.
    pub traits: RecipeTraits,
}

/// Dependency rules decided outside this crate: bb-session's answers of a signature
/// handler class defined in Python (its `rundep_check`), asked once per build.
pub trait EdgeRules: std::fmt::Debug + Send + Sync {
    /// Whether the edge `task` -> `dep` goes into `task`'s hash.
    fn keep(&self, task: &EdgeEnd<'_>, dep: &EdgeEnd<'_>) -> bool;
}

#[derive(Debug, Clone)]
enum Rules {
    /// BitBake's own: drop edges to recipes matching BB_TASKHASH_IGNORE_TASKS from
    /// recipes that do not match it.
    Basic(Option<regex::Regex>),
    /// openembedded-core's `sstate_rundepfilter`.
    Oe {
        abisafe: HashSet<String>,
        safe_deps: HashSet<String>,
    },
    /// Given by the caller ([`SigHandler::with_rules`]).
    External(Arc<dyn EdgeRules>),
}

/// The configured signature handler's dependency rules.
#[derive(Debug, Clone)]
pub struct SigHandler {
    name: String,
    rules: Rules,
    local_dirs_exclude: Vec<String>,
}

/// BB_SIGNATURE_LOCAL_DIRS_EXCLUDE when unset.
const LOCAL_DIRS_EXCLUDE: &str = "CVS .bzr .git .hg .osc .p4 .repo .svn";

impl Default for SigHandler {
    /// `basichash` without BB_TASKHASH_IGNORE_TASKS: every edge counts.
    fn default() -> Self {
        SigHandler {
            name: "basichash".to_owned(),
            rules: Rules::Basic(None),
            local_dirs_exclude: words(LOCAL_DIRS_EXCLUDE),
        }
    }
}

impl SigHandler {
    /// The handler the configuration names in BB_SIGNATURE_HANDLER (unset: `noop`,
    /// which bake hashes as `basichash`), with the variables its rules read. Fails for a
    /// handler bake does not implement, and for locked signatures
    /// (`SIGGEN_LOCKEDSIGS_TYPES`), which bake does not support.
    ///
    /// ```
    /// let mut d = bb_data::DataStore::new();
    /// d.set_var("BB_SIGNATURE_HANDLER", "MyHash");
    /// let e = bb_siggen::SigHandler::from_config(&d).unwrap_err();
    /// assert!(e.to_string().contains("MyHash"));
    /// ```
    pub fn from_config(d: &DataStore) -> Result<SigHandler> {
        SigHandler::from_config_as(d, None)
    }

    /// [`from_config`](Self::from_config) with the native rules of handler `rules_of`
    /// (one of [`KNOWN_HANDLERS`]) for the handler the configuration names (a class
    /// defined in Python whose rules are found to be those of `rules_of`).
    pub fn from_config_as(d: &DataStore, rules_of: Option<&str>) -> Result<SigHandler> {
        let get = |name: &str| {
            d.get_var(name)
                .map(Option::unwrap_or_default)
                .map_err(|source| Error::Expand {
                    var: name.to_owned(),
                    source,
                })
        };
        let name = get("BB_SIGNATURE_HANDLER")?;
        let name = if name.is_empty() {
            "noop".to_owned()
        } else {
            name
        };
        let rules = match rules_of.unwrap_or(&name) {
            "noop" | "basic" | "basichash" => {
                let twl = get("BB_TASKHASH_IGNORE_TASKS")?;
                let re = if twl.is_empty() {
                    None
                } else {
                    Some(regex::Regex::new(&twl).map_err(|e| Error::Handler {
                        name: name.clone(),
                        reason: format!("BB_TASKHASH_IGNORE_TASKS `{twl}` is not a regex: {e}"),
                    })?)
                };
                Rules::Basic(re)
            }
            "OEBasicHash" | "OEEquivHash" => {
                let locked = get("SIGGEN_LOCKEDSIGS_TYPES")?;
                if !locked.trim().is_empty() {
                    return Err(Error::Handler {
                        name,
                        reason: format!(
                            "locked signatures (SIGGEN_LOCKEDSIGS_TYPES = `{}`) are not supported",
                            locked.trim()
                        ),
                    });
                }
                let set = |v: String| -> HashSet<String> {
                    v.split_whitespace().map(str::to_owned).collect()
                };
                Rules::Oe {
                    abisafe: set(get("SIGGEN_EXCLUDERECIPES_ABISAFE")?),
                    safe_deps: set(get("SIGGEN_EXCLUDE_SAFE_RECIPE_DEPS")?),
                }
            }
            _ => {
                return Err(Error::Handler {
                    name,
                    reason: format!(
                        "bake implements the rules of {} only",
                        KNOWN_HANDLERS.join(", ")
                    ),
                });
            }
        };
        let exclude = get("BB_SIGNATURE_LOCAL_DIRS_EXCLUDE")?;
        let local_dirs_exclude = if exclude.is_empty() {
            words(LOCAL_DIRS_EXCLUDE)
        } else {
            words(&exclude)
        };
        Ok(SigHandler {
            name,
            rules,
            local_dirs_exclude,
        })
    }

    /// The configuration's handler with dependency rules given by the caller.
    pub fn with_rules(d: &DataStore, rules: Arc<dyn EdgeRules>) -> Result<SigHandler> {
        let mut h = SigHandler::from_config_as(d, Some("basichash"))?;
        h.rules = Rules::External(rules);
        Ok(h)
    }

    /// The handler's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every dependency edge counts (no rule drops any).
    pub fn keeps_all(&self) -> bool {
        matches!(self.rules, Rules::Basic(None))
    }

    /// The directory names a checksummed directory's walk skips
    /// (BB_SIGNATURE_LOCAL_DIRS_EXCLUDE).
    pub fn local_dirs_exclude(&self) -> &[String] {
        &self.local_dirs_exclude
    }

    /// Whether the edge `task` -> `dep` goes into `task`'s hash (`rundep_check`).
    ///
    /// ```
    /// use bb_siggen::{EdgeEnd, RecipeTraits, SigHandler};
    /// let mut d = bb_data::DataStore::new();
    /// d.set_var("BB_SIGNATURE_HANDLER", "OEBasicHash");
    /// d.set_var("SIGGEN_EXCLUDE_SAFE_RECIPE_DEPS", "*->quilt-native");
    /// let h = SigHandler::from_config(&d)?;
    /// let end = |pn, task| EdgeEnd { pn, fn_name: pn, task, traits: RecipeTraits::default() };
    /// assert!(!h.keep(&end("zip-native", "do_patch"), &end("quilt-native", "do_populate_sysroot")));
    /// assert!(h.keep(&end("zip-native", "do_patch"), &end("zip-native", "do_unpack")));
    /// # Ok::<(), bb_siggen::Error>(())
    /// ```
    pub fn keep(&self, task: &EdgeEnd<'_>, dep: &EdgeEnd<'_>) -> bool {
        match &self.rules {
            Rules::Basic(None) => true,
            Rules::Basic(Some(re)) => re.is_match(task.pn) || !re.is_match(dep.pn),
            Rules::Oe { abisafe, safe_deps } => oe_keep(abisafe, safe_deps, task, dep),
            Rules::External(rules) => rules.keep(task, dep),
        }
    }
}

/// openembedded-core's `sstate_rundepfilter` (bake has no multiconfig, so every edge is
/// within one).
fn oe_keep(
    abisafe: &HashSet<String>,
    safe_deps: &HashSet<String>,
    task: &EdgeEnd<'_>,
    dep: &EdgeEnd<'_>,
) -> bool {
    if task.task == "do_rm_work" {
        return false;
    }
    if task.pn == dep.pn {
        return !(task.task == "do_kernel_configme" && dep.task == "do_unpack_and_patch");
    }
    if safe_deps.contains(&format!("{}->{}", task.pn, dep.pn))
        || safe_deps.contains(&format!("*->{}", dep.pn))
    {
        return false;
    }
    let pn = task.pn;
    if pn.ends_with("-native") || pn.contains("-cross-") || pn.starts_with("nativesdk-") {
        return true;
    }
    if task.traits.packagegroup && task.traits.allarch && !dep.pn.ends_with("-native") {
        return false;
    }
    if abisafe.contains(dep.pn) && !task.traits.image {
        return false;
    }
    if dep.traits.kernel && !task.traits.kernel && task.traits.recommends_kernel_module {
        return false;
    }
    true
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oe() -> SigHandler {
        let mut d = DataStore::new();
        d.set_var("BB_SIGNATURE_HANDLER", "OEEquivHash");
        d.set_var("SIGGEN_EXCLUDERECIPES_ABISAFE", "base-files shadow");
        d.set_var(
            "SIGGEN_EXCLUDE_SAFE_RECIPE_DEPS",
            "*->quilt-native ca-certificates->openssl",
        );
        SigHandler::from_config(&d).unwrap()
    }

    fn end<'a>(pn: &'a str, task: &'a str, traits: RecipeTraits) -> EdgeEnd<'a> {
        EdgeEnd {
            pn,
            fn_name: pn,
            task,
            traits,
        }
    }

    #[test]
    fn openembedded_core_rules() {
        let h = oe();
        let plain = RecipeTraits::default();
        let image = RecipeTraits {
            image: true,
            ..plain
        };
        let kernel = RecipeTraits {
            kernel: true,
            ..plain
        };
        let pg = RecipeTraits {
            packagegroup: true,
            allarch: true,
            ..plain
        };
        let recs = RecipeTraits {
            recommends_kernel_module: true,
            ..plain
        };
        let keep = |a: EdgeEnd<'_>, b: EdgeEnd<'_>| h.keep(&a, &b);
        // do_rm_work never, own tasks always (but the archiver's configme edge).
        assert!(!keep(
            end("a", "do_rm_work", plain),
            end("a", "do_compile", plain)
        ));
        assert!(keep(
            end("a", "do_compile", plain),
            end("a", "do_configure", plain)
        ));
        assert!(!keep(
            end("linux", "do_kernel_configme", kernel),
            end("linux", "do_unpack_and_patch", kernel)
        ));
        // Safe dependencies, also from native recipes.
        assert!(!keep(
            end("zip-native", "do_patch", plain),
            end("quilt-native", "do_populate_sysroot", plain)
        ));
        assert!(!keep(
            end("ca-certificates", "do_configure", plain),
            end("openssl", "do_populate_sysroot", plain)
        ));
        assert!(keep(
            end("curl", "do_configure", plain),
            end("openssl", "do_populate_sysroot", plain)
        ));
        // Native recipes keep the rest; ABI-safe recipes only count for images.
        assert!(keep(
            end("m4-native", "do_configure", plain),
            end("base-files", "do_package_write_rpm", plain)
        ));
        assert!(!keep(
            end("busybox", "do_build", plain),
            end("base-files", "do_package_write_rpm", plain)
        ));
        assert!(keep(
            end("core-image-minimal", "do_rootfs", image),
            end("base-files", "do_package_write_rpm", plain)
        ));
        // allarch package groups drop target dependencies, not native ones.
        assert!(!keep(
            end("packagegroup-core-boot", "do_build", pg),
            end("busybox", "do_package_write_rpm", plain)
        ));
        assert!(keep(
            end("packagegroup-core-boot", "do_build", pg),
            end("pseudo-native", "do_populate_sysroot", plain)
        ));
        // A recipe recommending kernel modules does not depend on the kernel.
        assert!(!keep(
            end("udev", "do_build", recs),
            end("linux-yocto", "do_package_write_rpm", kernel)
        ));
        assert!(keep(
            end("udev", "do_build", plain),
            end("linux-yocto", "do_package_write_rpm", kernel)
        ));
    }

    #[test]
    fn basic_ignore_tasks_and_unknown_handlers() {
        let mut d = DataStore::new();
        d.set_var("BB_SIGNATURE_HANDLER", "basichash");
        d.set_var("BB_TASKHASH_IGNORE_TASKS", "-native$");
        let h = SigHandler::from_config(&d).unwrap();
        let p = RecipeTraits::default();
        assert!(!h.keep(
            &end("app", "do_compile", p),
            &end("gcc-native", "do_install", p)
        ));
        assert!(h.keep(
            &end("m4-native", "do_compile", p),
            &end("gcc-native", "do_install", p)
        ));
        assert!(h.keep(&end("app", "do_compile", p), &end("lib", "do_install", p)));
        d.set_var("BB_SIGNATURE_HANDLER", "OEEquivHash");
        d.set_var("SIGGEN_LOCKEDSIGS_TYPES", "t-x86-64");
        let e = SigHandler::from_config(&d).unwrap_err().to_string();
        assert!(e.contains("SIGGEN_LOCKEDSIGS_TYPES"), "{e}");
        assert!(SigHandler::default().keeps_all());
    }
}
