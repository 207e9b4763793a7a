//! Python's `repr()` of a `str`, as CPython 3.11 writes it: the quote choice, the
//! backslash escapes, and `\xNN`/`\uNNNN`/`\UNNNNNNNN` for characters that
//! `str.isprintable()` rejects. Owns the printability table; knows nothing else.

use std::fmt::Write as _;

/// CPython's `repr()` of `s`, or `None` when `s` holds a character whose printability
/// this table does not know (then only CPython can say how it is written).
pub fn try_py_repr(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 2);
    write_repr(s, &mut out, false).then_some(out)
}

/// CPython's `repr()` of `s`. A character whose printability this table does not know
/// is written as it is (most such characters are letters of other scripts, which
/// CPython prints as they are too); use [`try_py_repr`] where exactness matters.
pub fn py_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_repr(s, &mut out, true);
    out
}

/// [`py_repr`] appended to `out`.
pub fn push_py_repr(out: &mut String, s: &str) {
    write_repr(s, out, true);
}

/// Appends the repr of `s` to `out`; false (with `out` partly written) when a character's
/// printability is unknown and `lenient` is off.
fn write_repr(s: &str, out: &mut String, lenient: bool) -> bool {
    // Printable ASCII without a backslash or a single quote (most values) is written
    // as it is, between single quotes.
    if s.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'\\' && b != b'\'')
    {
        out.reserve(s.len() + 2);
        out.push('\'');
        out.push_str(s);
        out.push('\'');
        return true;
    }
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => match printable(c) {
                Some(true) => out.push(c),
                Some(false) => {
                    let u = u32::from(c);
                    let _ = if u <= 0xff {
                        write!(out, "\\x{u:02x}")
                    } else if u <= 0xffff {
                        write!(out, "\\u{u:04x}")
                    } else {
                        write!(out, "\\U{u:08x}")
                    };
                }
                None if lenient => out.push(c),
                None => return false,
            },
        }
    }
    out.push(quote);
    true
}

/// Whether CPython's `str.isprintable()` holds for a character, or `None` when we cannot tell
/// without Unicode tables.
pub fn printable(c: char) -> Option<bool> {
    let u = u32::from(c);
    if u < 0x20 || u == 0x7f {
        return Some(false);
    }
    if u < 0x7f {
        return Some(true);
    }
    if (0x80..=0xa0).contains(&u) || u == 0xad {
        return Some(false);
    }
    const KNOWN: &[(u32, u32)] = &[
        (0xa1, 0x377),      // Latin-1 supplement to Greek
        (0x384, 0x38a),     // Greek
        (0x38e, 0x3a1),     // Greek
        (0x3a3, 0x52f),     // Greek, Cyrillic
        (0x2010, 0x2027),   // general punctuation
        (0x2030, 0x205e),   // general punctuation
        (0x20a0, 0x20c0),   // currency symbols
        (0x2100, 0x218b),   // letterlike symbols, number forms
        (0x2190, 0x2426),   // arrows, mathematical operators, technical
        (0x2500, 0x2b73),   // box drawing to miscellaneous symbols and arrows
        (0x3001, 0x303f),   // CJK punctuation
        (0x3041, 0x3096),   // Hiragana
        (0x30a1, 0x30ff),   // Katakana
        (0x4e00, 0x9fff),   // CJK unified ideographs
        (0xac00, 0xd7a3),   // Hangul syllables
        (0x1f300, 0x1f64f), // pictographs, emoticons
    ];
    if KNOWN.iter().any(|(lo, hi)| (*lo..=*hi).contains(&u)) {
        return Some(true);
    }
    if matches!(u, 0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff)
        || (0xe000..=0xf8ff).contains(&u)
        || (0xfdd0..=0xfdef).contains(&u)
        || u & 0xfffe == 0xfffe
    {
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{py_repr, try_py_repr};

    /// Each pair: the text and CPython 3.11's `repr()` of it.
    #[test]
    fn repr_matches_cpython() {
        let table: &[(&str, &str)] = &[
            ("", "''"),
            ("a'b", "\"a'b\""),
            ("a\n", "'a\\n'"),
            ("a'\"b", "'a\\'\"b'"),
            ("\u{1}", "'\\x01'"),
            ("\u{7f}", "'\\x7f'"),
            ("tab\there", "'tab\\there'"),
            ("back\\slash", "'back\\\\slash'"),
            ("nb\u{a0}sp", "'nb\\xa0sp'"),
            ("soft\u{ad}", "'soft\\xad'"),
            ("caf\u{e9}", "'caf\u{e9}'"),
            ("\u{2028}", "'\\u2028'"),
            ("\u{feff}", "'\\ufeff'"),
            ("\u{e000}", "'\\ue000'"),
            ("\u{1f600}", "'\u{1f600}'"),
        ];
        for (s, want) in table {
            assert_eq!(&py_repr(s), want, "repr({s:?})");
            assert_eq!(try_py_repr(s).as_deref(), Some(*want), "repr({s:?})");
        }
    }

    #[test]
    fn unknown_printability_is_said() {
        assert_eq!(try_py_repr("\u{e0100}"), None);
        assert_eq!(py_repr("\u{e0100}"), "'\u{e0100}'");
    }
}
