//! Coverage report: how many distinct inline Python expressions of a metadata tree this crate
//! evaluates natively, and how many of its anonymous Python functions it runs to the end.
//!
//! Usage: `cargo run -p bb-pyexpr --example pyexpr-coverage -- [DIR] [--verbose] [--dump]
//! [--no-defs]` (DIR defaults to `/work/ext/oe-core/meta`). `--dump` prints one line per
//! expression instead of the summary: the expression after `${VAR}` substitution and its
//! result, tab-separated, with `\`, tab and newline escaped, for comparison with CPython.
//!
//! The `def` functions of the `.bb`, `.bbclass` and `.inc` files (BitBake's rule: the `def`
//! line and the following lines that start with whitespace, are empty or start with `#`) and
//! their `python NAME () { }` functions are served to the evaluator through
//! `Context::python_function`, so that calls of them by bare name are evaluated; `--no-defs`
//! turns that off. The anonymous functions (`python () {` and `python __anonymous () {` blocks,
//! up to a line that is exactly `}`) are run with `run_function` against the same dummy
//! datastore, whose writes are recorded in memory for the run (later reads see them).
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

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use bb_pyexpr::{Context, EvalError, PyFunction, PyFunctionKind};

/// Every variable is set; its value is its name in lower case, unless a function wrote it.
#[derive(Default)]
struct Dummy<'f> {
    /// The metadata's Python functions, by name.
    funcs: Option<&'f HashMap<String, PyFunction>>,
    /// Writes of the current function run (`None`: deleted or set to `None`).
    writes: RefCell<HashMap<String, Option<String>>>,
}

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

impl Dummy<'_> {
    fn write(&self, name: &str, value: Option<String>) -> Result<(), EvalError> {
        self.writes.borrow_mut().insert(name.to_owned(), value);
        Ok(())
    }

    fn current(&self, name: &str) -> Option<String> {
        match self.writes.borrow().get(name) {
            Some(v) => v.clone(),
            None => Some(name.to_lowercase()),
        }
    }
}

impl Context for Dummy<'_> {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        if name == "BB_GLOBAL_PYMODULES" {
            return Ok(Some("os sys time".to_owned()));
        }
        Ok(self.current(name))
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

    fn get_var_flags(&self, _name: &str) -> Result<Option<Vec<(String, String)>>, EvalError> {
        Ok(None)
    }

    fn keys(&self) -> Result<Vec<String>, EvalError> {
        Ok(self.writes.borrow().keys().cloned().collect())
    }

    fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        // BitBake's own lists: empty here.
        let list = matches!(
            (name, flag),
            (
                "__inherit_cache" | "__BBTASKS" | "__BBANONFUNCS" | "__BBHANDLERS",
                None
            ) | (_, Some("deps"))
        );
        list.then(Vec::new)
    }

    fn python_function(&self, name: &str) -> Option<PyFunction> {
        self.funcs.and_then(|f| f.get(name)).cloned()
    }

    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
        self.write(name, value.map(str::to_owned))
    }

    fn append_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let old = self.current(name).unwrap_or_default();
        self.write(name, Some(old + value))
    }

    fn prepend_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let old = self.current(name).unwrap_or_default();
        self.write(name, Some(value.to_owned() + &old))
    }

    fn del_var(&self, name: &str) -> Result<(), EvalError> {
        self.write(name, None)
    }

    fn rename_var(&self, from: &str, to: &str) -> Result<(), EvalError> {
        let v = self.current(from);
        self.write(to, v)?;
        self.write(from, None)
    }

    fn set_var_flag(&self, _: &str, _: &str, _: Option<&str>) -> Result<(), EvalError> {
        Ok(())
    }

    fn append_var_flag(&self, _: &str, _: &str, _: &str) -> Result<(), EvalError> {
        Ok(())
    }

    fn prepend_var_flag(&self, _: &str, _: &str, _: &str) -> Result<(), EvalError> {
        Ok(())
    }

    fn del_var_flag(&self, _: &str, _: &str) -> Result<(), EvalError> {
        Ok(())
    }
}

/// The Python functions of the `.bb`, `.bbclass` and `.inc` files, found as BitBake's
/// `BBHandler.feeder` finds them (lines are right-stripped first).
#[derive(Default)]
struct Functions {
    /// `def` functions and `python NAME () { }` functions, by name (the first one wins).
    named: HashMap<String, PyFunction>,
    /// Distinct bodies of anonymous functions.
    anonymous: BTreeSet<String>,
}

/// The name of a `[python] [fakeroot] NAME () {` line (`None`: not one; `Some("")`: anonymous),
/// and whether it is a Python function.
fn func_start(line: &str) -> Option<(String, bool)> {
    let rest = line.strip_suffix('{')?.trim_end();
    let rest = rest.strip_suffix(')')?.trim_end();
    let rest = rest.strip_suffix('(')?.trim_end();
    let mut python = false;
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    while let Some(w) = words.first() {
        match *w {
            "python" => python = true,
            "fakeroot" => {}
            _ => break,
        }
        words.remove(0);
    }
    let name = match words.as_slice() {
        [] => String::new(),
        [name]
            if name
                .chars()
                .all(|c| c.is_alphanumeric() || "_.-+{}$:".contains(c)) =>
        {
            (*name).to_owned()
        }
        _ => return None,
    };
    Some((name, python))
}

