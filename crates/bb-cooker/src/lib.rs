//! The cooker: reads a build directory the way BitBake does and produces one
//! finalized datastore per recipe target.
//!
//! Entry points:
//! - [`layers`]: build-directory discovery (`conf/bblayers.conf`), layers and their
//!   `conf/layer.conf`, collections and priorities, the base configuration.
//! - [`collect`]: recipe discovery from BBFILES and BBMASK, `.bbappend` matching, overlays.
//! - [`recipe::RecipeInfo`]: the per-target summary kept by the parse cache.
//! - [`providers`]: PREFERRED_PROVIDER / PREFERRED_VERSION, [`version`]: BitBake's
//!   version order.
//! - [`query`]: the reports of `bitbake-layers show-*`; [`bblayers_edit`]: add-layer and
//!   remove-layer on the text of `bblayers.conf`.
//! - [`cache`]: the persistent parse cache.
//!
//! The cooker reads files through [`bb_data::FileSource`] and writes only its parse
//! cache.

pub mod bblayers_edit;
pub mod cache;
pub mod collect;
mod cooker;
pub use bb_util::deps;
mod error;
pub mod layers;
pub mod providers;
pub mod query;
pub mod recipe;
pub use bb_util::version;

pub use cooker::{Cooker, CookerOptions, FsSource, LoadedCache, ParseFailure, ParseResult};
pub use error::{Error, Result};
pub use recipe::{BuildInfo, RecipeInfo};
