//! Unit tests of `methods.rs`.

use super::*;
