//! Parses every metadata file under a directory and reports what BitBake would reject.
//!
//! `cargo run --release -p bb-parse --example parse-tree -- DIR [--all] [--dump]` reads
//! every `.bb`, `.bbappend`, `.bbclass`, `.inc` and `.conf` file under DIR into memory,
//! parses them all, prints each error diagnostic and ends with one summary line (files,
//! bytes, errors, warnings, parse time, throughput).
//!
//! Not every `.conf` or `.inc` file in a layer is BitBake metadata: recipes ship
//! configuration files for the target (`recipes-core/busybox/files/mdev.conf`), and
//! layers keep other tools' files (`files/wic/*.wks.inc`). Unless `--all` is given, a
//! `.conf`/`.inc` file is skipped when it lies in a recipe's payload directory (a
//! directory whose parent holds a `.bb` or `.bbappend` file), under a `files`
//! directory, or is one of [`FOREIGN_FILES`]; the summary counts the skipped files. With `--dump`, it instead prints each
//! file's statements in a canonical one-line-per-statement form (the form the
//! script `testdata/bb-parse/bitbake-oracle.py` prints for BitBake's own parser). It exits non-zero when
//! any error was found. It only reads files.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bb_parse::{FileKind, Severity, parse};

/// Files in a layer's `conf/` directory that belong to other tools, with the reason.
const FOREIGN_FILES: [(&str, &str); 1] = [(
    "meta/conf/ccache.conf",
    "ccache's own configuration, named by `CCACHE_CONFIGPATH` in ccache.bbclass",
)];

/// Whether a `.conf`/`.inc` file is not BitBake metadata (see the file comment).
fn is_payload(path: &Path, root: &Path, recipe_dirs: &HashSet<PathBuf>) -> bool {
    let name = path.to_string_lossy();
    if !(name.ends_with(".conf") || name.ends_with(".inc")) {
        return false;
    }
    if FOREIGN_FILES.iter().any(|(f, _)| name.ends_with(f)) {
        return true;
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) {
            break;
        }
        if d.file_name().is_some_and(|n| n == "files") {
            return true;
        }
        if d.parent().is_some_and(|p| recipe_dirs.contains(p)) {
            return true;
        }
        dir = d.parent();
    }
    false
}

/// Prints the canonical dump of one parsed file.
fn dump(out: &mut impl Write, name: &str, src: &str, kind: FileKind) -> std::io::Result<()> {
    let (file, diags) = parse(name, src, kind);
    writeln!(out, "== {name}")?;
    write!(out, "{}", bb_parse::dump(&file, &diags))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump_mode = args.iter().any(|a| a == "--dump");
    let all = args.iter().any(|a| a == "--all");
    let dirs: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut stderr = std::io::stderr();
    if dirs.is_empty() {
        let _ = writeln!(stderr, "usage: parse-tree DIR... [--dump]");
        return ExitCode::from(2);
    }

    // Read everything first so that the timing covers parsing only.
    let mut inputs: Vec<(String, String, FileKind)> = Vec::new();
    let mut read_errors = 0usize;
    let mut skipped = 0usize;
    for dir in dirs {
        let root = Path::new(dir.as_str());
        let mut entries: Vec<walkdir::DirEntry> = walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .collect();
        entries.sort_by(|a, b| a.path().cmp(b.path()));
        let recipe_dirs: HashSet<PathBuf> = entries
            .iter()
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "bb" || x == "bbappend")
            })
            .filter_map(|e| e.path().parent().map(Path::to_path_buf))
            .collect();
        for entry in entries {
            let path = entry.path().to_string_lossy().into_owned();
            let Some(kind) = FileKind::from_path(&path) else {
                continue;
            };
            if !all && is_payload(entry.path(), root, &recipe_dirs) {
                skipped += 1;
                continue;
            }
            match fs_err::read(entry.path()) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => inputs.push((path, text, kind)),
                    Err(_) => {
                        read_errors += 1;
                        let _ = writeln!(
                            out,
                            "{path}: error: not valid UTF-8 (bitbake reads metadata as UTF-8)"
                        );
                    }
                },
                Err(e) => {
                    read_errors += 1;
                    let _ = writeln!(out, "error: {e}");
                }
            }
        }
    }

    if dump_mode {
        for (path, text, kind) in &inputs {
            if dump(&mut out, path, text, *kind).is_err() {
                return ExitCode::SUCCESS; // EPIPE and friends: the reader went away.
            }
        }
        return ExitCode::SUCCESS;
    }

    let bytes: usize = inputs.iter().map(|(_, t, _)| t.len()).sum();
    let start = Instant::now();
    let mut errors = read_errors;
    let mut warnings = 0usize;
    let mut reports = Vec::new();
    for (path, text, kind) in &inputs {
        let (_file, diags) = parse(path, text, *kind);
        for d in diags {
            match d.severity {
                Severity::Error => {
                    errors += 1;
                    reports.push(d);
                }
                Severity::Warning => warnings += 1,
            }
        }
    }
    let elapsed = start.elapsed();
    for d in &reports {
        let _ = writeln!(out, "{d}");
    }
    let ms = elapsed.as_secs_f64() * 1000.0;
    let mbps = if ms > 0.0 {
        bytes as f64 / 1e6 / (ms / 1000.0)
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "files: {}, bytes: {bytes}, errors: {errors}, warnings: {warnings}, elapsed: {ms:.1} ms, {mbps:.1} MB/s (skipped {skipped} non-metadata files)",
        inputs.len()
    );
    let _ = out.flush();
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
