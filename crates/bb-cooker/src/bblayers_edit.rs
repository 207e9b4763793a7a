//! Editing the BBLAYERS list of a `conf/bblayers.conf` text, as `bitbake-layers add-layer`
//! and `remove-layer` do (BitBake's `edit_bblayers_conf` over `edit_metadata`): only the
//! assignments to exactly `BBLAYERS` that start in column 0 are looked at; an assignment whose
//! list changes is rewritten in one fixed layout (`BBLAYERS ?= " \`, one `  entry \` line per
//! layer, a closing `  "` line); every other line is copied byte for byte. With more than one
//! `BBLAYERS +=` assignment, new layers go into new `BBLAYERS += "..."` lines at the end.
//!
//! This module works on text only: it reads and writes no files and checks no directories
//! (the `bake-layers` binary does that, and writes the result atomically). It also owns the
//! two helpers those commands need: Python's `fnmatch` and `os.path.abspath`.

use std::path::Path;

use crate::error::{Error, Result};

#[cfg(test)]
mod tests;

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Edit {
    /// The new text of the file (equal to the input when nothing changed, except that
    /// Python's universal newlines turn `\r\n` into `\n`).
    pub text: String,
    /// Whether anything changed (BitBake writes the file only then).
    pub updated: bool,
    /// Layers asked to be added that were already listed, in the order given.
    pub not_added: Vec<String>,
    /// Patterns asked to be removed that matched no entry, in the order given.
    pub not_removed: Vec<String>,
}

/// Adds the layer directories `add` to BBLAYERS (see [`edit_bblayers`]).
pub fn add_layers(text: &str, add: &[String], home: Option<&str>) -> Result<Edit> {
    edit_bblayers(text, add, &[], home)
}

/// Removes the entries matching the patterns `remove` from BBLAYERS (see
/// [`edit_bblayers`]).
pub fn remove_layers(text: &str, remove: &[String], home: Option<&str>) -> Result<Edit> {
    edit_bblayers(text, &[], remove, home)
}

/// Python's `str.isspace` for one character (ASCII separators included).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.rstrip()`.
fn rstrip(s: &str) -> &str {
    s.trim_end_matches(py_space)
}

/// Python's `str.split()`.
fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(py_space).filter(|w| !w.is_empty())
}

/// Drops one trailing `/`.
fn remove_trailing_sep(p: &str) -> &str {
    p.strip_suffix('/').unwrap_or(p)
}

/// BitBake's `canonicalise_path`: one trailing `/` dropped and a leading `~` expanded
/// (HOME is an approved variable in every default configuration).
fn canonicalise(p: &str, home: Option<&str>) -> String {
    let p = remove_trailing_sep(p);
    if let Some(home) = home
        && (p == "~" || p.starts_with("~/"))
    {
        let home = if home.len() > 1 {
            home.trim_end_matches('/')
        } else {
            home
        };
        let joined = format!("{home}{}", &p[1..]);
        return if joined.is_empty() {
            "/".to_owned()
        } else {
            joined
        };
    }
    p.to_owned()
}

/// Python's universal newlines on reading: `\r\n` and lone `\r` become `\n`.
fn universal_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}

/// What the callback of [`edit_assignments`] decides for one assignment.
enum NewValue {
    /// Leave the lines as they are.
    Keep,
    /// Delete the assignment.
    Drop,
    /// Rewrite the assignment with these entries.
    List(Vec<String>),
}

/// Where an assignment to `BBLAYERS` starts on `line`: the byte offset of its opening
/// quote, or `None`. Mirrors the regular expression
/// `^(BBLAYERS)[ \\t]*[?+:.]*=[+.]*[ \\t]*(["'])` of `edit_metadata` (whose `[ \\t]` is a
/// blank, a backslash or the letter `t`); the character classes are disjoint, so a greedy
/// scan finds the same match.
fn assignment_quote(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("BBLAYERS")?;
    let b = rest.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize, set: &[u8]| {
        while *i < b.len() && set.contains(&b[*i]) {
            *i += 1;
        }
    };
    skip(&mut i, b" \\t");
    skip(&mut i, b"?+:.");
    if b.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    skip(&mut i, b"+.");
    skip(&mut i, b" \\t");
    match b.get(i) {
        Some(b'"' | b'\'') => Some("BBLAYERS".len() + i),
        _ => None,
    }
}

/// The end of one assignment: asks `f` and writes the kept, rewritten or no lines.
/// Returns whether the lines changed.
fn finish_assignment(
    start: &str,
    varlines: Vec<String>,
    value: &str,
    out: &mut Vec<String>,
    f: &mut dyn FnMut(&str, &str) -> NewValue,
) -> bool {
    let op = start["BBLAYERS".len()..].trim_matches(py_space);
    match f(op, value) {
        NewValue::Keep => {
            out.extend(varlines);
            false
        }
        NewValue::Drop => true,
        NewValue::List(list) => {
            if list.is_empty() {
                out.push(format!("{start} \"\"\n"));
            } else {
                out.push(format!("{start} \" \\\n"));
                for item in &list {
                    out.push(format!("  {item} \\\n"));
                }
                out.push("  \"\n".to_owned());
            }
            true
        }
    }
}

