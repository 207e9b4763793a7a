//! The console side of the bake binaries (`bake`, `bake-layers`, `bake-getvar`, ...):
//! [`ui`], BitBake's knotty UI. Every binary of this package links it; what they print
//! is the same everywhere. The build logic itself lives in the library crates
//! (`bb-session` and below).

pub mod interrupt;
pub mod ui;
