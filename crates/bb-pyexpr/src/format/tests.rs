//! Unit tests of `format.rs`.

use super::*;
