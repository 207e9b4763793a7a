//! BitBake's (oe-core's) packaging as a library over plain values: the caller expands the
//! recipe's variables into a [`PackageConfig`] (or a feed, rootfs or image description);
//! nothing here reads a datastore except the [`natives`] adapter.
//!
//! - [`do_package`]: `${D}` copied to `${PKGD}`, ELF files split (`.debug/`) and stripped
//!   (`objcopy`, `strip`), PACKAGES/FILES splitting into `${PKGDEST}` with Python glob
//!   rules, QA (`installed-vs-shipped`, `files-invalid`, `packages-list`), shlib providers
//!   and automatic RDEPENDS (ELF NEEDED/SONAME via `object`), `-dev`/`-dbg` chains, and
//!   pkgdata in `${PKGDESTWORK}` as oe-core writes it.
//! - [`OwnerRecord`]: owners and device nodes kept without root (pseudo's role), applied
//!   when archives are written.

mod archive;
mod control;
mod debpkg;
mod deps;
mod elf;
mod error;
mod feed;
mod fsx;
mod image;
mod image_natives;
pub mod natives;
mod owners;
mod package;
mod pkgconfig;
mod pkgdata;
mod qa;
mod repodata;
mod rootfs;
mod rpm;
mod shlibs;
mod spec;
mod split;
mod strip;
mod tree;
mod write;

pub use control::{Format, PackageMeta, Stanza, parse_stanzas};
pub use debpkg::{ReadPackage, read_package, write_package};
pub use deps::{Dep, join_deps, parse_deps};
pub use elf::ElfInfo;
pub use error::{Error, Result};
pub use feed::{FeedPackage, read_feeds, write_index, write_rpm_index};
pub use image::{FSTYPES, ImageConfig, write_images};
pub use owners::{DeviceNode, Owner, OwnerRecord};
pub use package::{PackageOutcome, PackagedInfo, do_package};
pub use pkgdata::{decode as pkgdata_decode, encode as pkgdata_encode, read_runtime};
pub use qa::{Level, QaIssue};
pub use rootfs::{Installed, RootfsConfig, RootfsOutcome, build_rootfs, resolve};
pub use rpm::read_rpm;
pub use shlibs::{ProviderMap, ShlibProvide, read_providers};
pub use spec::{PackageConfig, PackageSpec, PkgVar, StripTools};
pub use tree::{Kind, Tree, fnmatch};
pub use write::{WriteConfig, arch_dir, dpkg_arch, meta_from_pkgdata, write_packages};