/// `edit_metadata` for the single variable `BBLAYERS`: calls `f(op, value)` for every
/// complete assignment, in file order, and builds the new lines. Returns whether anything
/// changed and the new text.
fn edit_assignments(lines: &[&str], f: &mut dyn FnMut(&str, &str) -> NewValue) -> (bool, String) {
    let mut updated = false;
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 4);
    // The assignment being read: its text up to the quote, its quote, its lines, its value.
    let mut current: Option<(String, char, Vec<String>, String)> = None;
    let mut check_blank = false;

    for &line in lines {
        if let Some((start, quote, mut varlines, mut value)) = current.take() {
            let v = rstrip(line);
            varlines.push(line.to_owned());
            // BitBake drops the last character of each continuation line, whatever it is.
            let mut cut = v.chars();
            cut.next_back();
            value.push_str(cut.as_str());
            if v.ends_with(quote) {
                if finish_assignment(&start, varlines, &value, &mut out, f) {
                    updated = true;
                    check_blank = true;
                }
            } else {
                current = Some((start, quote, varlines, value));
            }
            continue;
        }
        if let Some(q) = assignment_quote(line) {
            let quote = if line.as_bytes()[q] == b'"' {
                '"'
            } else {
                '\''
            };
            let start = rstrip(&line[..q]).to_owned();
            let mut value = rstrip(&line[q + 1..]);
            if let Some(v) = value.strip_suffix('\\') {
                value = v;
            }
            if let Some(v) = value.strip_suffix(quote) {
                if finish_assignment(&start, vec![line.to_owned()], v, &mut out, f) {
                    updated = true;
                    check_blank = true;
                }
            } else {
                current = Some((start, quote, vec![line.to_owned()], value.to_owned()));
            }
            continue;
        }
        if check_blank {
            check_blank = false;
            // After a rewrite, two blank lines in a row lose one.
            if line == "\n" && out.last().is_some_and(|l| l == "\n") {
                continue;
            }
        }
        out.push(line.to_owned());
    }
    // An assignment left open at the end of the file: BitBake loses its lines; we keep
    // them unchanged.
    if let Some((_, _, varlines, _)) = current {
        out.extend(varlines);
    }
    (updated, out.concat())
}

/// BitBake's `edit_bblayers_conf` on the text of a `bblayers.conf`: adds the layer paths
/// `add` (as given, one trailing `/` dropped) and removes, in every assignment, the first
/// entry matching each `fnmatch` pattern of `remove`. `home` expands a leading `~` when
/// comparing. Fails when the text has no assignment to BBLAYERS.
pub fn edit_bblayers(
    text: &str,
    add: &[String],
    remove: &[String],
    home: Option<&str>,
) -> Result<Edit> {
    let text = universal_newlines(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut add: Vec<String> = add
        .iter()
        .map(|a| remove_trailing_sep(a).to_owned())
        .collect();
    let remove: Vec<String> = remove
        .iter()
        .map(|r| remove_trailing_sep(r).to_owned())
        .collect();

    // First pass: the operators used and the layers listed (a plain `=` starts over).
    let mut ops: Vec<String> = Vec::new();
    let mut orig: Vec<String> = Vec::new();
    edit_assignments(&lines, &mut |op, value| {
        ops.push(op.to_owned());
        if op == "=" {
            orig.clear();
        }
        orig.extend(py_split(value).map(|l| canonicalise(l, home)));
        NewValue::Keep
    });
    if ops.is_empty() {
        return Err(Error::NoBblayers);
    }
    let plus_equals = ops.iter().filter(|o| *o == "+=").count() > 1;

    let remove_canon: Vec<String> = remove.iter().map(|r| canonicalise(r, home)).collect();
    let not_added: Vec<String> = add
        .iter()
        .filter(|a| {
            let c = canonicalise(a, home);
            orig.contains(&c) && !remove_canon.contains(&c)
        })
        .cloned()
        .collect();
    let not_added_canon: Vec<String> = not_added.iter().map(|a| canonicalise(a, home)).collect();
    add.retain(|a| !not_added_canon.contains(&canonicalise(a, home)));

    // Second pass: the edit itself.
    let mut removed: Vec<String> = Vec::new();
    let (mut updated, mut new_text) = edit_assignments(&lines, &mut |op, value| {
        let mut changed = false;
        let mut layers: Vec<String> = py_split(value)
            .map(|l| remove_trailing_sep(l).to_owned())
            .collect();
        for (pat, pat_canon) in remove.iter().zip(&remove_canon) {
            if let Some(i) = layers
                .iter()
                .position(|l| fnmatch(&canonicalise(l, home), pat_canon))
            {
                layers.remove(i);
                removed.push(pat.clone());
                changed = true;
            }
        }
        if !add.is_empty() && !plus_equals {
            for a in add.drain(..) {
                if !layers.contains(&a) {
                    layers.push(a);
                    changed = true;
                }
            }
        }
        if !changed {
            NewValue::Keep
        } else if op == "+=" && layers.is_empty() {
            NewValue::Drop
        } else {
            NewValue::List(layers)
        }
    });
    if !add.is_empty() {
        // BitBake appends these lines to whatever the last line is; a file without a
        // final newline gets one here so that the new assignment stays on its own line.
        if !new_text.is_empty() && !new_text.ends_with('\n') {
            new_text.push('\n');
        }
        for a in &add {
            new_text.push_str(&format!("BBLAYERS += \"{a}\"\n"));
        }
        updated = true;
    }
    let mut not_removed: Vec<String> = Vec::new();
    for r in &remove {
        if !removed.contains(r) && !not_removed.contains(r) {
            not_removed.push(r.clone());
        }
    }
    Ok(Edit {
        text: new_text,
        updated,
        not_added,
        not_removed,
    })
}

/// `os.path.abspath`: `path` made absolute against `cwd` and normalized textually (`.`
/// and `..` components and repeated `/` removed; symbolic links are not resolved).
pub fn abspath(path: &str, cwd: &Path) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        let cwd = cwd.to_string_lossy();
        if cwd.ends_with('/') {
            format!("{cwd}{path}")
        } else {
            format!("{cwd}/{path}")
        }
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in joined.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    // POSIX keeps exactly two leading slashes; Python's normpath does too.
    let lead = if joined.starts_with("//") && !joined.starts_with("///") {
        "//"
    } else {
        "/"
    };
    format!("{lead}{}", parts.join("/"))
}

