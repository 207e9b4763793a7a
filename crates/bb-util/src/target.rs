//! Recipe target names: BitBake's `virtual:CLASS:FILE` and `mc:MC:...` spellings of a
//! recipe file and its BBCLASSEXTEND variant (`bb.cache.virtualfn2realfn`/`realfn2virtual`).

/// Splits `virtual:native:/path/x.bb` into (`native`, `/path/x.bb`) as
/// `bb.cache.virtualfn2realfn` does (the file is what follows the last `:`); a name
/// without the `virtual:` prefix has an empty variant. A leading `mc:NAME:` is not
/// removed here: see [`split_mc`].
pub fn split_virtual(f: &str) -> (&str, &str) {
    match f.strip_prefix("virtual:") {
        Some(rest) => match rest.rsplit_once(':') {
            Some((cls, file)) => (cls, file),
            None => ("", rest),
        },
        None => ("", f),
    }
}

/// Splits `mc:NAME:REST` into (`NAME`, `REST`); other names have an empty multiconfig.
pub fn split_mc(f: &str) -> (&str, &str) {
    match f.strip_prefix("mc:").and_then(|r| r.split_once(':')) {
        Some((mc, rest)) => (mc, rest),
        None => ("", f),
    }
}

/// The target name of `file` in variant `cls` (`bb.cache.realfn2virtual`).
pub fn join_virtual(cls: &str, file: &str) -> String {
    if cls.is_empty() {
        file.to_owned()
    } else {
        format!("virtual:{cls}:{file}")
    }
}

#[cfg(test)]
mod tests {
    use super::{join_virtual, split_mc, split_virtual};

    /// BitBake's `bb.cache.virtualfn2realfn` (fn, cls) on each input.
    #[test]
    fn matches_bitbake() {
        let table = [
            ("/l/x.bb", ("", "/l/x.bb")),
            ("virtual:native:/l/x.bb", ("native", "/l/x.bb")),
            (
                "virtual:multilib:lib32:/l/x.bb",
                ("multilib:lib32", "/l/x.bb"),
            ),
            ("virtual:native:rel/x.bb", ("native", "rel/x.bb")),
            ("virtual:x.bb", ("", "x.bb")),
        ];
        for (f, want) in table {
            assert_eq!(split_virtual(f), want, "split_virtual({f:?})");
            if !want.0.is_empty() {
                assert_eq!(join_virtual(want.0, want.1), f);
            }
        }
        assert_eq!(
            split_mc("mc:a:virtual:native:/x.bb"),
            ("a", "virtual:native:/x.bb")
        );
        assert_eq!(split_mc("/x.bb"), ("", "/x.bb"));
    }
}
