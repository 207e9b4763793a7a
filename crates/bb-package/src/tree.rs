//! A snapshot of a directory tree (`${PKGD}`, a package directory, a root filesystem):
//! every path below the root with its kind, and Python `glob`'s matching over it (the
//! rules FILES patterns are read with: `*`, `?`, `[...]`, `**`, and wildcards that do not
//! match names starting with a dot).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Result;

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link (`to_dir`: it points at a directory).
    Symlink {
        /// Whether the link resolves to a directory (os.walk lists it with directories).
        to_dir: bool,
    },
}

/// Every path below a root, as `./a/b` (Python's `"." + path` form).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    root: PathBuf,
    kinds: BTreeMap<String, Kind>,
    children: HashMap<String, Vec<String>>,
}

impl Tree {
    /// Walks `root` (which must exist).
    pub fn scan(root: &Path) -> Result<Tree> {
        let mut t = Tree {
            root: root.to_path_buf(),
            ..Tree::default()
        };
        t.walk(".")?;
        Ok(t)
    }

    fn walk(&mut self, rel: &str) -> Result<()> {
        let dir = self.abs(rel);
        let mut names = Vec::new();
        for e in fs_err::read_dir(&dir)? {
            let e = e?;
            names.push(e.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        for n in &names {
            let p = format!("{rel}/{n}");
            let abs = self.abs(&p);
            let meta = fs_err::symlink_metadata(&abs)?;
            let kind = if meta.file_type().is_symlink() {
                Kind::Symlink {
                    to_dir: std::fs::metadata(&abs).map(|m| m.is_dir()).unwrap_or(false),
                }
            } else if meta.is_dir() {
                Kind::Dir
            } else {
                Kind::File
            };
            self.kinds.insert(p.clone(), kind);
            if kind == Kind::Dir {
                self.walk(&p)?;
            }
        }
        self.children.insert(rel.to_owned(), names);
        Ok(())
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `./a/b`.
    pub fn abs(&self, rel: &str) -> PathBuf {
        let r = rel.trim_start_matches('.').trim_start_matches('/');
        if r.is_empty() {
            self.root.clone()
        } else {
            self.root.join(r)
        }
    }

    /// The kind of `./a/b`, `None` when absent.
    pub fn kind(&self, rel: &str) -> Option<Kind> {
        if rel == "." {
            return Some(Kind::Dir);
        }
        self.kinds.get(rel).copied()
    }

    /// Every path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = (&str, Kind)> {
        self.kinds.iter().map(|(p, k)| (p.as_str(), *k))
    }

    /// The names in directory `./a` (sorted), empty for anything else.
    pub fn children(&self, rel: &str) -> &[String] {
        self.children.get(rel).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The paths in `os.walk` order: for each directory (top-down, sorted), its files
    /// (and links to files) then its directories (and links to directories).
    pub fn walk_order(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk_into(".", &mut out);
        out
    }

    fn walk_into(&self, rel: &str, out: &mut Vec<String>) {
        let kids = self.children(rel);
        let path = |n: &String| format!("{rel}/{n}");
        let is_dirlike = |p: &str| {
            matches!(
                self.kind(p),
                Some(Kind::Dir) | Some(Kind::Symlink { to_dir: true })
            )
        };
        for n in kids {
            let p = path(n);
            if !is_dirlike(&p) {
                out.push(p);
            }
        }
        for n in kids {
            let p = path(n);
            if is_dirlike(&p) {
                out.push(p);
            }
        }
        for n in kids {
            let p = path(n);
            if self.kind(&p) == Some(Kind::Dir) {
                self.walk_into(&p, out);
            }
        }
    }

    /// Python's `glob.glob(pattern, recursive=True)` for a pattern starting with `./`,
    /// sorted.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let comps: Vec<&str> = pattern
            .trim_start_matches("./")
            .split('/')
            .filter(|c| !c.is_empty())
            .collect();
        let mut current = vec![".".to_owned()];
        for (i, comp) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let mut next = Vec::new();
            for base in &current {
                if *comp == "**" {
                    // zero or more directories (and, as the last component, files)
                    next.push(base.clone());
                    self.descend(base, last, &mut next);
                } else if !has_magic(comp) {
                    let p = join(base, comp);
                    if self.kind(&p).is_some() || *comp == "." {
                        next.push(p);
                    }
                } else {
                    for n in self.children(base) {
                        if n.starts_with('.') && !comp.starts_with('.') {
                            continue;
                        }
                        if fnmatch(comp, n) {
                            next.push(join(base, n));
                        }
                    }
                }
            }
            current = next;
        }
        if comps.is_empty() {
            return vec![".".to_owned()];
        }
        current.sort();
        current.dedup();
        current
    }

    fn descend(&self, base: &str, files_too: bool, out: &mut Vec<String>) {
        for n in self.children(base) {
            if n.starts_with('.') {
                continue;
            }
            let p = join(base, n);
            match self.kind(&p) {
                Some(Kind::Dir) => {
                    out.push(p.clone());
                    self.descend(&p, files_too, out);
                }
                Some(Kind::Symlink { to_dir: true }) => out.push(p),
                _ if files_too => out.push(p),
                _ => {}
            }
        }
    }
}

fn join(base: &str, name: &str) -> String {
    if name == "." {
        base.to_owned()
    } else {
        format!("{base}/{name}")
    }
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Python's `fnmatch.fnmatchcase` (case-sensitive, as on POSIX).
pub fn fnmatch(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fnm(&p, &n)
}

fn fnm(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| fnm(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && fnm(&p[1..], &n[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                // no closing bracket: a literal `[`
                return n.first() == Some(&'[') && fnm(&p[1..], &n[1..]);
            };
            let Some(&c) = n.first() else { return false };
            let mut set = &p[1..close];
            let negate = matches!(set.first(), Some('!'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    if set[i] <= c && c <= set[i + 2] {
                        hit = true;
                    }
                    i += 3;
                } else {
                    if set[i] == c {
                        hit = true;
                    }
                    i += 1;
                }
            }
            hit != negate && fnm(&p[close + 1..], &n[1..])
        }
        Some(c) => n.first() == Some(c) && fnm(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests;