/// The pattern `bitbake-layers remove-layer` matches for one argument: kept when it
/// starts with `*`, `*/ARG` when it has no `/` (a layer directory name), else the
/// absolute path.
pub fn remove_pattern(arg: &str, cwd: &Path) -> String {
    if arg.starts_with('*') {
        arg.to_owned()
    } else if !arg.contains('/') {
        format!("*/{arg}")
    } else {
        abspath(arg, cwd)
    }
}

/// Python's `fnmatch.fnmatchcase` (which is `fnmatch.fnmatch` on POSIX): `*` matches any
/// run of characters (`/` included), `?` one character, `[seq]` / `[!seq]` a character
/// (not) in the set, with ranges; a `[` without its `]` is literal.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let pat = compile_glob(pattern);
    glob_match(&name, &pat)
}

/// One element of a compiled `fnmatch` pattern.
#[derive(Debug)]
enum GlobTok {
    Star,
    Any,
    Char(char),
    /// A set: negated?, single characters and ranges.
    Set(bool, Vec<(char, char)>),
}

fn compile_glob(pattern: &str) -> Vec<GlobTok> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        i += 1;
        match c {
            '*' => {
                if !matches!(out.last(), Some(GlobTok::Star)) {
                    out.push(GlobTok::Star);
                }
            }
            '?' => out.push(GlobTok::Any),
            '[' => {
                // Find the closing bracket: a `]` right after `[` or `[!` is literal.
                let mut j = i;
                if j < p.len() && p[j] == '!' {
                    j += 1;
                }
                if j < p.len() && p[j] == ']' {
                    j += 1;
                }
                while j < p.len() && p[j] != ']' {
                    j += 1;
                }
                if j >= p.len() {
                    out.push(GlobTok::Char('['));
                    continue;
                }
                let mut body = &p[i..j];
                i = j + 1;
                let negate = body.first() == Some(&'!');
                if negate {
                    body = &body[1..];
                }
                let mut ranges = Vec::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        // Python drops reversed ranges such as `z-a`.
                        if body[k] <= body[k + 2] {
                            ranges.push((body[k], body[k + 2]));
                        }
                        k += 3;
                    } else {
                        ranges.push((body[k], body[k]));
                        k += 1;
                    }
                }
                out.push(GlobTok::Set(negate, ranges));
            }
            c => out.push(GlobTok::Char(c)),
        }
    }
    out
}

/// Matches with the classic single-backtrack-point algorithm (enough for `*` only globs).
fn glob_match(name: &[char], pat: &[GlobTok]) -> bool {
    let (mut n, mut p) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some(GlobTok::Star) => {
                backtrack = Some((p, n));
                p += 1;
                continue;
            }
            Some(GlobTok::Any) => true,
            Some(GlobTok::Char(c)) => *c == name[n],
            Some(GlobTok::Set(neg, ranges)) => {
                let c = name[n];
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
            }
            None => false,
        };
        if step {
            n += 1;
            p += 1;
        } else if let Some((bp, bn)) = backtrack {
            p = bp + 1;
            n = bn + 1;
            backtrack = Some((bp, bn + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|t| matches!(t, GlobTok::Star))
}
