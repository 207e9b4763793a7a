//! Unit tests of `eval.rs`.

use super::*;
