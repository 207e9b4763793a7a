//! `bitbake -g` output: `task-depends.dot` and `pn-buildlist`, in BitBake's format.

use std::fmt::Write as _;
use std::path::Path;

use crate::graph::TaskGraph;

/// `pn-buildlist`: every PN in the graph, sorted, one per line.
pub fn pn_buildlist(g: &TaskGraph) -> String {
    let mut pns: Vec<&str> = g.recipes.values().map(|(pn, _)| pn.as_str()).collect();
    pns.sort_unstable();
    pns.dedup();
    let mut out = pns.join("\n");
    out.push('\n');
    out
}

/// `task-depends.dot`: one node per task sorted by `PN.do_task`, each with its
/// label and its sorted dependency edges.
pub fn task_depends(g: &TaskGraph) -> String {
    let name = |i: usize| -> String {
        let t = &g.tasks[i];
        let pn = g
            .recipes
            .get(&t.fn_name)
            .map(|(pn, _)| pn.as_str())
            .unwrap_or("");
        format!("{pn}.{}", t.task)
    };
    // BitBake keys nodes by PN.task: two targets with one PN share a node.
    let mut nodes: std::collections::BTreeMap<String, (usize, std::collections::BTreeSet<String>)> =
        std::collections::BTreeMap::new();
    for i in 0..g.len() {
        let entry = nodes
            .entry(name(i))
            .or_insert_with(|| (i, Default::default()));
        for &d in &g.deps[i] {
            entry.1.insert(name(d));
        }
    }
    let mut out = String::from("digraph depends {\n");
    for (node, (i, deps)) in &nodes {
        let t = &g.tasks[*i];
        let (pn, version) = g
            .recipes
            .get(&t.fn_name)
            .map(|(p, v)| (p.as_str(), v.as_str()))
            .unwrap_or(("", ""));
        let _ = writeln!(
            out,
            "\"{node}\" [label=\"{pn} {}\\n{version}\\n{}\"]",
            t.task, t.fn_name
        );
        for d in deps {
            let _ = writeln!(out, "\"{node}\" -> \"{d}\"");
        }
    }
    out.push_str("}\n");
    out
}

/// Writes both files into `dir` (written to temporary names and renamed), and
/// removes the old `pn-depends.dot`, `package-depends.dot` and `recipe-depends.dot`
/// as BitBake does.
pub fn write(g: &TaskGraph, dir: &Path) -> std::io::Result<()> {
    for old in [
        "pn-depends.dot",
        "package-depends.dot",
        "recipe-depends.dot",
    ] {
        match fs_err::remove_file(dir.join(old)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    for (name, text) in [
        ("pn-buildlist", pn_buildlist(g)),
        ("task-depends.dot", task_depends(g)),
    ] {
        bb_util::fs::atomic_write(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}
