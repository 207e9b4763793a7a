//! Package metadata as deb and ipk control files carry it: the fields oe-core's
//! package_deb/package_ipk classes write, the maintainer scripts, and a reader for
//! control stanzas (`Packages` indexes, control files).

use std::collections::BTreeMap;

use crate::deps::{Dep, join_deps};
use crate::error::{Error, Result};

/// The package formats PACKAGE_CLASSES picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `package_deb`: Debian `.deb` (ar + control.tar.gz + data.tar.gz).
    Deb,
    /// `package_ipk`: opkg `.ipk` (the same ar layout, opkg's fields).
    Ipk,
    /// `package_rpm`: `.rpm`.
    Rpm,
}

impl Format {
    /// `deb`, `ipk`, `rpm`: the deploy subdirectory and the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Deb => "deb",
            Format::Ipk => "ipk",
            Format::Rpm => "rpm",
        }
    }

    /// The format of a PACKAGE_CLASSES word (`package_deb`).
    pub fn from_class(class: &str) -> Option<Format> {
        match class {
            "package_deb" => Some(Format::Deb),
            "package_ipk" => Some(Format::Ipk),
            "package_rpm" => Some(Format::Rpm),
            _ => None,
        }
    }
}

/// Everything a package file says about its package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageMeta {
    /// The package name (PKG:pkg).
    pub name: String,
    /// `[PKGE:]PKGV-PKGR`.
    pub version: String,
    /// PACKAGE_ARCH.
    pub arch: String,
    /// The Debian architecture name for PACKAGE_ARCH (`amd64`, `all`).
    pub dpkg_arch: String,
    /// PN.
    pub pn: String,
    /// SUMMARY.
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// SECTION.
    pub section: String,
    /// PRIORITY.
    pub priority: String,
    /// MAINTAINER.
    pub maintainer: String,
    /// LICENSE.
    pub license: String,
    /// HOMEPAGE.
    pub homepage: String,
    /// RDEPENDS.
    pub depends: Vec<Dep>,
    /// RRECOMMENDS.
    pub recommends: Vec<Dep>,
    /// RSUGGESTS.
    pub suggests: Vec<Dep>,
    /// RPROVIDES.
    pub provides: Vec<Dep>,
    /// RREPLACES.
    pub replaces: Vec<Dep>,
    /// RCONFLICTS.
    pub conflicts: Vec<Dep>,
    /// `pkg_preinst`, `pkg_postinst`, `pkg_prerm`, `pkg_postrm` bodies by script name
    /// (`postinst`); `pkg_postinst_ontarget` already folded in by the caller.
    pub scripts: BTreeMap<String, String>,
    /// CONFFILES.
    pub conffiles: Vec<String>,
}

impl PackageMeta {
    /// The version without its epoch (what file names carry).
    pub fn file_version(&self) -> &str {
        self.version
            .split_once(':')
            .map(|(_, v)| v)
            .unwrap_or(&self.version)
    }

    /// The package file's name: `name_version_arch.deb` / `.ipk`.
    pub fn file_name(&self, format: Format) -> String {
        let arch = match format {
            Format::Deb => &self.dpkg_arch,
            _ => &self.arch,
        };
        match format {
            Format::Rpm => format!(
                "{}-{}.{}.rpm",
                self.name,
                self.file_version(),
                self.arch.replace('-', "_")
            ),
            f => format!("{}_{}_{arch}.{}", self.name, self.file_version(), f.name()),
        }
    }

