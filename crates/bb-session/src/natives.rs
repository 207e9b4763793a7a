//! The native implementations of the default layer's Python task functions
//! (`meta/README.md`): the run queue's own (sysroot, utility tasks) plus fetch, unpack
//! and patch through bb-fetch, shared state through bb-sstate (`sstate.rs`), fed with the recipe's expanded variables; packaging, rootfs
//! and images through bb-package's adapter.

use bb_fetch::{FetchConfig, Fetched, Mirror, SrcUri};
use bb_runqueue::{TaskContext, TaskError};

/// Every native task function bake knows.
pub fn natives() -> bb_runqueue::builtin::Native {
    let n = bb_runqueue::builtin::Native::new()
        .with("do_fetch", fetch)
        .with("do_unpack", unpack)
        .with("do_patch", patch)
        .with("sstate_clean_all", crate::sstate::clean_all)
        .with("sstate_task_prefunc", crate::sstate::task_prefunc)
        .with("sstate_task_postfunc", crate::sstate::task_postfunc);
    let n = crate::sstate::SETSCENE_FUNCS
        .iter()
        .fold(n, |n, f| n.with(f, crate::sstate::setscene));
    let n = bb_package::natives::FUNCS
        .iter()
        .fold(n, |n, f| n.with(f, package));
    // Packaging tasks whose output is shared state write it into their WORKDIR first.
    crate::sstate::REDIRECTED
        .iter()
        .fold(n, |n, (f, _)| n.with(f, crate::sstate::redirected_package))
}

/// Packaging, rootfs and image functions: bb-package's adapter.
fn package(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    bb_package::natives::run(ctx.func, ctx.d, ctx.log)
        .unwrap_or_else(|| Err(format!("`{}` is not a packaging function", ctx.func)))
        .map_err(TaskError::msg)
}

/// The fetcher's view of the recipe: SRC_URI parsed, and what it needs expanded.
fn config(ctx: &TaskContext<'_>) -> Result<(FetchConfig, Vec<SrcUri>), TaskError> {
    let uris =
        bb_fetch::parse_src_uri(&ctx.var("SRC_URI")?).map_err(|e| TaskError::native("", e))?;
    let mut cfg = FetchConfig::new(ctx.var("DL_DIR")?, ctx.var("UNPACKDIR")?, ctx.var("S")?);
    cfg.set_filespath(&ctx.var("FILESPATH")?);
    cfg.no_network = bb_util::to_boolean(Some(&ctx.var("BB_NO_NETWORK")?), false)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    // BitBake's fetcher compares BB_STRICT_CHECKSUM with "1" (fetch2 `verify_checksum`).
    cfg.strict_checksum = ctx.var("BB_STRICT_CHECKSUM")? == "1";
    cfg.premirrors =
        Mirror::parse_list(&ctx.var("PREMIRRORS")?).map_err(|e| TaskError::native("", e))?;
    cfg.mirrors = Mirror::parse_list(&ctx.var("MIRRORS")?).map_err(|e| TaskError::native("", e))?;
    for (flag, _) in ctx.d.get_var_flags("SRC_URI") {
        let Some(v) = ctx
            .d
            .get_var_flag("SRC_URI", &flag, true)
            .map_err(TaskError::expand(format!("SRC_URI[{flag}]")))?
        else {
            continue;
        };
        let (name, kind) = match flag.rsplit_once('.') {
            Some((n, k)) => (n.to_owned(), k.to_owned()),
            None => ("default".to_owned(), flag.clone()),
        };
        match kind.as_str() {
            "sha256sum" => cfg.set_sha256(&name, v.trim()),
            "md5sum" => cfg.set_md5(&name, v.trim()),
            _ => {}
        }
    }
    let rev = ctx.var("SRCREV")?;
    if !rev.is_empty() && rev != "INVALID" {
        cfg.set_srcrev("default", rev);
    }
    for u in &uris {
        let name = u.name();
        if !name.is_default() {
            let rev = ctx.var(&format!("SRCREV_{name}"))?;
            if !rev.is_empty() && rev != "INVALID" {
                cfg.set_srcrev(name.as_str(), rev);
            }
        }
    }
    Ok((cfg, uris))
}

fn fetched(ctx: &TaskContext<'_>) -> Result<(FetchConfig, Vec<Fetched>), TaskError> {
    let (cfg, uris) = config(ctx)?;
    let f = bb_fetch::fetch(&cfg, &uris).map_err(|e| TaskError::native("Fetcher failure", e))?;
    Ok((cfg, f))
}

fn fetch(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let (_, f) = fetched(ctx)?;
    for item in &f {
        ctx.note(&format!("Fetched {}", item.uri.as_str()));
    }
    Ok(())
}

fn unpack(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let (cfg, f) = fetched(ctx)?;
    bb_fetch::unpack(&cfg, &f).map_err(|e| TaskError::native("Unpack failure", e))
}

fn patch(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let (cfg, f) = fetched(ctx)?;
    for item in &f {
        let name = item.uri.basename();
        let default = name.ends_with(".patch") || name.ends_with(".diff");
        if item.uri.bool_param("apply", default).unwrap_or(default) {
            ctx.note(&format!("Applying patch {name}"));
        }
    }
    bb_fetch::patch(&cfg, &f).map_err(|e| TaskError::native("", e))
}
