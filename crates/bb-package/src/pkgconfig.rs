//! pkg-config dependencies, as oe-core's `process_pkgconfig`: every `NAME.pc` a package
//! ships makes it the provider of module `NAME` (`shlibs2/<pkg>.pclist`); the modules in
//! the `Requires`/`Requires.private` fields of its `.pc` files (with the file's own
//! `var=value` definitions expanded) become runtime dependencies on their providers.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::fsx::write_atomic;

/// The module a `.pc` path provides (`/usr/lib/pkgconfig/foo.pc` -> `foo`).
pub(crate) fn provided(path: &str) -> Option<String> {
    let base = path.rsplit('/').next()?;
    base.strip_suffix(".pc").map(str::to_owned)
}

fn expand(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 3 + j]),
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The words of the `Requires` and `Requires.private` fields of a `.pc` file.
pub(crate) fn needed(file: &Path) -> Result<Vec<String>> {
    let text = fs_err::read_to_string(file)?;
    let mut vars = BTreeMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some((hdr, value)) = line.split_once(": ")
            && (hdr == "Requires" || hdr == "Requires.private")
        {
            out.extend(
                expand(value, &vars)
                    .replace(',', " ")
                    .split_whitespace()
                    .map(str::to_owned),
            );
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            let v = expand(value, &vars);
            vars.insert(name.to_owned(), v);
        }
    }
    Ok(out)
}

/// Writes `shlibs2/<pkg>.pclist` (when the package provides modules).
pub(crate) fn write_list(dir: &Path, pkg: &str, modules: &[String]) -> Result<()> {
    if modules.is_empty() {
        return Ok(());
    }
    let mut m = modules.to_vec();
    m.sort();
    fs_err::create_dir_all(dir)?;
    write_atomic(
        &dir.join(format!("{pkg}.pclist")),
        format!("{}\n", m.join("\n")).as_bytes(),
    )
}

/// package -> modules, from the `.pclist` files of PKGDATA_DIR (only packages of
/// `only_pns` when given, as for shlibs).
pub(crate) fn read_lists(
    pkgdata_dir: &Path,
    skip: &[String],
    only_pns: Option<&[String]>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut map = BTreeMap::new();
    let Ok(rd) = fs_err::read_dir(pkgdata_dir.join("shlibs2")) else {
        return Ok(map);
    };
    let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    for f in files {
        let Some(pkg) = f
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".pclist"))
        else {
            continue;
        };
        if skip.iter().any(|s| s == pkg) {
            continue;
        }
        if let Some(pns) = only_pns {
            let pn = crate::pkgdata::read_runtime(&pkgdata_dir.join("runtime").join(pkg))
                .ok()
                .and_then(|m| m.get("PN").cloned())
                .unwrap_or_default();
            if !pns.contains(&pn) {
                continue;
            }
        }
        let text = fs_err::read_to_string(&f)?;
        map.insert(pkg.to_owned(), text.lines().map(str::to_owned).collect());
    }
    Ok(map)
}
