//! Public API behaviour.
