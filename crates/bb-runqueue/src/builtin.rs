//! Native implementations of the Python task functions of bake's default layer
//! (`meta/README.md` lists them and what each must do): the sysroot tasks, and the
//! utility tasks. Fetch, unpack and patch are added by the caller through
//! [`Native::with`] so that this crate does not depend on the fetcher.

use std::io::Write as _;
use std::path::Path;

use crate::error::TaskError;
use crate::exec::{Builtins, TaskContext};

/// A native task function: runs with the task's context.
pub type NativeFn = fn(&mut TaskContext<'_>) -> Result<(), TaskError>;

/// The built-in Python task functions.
#[derive(Default)]
pub struct Native {
    extra: Vec<(&'static str, NativeFn)>,
}

impl Native {
    /// The sysroot and utility tasks only.
    pub fn new() -> Native {
        Native::default()
    }

    /// Adds (or replaces) the implementation of Python function `name`.
    pub fn with(mut self, name: &'static str, f: NativeFn) -> Native {
        self.extra.retain(|(n, _)| *n != name);
        self.extra.push((name, f));
        self
    }
}

impl Native {
    /// Whether this set has a native implementation of function `name`.
    pub fn has(&self, name: &str) -> bool {
        self.extra.iter().any(|(n, _)| *n == name)
            || matches!(
                name,
                "do_prepare_recipe_sysroot" | "do_populate_sysroot" | "do_listtasks" | "do_clean"
            )
    }
}

impl Builtins for Native {
    fn run(&self, ctx: &mut TaskContext<'_>) -> Option<Result<(), TaskError>> {
        if let Some((_, f)) = self.extra.iter().find(|(n, _)| *n == ctx.func) {
            return Some(f(ctx));
        }
        let f: NativeFn = match ctx.func {
            "do_prepare_recipe_sysroot" => prepare_recipe_sysroot,
            "do_populate_sysroot" => populate_sysroot,
            "do_listtasks" => listtasks,
            "do_clean" => clean,
            _ => return None,
        };
        Some(f(ctx))
    }
}

/// Merges `src` into `dest`: directories created, files hard-linked (copied when a
/// link is not possible), symbolic links recreated.
pub fn merge_tree(src: &Path, dest: &Path) -> Result<(), TaskError> {
    let rd = fs_err::read_dir(src)?;
    fs_err::create_dir_all(dest)?;
    for e in rd {
        let e = e?;
        let from = e.path();
        let to = dest.join(e.file_name());
        let meta = fs_err::symlink_metadata(&from)?;
        if meta.file_type().is_symlink() {
            let target = fs_err::read_link(&from)?;
            if std::fs::symlink_metadata(&to).is_ok() {
                if meta.is_dir() {
                    continue;
                }
                let _ = std::fs::remove_file(&to);
            }
            fs_err::os::unix::fs::symlink(&target, &to)?;
        } else if meta.is_dir() {
            merge_tree(&from, &to)?;
        } else {
            if std::fs::symlink_metadata(&to).is_ok() {
                let _ = std::fs::remove_file(&to);
            }
            if std::fs::hard_link(&from, &to).is_err() {
                fs_err::copy(&from, &to)?;
            }
        }
    }
    Ok(())
}

/// `do_prepare_recipe_sysroot`: the sysroot-destdir of every recipe this task's
/// dependencies populate, merged into `${RECIPE_SYSROOT}` (emptied by `[cleandirs]`).
fn prepare_recipe_sysroot(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let sysroot = ctx.var("RECIPE_SYSROOT")?;
    let components = ctx.var("COMPONENTS_DIR")?;
    if sysroot.is_empty() || components.is_empty() {
        return Err(TaskError::msg(
            "RECIPE_SYSROOT and COMPONENTS_DIR must be set",
        ));
    }
    fs_err::create_dir_all(&sysroot)?;
    let deps = ctx.sysroot_deps;
    for pn in deps {
        let src = Path::new(&components).join(pn);
        if !src.is_dir() {
            continue;
        }
        ctx.note(&format!("Staging {pn} into the recipe sysroot"));
        merge_tree(&src, Path::new(&sysroot))?;
    }
    Ok(())
}

/// `do_populate_sysroot`: `${D}<dir>` copied to `${SYSROOT_DESTDIR}<dir>` for each
/// existing directory of SYSROOT_DIRS.
fn populate_sysroot(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let d_dir = ctx.var("D")?;
    let dest = ctx.var("SYSROOT_DESTDIR")?;
    if d_dir.is_empty() || dest.is_empty() {
        return Err(TaskError::msg("D and SYSROOT_DESTDIR must be set"));
    }
    let mut dirs: Vec<String> = ctx
        .var("SYSROOT_DIRS")?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    dirs.sort();
    dirs.dedup();
    fs_err::create_dir_all(&dest)?;
    for dir in dirs {
        let rel = dir.trim_start_matches('/');
        let src = Path::new(&d_dir).join(rel);
        if src.is_dir() {
            merge_tree(&src, &Path::new(&dest).join(rel))?;
        }
    }
    Ok(())
}

/// `do_listtasks`: the recipe's tasks, sorted, with their `[doc]`.
fn listtasks(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let mut tasks: Vec<String> = ctx
        .d
        .task_deps()
        .map(|t| t.tasks.clone())
        .unwrap_or_default();
    tasks.sort();
    for t in tasks {
        let doc = ctx
            .d
            .get_var_flag(&t, "doc", true)
            .ok()
            .flatten()
            .unwrap_or_default();
        let line = if doc.is_empty() {
            t.clone()
        } else {
            format!("{t:<20} {doc}")
        };
        let _ = writeln!(ctx.log, "{line}");
        #[expect(
            clippy::print_stdout,
            reason = "listtasks prints the list, as BitBake's does"
        )]
        {
            println!("{line}");
        }
    }
    Ok(())
}

/// `do_clean`: removes `${WORKDIR}`, `${SYSROOT_DESTDIR}` and the recipe's stamps.
fn clean(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    for var in ["WORKDIR", "SYSROOT_DESTDIR"] {
        let dir = ctx.var(var)?;
        if dir.is_empty() || dir == "/" {
            continue;
        }
        ctx.note(&format!("Removing {dir}"));
        match fs_err::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    let stamp = ctx.var("STAMP")?;
    ctx.stamps
        .remove_all(Path::new(&stamp))
        .map_err(|e| TaskError::Stamps(Box::new(e)))
}
