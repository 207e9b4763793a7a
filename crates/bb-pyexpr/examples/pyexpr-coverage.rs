//! Coverage report: how many distinct inline Python expressions of a metadata tree this crate
//! evaluates natively.
//!
//! Usage: `cargo run -p bb-pyexpr --example pyexpr-coverage -- [DIR] [--verbose] [--dump]`
//! (DIR defaults to `/work/ext/oe-core/meta`). `--dump` prints one line per expression instead
//! of the summary: the expression after `${VAR}` substitution and its result, tab-separated,
//! with `\`, tab and newline escaped, for comparison with CPython.
//!
//! It reads every `.bb`, `.bbclass`, `.inc` and `.conf` file, joins backslash-continued lines,
//! and extracts each `${@...}` the way BitBake's `__expand_python_regexp__` does: `${@`, then
//! the shortest text (balanced-looking `{...}` groups allowed, no newline) up to a closing `}`.
//! Distinct expressions are evaluated against a permissive dummy datastore:
//! every variable is set, and its value is its own name in lower case (`PN` -> `pn`,
//! `DISTRO_FEATURES` -> `distro_features`); a flag's value is `name_flag` in lower case,
//! except the `func` flag, which is unset (no variable is a `def` function), and
//! `BB_GLOBAL_PYMODULES` is "os sys time" as in OE-Core's layer.conf.
//! `${VAR}` references inside an expression are first replaced by that value, as the real
//! datastore would expand them. Results are counted as OK (a clean evaluation), NeedsPython
//! (with the 20 most frequent reasons), Python exceptions (caused by the dummy data or real
//! bugs of the expression) and syntax errors (listed, each is our bug or not an expression).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use bb_pyexpr::{Context, EvalError};

/// Every variable is set; its value is its name in lower case.
struct Dummy;

fn dummy_expand(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_+./~:".contains(c)))
            .unwrap_or(after.len());
        if n > 0 && after[n..].starts_with('}') {
            out.push_str(&after[..n].to_lowercase());
            rest = &after[n + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

impl Context for Dummy {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        if name == "BB_GLOBAL_PYMODULES" {
            return Ok(Some("os sys time".to_owned()));
        }
        Ok(Some(name.to_lowercase()))
    }

    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        _expand: bool,
    ) -> Result<Option<String>, EvalError> {
        // No variable is a function, so that bare names read as plain variables.
        if flag == "func" {
            return Ok(None);
        }
        Ok(Some(format!("{name}_{flag}").to_lowercase()))
    }

    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(dummy_expand(text))
    }
}

