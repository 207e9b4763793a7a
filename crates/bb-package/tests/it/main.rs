//! bb-package's integration tests: real ELF files built with the host's gcc, packages
//! checked with the real `dpkg-deb`/`dpkg`, root filesystems and images.

mod deb;
mod package;
mod rootfs;
mod rpm;
mod support;
