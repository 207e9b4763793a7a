//! Recipe discovery: BBFILES globs (or directories) in collection-priority order,
//! BBMASK, `.bbappend` matching with `%` wildcards, and overlayed recipes. Reads
//! directory listings only; it parses nothing.

use std::collections::HashMap;
use std::path::Path;

use bb_data::DataStore;
use bb_pyexpr::PyRegex;

use crate::error::Result;
use crate::layers::Collections;

/// The result of collecting recipe files.
#[derive(Debug, Default, Clone)]
pub struct Collected {
    /// The words of BBFILES, stably sorted by their pattern's priority (lowest first),
    /// as BitBake stores them in BBFILES_PRIORITIZED.
    pub bbfiles_prioritized: Vec<String>,
    /// The `.bb` files, in discovery order.
    pub recipes: Vec<String>,
    /// `(recipe basename pattern, append file)` in discovery order.
    pub appends: Vec<(String, String)>,
    /// How many files BBMASK excluded.
    pub masked: usize,
    /// For each recipe that hides others of the same file name, the hidden ones.
    pub overlayed: Vec<(String, Vec<String>)>,
    /// Warnings and critical messages (BBMASK problems).
    pub warnings: Vec<String>,
}

fn glob_sorted(pattern: &str) -> Vec<String> {
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut out: Vec<String> = match glob::glob_with(pattern, opts) {
        Ok(paths) => paths
            .filter_map(|p| p.ok())
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    if out.is_empty() && Path::new(pattern).exists() {
        out.push(pattern.to_owned());
    }
    out.sort();
    out
}

fn find_bbfiles(dir: &str) -> Vec<String> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(dir).into_iter().filter_entry(|e| {
        !(e.file_type().is_dir() && matches!(e.file_name().to_str(), Some("SCCS" | "CVS" | ".svn")))
    });
    for e in walker.filter_map(|e| e.ok()) {
        let p = e.path().to_string_lossy().into_owned();
        if e.file_type().is_file() && (p.ends_with(".bb") || p.ends_with(".bbappend")) {
            found.push(p);
        }
    }
    found
}

/// Compiles BBMASK as BitBake does: entries with a leading `|` fixed with a warning,
/// invalid entries dropped with a critical message, the rest OR-ed together.
pub fn compile_bbmask(bbmask: &str, warnings: &mut Vec<String>) -> Option<PyRegex> {
    let mut parts = Vec::new();
    for mask in bbmask.split_whitespace() {
        let mask = match mask.strip_prefix('|') {
            Some(rest) => {
                warnings.push(format!(
                    "BBMASK contains regular expression beginning with '|', fixing: {mask}"
                ));
                rest
            }
            None => mask,
        };
        if PyRegex::new(mask).is_ok() {
            parts.push(mask);
        } else {
            warnings.push(format!(
                "BBMASK contains an invalid regular expression, ignoring: {mask}"
            ));
        }
    }
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join("|");
    match PyRegex::new(&joined) {
        Ok(r) => Some(r),
        Err(_) => {
            warnings.push(format!(
                "BBMASK is not a valid regular expression, ignoring: {joined}"
            ));
            None
        }
    }
}

/// Collects recipe and append files from the configuration's BBFILES and BBMASK.
/// `cwd` is where `*.bb` are looked for when BBFILES is empty.
pub fn collect_bbfiles(
    config: &DataStore,
    collections: &Collections,
    cwd: &Path,
) -> Result<Collected> {
    let mut out = Collected::default();
    let mut files: Vec<String> = config
        .get_var("BBFILES")?
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    files.sort_by_key(|f| collections.priority_of(f).0);
    out.bbfiles_prioritized = files.clone();
    if files.is_empty()
        && let Ok(rd) = fs_err::read_dir(cwd)
    {
        let mut v: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path().to_string_lossy().into_owned())
            .filter(|p| p.ends_with(".bb"))
            .collect();
        v.sort();
        files = v;
    }
    let mut newfiles: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in &files {
        let found = if Path::new(f).is_dir() {
            find_bbfiles(f)
        } else {
            glob_sorted(f)
        };
        for g in found {
            if seen.insert(g.clone()) {
                newfiles.push(g);
            }
        }
    }
    let mask = config
        .get_var("BBMASK")?
        .filter(|m| !m.trim().is_empty())
        .and_then(|m| compile_bbmask(&m, &mut out.warnings));
    for f in newfiles {
        if mask.as_ref().is_some_and(|m| m.search(&f)) {
            out.masked += 1;
            continue;
        }
        if f.ends_with(".bb") {
            out.recipes.push(f);
        } else if f.ends_with(".bbappend") {
            let base = basename(&f).replace(".bbappend", ".bb");
            out.appends.push((base, f));
        }
    }
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for f in out.recipes.iter().rev() {
        let base = basename(f).to_owned();
        match first_seen.get(&base) {
            None => {
                first_seen.insert(base, out.overlayed.len());
                out.overlayed.push((f.clone(), Vec::new()));
            }
            Some(&i) => out.overlayed[i].1.push(f.clone()),
        }
    }
    out.overlayed.retain(|(_, v)| !v.is_empty());
    Ok(out)
}

/// The basename of a path.
pub fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

impl Collected {
    /// The appends that apply to recipe file `file`, in discovery order: equal
    /// basenames, or a `%` in the append's name making the rest a wildcard (a pure
    /// prefix test).
    pub fn appends_for(&self, file: &str) -> Vec<String> {
        let f = basename(file);
        self.appends
            .iter()
            .filter(|(pat, _)| {
                pat == f
                    || pat
                        .find('%')
                        .is_some_and(|i| pat.starts_with(f.get(..i).unwrap_or(f)))
            })
            .map(|(_, a)| a.clone())
            .collect()
    }
}
