//! Dependency lists with optional version constraints, as BitBake reads DEPENDS,
//! RDEPENDS and LAYERDEPENDS: `foo (>= 1.2) bar baz (< 2)`. Parsing only; comparing
//! versions is [`crate::version`]'s job.

use crate::error::{Error, Result};

/// One dependency and its constraints (`">= 1.2"`, operator and version separated by a
/// space), in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// The dependency name.
    pub name: String,
    /// Its constraints, each `"OP VERSION"`.
    pub constraints: Vec<String>,
}

const OPS2: &[&str] = &["<=", "=<", "<<", "==", "!=", ">=", "=>", ">>"];

/// Splits a dependency string the way `bb.utils.explode_dep_versions2` does: commas
/// are dropped, a parenthesised group after a name gives its constraints, a name seen
/// twice keeps its first position. `sort` orders the result by name (BitBake's default).
pub fn explode_dep_versions(s: &str, sort: bool) -> Result<Vec<Dep>> {
    let cleaned = s.replace(',', "");
    let mut out: Vec<Dep> = Vec::new();
    let mut last: Option<usize> = None;
    let mut lastcmp = String::new();
    let mut lastver = String::new();
    let mut incmp = false;
    let mut inversion = false;
    for word in cleaned.split_whitespace() {
        let mut w = word;
        if let Some(rest) = w.strip_prefix('(') {
            incmp = true;
            w = rest.trim();
            if w.is_empty() {
                continue;
            }
        }
        if incmp {
            incmp = false;
            inversion = true;
            if let Some(op) = OPS2.iter().find(|op| w.starts_with(**op)) {
                lastcmp = (*op).to_owned();
                w = &w[2..];
            } else if w.starts_with(['<', '>', '=']) {
                lastcmp = w[..1].to_owned();
                w = &w[1..];
            } else {
                return Err(Error::Config(format!(
                    "Invalid version specification in \"({w}\" - invalid or missing operator"
                )));
            }
            if w.is_empty() {
                continue;
            }
        }
        if inversion {
            let mut v = w;
            if let Some(stripped) = v.strip_suffix(')') {
                v = stripped;
                inversion = false;
                if !lastver.is_empty() && !v.is_empty() {
                    lastver.push(' ');
                }
            }
            if !v.is_empty() {
                lastver.push_str(v);
                if let Some(i) = last {
                    out[i].constraints.push(format!("{lastcmp} {lastver}"));
                }
            }
            continue;
        }
        lastver.clear();
        lastcmp.clear();
        match out.iter().position(|d| d.name == w) {
            Some(i) => last = Some(i),
            None => {
                out.push(Dep {
                    name: w.to_owned(),
                    constraints: Vec::new(),
                });
                last = Some(out.len() - 1);
            }
        }
    }
    if sort {
        out.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// The names of a dependency string, constraints dropped, in written order.
pub fn dep_names(s: &str) -> Vec<String> {
    match explode_dep_versions(s, false) {
        Ok(v) => v.into_iter().map(|d| d.name).collect(),
        Err(_) => s
            .split_whitespace()
            .filter(|w| !w.starts_with('(') && !w.ends_with(')'))
            .map(str::to_owned)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_and_order() {
        let v = explode_dep_versions("zed core (>= 12) b (< 2.0) (> 1)", true).unwrap_or_default();
        let names: Vec<_> = v.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["b", "core", "zed"]);
        assert_eq!(v[1].constraints, [">= 12"]);
        // BitBake keeps the previous version text across groups: "> 2.0 1".
        assert_eq!(v[0].constraints, ["< 2.0", "> 2.0 1"]);
        assert!(explode_dep_versions("a (~ 1)", true).is_err());
        assert_eq!(dep_names("x, y (=1.0)"), ["x", "y"]);
    }
}
