//! BitBake's version order: the Debian-like comparison of `bb.utils` (`vercmp_part`,
//! `vercmp`, `vercmp_string`, `vercmp_string_op`) and the parsing of a
//! PREFERRED_VERSION / REQUIRED_VERSION value (`[EPOCH:]VERSION`, `%` wildcard).
//! It compares strings only: which recipe wins is the cooker's job (`bb_cooker::providers`).
//!
//! Known limits: a version holding a newline makes BitBake's regular expressions fail
//! (it raises); here the newline is an ordinary separator. Digits are ASCII digits
//! (Python's `\d` would also let a run that starts with an ASCII digit continue with
//! other Unicode decimal digits).

use std::cmp::Ordering;
use std::fmt;

/// A version string BitBake cannot compare: the Python exception it would raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// `int()` refused an epoch (`ValueError`); holds the offending text.
    InvalidEpoch(String),
    /// `vercmp_string_op` was given an operator it does not know
    /// (`bb.utils.VersionStringException`).
    UnsupportedOperator(String),
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionError::InvalidEpoch(s) => {
                write!(
                    f,
                    "invalid literal for int() with base 10: {}",
                    crate::py_repr(s)
                )
            }
            VersionError::UnsupportedOperator(op) => {
                write!(f, "Unsupported comparison operator \"{op}\"")
            }
        }
    }
}

impl std::error::Error for VersionError {}

/// One piece of an exploded version, in the order BitBake ranks the kinds:
/// `~` below everything, then numbers, then letter runs, then any other character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// `~`.
    Tilde,
    /// A run of ASCII digits (compared as an unbounded integer).
    Number(&'a str),
    /// A run of ASCII letters (compared as a string).
    Letters(&'a str),
    /// Any other single character (`.`, `+`, `-`, `_`, non-ASCII...).
    Other(char),
}

impl Piece<'_> {
    /// BitBake's rank of the piece's kind; the end of a version ranks as a number.
    fn rank(self) -> i8 {
        match self {
            Piece::Tilde => -1,
            Piece::Number(_) => 0,
            Piece::Letters(_) => 1,
            Piece::Other(_) => 2,
        }
    }
}

/// Splits a version into pieces the way `bb.utils.explode_version` does.
fn explode(s: &str) -> Vec<Piece<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Piece::Number(&s[start..i]));
        } else if b.is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Piece::Letters(&s[start..i]));
        } else {
            // A character boundary: every branch above stops on one.
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            out.push(if c == '~' {
                Piece::Tilde
            } else {
                Piece::Other(c)
            });
            i += c.len_utf8();
        }
    }
    out
}

/// Compares two runs of ASCII digits as integers of any size.
fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `bb.utils.vercmp_part`: compares one version component (PV, or PR).
///
/// Digit runs compare as numbers, letter runs as strings, `~` sorts before
/// everything (even the end of the string), and the end of a string sorts after `~`
/// and before numbers, letters and any other character (`1.0~rc1 < 1.0 < 1.0.1`,
/// `1.0 < 1.0a < 1.0+git`).
pub fn vercmp_part(a: &str, b: &str) -> Ordering {
    let va = explode(a);
    let vb = explode(b);
    let mut ia = va.iter().copied();
    let mut ib = vb.iter().copied();
    loop {
        let pa = ia.next();
        let pb = ib.next();
        let (pa, pb) = match (pa, pb) {
            (None, None) => return Ordering::Equal,
            // The end ranks like a number smaller than any number, above `~`.
            (None, Some(p)) => {
                return if p.rank() >= 0 {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (Some(p), None) => {
                return if p.rank() >= 0 {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (Some(pa), Some(pb)) => (pa, pb),
        };
        let ord = pa.rank().cmp(&pb.rank()).then_with(|| match (pa, pb) {
            (Piece::Number(x), Piece::Number(y)) => cmp_digits(x, y),
            (Piece::Letters(x), Piece::Letters(y)) => x.cmp(y),
            (Piece::Other(x), Piece::Other(y)) => x.cmp(&y),
            _ => Ordering::Equal,
        });
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// An integer as Python's `int()` reads it: negative flag and digits without
/// leading zeros (zero is `(false, "")`).
fn py_int(s: &str) -> Result<(bool, String), VersionError> {
    let bad = || VersionError::InvalidEpoch(s.to_string());
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(bad());
    }
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '_' => {}
            _ => return Err(bad()),
        }
    }
    let digits = digits.trim_start_matches('0').to_string();
    Ok((neg && !digits.is_empty(), digits))
}

/// Compares two integers read by [`py_int`].
fn cmp_py_int(a: &(bool, String), b: &(bool, String)) -> Ordering {
    match (a.0, b.0) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => cmp_digits(&a.1, &b.1),
        (true, true) => cmp_digits(&b.1, &a.1),
    }
}

/// `int(pe or 0)`.
fn epoch(pe: &str) -> Result<(bool, String), VersionError> {
    if pe.is_empty() {
        Ok((false, String::new()))
    } else {
        py_int(pe)
    }
}

/// `bb.utils.vercmp`: compares `(PE, PV, PR)` triples. PE is read as an integer
/// (empty is 0) and compared numerically, then PV and PR with [`vercmp_part`].
///
/// Fails as BitBake does (`ValueError`) when a PE is not an integer.
pub fn vercmp(a: (&str, &str, &str), b: (&str, &str, &str)) -> Result<Ordering, VersionError> {
    let ea = epoch(a.0)?;
    let eb = epoch(b.0)?;
    Ok(cmp_py_int(&ea, &eb)
        .then_with(|| vercmp_part(a.1, b.1))
        .then_with(|| vercmp_part(a.2, b.2)))
}

/// `bb.utils.split_version`: `[EPOCH:]VERSION[-REVISION]` into `(PE, PV, PR)`, after
/// trimming spaces and `<`, `>`, `=` from both ends. Only the text between the first
/// and second `:` is the version (`1:2:3` gives `2`); the revision is after the last
/// `-`. The epoch is checked as `int()` checks it.
pub fn split_version(s: &str) -> Result<(String, String, String), VersionError> {
    let s = s.trim_matches([' ', '<', '>', '=']);
    let mut e = String::from("0");
    let mut rest = s;
    if s.contains(':') {
        let mut parts = s.split(':');
        let first = parts.next().unwrap_or("");
        let (neg, digits) = py_int(first)?;
        e = match (neg, digits.is_empty()) {
            (_, true) => "0".to_string(),
            (true, false) => format!("-{digits}"),
            (false, false) => digits,
        };
        rest = parts.next().unwrap_or("");
    }
    let (v, r) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, r),
        None => (rest, ""),
    };
    Ok((e, v.to_string(), r.to_string()))
}

