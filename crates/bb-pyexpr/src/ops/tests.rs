//! Unit tests of `ops.rs`.

use super::*;
