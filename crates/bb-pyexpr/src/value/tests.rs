//! Unit tests of `value.rs`.

use super::*;
