//! Unit tests of `lexer.rs`.

use super::*;