/// The `${@...}` expressions of one file, as BitBake's regex finds them.
fn extract(text: &str, out: &mut BTreeSet<String>) {
    let joined = text.replace("\\\n", "");
    let b = joined.as_bytes();
    let mut i = 0;
    while let Some(off) = joined[i..].find("${@") {
        let start = i + off + 3;
        let mut pos = start;
        let mut end = None;
        loop {
            // One element: a `{...}` group without newline, or any single character but newline.
            match b.get(pos) {
                None | Some(b'\n') => break,
                Some(b'{') => match joined[pos..].find(['}', '\n']) {
                    Some(j) if b.get(pos + j) == Some(&b'}') => pos += j + 1,
                    _ => pos += 1,
                },
                Some(_) => pos += joined[pos..].chars().next().map_or(1, char::len_utf8),
            }
            if b.get(pos) == Some(&b'}') {
                end = Some(pos);
                break;
            }
        }
        match end {
            Some(e) => {
                out.insert(joined[start..e].to_owned());
                i = e + 1;
            }
            None => i = start,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let dump = args.iter().any(|a| a == "--dump");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from("/work/ext/oe-core/meta"), PathBuf::from);
    let mut exprs = BTreeSet::new();
    for entry in walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "bb" | "bbclass" | "inc" | "conf"));
        if !wanted || !entry.file_type().is_file() {
            continue;
        }
        if let Ok(bytes) = fs_err::read(path) {
            extract(&String::from_utf8_lossy(&bytes), &mut exprs);
        }
    }
    let mut ok = 0usize;
    let mut needs: BTreeMap<String, usize> = BTreeMap::new();
    let mut needs_list = Vec::new();
    let mut exceptions: BTreeMap<String, usize> = BTreeMap::new();
    let mut exc_list = Vec::new();
    let mut syntax = Vec::new();
    let mut data = 0usize;
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
    };
    let mut dumped = String::new();
    for e in &exprs {
        let code = dummy_expand(e);
        let r = bb_pyexpr::eval(&code, &Dummy);
        if dump {
            let shown = match &r {
                Ok(v) => format!("ok\t{}", escape(v)),
                Err(EvalError::Exception { kind, message }) => {
                    format!("exc\t{}", escape(&format!("{kind}: {message}")))
                }
                Err(EvalError::Syntax { message, .. }) => format!("syntax\t{}", escape(message)),
                Err(EvalError::NeedsPython { reason, .. }) => format!("needs\t{}", escape(reason)),
                Err(EvalError::Data(m)) => format!("data\t{}", escape(m)),
            };
            dumped.push_str(&format!("{}\t{shown}\n", escape(&code)));
        }
        match r {
            Ok(_) => ok += 1,
            Err(EvalError::NeedsPython { reason, .. }) => {
                *needs.entry(reason.clone()).or_default() += 1;
                needs_list.push((e.clone(), reason));
            }
            Err(EvalError::Exception { kind, message }) => {
                *exceptions.entry(kind.clone()).or_default() += 1;
                exc_list.push((e.clone(), format!("{kind}: {message}")));
            }
            Err(EvalError::Syntax { message, .. }) => syntax.push((e.clone(), message)),
            Err(EvalError::Data(_)) => data += 1,
        }
    }
    let total = exprs.len();
    let pct = |n: usize| {
        if total == 0 {
            0.0
        } else {
            100.0 * n as f64 / total as f64
        }
    };
    let nneeds: usize = needs.values().sum();
    let nexc: usize = exceptions.values().sum();
    let mut out = std::io::stdout().lock();
    if dump {
        return match out.write_all(dumped.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
            _ => ExitCode::SUCCESS,
        };
    }
    let mut report = || -> std::io::Result<()> {
        writeln!(out, "directory:            {}", dir.display())?;
        writeln!(out, "distinct expressions: {total}")?;
        writeln!(out, "evaluated OK:         {ok} ({:.1}%)", pct(ok))?;
        writeln!(out, "NeedsPython:          {nneeds} ({:.1}%)", pct(nneeds))?;
        writeln!(out, "Python exceptions:    {nexc} ({:.1}%)", pct(nexc))?;
        writeln!(
            out,
            "syntax errors:        {} ({:.1}%)",
            syntax.len(),
            pct(syntax.len())
        )?;
        if data > 0 {
            writeln!(out, "context errors:       {data}")?;
        }
        writeln!(out, "\ntop NeedsPython reasons:")?;
        let mut top: Vec<(&String, &usize)> = needs.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in top.iter().take(20) {
            writeln!(out, "  {n:4}  {reason}")?;
        }
        writeln!(out, "\nexceptions by kind:")?;
        for (kind, n) in &exceptions {
            writeln!(out, "  {n:4}  {kind}")?;
        }
        writeln!(out, "\nsyntax errors:")?;
        for (e, m) in &syntax {
            writeln!(out, "  {e:?}: {m}")?;
        }
        if verbose {
            writeln!(out, "\nexceptions:")?;
            for (e, m) in &exc_list {
                writeln!(out, "  {e:?}\n      {m}")?;
            }
            writeln!(out, "\nNeedsPython:")?;
            for (e, m) in &needs_list {
                writeln!(out, "  {e:?}\n      {m}")?;
            }
        }
        Ok(())
    };
    match report() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
