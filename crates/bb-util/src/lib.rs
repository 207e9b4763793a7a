//! Small helpers shared by every crate of the workspace (rust-analyzer's `stdx`).
//!
//! Entry points: [`split_words`], [`py_repr`]. Nothing here knows about BitBake semantics.

/// Splits text on ASCII and Unicode whitespace, like Python's `str.split()`.
pub fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split_whitespace()
}

/// Python's `repr()` of a string: single quotes unless the text holds a single quote
/// and no double quote, with backslash escapes for the quote, `\\`, `\n`, `\r`, `\t`
/// and other control characters (`\xNN`).
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::py_repr;

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(py_repr("a'b"), "\"a'b\"");
        assert_eq!(py_repr("a\n"), "'a\\n'");
        assert_eq!(py_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(py_repr("\u{1}"), "'\\x01'");
    }
}