impl Functions {
    fn scan(&mut self, text: &str) {
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            i += 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((name, python)) = func_start(line) {
                let mut body = Vec::new();
                while i < lines.len() && lines[i] != "}" {
                    body.push(lines[i]);
                    i += 1;
                }
                i += 1;
                body.push("");
                let text = body.join("\n");
                if name.is_empty() || name == "__anonymous" {
                    self.anonymous.insert(text);
                } else if python {
                    self.named.entry(name).or_insert(PyFunction {
                        source: text,
                        kind: PyFunctionKind::BitBake,
                    });
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("def ")
                && line.contains(':')
            {
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let mut body = vec![line];
                while i < lines.len()
                    && (lines[i].is_empty()
                        || lines[i].starts_with('#')
                        || lines[i].starts_with(char::is_whitespace))
                {
                    body.push(lines[i]);
                    i += 1;
                }
                self.named.entry(name).or_insert(PyFunction {
                    source: body.join("\n"),
                    kind: PyFunctionKind::Def,
                });
            }
        }
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
    let no_defs = args.iter().any(|a| a == "--no-defs");
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from("/work/ext/oe-core/meta"), PathBuf::from);
    let mut exprs = BTreeSet::new();
    let mut functions = Functions::default();
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
            let text = String::from_utf8_lossy(&bytes);
            extract(&text, &mut exprs);
            if path.extension().is_some_and(|e| e != "conf") {
                functions.scan(&text);
            }
        }
    }
    let ctx = Dummy {
        funcs: (!no_defs).then_some(&functions.named),
        ..Dummy::default()
    };
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
        let r = bb_pyexpr::eval(&code, &ctx);
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
    let anon = run_anonymous(&functions, &ctx);
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
        anon.report(&mut out, verbose)?;
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

/// The outcome of running every anonymous function.
#[derive(Default)]
struct AnonReport {
    total: usize,
    ok: usize,
    needs: BTreeMap<String, usize>,
    exceptions: BTreeMap<String, usize>,
    syntax: Vec<(String, String)>,
    data: usize,
    failures: Vec<(String, String)>,
}

/// The first line of a reason: the kind of construct, without the names it carries.
fn reason_kind(reason: &str) -> String {
    if let Some(rest) = reason.strip_prefix("call to `")
        && let Some(name) = rest.strip_suffix('`')
    {
        // Group calls of module functions by module, keep bare names.
        return match name.rsplit_once('.') {
            Some((module, _)) => format!("call to `{module}.*`"),
            None => format!("call to `{name}`"),
        };
    }
    reason.to_owned()
}

fn run_anonymous(functions: &Functions, base: &Dummy<'_>) -> AnonReport {
    let mut r = AnonReport::default();
    for (n, body) in functions.anonymous.iter().enumerate() {
        let src = format!("def __anon_{n}(d):\n{body}");
        let ctx = Dummy {
            funcs: base.funcs,
            ..Dummy::default()
        };
        r.total += 1;
        let first = body
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        match bb_pyexpr::run_function(&src, &ctx) {
            Ok(()) => r.ok += 1,
            Err(EvalError::NeedsPython { reason, .. }) => {
                *r.needs.entry(reason_kind(&reason)).or_default() += 1;
                r.failures.push((first.to_owned(), reason));
            }
            Err(EvalError::Exception { kind, message }) => {
                *r.exceptions.entry(kind.clone()).or_default() += 1;
                r.failures
                    .push((first.to_owned(), format!("{kind}: {message}")));
            }
            Err(EvalError::Syntax { message, .. }) => r.syntax.push((first.to_owned(), message)),
            Err(EvalError::Data(_)) => r.data += 1,
        }
    }
    r
}

impl AnonReport {
    fn report(&self, out: &mut impl std::io::Write, verbose: bool) -> std::io::Result<()> {
        let pct = |n: usize| {
            if self.total == 0 {
                0.0
            } else {
                100.0 * n as f64 / self.total as f64
            }
        };
        let nneeds: usize = self.needs.values().sum();
        let nexc: usize = self.exceptions.values().sum();
        writeln!(out, "\nanonymous functions:  {}", self.total)?;
        writeln!(
            out,
            "run to the end:       {} ({:.1}%)",
            self.ok,
            pct(self.ok)
        )?;
        writeln!(out, "NeedsPython:          {nneeds} ({:.1}%)", pct(nneeds))?;
        writeln!(out, "Python exceptions:    {nexc} ({:.1}%)", pct(nexc))?;
        writeln!(
            out,
            "syntax errors:        {} ({:.1}%)",
            self.syntax.len(),
            pct(self.syntax.len())
        )?;
        if self.data > 0 {
            writeln!(out, "context errors:       {}", self.data)?;
        }
        writeln!(out, "\ntop NeedsPython reasons of anonymous functions:")?;
        let mut top: Vec<(&String, &usize)> = self.needs.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in top.iter().take(25) {
            writeln!(out, "  {n:4}  {reason}")?;
        }
        writeln!(out, "\nexceptions of anonymous functions by kind:")?;
        for (kind, n) in &self.exceptions {
            writeln!(out, "  {n:4}  {kind}")?;
        }
        for (first, m) in &self.syntax {
            writeln!(
                out,
                "  syntax error in anonymous function starting {first:?}: {m}"
            )?;
        }
        if verbose {
            writeln!(out, "\nanonymous functions that did not run to the end:")?;
            for (first, m) in &self.failures {
                writeln!(out, "  {first:?}\n      {m}")?;
            }
        }
        Ok(())
    }
}
