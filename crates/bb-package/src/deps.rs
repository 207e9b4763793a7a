//! Runtime dependency lists (`RDEPENDS` and friends): BitBake's `explode_dep_versions2`
//! and `join_deps`, over plain strings.

use crate::error::{Error, Result};

/// One entry of a dependency list: a name and its optional version constraint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dep {
    /// The package (or provided) name.
    pub name: String,
    /// The constraint as written inside the parentheses (`>= 1.0`), if any.
    pub version: Option<String>,
}

impl Dep {
    /// A dependency without version.
    pub fn new(name: impl Into<String>) -> Dep {
        Dep {
            name: name.into(),
            version: None,
        }
    }

    /// As BitBake writes it: `name (op ver)` or `name`.
    pub fn to_bitbake(&self) -> String {
        match &self.version {
            Some(v) => format!("{} ({v})", self.name),
            None => self.name.clone(),
        }
    }

    /// The constraint split into operator and version; `=` and the two-character operators
    /// BitBake accepts (`<`/`>` are read as `<=`/`>=`, as BitBake does).
    pub fn constraint(&self) -> Option<(&'static str, &str)> {
        let v = self.version.as_deref()?.trim();
        for (op, norm) in [
            (">=", ">="),
            ("<=", "<="),
            ("=>", ">="),
            ("=<", "<="),
            (">>", ">>"),
            ("<<", "<<"),
            ("=", "="),
            (">", ">="),
            ("<", "<="),
        ] {
            if let Some(rest) = v.strip_prefix(op) {
                return Some((norm, rest.trim()));
            }
        }
        Some(("=", v))
    }
}

/// Splits `foo (>= 1.0) bar, baz (= 2)` into entries (BitBake's `explode_dep_versions2`;
/// a name written twice is kept once, at its first place). `what` names the variable for
/// the error message.
pub fn parse_deps(what: &str, s: &str) -> Result<Vec<Dep>> {
    let mut out: Vec<Dep> = Vec::new();
    let mut word = String::new();
    let mut inner: Option<String> = None;
    for (i, c) in s.char_indices() {
        if let Some(buf) = inner.as_mut() {
            if c == ')' {
                let v = buf.trim().to_owned();
                inner = None;
                match out.last_mut() {
                    Some(last) if last.version.is_none() => last.version = Some(v),
                    _ => {
                        return Err(Error::parse(
                            what,
                            0,
                            format!("version `({v})` at byte {i} follows no package name in `{s}`"),
                        ));
                    }
                }
            } else {
                buf.push(c);
            }
            continue;
        }
        if c == '(' {
            if !word.is_empty() {
                out.push(Dep::new(std::mem::take(&mut word)));
            }
            inner = Some(String::new());
        } else if c.is_whitespace() || c == ',' {
            if !word.is_empty() {
                out.push(Dep::new(std::mem::take(&mut word)));
            }
        } else {
            word.push(c);
        }
    }
    if inner.is_some() {
        return Err(Error::parse(what, 0, format!("unclosed `(` in `{s}`")));
    }
    if !word.is_empty() {
        out.push(Dep::new(word));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert(d.name.clone()));
    Ok(out)
}

/// Joins entries as BitBake's `join_deps` does (`, ` when `commasep`, else a space).
pub fn join_deps(deps: &[Dep], commasep: bool) -> String {
    let sep = if commasep { ", " } else { " " };
    deps.iter()
        .map(Dep::to_bitbake)
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests;
