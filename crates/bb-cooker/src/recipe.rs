//! What the cooker keeps of each parsed recipe target: the summary BitBake's parse
//! cache keeps (`CoreRecipeInfo`), not the whole datastore. It is what providers,
//! `bake -p`, `bake-layers show-recipes` and the parse cache work on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The descriptive variables of a recipe (BitBake's `HOB_EXTRA_CACHES`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeAbout {
    /// SUMMARY.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// LICENSE.
    pub license: String,
    /// SECTION.
    pub section: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// BUGTRACKER.
    pub bugtracker: String,
}

/// One recipe target: a `.bb` file or one of its BBCLASSEXTEND variants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipeInfo {
    /// BitBake's virtual file name: `/path/x.bb` or `virtual:native:/path/x.bb`.
    pub fn_name: String,
    /// The real recipe file.
    pub file: String,
    /// The BBCLASSEXTEND variant (`native`, `nativesdk`, `multilib:lib32`...), empty for the base.
    pub variant: String,
    /// Set when the recipe skipped itself: the reason.
    pub skipped: Option<String>,
    /// PN.
    pub pn: String,
    /// PE (empty when unset).
    pub pe: String,
    /// PV.
    pub pv: String,
    /// PR.
    pub pr: String,
    /// PN plus the words of PROVIDES, in order, without duplicates.
    pub provides: Vec<String>,
    /// The words of RPROVIDES.
    pub rprovides: Vec<String>,
    /// RPROVIDES:pkg for each package that has it.
    pub rprovides_pkg: BTreeMap<String, Vec<String>>,
    /// The words of PACKAGES.
    pub packages: Vec<String>,
    /// The words of PACKAGES_DYNAMIC (regular expressions).
    pub packages_dynamic: Vec<String>,
    /// The words of DEPENDS.
    pub depends: Vec<String>,
    /// DEFAULT_PREFERENCE as an integer (0 when unset).
    pub default_preference: i64,
    /// The layer priority of the recipe's file (BBFILE_PRIORITY of its collection).
    pub priority: i64,
    /// The collection (layer name) the file belongs to, empty when none.
    pub collection: String,
    /// The classes the recipe inherited (paths as BitBake lists them in `__inherit_cache`).
    pub inherits: Vec<String>,
    /// BBCLASSEXTEND of the base recipe.
    pub bbclassextend: Vec<String>,
    /// Anonymous functions or expressions that needed CPython and were not run.
    pub needs_python: Vec<String>,
    /// The tasks and their graph flags (`_task_deps`), empty for a skipped target.
    #[serde(default)]
    pub task_deps: bb_data::TaskDeps,
    /// Per package: the names in RDEPENDS and RDEPENDS:pkg (BitBake's `rundeps`).
    #[serde(default)]
    pub rundeps: BTreeMap<String, Vec<String>>,
    /// Per package: the names in RRECOMMENDS and RRECOMMENDS:pkg (`runrecs`).
    #[serde(default)]
    pub runrecs: BTreeMap<String, Vec<String>>,
    /// EXCLUDE_FROM_WORLD is true: not part of `bake world`.
    #[serde(default)]
    pub exclude_from_world: bool,
    /// SUMMARY, DESCRIPTION, LICENSE, SECTION, HOMEPAGE and BUGTRACKER, what BitBake's
    /// extra cache keeps for Toaster (empty for a skipped target).
    #[serde(default)]
    pub about: RecipeAbout,
    /// `${STAMP}` (BitBake's cache `stamp`, what `bb.event.ReachableStamps` lists; empty
    /// for a skipped target).
    #[serde(default)]
    pub stamp: String,
}

impl RecipeInfo {
    /// `PE:PV-PR` as BitBake prints versions (`PE:` only when PE is set).
    pub fn version_string(&self) -> String {
        if self.pe.is_empty() {
            format!("{}-{}", self.pv, self.pr)
        } else {
            format!("{}:{}-{}", self.pe, self.pv, self.pr)
        }
    }
}

/// What a build needs of a recipe target besides its [`RecipeInfo`]: worked out from
/// its finalized datastore the first time a build needs it, then kept in the parse
/// cache with the target (so that a build whose recipes did not change parses nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// `${STAMP}`.
    pub stamp: String,
    /// Per task: its basehash and its `[stamp-extra-info]` (empty when unset).
    pub tasks: BTreeMap<String, (String, String)>,
    /// The local sources of `do_fetch`: `file://` entries of SRC_URI found through
    /// FILESPATH (files or directories), in SRC_URI order.
    pub local_files: Vec<String>,
    /// Per task with a `[file-checksums]` flag: its expanded value (`path:True` words).
    #[serde(default)]
    pub file_checksums: BTreeMap<String, String>,
    /// What the signature handler's dependency rules need of the recipe
    /// (`bb_siggen::RecipeTraits` as bits).
    #[serde(default)]
    pub sig_traits: u8,
}
