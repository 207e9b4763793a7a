//! Lexical path helpers with Python's exact results (`posixpath`), for code that must
//! name paths as BitBake does. Nothing here touches the file system.

/// Python's `os.path.normpath` (posixpath): `.` and empty components dropped, `..`
/// folded where a parent is known (kept at the start of a relative path, dropped at the
/// root), exactly two leading slashes kept, and `.` for an empty result.
pub fn normpath(path: &str) -> String {
    normpath_cow(path).into_owned()
}

/// [`normpath`], borrowing `path` when it is already normal (the usual case).
pub fn normpath_cow(path: &str) -> std::borrow::Cow<'_, str> {
    if path.is_empty() {
        return ".".into();
    }
    if is_normal(path) {
        return path.into();
    }
    normalized(path).into()
}

/// The long way of [`normpath_cow`] for a non-empty path.
fn normalized(path: &str) -> String {
    let initial = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if comp != ".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(comp);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let joined = format!("{}{}", "/".repeat(initial), comps.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Whether `normpath` would return `path` unchanged: no empty, `.` or `..` component
/// and no trailing slash (a leading `//` is kept by `normpath`, but is rare enough to
/// take the long way). Most paths a parse records are already normal.
fn is_normal(path: &str) -> bool {
    let b = path.as_bytes();
    let rest = match b {
        [b'/'] => return true,
        [b'/', b'/', ..] => return false,
        [b'/', rest @ ..] => rest,
        _ => b,
    };
    // One pass over the bytes: every component non-empty and neither `.` nor `..`.
    let mut start = 0;
    for i in 0..=rest.len() {
        if i == rest.len() || rest[i] == b'/' {
            if matches!(&rest[start..i], b"" | b"." | b"..") {
                return false;
            }
            start = i + 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::normpath;

    proptest::proptest! {
        /// The fast path agrees with the long way on every path it keeps.
        #[test]
        fn a_path_kept_as_it_is_is_already_normalized(p in "[a./]{1,12}") {
            if super::is_normal(&p) {
                proptest::prop_assert_eq!(super::normalized(&p), p);
            }
        }
    }

    /// CPython 3.11's `os.path.normpath` on each input.
    #[test]
    fn matches_cpython() {
        let table = [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("//", "//"),
            ("///", "/"),
            ("//a/b", "//a/b"),
            ("///a/b", "/a/b"),
            ("a/b/", "a/b"),
            ("a/./b", "a/b"),
            ("a/../b", "b"),
            ("../../x", "../../x"),
            ("a/../../x", "../x"),
            ("/../x", "/x"),
            ("/a/b/../../..", "/"),
            ("a/..", "."),
            ("./a//b/.", "a/b"),
        ];
        for (p, want) in table {
            assert_eq!(normpath(p), want, "normpath({p:?})");
            // A normal path comes back as it is (the fast path).
            assert_eq!(normpath(want), want, "normpath({want:?})");
        }
    }
}
