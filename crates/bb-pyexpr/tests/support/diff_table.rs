//! What `pyexpr-diff` (the example) and the replay of its table (`tests/it`) share: the
//! datastore of the fuzz target `pyexpr`, the table's escaping, and the digest of long
//! results. Included by both with `#[path]` (an example and a test share no module).

use bb_pyexpr::{Context, EvalError};

/// The datastore of the fuzz target `pyexpr`; `expand` returns its input.
pub(crate) struct Vars;

impl Context for Vars {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        Ok(match name {
            "PN" => Some("foo".to_owned()),
            "DISTRO_FEATURES" => Some("systemd x11 pam".to_owned()),
            "BB_GLOBAL_PYMODULES" => Some("os sys time".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }
    fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>, EvalError> {
        Ok(None)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(text.to_owned())
    }
}

/// A table cell: backslash, newline, tab, CR and NUL escaped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape`].
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut cs = s.chars();
    while let Some(c) = cs.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match cs.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// `CHARS:FNV1A64` of a long result.
pub(crate) fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}:{h:016x}", text.chars().count())
}
