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
    config_for(ctx.d, &ctx.var("SRC_URI")?, None)
}

/// The fetcher's view of `d` for the URLs of `src_uri` (the recipe's checksums,
/// revisions, mirrors and directories), unpacking into `unpackdir` or UNPACKDIR.
pub(crate) fn config_for(
    d: &bb_data::DataStore,
    src_uri: &str,
    unpackdir: Option<&str>,
) -> Result<(FetchConfig, Vec<SrcUri>), TaskError> {
    let var = |name: &str| -> Result<String, TaskError> {
        d.get_var(name)
            .map(Option::unwrap_or_default)
            .map_err(TaskError::expand(name))
    };
    let uris = bb_fetch::parse_src_uri(src_uri).map_err(|e| TaskError::native("", e))?;
    let unpack = match unpackdir {
        Some(u) => u.to_owned(),
        None => var("UNPACKDIR")?,
    };
    let mut cfg = FetchConfig::new(var("DL_DIR")?, unpack, var("S")?);
    cfg.set_filespath(&var("FILESPATH")?);
    cfg.no_network = bb_util::to_boolean(Some(&var("BB_NO_NETWORK")?), false)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    // BitBake's fetcher compares BB_STRICT_CHECKSUM with "1" (fetch2 `verify_checksum`).
    cfg.strict_checksum = var("BB_STRICT_CHECKSUM")? == "1";
    cfg.premirrors =
        Mirror::parse_list(&var("PREMIRRORS")?).map_err(|e| TaskError::native("", e))?;
    cfg.mirrors = Mirror::parse_list(&var("MIRRORS")?).map_err(|e| TaskError::native("", e))?;
    for (flag, _) in d.get_var_flags("SRC_URI") {
        let Some(v) = d
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
    let rev = var("SRCREV")?;
    if !rev.is_empty() && rev != "INVALID" {
        cfg.set_srcrev("default", rev);
    }
    for u in &uris {
        let name = u.name();
        if !name.is_default() {
            let rev = var(&format!("SRCREV_{name}"))?;
            if !rev.is_empty() && rev != "INVALID" {
                cfg.set_srcrev(name.as_str(), rev);
            }
        }
    }
    Ok((cfg, uris))
}

/// The `fetch` service of the Python task runtime (bb.fetch2.Fetch's download and
/// unpack through bb-fetch): `download URL...` or `unpack UNPACKDIR URL...`.
pub(crate) fn fetch_service(d: &mut bb_data::DataStore, args: &[String]) -> Result<String, String> {
    let (op, rest) = args.split_first().ok_or("fetch: no operation")?;
    let (unpackdir, urls) = match op.as_str() {
        "download" => (None, rest),
        "unpack" => {
            let (dir, urls) = rest.split_first().ok_or("fetch unpack: no directory")?;
            (Some(dir.as_str()), urls)
        }
        other => return Err(format!("fetch: unknown operation `{other}`")),
    };
    let (cfg, uris) = config_for(d, &urls.join(" "), unpackdir).map_err(|e| e.to_string())?;
    let f = bb_fetch::fetch(&cfg, &uris).map_err(|e| e.to_string())?;
    if unpackdir.is_some() {
        bb_fetch::unpack(&cfg, &f).map_err(|e| e.to_string())?;
    }
    Ok(String::new())
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
