//! The plain values do_package works from: the recipe's PACKAGES with each package's
//! FILES, flags and metadata, directories and tools, all already expanded by the caller.

use std::path::PathBuf;

/// One variable as pkgdata records it: package-specific (`VAR:pkg`) or recipe-wide (`VAR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgVar {
    /// The variable name (`RDEPENDS`, `pkg_postinst`).
    pub name: String,
    /// `true` when the value came from `VAR:pkg`.
    pub specific: bool,
    /// The expanded value.
    pub value: String,
}

/// One entry of PACKAGES.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSpec {
    /// The name in PACKAGES.
    pub name: String,
    /// FILES:pkg, split into words.
    pub files: Vec<String>,
    /// ALLOW_EMPTY:pkg (or ALLOW_EMPTY) is `1`.
    pub allow_empty: bool,
    /// The variables pkgdata records for it (`PKGDATA_VARS` order: the caller reads
    /// `VAR:pkg`, else `VAR`, and leaves out empty values).
    pub vars: Vec<PkgVar>,
}

impl PackageSpec {
    /// The value of variable `name` for this package (empty when unset).
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
            .unwrap_or("")
    }

    /// Sets `name` package-specifically (as do_package does after computing dependencies).
    pub fn set_var(&mut self, name: &str, value: String) {
        if let Some(v) = self.vars.iter_mut().find(|v| v.name == name) {
            v.value = value;
            v.specific = true;
        } else {
            self.vars.push(PkgVar {
                name: name.to_owned(),
                specific: true,
                value,
            });
        }
    }
}

/// The host tools that split and strip ELF files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripTools {
    /// OBJCOPY (`objcopy`).
    pub objcopy: String,
    /// STRIP (`strip`).
    pub strip: String,
}

/// What do_package needs.
#[derive(Debug, Clone, Default)]
pub struct PackageConfig {
    /// PN.
    pub pn: String,
    /// PKGV of the recipe (used for shlib provider versions).
    pub pkgv: String,
    /// PACKAGES, in order.
    pub packages: Vec<PackageSpec>,
    /// DEPENDS (for the `-dev`/`-dbg` recommendation chains).
    pub depends: Vec<String>,
    /// ${D}: what do_install produced.
    pub d: PathBuf,
    /// ${PKGD}: the copy that is stripped (emptied first).
    pub pkgd: PathBuf,
    /// ${PKGDEST}: one directory per package (emptied first).
    pub pkgdest: PathBuf,
    /// ${PKGDESTWORK}: where this recipe's pkgdata is written (emptied first).
    pub pkgdata_work: PathBuf,
    /// ${PKGDATA_DIR}: the shared pkgdata of the recipes built before (shlib providers).
    pub pkgdata_dir: PathBuf,
    /// Strip and split tools; `None` with INHIBIT_PACKAGE_STRIP.
    pub strip: Option<StripTools>,
    /// Keep debug information in `.debug/` files (not INHIBIT_PACKAGE_DEBUG_SPLIT).
    pub split_debug: bool,
    /// PRIVATE_LIBS: sonames (fnmatch patterns) not registered as shlib providers.
    pub private_libs: Vec<String>,
    /// `libdir` and `base_libdir`, where shared libraries are looked up.
    pub lib_dirs: Vec<String>,
    /// ERROR_QA words.
    pub error_qa: Vec<String>,
    /// WARN_QA words.
    pub warn_qa: Vec<String>,
    /// INSANE_SKIP:${PN} words.
    pub insane_skip: Vec<String>,
    /// The recipes whose shlib providers count (`None`: every recipe in PKGDATA_DIR); the
    /// adapter passes DEPENDS.
    pub shlib_recipes: Option<Vec<String>>,
    /// ASSUME_SHLIBS words (`soname:package[_version]`).
    pub assume_shlibs: Vec<String>,
    /// PKGDATA_VARS: the variables pkgdata records, in order.
    pub pkgdata_vars: Vec<String>,
}
