//! Integration tests of bb-pyexpr.
