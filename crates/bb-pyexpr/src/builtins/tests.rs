//! Unit tests of `builtins.rs`.

use super::*;
