//! Small helpers shared by every crate of the workspace (rust-analyzer's `stdx`).
//!
//! Entry points: [`split_words`]. Nothing here knows about BitBake semantics.

/// Splits text on ASCII and Unicode whitespace, like Python's `str.split()`.
pub fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split_whitespace()
}
