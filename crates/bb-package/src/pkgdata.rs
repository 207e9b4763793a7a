//! pkgdata as oe-core's `emit_pkgdata` writes it, below `${PKGDESTWORK}` (copied into
//! PKGDATA_DIR by do_packagedata):
//!
//! - `<PN>`: `PACKAGES: ...`
//! - `runtime/<pkg>`: `VAR:pkg: value` (package-specific) or `VAR: value` for each of
//!   PKGDATA_VARS that is set, values escaped as Python's `unicode_escape`;
//!   `FILES_INFO:pkg` (JSON of path -> size) and `PKGSIZE:pkg`
//! - `runtime/<pkg>.packaged` (empty) for a package that is written
//! - `runtime-reverse/<PKG>` -> `../runtime/<pkg>`
//! - `runtime-rprovides/<name>/<pkg>` -> `../../runtime/<pkg>`
//! - `shlibs2/<pkg>.list` (see `shlibs.rs`)

use std::collections::BTreeMap;
use std::path::Path;

use crate::deps::parse_deps;
use crate::error::{Error, Result};
use crate::fsx::{symlink_force, write_atomic};
use crate::spec::PackageSpec;

/// Python's `codecs.getencoder("unicode_escape")` decoded as latin-1.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..0x100).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out
}

/// The inverse of [`encode`].
pub fn decode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |it: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| {
            let h: String = it.by_ref().take(n).collect();
            u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
        };
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('x') => out.extend(hex(&mut it, 2)),
            Some('u') => out.extend(hex(&mut it, 4)),
            Some('U') => out.extend(hex(&mut it, 8)),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Python's `json.dumps(files, sort_keys=True)` of path -> size.
pub(crate) fn files_info_json(files: &BTreeMap<String, u64>) -> String {
    let body: Vec<String> = files
        .iter()
        .map(|(k, v)| format!("{}: {v}", serde_json::Value::String(k.clone())))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// What pkgdata says about one written package.
pub(crate) struct RuntimeData<'a> {
    pub spec: &'a PackageSpec,
    pub files: &'a BTreeMap<String, u64>,
    pub size: u64,
    pub packaged: bool,
}

/// Writes the pkgdata of one recipe.
pub(crate) fn write(
    work: &Path,
    pn: &str,
    vars: &[String],
    packages: &[RuntimeData<'_>],
) -> Result<()> {
    let names: Vec<&str> = packages.iter().map(|p| p.spec.name.as_str()).collect();
    fs_err::create_dir_all(work.join("runtime"))?;
    fs_err::create_dir_all(work.join("runtime-reverse"))?;
    write_atomic(
        &work.join(pn),
        format!("PACKAGES: {}\n", names.join(" ")).as_bytes(),
    )?;
    for p in packages {
        let pkg = &p.spec.name;
        let mut text = String::new();
        for var in vars {
            if var == "FILES_INFO" {
                text.push_str(&format!(
                    "FILES_INFO:{pkg}: {}\n",
                    encode(&files_info_json(p.files))
                ));
                continue;
            }
            if let Some(v) = p.spec.vars.iter().find(|v| &v.name == var) {
                if v.value.is_empty() {
                    continue;
                }
                if v.specific {
                    text.push_str(&format!("{var}:{pkg}: {}\n", encode(&v.value)));
                } else {
                    text.push_str(&format!("{var}: {}\n", encode(&v.value)));
                }
            }
        }
        text.push_str(&format!("PKGSIZE:{pkg}: {}\n", p.size));
        let file = work.join("runtime").join(pkg);
        write_atomic(&file, text.as_bytes())?;
        let rprov = p.spec.var("RPROVIDES");
        for d in parse_deps(&format!("RPROVIDES:{pkg}"), rprov)? {
            let dir = work.join("runtime-rprovides").join(&d.name);
            fs_err::create_dir_all(&dir)?;
            symlink_force(&format!("../../runtime/{pkg}"), &dir.join(pkg))?;
        }
        let packaged = work.join("runtime").join(format!("{pkg}.packaged"));
        if p.packaged {
            let renamed = match p.spec.var("PKG") {
                "" => pkg.as_str(),
                r => r,
            };
            symlink_force(
                &format!("../runtime/{pkg}"),
                &work.join("runtime-reverse").join(renamed),
            )?;
            write_atomic(&packaged, b"")?;
        } else if packaged.exists() {
            fs_err::remove_file(&packaged)?;
        }
    }
    Ok(())
}

/// Reads `runtime/<pkg>` (or any pkgdata file) into `VAR` -> value; package-specific
/// keys keep their `:pkg` suffix.
pub fn read_runtime(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = fs_err::read_to_string(path)?;
    let mut map = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some((k, v)) = line.split_once(": ") else {
            if let Some(k) = line.strip_suffix(':') {
                map.insert(k.to_owned(), String::new());
                continue;
            }
            return Err(Error::parse(
                path.display().to_string(),
                i + 1,
                format!("expected `KEY: value`, got `{line}`"),
            ));
        };
        map.insert(k.to_owned(), decode(v));
    }
    Ok(map)
}

#[cfg(test)]
mod tests;
