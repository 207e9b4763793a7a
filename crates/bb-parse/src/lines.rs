//! Physical lines of a metadata file, and the character classes BitBake's readers use.
//!
//! BitBake opens metadata in Python's text mode, so `\n`, `\r\n` and a lone `\r` all end
//! a line, and its `strip()`/`rstrip()`/`\s` use Python's idea of whitespace (Unicode
//! whitespace plus the ASCII separators `\x1c`..`\x1f`). This module splits the source
//! into [`PhysLine`]s that keep their terminators (so the tree can be printed back) and
//! answers "is this whitespace" the way Python does. It knows nothing about statements;
//! joining continuation lines is the readers' job, in `parser.rs`.

/// One physical line: byte offsets into the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhysLine {
    /// Offset of the first byte of the line.
    pub(crate) start: usize,
    /// Offset just past the content, before the terminator.
    pub(crate) content_end: usize,
    /// Offset just past the terminator (equals `content_end` for a last line without one).
    pub(crate) end: usize,
    /// 1-based line number.
    pub(crate) number: u32,
}

impl PhysLine {
    /// The line without its terminator.
    pub(crate) fn content(self, src: &str) -> &str {
        src.get(self.start..self.content_end).unwrap_or("")
    }

    /// The line without its terminator and without trailing (Python) whitespace, as
    /// BitBake's `rstrip()` leaves it.
    pub(crate) fn stripped(self, src: &str) -> &str {
        rstrip(self.content(src))
    }
}

/// Splits a source text into physical lines, Python universal-newline style.
#[derive(Debug, Clone)]
pub(crate) struct PhysLines<'s> {
    src: &'s str,
    pos: usize,
    number: u32,
}

impl<'s> PhysLines<'s> {
    /// Lines of `src`, numbered from 1.
    pub(crate) fn new(src: &'s str) -> Self {
        PhysLines {
            src,
            pos: 0,
            number: 0,
        }
    }
}

impl Iterator for PhysLines<'_> {
    type Item = PhysLine;

    fn next(&mut self) -> Option<PhysLine> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        let rest = bytes.get(start..).unwrap_or(&[]);
        let (content_end, end) = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            None => (bytes.len(), bytes.len()),
            Some(i) => {
                let at = start + i;
                if bytes.get(at) == Some(&b'\r') && bytes.get(at + 1) == Some(&b'\n') {
                    (at, at + 2)
                } else {
                    (at, at + 1)
                }
            }
        };
        self.pos = end;
        self.number = self.number.saturating_add(1);
        Some(PhysLine {
            start,
            content_end,
            end,
            number: self.number,
        })
    }
}

/// Whether Python's `str.isspace()` (and regex `\s`) holds for `c`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `\w` for text patterns: letters, digits and `_` (Unicode-aware).
pub(crate) fn is_py_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Strips trailing Python whitespace, like `str.rstrip()`.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// Whether the text is empty or all Python whitespace, like `not s.strip()`.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(is_py_space)
}

/// Whether the text starts with Python whitespace.
pub(crate) fn starts_with_space(s: &str) -> bool {
    s.chars().next().is_some_and(is_py_space)
}

/// 1-based column, in characters, of byte offset `at` within `line`.
pub(crate) fn column(line: &str, at: usize) -> u32 {
    let at = at.min(line.len());
    // Walk back to a char boundary so slicing can't fail on bad offsets.
    let mut at = at;
    while at > 0 && !line.is_char_boundary(at) {
        at -= 1;
    }
    let n = line.get(..at).map_or(0, |p| p.chars().count());
    u32::try_from(n).unwrap_or(u32::MAX - 1).saturating_add(1)
}
