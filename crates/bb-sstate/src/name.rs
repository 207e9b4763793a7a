//! Object names, as openembedded-core's `generate_sstatefn` makes them: the spec
//! (`SSTATE_PKGSPEC`), the hash, `_` and the task name without `do_`, with `.tar.zst`
//! (`.tar.zst.siginfo` for the signature beside it), under two directory levels made of
//! the hash's first four characters (`ab/cd/`). A name longer than a file name may be
//! has the informational fields of the spec (2, 3 and 4) shortened evenly.

use crate::error::{Error, Result};

/// The archive's extension.
pub const EXTENSION: &str = ".tar.zst";

/// The object's path relative to SSTATE_DIR (without SSTATE_EXTRAPATH):
/// `xx/yy/<spec><hash>_<task>.tar.zst[.siginfo]`. `task` is given with or without
/// `do_`; an empty hash is `INVALID`, as in BitBake.
pub fn object_name(spec: &str, hash: &str, task: &str, siginfo: bool) -> Result<String> {
    let task = task.strip_prefix("do_").unwrap_or(task);
    let hash = if hash.is_empty() { "INVALID" } else { hash };
    // Eight characters stay free for ".siginfo" beside the archive.
    let (limit, ext) = if siginfo {
        (254usize, ".tar.zst.siginfo")
    } else {
        (254 - 8, EXTENSION)
    };
    let tail = format!("{hash}_{task}{ext}");
    let mut name = format!("{spec}{tail}");
    if name.len() > limit {
        let mut parts: Vec<String> = spec.split(':').map(str::to_owned).collect();
        if parts.len() < 8 {
            return Err(Error::NameTooLong(name));
        }
        // Fields 0, 1, 5 and 6 are kept whole; 2, 3 and 4 share what is left.
        let fixed = parts[0].len() + parts[1].len() + parts[5].len() + parts[6].len() + 7;
        let avail = limit.saturating_sub(tail.len() + fixed) / 3;
        for part in &mut parts[2..=4] {
            let cut = floor_char_boundary(part, avail);
            part.truncate(cut);
        }
        name = format!("{}{tail}", parts.join(":"));
        if name.len() > limit {
            return Err(Error::NameTooLong(name));
        }
    }
    let a = hash.get(..2).unwrap_or(hash);
    let b = hash.get(2..4).unwrap_or("");
    Ok(format!("{a}/{b}/{name}"))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_extensions() {
        let spec = "sstate:zlib:x86_64-poky-linux:1.3.1:r0:core2-64:14:";
        let n = object_name(spec, "0123456789abcdef", "do_populate_sysroot", false);
        assert_eq!(
            n.ok().as_deref(),
            Some(
                "01/23/sstate:zlib:x86_64-poky-linux:1.3.1:r0:core2-64:14:0123456789abcdef_populate_sysroot.tar.zst"
            )
        );
        let s = object_name(spec, "0123456789abcdef", "populate_sysroot", true);
        assert!(s.is_ok_and(|s| s.ends_with("_populate_sysroot.tar.zst.siginfo")));
        let i = object_name(spec, "", "package", false);
        assert!(i.is_ok_and(|s| s.starts_with("IN/VA/") && s.contains("INVALID_package")));
    }

    #[test]
    fn long_specs_are_shortened() {
        let long = "x".repeat(200);
        let spec = format!("sstate:pn:{long}:{long}:{long}:arch:14:");
        let hash = "f".repeat(64);
        let n = object_name(&spec, &hash, "populate_sysroot", false);
        let Ok(n) = n else { panic!("{n:?}") };
        let file = n.rsplit('/').next().unwrap_or("");
        assert!(file.len() <= 246, "{}", file.len());
        assert!(file.starts_with("sstate:pn:x"));
        assert!(file.contains(":arch:14:"));
        let sig = object_name(&spec, &hash, "populate_sysroot", true);
        assert!(sig.is_ok_and(|s| s.rsplit('/').next().unwrap_or("").len() <= 254));
    }
}
