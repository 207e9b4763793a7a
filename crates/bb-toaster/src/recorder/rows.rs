//! What the recorder is given: the build's configuration, layers, variables and
//! dependency tree, as plain rows.

/// A layer of the build, as `toaster.bbclass` describes it.
#[derive(Debug, Clone, Default)]
pub struct LayerInfo {
    /// Toaster's name: the directory's name, `meta` being `openembedded-core`
    /// (see [`LayerInfo::toaster_name`]).
    pub name: String,
    /// Its directory.
    pub path: String,
    /// The branch when it is a git checkout (empty otherwise).
    pub branch: String,
    /// The commit when it is a git checkout (empty otherwise: the layer is then
    /// identified by its directory).
    pub commit: String,
    /// BBFILE_PRIORITY of its collection.
    pub priority: i64,
}

impl LayerInfo {
    /// The name Toaster gives the layer in `path`: the directory's name, with `meta`
    /// named `openembedded-core` as on the layer index.
    pub fn toaster_name(path: &str) -> String {
        let base = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(path);
        if base == "meta" {
            "openembedded-core".to_owned()
        } else {
            base.to_owned()
        }
    }
}

/// A recipe of the build's dependency tree.
#[derive(Debug, Clone, Default)]
pub struct RecipeRow {
    /// The target (`/path/x.bb` or `virtual:native:/path/x.bb`), as events name it.
    pub fn_name: String,
    /// PN.
    pub name: String,
    /// `PE:PV-PR` as BitBake's dependency tree gives it (a leading `:` for no epoch is
    /// dropped when stored).
    pub version: String,
    /// PF (`PN-PV-PR`), for the task messages (`recipe PF: task do_x: Succeeded`).
    pub pf: String,
    /// SUMMARY.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// SECTION.
    pub section: String,
    /// LICENSE.
    pub license: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// BUGTRACKER.
    pub bugtracker: String,
    /// The classes it inherits (paths); one ending in `/image.bbclass` makes it an image.
    pub inherits: Vec<String>,
    /// Its DEPENDS names that resolved, each with the target of the recipe providing it.
    pub depends: Vec<(String, String)>,
}

/// A task of the build's dependency tree.
#[derive(Debug, Clone, Default)]
pub struct TaskRow {
    /// The recipe target.
    pub fn_name: String,
    /// The task (`do_compile`).
    pub task: String,
    /// The task is a Python function (`[python]`).
    pub python: bool,
    /// Its task hash.
    pub hash: String,
}

/// The build's dependency tree (BitBake's `DepTreeGenerated`): the recipes and every
/// task of the run queue with the tasks each depends on.
#[derive(Debug, Clone, Default)]
pub struct DepTree {
    /// The recipes.
    pub recipes: Vec<RecipeRow>,
    /// The tasks, indexed as the run queue's events index them ([`TaskRef::index`]).
    ///
    /// [`TaskRef::index`]: bb_events::TaskRef::index
    pub tasks: Vec<TaskRow>,
    /// For each task (same index), the indices of the tasks it depends on.
    pub deps: Vec<Vec<usize>>,
}

/// How a build names a task's shared state object: (task index in the [`DepTree`],
/// hash) → the object's name relative to SSTATE_DIR, `None` for a task without one.
pub type SstateNames = Box<dyn Fn(usize, &str) -> Option<String> + Send>;

/// One history entry of a variable: where and how it was set.
#[derive(Debug, Clone, Default)]
pub struct HistoryRow {
    /// The file (absolute; stored relative to its layer as Toaster does).
    pub file_name: String,
    /// The line (None for internal settings).
    pub line_number: Option<i64>,
    /// BitBake's operation name (`set`, `append`, `set?`, ...).
    pub operation: String,
    /// The value written.
    pub value: String,
}