/// `bb.utils.vercmp_string`: [`split_version`] both sides, then [`vercmp`].
pub fn vercmp_string(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (ea, va, ra) = split_version(a)?;
    let (eb, vb, rb) = split_version(b)?;
    vercmp((&ea, &va, &ra), (&eb, &vb, &rb))
}

/// `bb.utils.vercmp_string_op`: whether `a OP b` holds, for the operators
/// `=`, `==`, `<=`, `>=`, `>`, `>>`, `<`, `<<` and `!=`.
pub fn vercmp_string_op(a: &str, b: &str, op: &str) -> Result<bool, VersionError> {
    let res = vercmp_string(a, b)?;
    Ok(match op {
        "=" | "==" => res == Ordering::Equal,
        "<=" => res != Ordering::Greater,
        ">=" => res != Ordering::Less,
        ">" | ">>" => res == Ordering::Greater,
        "<" | "<<" => res == Ordering::Less,
        "!=" => res != Ordering::Equal,
        _ => return Err(VersionError::UnsupportedOperator(op.to_string())),
    })
}

/// A PREFERRED_VERSION or REQUIRED_VERSION value taken apart the way
/// `bb.providers.findPreferredProvider` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferredVersion {
    /// The epoch, when the value starts with `DIGITS:` (with several such prefixes,
    /// the last one, as the repeated regular-expression group keeps).
    pub epoch: Option<String>,
    /// The version, possibly ending in `%`. A `_REVISION` suffix stays part of it:
    /// BitBake's pattern for splitting it off never matches.
    pub version: String,
}

impl PreferredVersion {
    /// Parses `[EPOCH:]VERSION`. Like Python's `.` the version stops at a newline.
    pub fn parse(value: &str) -> PreferredVersion {
        let mut rest = value;
        let mut epoch = None;
        loop {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && rest.as_bytes().get(digits) == Some(&b':') {
                epoch = Some(rest[..digits].to_string());
                rest = &rest[digits + 1..];
            } else {
                break;
            }
        }
        let version = match rest.find('\n') {
            Some(i) => &rest[..i],
            None => rest,
        };
        PreferredVersion {
            epoch,
            version: version.to_string(),
        }
    }

    /// Whether a recipe's PE and PV satisfy this preference: the epoch, when given,
    /// must equal PE as text (`0:1.0` does not match an unset PE); the version must
    /// equal PV, or end in `%` and be a prefix of PV without it (`1.2%` matches `1.2`,
    /// `1.2.3` and `1.20`).
    pub fn matches(&self, pe: &str, pv: &str) -> bool {
        if self.epoch.as_deref().is_some_and(|e| e != pe) {
            return false;
        }
        if self.version == pv {
            return true;
        }
        match self.version.strip_suffix('%') {
            Some(prefix) => pv.starts_with(prefix),
            None => false,
        }
    }
}

impl fmt::Display for PreferredVersion {
    /// `EPOCH:VERSION` or `VERSION`, as BitBake's messages print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.epoch {
            Some(e) => write!(f, "{e}:{}", self.version),
            None => f.write_str(&self.version),
        }
    }
}

#[cfg(test)]
mod tests;
