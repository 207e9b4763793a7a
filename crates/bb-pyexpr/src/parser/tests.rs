//! Unit tests of `parser.rs`.

use super::*;
