//! Reading `bitbake -e` output in tests: the `VAR="value"` statements of its variable
//! section. Shared by `conformance.rs` and `cooker.rs` through `#[path]`.

use std::collections::BTreeMap;

/// The value lines of a `bitbake -e` output: name -> whole statement (continuations
/// joined), for `NAME="..."`, `export NAME="..."` and `unset NAME`.
pub(crate) fn value_lines(out: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = out.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut stmt = line.to_owned();
        while stmt.ends_with(" \\") {
            match lines.next() {
                Some(next) => {
                    stmt.push('\n');
                    stmt.push_str(next);
                }
                None => break,
            }
        }
        let body = stmt.strip_prefix("export ").unwrap_or(&stmt);
        let name = if let Some(n) = body.strip_prefix("unset ") {
            n.to_owned()
        } else if let Some((n, rest)) = body.split_once('=') {
            if !rest.starts_with('"') || n.contains(' ') || n.contains('(') {
                continue;
            }
            n.to_owned()
        } else {
            continue;
        };
        map.insert(name, stmt);
    }
    map
}

/// Stops at the first function: only the variable section is compared.
pub(crate) fn variable_section(out: &str) -> &str {
    match out.find("\n# line: ") {
        Some(i) => &out[..i],
        None => out.split("\npython ").next().unwrap_or(out),
    }
}