/// A variable of the build's configuration with its history.
#[derive(Debug, Clone, Default)]
pub struct VariableRow {
    /// Its name.
    pub name: String,
    /// Its final value.
    pub value: String,
    /// Its `[doc]` flag.
    pub doc: Option<String>,
    /// A function (`[func]`): only its help text is recorded, as in Toaster.
    pub func: bool,
    /// Where it was set.
    pub history: Vec<HistoryRow>,
}

/// What is known of a build when it starts: the build directory's configuration.
#[derive(Debug, Clone, Default)]
pub struct BuildStart {
    /// The project ("Command line builds" for `bake` runs when None).
    pub project: Option<String>,
    /// MACHINE.
    pub machine: String,
    /// DISTRO.
    pub distro: String,
    /// DISTRO_VERSION.
    pub distro_version: String,
    /// BUILDNAME.
    pub build_name: String,
    /// BB_VERSION.
    pub bitbake_version: String,
    /// The cooker log.
    pub cooker_log_path: String,
    /// Recipe files parsed (not from the cache) for this build; 0 leaves Toaster's
    /// default of 1 of 1.
    pub recipes_parsed: i64,
    /// (target, task); an empty task means the default task.
    pub targets: Vec<(String, String)>,
    /// The layers.
    pub layers: Vec<LayerInfo>,
    /// The configuration's variables.
    pub variables: Vec<VariableRow>,
}

/// A package a recipe built, as Toaster's `SinglePackageInfo` gives it (oe-core's
/// toaster.bbclass reads the recipe's pkgdata `runtime/<pkg>` after do_package).
#[derive(Debug, Clone, Default)]
pub struct PackageRow {
    /// The recipe target (`/path/x.bb`) that built it.
    pub recipe: String,
    /// The package's name (before any renaming).
    pub name: String,
    /// The name it is installed as (`PKG`: after debian-style renaming).
    pub installed_name: String,
    /// PKGV.
    pub version: String,
    /// PKGR.
    pub revision: String,
    /// SUMMARY.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// SECTION.
    pub section: String,
    /// LICENSE.
    pub license: String,
    /// PKGSIZE: bytes of its files.
    pub size: i64,
    /// FILES_INFO: path and size of each file.
    pub files: Vec<(String, i64)>,
    /// Its RDEPENDS, RPROVIDES, RRECOMMENDS, RSUGGESTS, RREPLACES and RCONFLICTS, each
    /// a package name (versions dropped, as BitBake's `explode_deps`).
    pub deps: Vec<(crate::model::PackageDependencyType, String)>,
}

/// A package installed in an image.
#[derive(Debug, Clone, Default)]
pub struct InstalledPackage {
    /// What the build's pkgdata says of it (`runtime-reverse/<installed name>`).
    pub package: PackageRow,
    /// Its size installed (bytes of its files in the image).
    pub installed_size: i64,
    /// The installed packages it depends on (true: only recommends), by installed name.
    pub depends: Vec<(String, bool)>,
}

/// One entry of an image's root filesystem (Toaster's `Target_File`).
#[derive(Debug, Clone, Default)]
pub struct ImageFile {
    /// Its absolute path in the image (`/usr/bin/sayhello`).
    pub path: String,
    /// Size in bytes.
    pub size: i64,
    /// Its kind.
    pub inode: Option<crate::model::InodeType>,
    /// `rwxr-xr-x`.
    pub permission: String,
    /// Owner and group names.
    pub owner: String,
    /// Group name.
    pub group: String,
    /// A symbolic link's target, as written in the link.
    pub link: Option<String>,
}

/// What an image target made (Toaster's `ImagePkgList` and its image artifacts).
#[derive(Debug, Clone, Default)]
pub struct ImageRow {
    /// The target's name (as on the command line).
    pub target: String,
    /// The installed packages.
    pub installed: Vec<InstalledPackage>,
    /// The root filesystem's entries (`/` included or not: it is always recorded).
    pub files: Vec<ImageFile>,
    /// The image files written (path, size).
    pub image_files: Vec<(String, i64)>,
    /// The image's package manifest.
    pub package_manifest: Option<String>,
}