    /// The control file text.
    pub fn control(&self, format: Format) -> String {
        let mut c = String::new();
        let mut field = |k: &str, v: &str| {
            if !v.is_empty() {
                c.push_str(&format!("{k}: {v}\n"));
            }
        };
        field("Package", &self.name);
        field("Version", &self.version);
        field(
            "Description",
            &description(&self.summary, &self.description),
        );
        field("Section", &self.section);
        field("Priority", &self.priority);
        field("Maintainer", &self.maintainer);
        field("License", &self.license);
        field(
            "Architecture",
            match format {
                Format::Deb => &self.dpkg_arch,
                _ => &self.arch,
            },
        );
        field("OE", &self.pn);
        if format == Format::Deb {
            field("PackageArch", &self.arch);
        }
        field("Homepage", &self.homepage);
        let deps = |d: &[Dep]| match format {
            Format::Deb => join_deps(&debian_ops(d), true),
            _ => join_deps(d, true),
        };
        field("Depends", &deps(&self.depends));
        field("Recommends", &deps(&self.recommends));
        field("Suggests", &deps(&self.suggests));
        field("Provides", &deps(&self.provides));
        field("Replaces", &deps(&self.replaces));
        field("Conflicts", &deps(&self.conflicts));
        if format == Format::Ipk {
            field("Source", &self.pn);
        }
        c
    }

    /// The maintainer scripts as files: `#!/bin/sh` unless the body has its own `#!`;
    /// prerm/postrm skip upgrades, as oe-core writes them.
    pub fn script_files(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for name in ["preinst", "postinst", "prerm", "postrm"] {
            let Some(body) = self.scripts.get(name) else {
                continue;
            };
            let body = body.trim();
            if body.is_empty() {
                continue;
            }
            let (shebang, rest) = if body.starts_with("#!") {
                let pos = body.find('\n').map(|p| p + 1).unwrap_or(body.len());
                (body[..pos].to_owned(), &body[pos..])
            } else {
                ("#!/bin/sh\n".to_owned(), body)
            };
            let mut text = shebang;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            if name == "prerm" || name == "postrm" {
                text.push_str("[ \"$1\" != \"upgrade\" ] || exit 0\n");
            }
            text.push_str(rest);
            text.push('\n');
            out.push((name.to_owned(), text));
        }
        out
    }
}

/// `Description: summary` plus the description's lines indented, blank ones as ` .`.
fn description(summary: &str, description: &str) -> String {
    let summary = summary.lines().next().unwrap_or("").trim();
    let mut s = summary.to_owned();
    let desc = description.trim();
    if !desc.is_empty() && desc != summary {
        for line in desc.lines() {
            let line = line.trim_end();
            s.push_str("\n ");
            s.push_str(if line.is_empty() { "." } else { line });
        }
    }
    s
}

/// Debian's relation operators: a bare `<`/`>` becomes `<<`/`>>` (oe-core does the same).
fn debian_ops(deps: &[Dep]) -> Vec<Dep> {
    deps.iter()
        .map(|d| {
            let version = d.version.as_ref().map(|v| {
                let v = v.trim();
                for (from, to) in [("<", "<<"), (">", ">>")] {
                    if let Some(rest) = v.strip_prefix(from)
                        && !rest.starts_with(['<', '>', '='])
                    {
                        return format!("{to} {}", rest.trim());
                    }
                }
                v.to_owned()
            });
            Dep {
                name: d.name.clone(),
                version,
            }
        })
        .collect()
}

/// One control stanza: fields in order (continuation lines joined with `\n`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stanza {
    /// `(Field, value)` in file order.
    pub fields: Vec<(String, String)>,
}

impl Stanza {
    /// The value of `field` (case-insensitive), empty when absent.
    pub fn get(&self, field: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The stanza as text (continuation lines indented by one space).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.fields {
            s.push_str(&format!("{k}: {}\n", v.replace('\n', "\n ")));
        }
        s
    }
}

/// Parses control text (one or more stanzas separated by blank lines); `what` names it.
pub fn parse_stanzas(what: &str, text: &str) -> Result<Vec<Stanza>> {
    let mut out = Vec::new();
    let mut cur = Stanza::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some(last) = cur.fields.last_mut() else {
                return Err(Error::parse(
                    what,
                    i + 1,
                    "continuation line before any field",
                ));
            };
            last.1.push('\n');
            last.1.push_str(line.trim_start());
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(Error::parse(
                what,
                i + 1,
                format!("expected `Field: value`, got `{line}`"),
            ));
        };
        cur.fields.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
