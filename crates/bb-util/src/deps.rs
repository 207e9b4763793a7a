//! Dependency lists, as BitBake reads DEPENDS, RDEPENDS and LAYERDEPENDS:
//! `bb.utils.explode_deps` (names only) and `bb.utils.explode_dep_versions2` (names
//! with their version constraints: `foo (>= 1.2) bar baz (< 2)`). Parsing only;
//! comparing versions is [`crate::version`]'s job.

/// A dependency list that `explode_dep_versions2` refuses (BitBake raises).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DepsError(pub String);

type Result<T> = std::result::Result<T, DepsError>;

/// `bb.utils.explode_deps(s)`: the names of a dependency list in written order
/// (duplicates kept), every word from one starting with `(` to one ending with `)`
/// dropped.
pub fn explode_deps(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_version = false;
    for w in s.split_whitespace() {
        if w.starts_with('(') {
            in_version = true;
        }
        if !in_version {
            out.push(w);
        }
        if in_version && w.ends_with(')') {
            in_version = false;
        }
    }
    out
}

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
                return Err(DepsError(format!(
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
        assert_eq!(explode_deps("x, y (=1.0)"), ["x,", "y"]);
    }

    /// BitBake's `bb.utils.explode_deps` on each input (c251833d).
    #[test]
    fn explode_deps_matches_bitbake() {
        let table: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a b a", &["a", "b", "a"]),
            ("a (>= 1.0) b", &["a", "b"]),
            ("a (>= 1.0 ) b (< 2) c", &["a", "b", "c"]),
            ("a (>=1.0) b", &["a", "b"]),
            ("(x) a", &["a"]),
            ("a (unclosed b c", &["a"]),
        ];
        for (s, want) in table {
            assert_eq!(explode_deps(s), *want, "explode_deps({s:?})");
        }
    }
}
