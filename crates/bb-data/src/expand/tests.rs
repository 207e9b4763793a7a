//! Unit tests of expansion.
