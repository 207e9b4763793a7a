//! Evaluation of parsed metadata into a datastore: statements in order, `include` /
//! `require` / `include_all` / `inherit` with BitBake's search rules, functions,
//! tasks, and recipe finalization (deferred inherits, key expansion, anonymous
//! functions).
//!
//! Files come in through [`FileSource`]; this module never touches the file system
//! itself. Each file is parsed once per [`Evaluator`] and shared.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bb_parse::{AssignOp, Diagnostic, FileKind, IncludeKind, Severity, Stmt, StmtKind};

use crate::anon;
use crate::error::{Error, Result};
use crate::history::Origin;
use crate::store::{DataStore, SetOpts};

/// Where metadata files are read from.
pub trait FileSource: Sync {
    /// The text of a file.
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// Whether a path exists (file or directory), as `os.path.exists`.
    fn exists(&self, path: &Path) -> bool;
    /// Whether a path is a regular file.
    fn is_file(&self, path: &Path) -> bool;
}

/// A parsed file, shared between every datastore that includes it.
#[derive(Debug)]
pub struct ParsedFile {
    /// The syntax tree.
    pub ast: bb_parse::File,
    /// Warnings and errors found while parsing.
    pub diagnostics: Vec<Diagnostic>,
}

/// Evaluates metadata files into datastores, parsing each file once.
pub struct Evaluator<'a> {
    src: &'a dyn FileSource,
    parsed: Mutex<HashMap<PathBuf, Arc<ParsedFile>>>,
    /// Whether a path searched for an include or a class exists, asked once per path
    /// (like `parsed`, for the evaluator's lifetime: every recipe searches the same
    /// class directories).
    exists: Mutex<rustc_hash::FxHashMap<String, bool>>,
    /// Warnings collected while evaluating (duplicate inclusion, missing space...).
    warnings: Mutex<Vec<String>>,
}

/// Finalizes prepared variant datastores: given `(variant, datastore)` pairs and the
/// finalization to apply to each, returns them finalized, in the same order.
pub type VariantRunner<'r> = dyn Fn(
        Vec<(String, DataStore)>,
        &(dyn Fn(&mut DataStore) -> Result<()> + Sync),
    ) -> Result<Vec<(String, DataStore)>>
    + Sync
    + 'r;

/// The per-file context statements are evaluated in.
struct FileCtx<'f> {
    /// Absolute path of the file holding the statements.
    file: &'f str,
    /// Class name for `EXPORT_FUNCTIONS` (the stem of a `.bbclass`, else empty).
    classname: &'f str,
}

/// Python's list repr of words, for history details of internal list flags.
fn py_list(items: &[&str]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", inner.join(", "))
}

fn internal(file: &str, line: u32, func: &str) -> Origin {
    Origin::internal(file, line, func)
}

/// The `os.path.join` of a directory and a relative path.
fn join(dir: &str, item: &str) -> String {
    if item.starts_with('/') {
        return item.to_owned();
    }
    if dir.is_empty() {
        return item.to_owned();
    }
    if dir.ends_with('/') {
        format!("{dir}{item}")
    } else {
        format!("{dir}/{item}")
    }
}

fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => "",
    }
}

/// `"<recipe file>: "` while a recipe is parsed (BitBake's parser workers prefix their
/// log records with it), empty for the configuration.
fn recipe_prefix(d: &DataStore) -> String {
    match d.get_raw("__BB_RECIPE_FILE") {
        Some(f) if !f.is_empty() => format!("{f}: "),
        _ => String::new(),
    }
}

fn ensure_task_prefix(t: &str) -> String {
    if t.starts_with("do_") {
        t.to_owned()
    } else {
        format!("do_{t}")
    }
}

/// Adds `file` to `__inherit_cache` (a space-separated list) unless it is there;
/// whether it was added. Called for every class of every recipe: the list is searched
/// in place and extended, not split into words and joined again (the same text when it
/// is already in that form, which is how this function leaves it).
fn note_inherited(d: &mut DataStore, file: &str) -> bool {
    let list = d
        .var("__inherit_cache")
        .and_then(|v| v.value.as_deref())
        .unwrap_or("");
    if has_word(list, file) {
        return false;
    }
    let joined = if list.is_ascii() {
        let b = list.as_bytes();
        b.first() != Some(&b' ')
            && b.last() != Some(&b' ')
            && !list.contains("  ")
            && !b.iter().any(|c| (b'\t'..=b'\r').contains(c))
    } else {
        !list.starts_with(char::is_whitespace)
            && !list.ends_with(char::is_whitespace)
            && !list.contains("  ")
            && !list.contains(|c: char| c.is_whitespace() && c != ' ')
    };
    let mut new = String::with_capacity(list.len() + 1 + file.len());
    if joined {
        new.push_str(list);
    } else {
        for (i, w) in bb_util::split_words(list).enumerate() {
            if i > 0 {
                new.push(' ');
            }
            new.push_str(w);
        }
    }
    if !new.is_empty() {
        new.push(' ');
    }
    new.push_str(file);
    d.set_var("__inherit_cache", &new);
    true
}

/// Whether `word` is one of the whitespace-separated words of `text` (a substring
/// search instead of splitting every word: `__inherit_cache` lists every class path).
fn has_word(text: &str, word: &str) -> bool {
    if word.is_empty() || word.contains(char::is_whitespace) {
        return bb_util::split_words(text).any(|w| w == word);
    }
    text.match_indices(word).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace)
            && text[i + word.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
    })
}

fn words(s: Option<String>) -> Vec<String> {
    s.map(|v| bb_util::split_words(&v).map(str::to_owned).collect())
        .unwrap_or_default()
}

impl<'a> Evaluator<'a> {
    /// An evaluator reading through `src`.
    pub fn new(src: &'a dyn FileSource) -> Evaluator<'a> {
        Evaluator {
            src,
            parsed: Mutex::new(HashMap::new()),
            exists: Mutex::new(rustc_hash::FxHashMap::default()),
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// Warnings collected so far.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn warn(&self, msg: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg);
    }

    /// Parses a file (once) and returns its tree; the first error diagnostic fails.
    pub fn parsed(&self, path: &str) -> Result<Arc<ParsedFile>> {
        let key = PathBuf::from(path);
        if let Some(p) = self
            .parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let kind = FileKind::from_path(path).ok_or_else(|| Error::Eval {
            file: path.into(),
            line: 0,
            message: "not a BitBake file".to_owned(),
        })?;
        let text = self
            .src
            .read(&key)
            .map_err(|e| Error::Io(format!("{path}: {e}")))?;
        let (ast, diagnostics) = bb_parse::parse(path, &text, kind);
        let parsed = Arc::new(ParsedFile { ast, diagnostics });
        self.parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, parsed.clone());
        Ok(parsed)
    }

    /// Drops the parsed trees of `paths` and what is known of their existence, so that
    /// the next parse reads them again (a process that lives across changes to the
    /// metadata: bake's task worker).
    pub fn forget(&self, paths: &[&str]) {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let mut exists = self.exists.lock().unwrap_or_else(|e| e.into_inner());
        for p in paths {
            parsed.remove(Path::new(p));
            exists.remove(*p);
        }
    }

    /// Whether `path` exists, asked of the file source once per path.
    fn exists(&self, path: &str) -> bool {
        if let Some(&e) = self
            .exists
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return e;
        }
        let e = self.src.exists(Path::new(path));
        self.exists
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), e);
        e
    }

    /// Finds `item` along a colon-separated search path, like `bb.utils.which` with
    /// history: the path found (made absolute) and every candidate tried, in order.
    fn which(&self, path: &str, item: &str) -> (Option<String>, Vec<String>) {
        let mut attempts = Vec::new();
        for p in path.split(':') {
            let cand = join(p, item);
            attempts.push(cand.clone());
            if self.exists(&cand) {
                let abs = if cand.starts_with('/') {
                    cand
                } else {
                    absolutize(&cand)
                };
                return (Some(abs), attempts);
            }
        }
        (None, attempts)
    }

    fn bbpath(d: &DataStore) -> Result<String> {
        Ok(d.get_var("BBPATH")?.unwrap_or_default())
    }

    /// Reads and evaluates one file into `d`, as `bb.parse.handle` does. `include` is
    /// false for the top-level file (a recipe or `bitbake.conf` read directly).
    pub fn handle(&self, d: &mut DataStore, file: &str, include: bool) -> Result<()> {
        let kind = FileKind::from_path(file).ok_or_else(|| Error::Eval {
            file: file.into(),
            line: 0,
            message: "not a BitBake file".to_owned(),
        })?;
        d.include_tree_mut().enter(file);
        let r = self.handle_inner(d, file, include, kind);
        d.include_tree_mut().leave();
        r
    }

    fn resolve(&self, d: &mut DataStore, file: &str) -> Result<String> {
        let abs = if file.starts_with('/') {
            mark_dependency(d, file);
            file.to_owned()
        } else {
            let bbpath = Self::bbpath(d)?;
            let (found, attempts) = self.which(&bbpath, file);
            for a in &attempts {
                mark_dependency(d, a);
            }
            found.ok_or_else(|| Error::Io(format!("file {file} not found in {bbpath}")))?
        };
        if !self.src.is_file(Path::new(&abs)) {
            return Err(Error::Io(format!("file {abs} not found")));
        }
        Ok(abs)
    }

    fn handle_inner(
        &self,
        d: &mut DataStore,
        file: &str,
        include: bool,
        kind: FileKind,
    ) -> Result<()> {
        let is_class = file.ends_with(".bbclass");
        let stem = Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_owned();
        if is_class {
            note_inherited(d, file);
        }
        let oldfile = if include { d.get_raw("FILE") } else { None };
        let abs = self.resolve(d, file)?;
        let parsed = self.parsed(&abs)?;
        if let Some(diag) = parsed
            .diagnostics
            .iter()
            .find(|x| x.severity == Severity::Error)
        {
            return Err(Error::Parse(Box::new(diag.clone())));
        }
        for w in parsed
            .diagnostics
            .iter()
            .filter(|x| x.severity == Severity::Warning)
        {
            self.warn(w.to_string());
        }
        let set_file = match kind {
            FileKind::Conf => true,
            FileKind::Recipe => !is_class && Some(&abs) != oldfile.as_ref(),
        };
        if set_file {
            let (f, line) = if kind == FileKind::Conf {
                ("ConfHandler.py", 153)
            } else {
                ("BBHandler.py", 153)
            };
            d.set_var_with("FILE", &abs, SetOpts::api(&internal(f, line, "handle")));
        }
        let classname = if is_class { stem.as_str() } else { "" };
        let ctx = FileCtx {
            file: &abs,
            classname,
        };
        for stmt in &parsed.ast.stmts {
            self.eval_stmt(d, stmt, &ctx)
                .map_err(|e| locate(e, &abs, stmt))?;
        }
        if let Some(old) = oldfile {
            let restore = match kind {
                FileKind::Conf => true,
                FileKind::Recipe => !is_class && abs != old,
            };
            if restore {
                let (f, line) = if kind == FileKind::Conf {
                    ("ConfHandler.py", 156)
                } else {
                    ("BBHandler.py", 171)
                };
                d.set_var_with("FILE", &old, SetOpts::api(&internal(f, line, "handle")));
            }
        }
        Ok(())
    }

    fn eval_err(ctx: &FileCtx<'_>, line: u32, message: String) -> Error {
        Error::Eval {
            file: ctx.file.into(),
            line,
            message,
        }
    }

    fn eval_stmt(&self, d: &mut DataStore, stmt: &Stmt, ctx: &FileCtx<'_>) -> Result<()> {
        // BitBake numbers a statement by its last physical line.
        let line = stmt.span.line
            + stmt
                .raw
                .trim_end_matches(['\n', '\r'])
                .matches('\n')
                .count() as u32;
        let origin = Origin::file(ctx.file, line);
        match &stmt.kind {
            StmtKind::Blank | StmtKind::Comment | StmtKind::Error => {}
            StmtKind::Assign {
                export,
                name,
                flag,
                op,
                value,
            } => {
                self.eval_assign(d, name, flag.as_deref(), *op, value, *export, &origin)?;
            }
            StmtKind::Export { name } => {
                d.set_var_flag_with(
                    name,
                    "export",
                    "1",
                    "exported",
                    None,
                    Some(&internal("ast.py", 67, "eval")),
                );
            }
            StmtKind::Unset { name, flag } => match flag {
                Some(f) => d.del_var_flag(name, f, Some(&origin)),
                None => d.del_var(name, Some(&origin)),
            },
            StmtKind::Include { kind, args } => {
                let what = d.expand(args)?;
                match kind {
                    IncludeKind::Include => self.include(d, ctx.file, &what, line, None)?,
                    IncludeKind::Require => {
                        self.include(d, ctx.file, &what, line, Some("include required"))?
                    }
                    IncludeKind::IncludeAll => {
                        let bbpath = Self::bbpath(d)?;
                        for p in bbpath.split(':') {
                            self.include_single(d, ctx.file, &join(p, &what), line, None)?;
                        }
                    }
                }
            }
            StmtKind::Inherit { defer, args } => {
                if *defer {
                    self.inherit_defer(d, args, ctx.file, line);
                } else {
                    self.inherit(d, args, ctx.file, line, false)?;
                }
            }
            StmtKind::AddTask {
                names,
                after,
                before,
            } => {
                for t in names {
                    add_task(d, t, before, after);
                }
            }
            StmtKind::DelTask { args } => {
                let tasks = d.expand(args)?;
                for t in bb_util::split_words(&tasks) {
                    del_task(d, t);
                }
            }
            StmtKind::AddHandler { names } => {
                let mut hs = words(d.get_raw("__BBHANDLERS"));
                for h in names {
                    hs.push(h.clone());
                    d.set_var_flag_with(
                        h,
                        "handler",
                        "1",
                        "set",
                        None,
                        Some(&internal("ast.py", 291, "eval")),
                    );
                }
                d.set_var("__BBHANDLERS", &hs.join(" "));
            }
            StmtKind::ExportFunctions { names } => {
                for f in names {
                    self.export_function(d, f, ctx.classname, line, ctx)?;
                }
            }
            StmtKind::Function {
                name,
                python,
                fakeroot,
                body,
            } => {
                let end_line = line;
                let nbody = body.matches('\n').count() as u32;
                let (funcname, text, python) = match name.as_deref() {
                    None | Some("__anonymous") => {
                        let tr: String = ctx
                            .file
                            .chars()
                            .map(|c| if "/.+-@%&~".contains(c) { '_' } else { c })
                            .collect();
                        let fname = format!("__anon_{end_line}_{tr}");
                        let text = format!("def {fname}(d):\n{body}");
                        let mut anons = words(d.get_raw("__BBANONFUNCS"));
                        anons.push(fname.clone());
                        d.set_var("__BBANONFUNCS", &anons.join(" "));
                        (fname, text, true)
                    }
                    Some(n) => (n.to_owned(), body.clone(), *python),
                };
                let io = internal("ast.py", 201, "eval");
                if d.get_var_opts(&funcname, false, false)?
                    .is_some_and(|v| !v.is_empty())
                {
                    d.del_var_flag(&funcname, "python", Some(&io));
                    d.del_var_flag(&funcname, "fakeroot", Some(&io));
                }
                if python {
                    d.set_var_flag_with(
                        &funcname,
                        "python",
                        "1",
                        "set",
                        None,
                        Some(&internal("ast.py", 197, "eval")),
                    );
                }
                if *fakeroot {
                    d.set_var_flag_with(
                        &funcname,
                        "fakeroot",
                        "1",
                        "set",
                        None,
                        Some(&internal("ast.py", 199, "eval")),
                    );
                }
                d.set_var_flag_with(
                    &funcname,
                    "func",
                    "1",
                    "set",
                    None,
                    Some(&internal("ast.py", 200, "eval")),
                );
                d.set_var_with(
                    &funcname,
                    &text,
                    SetOpts {
                        parsing: true,
                        op: "set",
                        detail: None,
                        origin: Some(&io),
                    },
                );
                d.set_var_flag_with(
                    &funcname,
                    "filename",
                    ctx.file,
                    "set",
                    None,
                    Some(&internal("ast.py", 202, "eval")),
                );
                let lineno = end_line.saturating_sub(nbody + 1);
                d.set_var_flag_with(
                    &funcname,
                    "lineno",
                    &lineno.to_string(),
                    "set",
                    None,
                    Some(&internal("ast.py", 203, "eval")),
                );
            }
            StmtKind::Def { name, body } => {
                crate::python::check_def(body, ctx.file, stmt.span.line)
                    .map_err(|m| Self::eval_err(ctx, stmt.span.line, m))?;
                let io = internal("ast.py", 220, "eval");
                d.set_var_flag_with(
                    name,
                    "func",
                    "1",
                    "set",
                    None,
                    Some(&internal("ast.py", 218, "eval")),
                );
                d.set_var_flag_with(
                    name,
                    "python",
                    "1",
                    "set",
                    None,
                    Some(&internal("ast.py", 219, "eval")),
                );
                d.set_var_with(
                    name,
                    body,
                    SetOpts {
                        parsing: true,
                        op: "set",
                        detail: None,
                        origin: Some(&io),
                    },
                );
                d.set_var_flag_with(
                    name,
                    "filename",
                    ctx.file,
                    "set",
                    None,
                    Some(&internal("ast.py", 221, "eval")),
                );
                d.set_var_flag_with(
                    name,
                    "lineno",
                    &stmt.span.line.to_string(),
                    "set",
                    None,
                    Some(&internal("ast.py", 222, "eval")),
                );
            }
            StmtKind::AddPylib { dir, namespace } => {
                // Python module paths only matter to embedded CPython; without one the
                // statement has no effect (the modules' functions then need Python).
                if let Some(host) = crate::python::python_host() {
                    let dir = d.expand(dir)?;
                    host.add_pylib(&dir, namespace).map_err(|f| {
                        Self::eval_err(
                            ctx,
                            line,
                            format!("addpylib {dir} {namespace}: {}", f.summary()),
                        )
                    })?;
                }
            }
            StmtKind::AddFragments { .. } => {
                // Fragments need the layer machinery of the cooker; without an enabled
                // fragment list this is a no-op, as upstream.
            }
        }
        Ok(())
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors the assignment statement's parts"
    )]
    fn eval_assign(
        &self,
        d: &mut DataStore,
        key: &str,
        flag: Option<&str>,
        op: AssignOp,
        value: &str,
        export: bool,
        origin: &Origin,
    ) -> Result<()> {
        if export {
            d.set_var_flag_with(key, "export", "1", "exported", None, Some(origin));
        }
        let current = |d: &DataStore| -> Option<String> {
            match flag {
                Some(f) => d.get_raw_flag(key, f),
                None => d.get_raw(key),
            }
        };
        let (opname, val) = match op {
            AssignOp::Set | AssignOp::WeakDefault => ("set", value.to_owned()),
            AssignOp::Default => ("set?", current(d).unwrap_or_else(|| value.to_owned())),
            AssignOp::Immediate => {
                let copy = d.clone();
                (
                    "immediate",
                    copy.expand_tracked(value, Some(&format!("{key}[:=]")))?,
                )
            }
            AssignOp::Append => (
                "append",
                format!("{} {}", current(d).unwrap_or_default(), value),
            ),
            AssignOp::Prepend => (
                "prepend",
                format!("{} {}", value, current(d).unwrap_or_default()),
            ),
            AssignOp::PostDot => (
                "postdot",
                format!("{}{}", current(d).unwrap_or_default(), value),
            ),
            AssignOp::PreDot => (
                "predot",
                format!("{}{}", value, current(d).unwrap_or_default()),
            ),
        };
        if (key.contains(":append") || key.contains(":remove") || key.contains(":prepend"))
            && matches!(
                op,
                AssignOp::Append | AssignOp::Prepend | AssignOp::PostDot | AssignOp::PreDot
            )
        {
            self.warn(format!(
                "{}:{}: {key} {} is not a recommended operator combination, please replace it",
                origin.file,
                origin.line,
                op.as_str()
            ));
        }
        match (flag, op) {
            (Some(f), AssignOp::WeakDefault) => d.set_weak_flag(key, f, &val, Some(origin)),
            (Some(f), _) => d.set_var_flag_with(key, f, &val, opname, Some(value), Some(origin)),
            (None, AssignOp::WeakDefault) => d.set_weak_default(key, &val, Some(origin)),
            (None, _) => d.set_var_with(key, &val, SetOpts::file(opname, value, origin)),
        }
        Ok(())
    }

    /// `include` / `require` of one or more (already expanded) words.
    fn include(
        &self,
        d: &mut DataStore,
        parent: &str,
        what: &str,
        line: u32,
        error_out: Option<&str>,
    ) -> Result<()> {
        for w in bb_util::split_words(what) {
            self.include_single(d, parent, w, line, error_out)?;
        }
        Ok(())
    }

    fn include_single(
        &self,
        d: &mut DataStore,
        parent: &str,
        file: &str,
        line: u32,
        error_out: Option<&str>,
    ) -> Result<()> {
        if parent == file {
            return Ok(());
        }
        let mut target = file.to_owned();
        if !file.starts_with('/') {
            let bbpath = format!("{}:{}", dirname(parent), Self::bbpath(d)?);
            let (found, attempts) = self.which(&bbpath, file);
            if let Some(abs) = &found
                && has_dependency(d, abs)
            {
                self.warn(format!(
                    "{}Duplicate inclusion for {abs} in {}",
                    recipe_prefix(d),
                    d.get_raw("FILE").unwrap_or_default()
                ));
            }
            for a in &attempts {
                mark_dependency(d, a);
            }
            if let Some(abs) = found {
                target = abs;
            }
        } else if has_dependency(d, file) {
            self.warn(format!(
                "{}Duplicate inclusion for {file} in {}",
                recipe_prefix(d),
                d.get_raw("FILE").unwrap_or_default()
            ));
        }
        if self.include_depth_exceeded(d, &target) {
            return Err(Error::Eval {
                file: parent.into(),
                line,
                message: format!("cyclic inclusion of `{target}`"),
            });
        }
        match self.handle(d, &target, true) {
            Ok(()) => Ok(()),
            Err(Error::Io(msg)) => match error_out {
                Some(verb) if msg.contains("not found") => Err(Error::Eval {
                    file: parent.into(),
                    line,
                    message: format!("Could not {verb} file {target}"),
                }),
                Some(verb) => Err(Error::Eval {
                    file: parent.into(),
                    line,
                    message: format!("Could not {verb} file {target}: {msg}"),
                }),
                None if msg.contains("not found") => Ok(()),
                None => Err(Error::Eval {
                    file: parent.into(),
                    line,
                    message: format!("Error parsing {target}: {msg}"),
                }),
            },
            Err(e) => Err(e),
        }
    }

    fn include_depth_exceeded(&self, d: &DataStore, target: &str) -> bool {
        d.include_tree()
            .open_files()
            .filter(|f| *f == target)
            .count()
            >= 1
    }

    /// Queues an `inherit_defer` (and deferred classes from BB_DEFER_BBCLASSES).
    fn inherit_defer(&self, d: &mut DataStore, args: &str, file: &str, line: u32) {
        let mut list = d.get_raw("__BBDEFINHERITS").unwrap_or_default();
        if !list.is_empty() {
            list.push('\u{1}');
        }
        list.push_str(&format!("{args}\u{2}{file}\u{2}{line}"));
        d.set_var("__BBDEFINHERITS", &list);
    }

    /// `inherit CLASSES`: expands now and evaluates each class once per datastore.
    pub fn inherit(
        &self,
        d: &mut DataStore,
        classes: &str,
        file: &str,
        line: u32,
        deferred: bool,
    ) -> Result<()> {
        let files = d.expand(classes)?;
        for class in bb_util::split_words(&files) {
            let defer = d.get_var("BB_DEFER_BBCLASSES")?;
            if !deferred && defer.is_some_and(|v| bb_util::split_words(&v).any(|c| c == class)) {
                self.inherit_defer(d, class, file, line);
                continue;
            }
            let classtype = d
                .get_raw("__bbclasstype")
                .unwrap_or_else(|| "recipe".to_owned());
            let mut found = class.to_owned();
            for t in [format!("classes-{classtype}"), "classes".to_owned()] {
                found = class.to_owned();
                if !class.starts_with('/') && !class.ends_with(".bbclass") {
                    found = format!("{t}/{class}.bbclass");
                }
                if !found.starts_with('/') {
                    let bbpath = Self::bbpath(d)?;
                    let (abs, attempts) = self.which(&bbpath, &found);
                    for a in &attempts {
                        if Some(a) != abs.as_ref() {
                            mark_dependency(d, a);
                        }
                    }
                    if let Some(abs) = abs {
                        found = abs;
                    }
                }
                if self.exists(&found) {
                    break;
                }
            }
            if !self.exists(&found) {
                return Err(Error::Eval {
                    file: file.into(),
                    line,
                    message: format!("Could not inherit file {found}"),
                });
            }
            if note_inherited(d, &found) {
                self.handle(d, &found, true)?;
            }
        }
        Ok(())
    }

    fn export_function(
        &self,
        d: &mut DataStore,
        func: &str,
        classname: &str,
        line: u32,
        ctx: &FileCtx<'_>,
    ) -> Result<()> {
        const SENTINEL: &str = "    # Export function set\n";
        let called = format!("{classname}_{func}");
        let base = d.get_var_opts(func, false, false)?;
        if let Some(b) = &base
            && !b.is_empty()
            && !b.contains(SENTINEL)
        {
            return Ok(());
        }
        let o = |l| internal("ast.py", l, "eval");
        if base.as_deref().is_some_and(|b| !b.is_empty()) {
            d.del_var_flag(func, "python", None);
            d.del_var_flag(func, "func", None);
        }
        for flag in ["func", "python"] {
            if let Some(v) = d.get_raw_flag(&called, flag).filter(|v| !v.is_empty()) {
                d.set_var_flag_with(func, flag, &v, "set", None, Some(&o(246)));
            }
        }
        for flag in ["dirs", "cleandirs", "fakeroot"] {
            if let Some(v) = d.get_raw_flag(func, flag).filter(|v| !v.is_empty()) {
                d.set_var_flag_with(&called, flag, &v, "set", None, Some(&o(248)));
            }
        }
        d.set_var_flag_with(
            func,
            "filename",
            "autogenerated",
            "set",
            None,
            Some(&o(250)),
        );
        d.set_var_flag_with(func, "lineno", "1", "set", None, Some(&o(251)));
        if d.get_raw_flag(&called, "python")
            .is_some_and(|v| !v.is_empty())
        {
            let text = format!("{SENTINEL}    bb.build.exec_func('{called}', d)\n");
            d.set_var_with(
                func,
                &text,
                SetOpts {
                    parsing: true,
                    op: "set",
                    detail: None,
                    origin: Some(&o(254)),
                },
            );
        } else {
            if classname.contains('-') {
                return Err(Self::eval_err(
                    ctx,
                    line,
                    format!(
                        "The classname {classname} contains a dash character and is calling an sh function {called} using EXPORT_FUNCTIONS. Since a dash is illegal in sh function names, this cannot work, please rename the class or don't use EXPORT_FUNCTIONS."
                    ),
                ));
            }
            let text = format!("{SENTINEL}    {called}\n");
            d.set_var_with(
                func,
                &text,
                SetOpts {
                    parsing: true,
                    op: "set",
                    detail: None,
                    origin: Some(&o(258)),
                },
            );
        }
        Ok(())
    }

    /// Parses `conf/bitbake.conf` (through BBPATH) and then `base.bbclass` plus the
    /// classes of INHERIT: the base configuration of section 11.1 without layers.
    /// `d` should come from [`base_datastore`].
    pub fn parse_base_config(&self, d: &mut DataStore) -> Result<()> {
        self.parse_base_config_with(d, &mut |_, _| Ok(false))
    }

    /// [`Evaluator::parse_base_config`] with a hook run where BitBake reads
    /// `conf/bblayers.conf` and the layers (after `BB_CURRENT_MC` is set, before the
    /// BBPATH check and `bitbake.conf`). The hook returns whether a `bblayers.conf`
    /// was found (it changes the message given when BBPATH is unset).
    pub fn parse_base_config_with(
        &self,
        d: &mut DataStore,
        layers: &mut dyn FnMut(&Self, &mut DataStore) -> Result<bool>,
    ) -> Result<()> {
        let o = |l| internal("cookerdata.py", l, "parseConfigurationFiles");
        d.set_var_with("BB_CURRENT_MC", "", SetOpts::api(&o(359)));
        let found_layerconf = layers(self, d)?;
        if Self::bbpath(d)?.is_empty() {
            let mut message = "The BBPATH variable is not set".to_owned();
            if !found_layerconf {
                message.push_str(
                    " and bitbake did not find a conf/bblayers.conf file in the expected location.\nMaybe you accidentally invoked bitbake from the wrong directory?",
                );
            }
            return Err(Error::Eval {
                file: "".into(),
                line: 0,
                message,
            });
        }
        if d.get_var("TOPDIR")?.is_none_or(|t| t.is_empty()) {
            let cwd = absolutize(".");
            d.set_var_with("TOPDIR", &cwd, SetOpts::api(&o(480)));
        }
        if d.get_var("BB_CACHEDIR")?.is_none_or(|t| t.is_empty()) {
            d.set_var_with("BB_CACHEDIR", "${TOPDIR}/cache", SetOpts::api(&o(482)));
        }
        self.handle(d, "conf/bitbake.conf", true)?;
        let mut classes = vec!["base".to_owned()];
        classes.extend(words(d.get_var("INHERIT")?));
        for c in classes {
            self.inherit(d, &c, "configuration INHERITs", 0, false)?;
        }
        anon::register_handlers(d)?;
        let inc = file_depends_joined(d);
        d.set_var_with("BBINCLUDED", &inc, SetOpts::api(&o(506)));
        // cooker.parseBaseConfiguration fires ConfigParsed on the finished configuration;
        // what its handlers set stays in it.
        match anon::fire(d, &bb_pyexpr::Event::new("bb.event.ConfigParsed")) {
            Ok(()) => {}
            Err(Error::SkipRecipe(m)) => return Err(Error::Fatal(m)),
            Err(e) => return Err(e),
        }
        if let Some(e) = d.recorded_errors().next() {
            return Err(Error::Eval {
                file: "".into(),
                line: 0,
                message: e.clone(),
            });
        }
        d.rename_var("__depends", "__base_depends", None);
        d.set_var("__bbclasstype", "recipe");
        Ok(())
    }

    /// Parses one recipe on top of a copy of `base` and finalizes it, as
    /// `bitbake -e -b FILE` does (`appends` are applied after the recipe body).
    pub fn parse_recipe(
        &self,
        base: &DataStore,
        file: &str,
        appends: &[String],
    ) -> Result<DataStore> {
        let mut d = base.clone();
        d.set_var("__BBMULTICONFIG", "");
        d.set_var_none(
            "FILE_LAYERNAME",
            Some(&internal("cookerdata.py", 513, "_parse_recipe")),
        );
        d.set_var("__BB_RECIPE_FILE", file);
        self.handle(&mut d, file, false)?;
        for a in appends {
            self.handle(&mut d, a, true)?;
        }
        self.finalize(&mut d)?;
        Ok(d)
    }

    /// Parses one recipe file on top of a copy of `base`, applies `appends`, and
    /// finalizes the recipe and each of its BBCLASSEXTEND variants, as BitBake's
    /// `multi_finalize` does. Returns `(variant, datastore)` pairs, the base recipe
    /// (variant `""`) first; a skipped target has `__SKIPPED` set. `layername` is the
    /// file's collection (FILE_LAYERNAME). With `only`, just that variant (`""` for the
    /// base) is finalized, as for `bitbake -e foo-native`.
    pub fn parse_recipe_variants(
        &self,
        base: &DataStore,
        file: &str,
        appends: &[String],
        layername: Option<&str>,
        only: Option<&str>,
    ) -> Result<Vec<(String, DataStore)>> {
        self.parse_recipe_variants_with(base, file, appends, layername, only, &|items, fin| {
            items
                .into_iter()
                .map(|(n, mut d)| fin(&mut d).map(|()| (n, d)))
                .collect()
        })
    }

    /// [`Evaluator::parse_recipe_variants`] with the finalization of the variants
    /// handed to `run`, which may finalize them in parallel (each variant is an
    /// independent copy; `run` must keep their order).
    pub fn parse_recipe_variants_with(
        &self,
        base: &DataStore,
        file: &str,
        appends: &[String],
        layername: Option<&str>,
        only: Option<&str>,
        run: &VariantRunner<'_>,
    ) -> Result<Vec<(String, DataStore)>> {
        let o = |l| internal("cookerdata.py", l, "_parse_recipe");
        let mut d = base.clone();
        d.set_var_with("__BBMULTICONFIG", "", SetOpts::api(&o(512)));
        match layername {
            Some(l) => d.set_var_with("FILE_LAYERNAME", l, SetOpts::api(&o(513))),
            None => d.set_var_none("FILE_LAYERNAME", Some(&o(513))),
        }
        d.set_var_with("__BB_RECIPE_FILE", file, SetOpts::api(&o(515)));
        if !appends.is_empty() {
            d.set_var_with("__BBAPPEND", &appends.join(" "), SetOpts::api(&o(521)));
        }
        self.handle(&mut d, file, false)?;
        for a in appends {
            self.handle(&mut d, a, true)?;
        }
        let safe = d;
        let mut base_d = safe.clone();
        let wants = |v: &str| only.is_none_or(|o| o == v);
        self.finalize_skipping(&mut base_d)?;
        let mut out = Vec::new();
        let extended = base_d.get_var("BBCLASSEXTEND")?.unwrap_or_default();
        if !extended.trim().is_empty() {
            let pn = base_d.get_var("PN")?.unwrap_or_default();
            let mut safe = safe;
            safe.set_var("BBCLASSEXTEND", &extended);
            let mut seen: Vec<&str> = Vec::new();
            for ext in bb_util::split_words(&extended) {
                if seen.contains(&ext) {
                    continue;
                }
                seen.push(ext);
                if !wants(ext) {
                    continue;
                }
                let mut v = safe.clone();
                let mut parts = ext.splitn(3, ':');
                let class = parts.next().unwrap_or(ext);
                match parts.next() {
                    Some(arg) => {
                        v.set_var("BBEXTENDCURR", class);
                        v.set_var("BBEXTENDVARIANT", arg);
                    }
                    None => v.set_var("PN", &format!("{pn}-{ext}")),
                }
                self.inherit_defer(&mut v, class, file, 0);
                out.push((ext.to_owned(), v));
            }
            out = run(out, &|d: &mut DataStore| self.finalize_skipping(d))?;
        }
        if wants("") {
            out.insert(0, (String::new(), base_d));
        }
        Ok(out)
    }

    /// [`Evaluator::finalize`], turning a SkipRecipe raised anywhere in it into
    /// `__SKIPPED`.
    fn finalize_skipping(&self, d: &mut DataStore) -> Result<()> {
        match self.finalize(d) {
            Err(Error::SkipRecipe(reason)) => {
                d.set_var("__SKIPPED", &reason);
                Ok(())
            }
            other => other,
        }
    }

    /// Finalization of a recipe (section 9): deferred inherits, handler checks, key
    /// expansion, anonymous functions, task flag collection, BBINCLUDED.
    pub fn finalize(&self, d: &mut DataStore) -> Result<()> {
        if let Some(e) = d.recorded_errors().next() {
            return Err(Error::Eval {
                file: "".into(),
                line: 0,
                message: e.clone(),
            });
        }
        // Events go to the handlers registered so far (the configuration's) until the
        // recipe's own are registered after the deferred inherits.
        let deferred: Vec<String> = d
            .get_raw("__BBDEFINHERITS")
            .unwrap_or_default()
            .split('\u{1}')
            .map(|e| e.split('\u{2}').next().unwrap_or("").to_owned())
            .collect();
        let recipe_file = d.get_raw("__BB_RECIPE_FILE").unwrap_or_default();
        let ev = |class: &str| {
            bb_pyexpr::Event::new(format!("bb.event.{class}"))
                .with("fn", bb_pyexpr::EventAttr::Str(recipe_file.clone()))
        };
        let skipped = |d: &mut DataStore, e: Error| match e {
            Error::SkipRecipe(reason) => {
                d.set_var("__SKIPPED", &reason);
                Ok(())
            }
            e => Err(e),
        };
        let pre =
            ev("RecipePreDeferredInherits").with("inherits", bb_pyexpr::EventAttr::List(deferred));
        if let Err(e) = anon::fire(d, &pre) {
            return skipped(d, e);
        }
        loop {
            let list = d.get_raw("__BBDEFINHERITS").unwrap_or_default();
            if list.is_empty() {
                break;
            }
            let (first, rest) = list.split_once('\u{1}').unwrap_or((&list, ""));
            let mut parts = first.split('\u{2}');
            let args = parts.next().unwrap_or("").to_owned();
            let file = parts.next().unwrap_or("").to_owned();
            let line: u32 = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
            let rest = rest.to_owned();
            d.set_var("__BBDEFINHERITS", &rest);
            self.inherit(d, &args, &file, line, true)?;
        }
        anon::register_handlers(d)?;
        if let Err(e) = anon::fire(d, &ev("RecipePreFinalise")) {
            return skipped(d, e);
        }
        d.check_overrides()?;
        expand_keys(d)?;
        if let Err(e) = anon::fire(d, &ev("RecipePostKeyExpansion")) {
            return skipped(d, e);
        }
        match anon::run_anon_funcs(d) {
            Ok(()) => {}
            Err(Error::SkipRecipe(reason)) => {
                d.set_var("__SKIPPED", &reason);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let tasks = words(d.get_raw("__BBTASKS"));
        let pre =
            ev("RecipeTaskPreProcess").with("tasklist", bb_pyexpr::EventAttr::List(tasks.clone()));
        if let Err(e) = anon::fire(d, &pre) {
            return skipped(d, e);
        }
        virt_recipe_providers(d, &tasks)?;
        add_tasks(d, &tasks)?;
        let inc = file_depends_joined(d);
        d.set_var_with(
            "BBINCLUDED",
            &inc,
            SetOpts::api(&internal("ast.py", 557, "finalize")),
        );
        if let Err(e) = anon::fire(d, &ev("RecipeParsed")) {
            return skipped(d, e);
        }
        Ok(())
    }

    /// Configuration-only finalization for `bitbake -e` without a recipe: key
    /// expansion and anonymous functions.
    pub fn finalize_config(&self, d: &mut DataStore) -> Result<()> {
        d.check_overrides()?;
        expand_keys(d)?;
        anon::run_anon_funcs(d)
    }
}

/// The datastore every parse starts from: the permitted environment variables (with
/// BitBake's default passthrough list and `BB_ENV_PASSTHROUGH_ADDITIONS`), exported
/// where BitBake exports them, and `BBPATH`.
pub fn base_datastore(env: &[(String, String)]) -> DataStore {
    const EXPORTED: &[&str] = &[
        "BB_TASKHASH",
        "HOME",
        "LOGNAME",
        "PATH",
        "PWD",
        "SHELL",
        "USER",
        "LC_ALL",
        "BBSERVER",
    ];
    const PRESERVED: &[&str] = &["BBPATH", "BB_PRESERVE_ENV", "BB_ENV_PASSTHROUGH_ADDITIONS"];
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut permitted: Vec<String> = if get("BB_PRESERVE_ENV").is_some() {
        env.iter().map(|(k, _)| k.clone()).collect()
    } else if let Some(list) = get("BB_ENV_PASSTHROUGH") {
        let mut v: Vec<String> = bb_util::split_words(&list).map(str::to_owned).collect();
        v.push("BB_ENV_PASSTHROUGH".to_owned());
        v
    } else {
        PRESERVED
            .iter()
            .chain(EXPORTED)
            .map(|s| (*s).to_owned())
            .collect()
    };
    if let Some(extra) = get("BB_ENV_PASSTHROUGH_ADDITIONS") {
        permitted.extend(bb_util::split_words(&extra).map(str::to_owned));
    }
    let mut d = DataStore::new();
    d.set_tracking(true);
    let from_env = internal("data.py", 105, "inheritFromOS");
    let auto = internal("data.py", 107, "inheritFromOS");
    for (k, v) in env {
        if permitted.iter().any(|p| p == k) {
            d.set_var_with(
                k,
                v,
                SetOpts {
                    parsing: false,
                    op: "from env",
                    detail: None,
                    origin: Some(&from_env),
                },
            );
            if EXPORTED.contains(&k.as_str()) {
                d.set_var_flag_with(k, "export", "True", "auto env export", None, Some(&auto));
            }
        }
    }
    d.set_var("__bbclasstype", "global");
    d
}

/// Recipe-level virtual providers: DEPENDS and task `depends` are rewritten through
/// `PREFERRED_PROVIDER_*` for names in BB_RECIPE_VIRTUAL_PROVIDERS (and normalised).
fn virt_recipe_providers(d: &mut DataStore, tasks: &[String]) -> Result<()> {
    let o = |l| internal("ast.py", l, "handleVirtRecipeProviders");
    let depends = words(d.get_var("DEPENDS")?);
    let virt = words(d.get_var("BB_RECIPE_VIRTUAL_PROVIDERS")?);
    let mut newdeps = Vec::new();
    for dep in depends {
        if virt.contains(&dep) {
            match d.get_var(&format!("PREFERRED_PROVIDER_{dep}"))? {
                Some(p) if !p.is_empty() => newdeps.push(p),
                _ => {
                    return Err(Error::Eval {
                        file: "".into(),
                        line: 0,
                        message: format!(
                            "Error, recipe virtual provider PREFERRED_PROVIDER_{dep} not set"
                        ),
                    });
                }
            }
        } else {
            newdeps.push(dep);
        }
    }
    d.set_var_with("DEPENDS", &newdeps.join(" "), SetOpts::api(&o(505)));
    for task in tasks {
        let taskdeps = match d.get_var_flag(task, "depends", true) {
            Err(Error::NeedsPython { reason, .. }) => {
                d.note_needs_python(format!("`{task}[depends]`: {reason}"));
                continue;
            }
            other => words(other?),
        };
        let mut remapped = Vec::new();
        for entry in taskdeps {
            let parts: Vec<&str> = entry.split(':').collect();
            if parts.len() != 2 {
                return Err(Error::Eval {
                    file: "".into(),
                    line: 0,
                    message: format!(
                        "task {task}: depends entry `{entry}` is not of the form recipe:task"
                    ),
                });
            }
            let mut r = parts[0].to_owned();
            if virt.contains(&r) {
                r = d
                    .get_var(&format!("PREFERRED_PROVIDER_{r}"))?
                    .unwrap_or_else(|| "None".to_owned());
            }
            remapped.push(format!("{r}:{}", parts[1]));
        }
        d.set_var_flag_with(
            task,
            "depends",
            &remapped.join(" "),
            "set",
            None,
            Some(&o(514)),
        );
    }
    Ok(())
}

/// `bb.build.add_tasks`: collects task flags into `_task_deps`.
fn add_tasks(d: &mut DataStore, tasks: &[String]) -> Result<()> {
    const NAMES: &[&str] = crate::tasks::TASK_FLAGS;
    let mut task_list: Vec<String> = Vec::new();
    let mut parents: Vec<(String, Vec<String>)> = Vec::new();
    let mut per_flag: Vec<Vec<(String, String)>> = vec![Vec::new(); NAMES.len()];
    for task in tasks {
        let task = d.expand(task)?;
        d.set_var_flag_with(
            &task,
            "task",
            "1",
            "set",
            None,
            Some(&internal("build.py", 895, "add_tasks")),
        );
        if !task_list.contains(&task) {
            task_list.push(task.clone());
        }
        for (i, name) in NAMES.iter().enumerate() {
            // `getVarFlags`' value of one flag: the real one, else the weak default.
            if let Some(v) = d
                .var(&task)
                .and_then(|v| v.flag_or_weak(name))
                .map(str::to_owned)
            {
                let v = &v;
                // A flag whose expansion needs CPython keeps its unexpanded text and is
                // recorded, so that the recipe still parses.
                let v = match d.expand(v) {
                    Err(Error::NeedsPython { reason, .. }) => {
                        d.note_needs_python(format!("`{task}[{name}]`: {reason}"));
                        v.clone()
                    }
                    other => other?,
                };
                per_flag[i].retain(|(t, _)| *t != task);
                per_flag[i].push((task.clone(), v));
            }
        }
        let mut ps = Vec::new();
        for dep in words(d.get_raw_flag(&task, "deps")) {
            ps.push(d.expand(&dep)?);
        }
        parents.retain(|(t, _)| *t != task);
        parents.push((task.clone(), ps));
    }
    // BitBake's `_task_deps` dict as Python prints it, written into one string.
    let list = |out: &mut String, v: &[String]| {
        out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            bb_util::push_py_repr(out, s);
        }
        out.push(']');
    };
    let mut out = String::from("{'tasks': ");
    list(&mut out, &task_list);
    out.push_str(", 'parents': {");
    for (i, (t, p)) in parents.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        bb_util::push_py_repr(&mut out, t);
        out.push_str(": ");
        list(&mut out, p);
    }
    out.push('}');
    if !tasks.is_empty() {
        for (i, name) in NAMES.iter().enumerate() {
            out.push_str(", '");
            out.push_str(name);
            out.push_str("': {");
            for (j, (t, v)) in per_flag[i].iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                bb_util::push_py_repr(&mut out, t);
                out.push_str(": ");
                bb_util::push_py_repr(&mut out, v);
            }
            out.push('}');
        }
    }
    out.push('}');
    d.set_var_with(
        "_task_deps",
        &out,
        SetOpts::api(&internal("build.py", 933, "add_tasks")),
    );
    let mut flags = std::collections::BTreeMap::new();
    for (i, name) in NAMES.iter().enumerate() {
        if !per_flag[i].is_empty() {
            flags.insert(
                (*name).to_owned(),
                per_flag[i]
                    .iter()
                    .cloned()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            );
        }
    }
    d.set_task_deps(crate::TaskDeps {
        tasks: task_list,
        parents: parents.into_iter().collect(),
        flags,
    });
    Ok(())
}

/// Attaches the statement's place to errors that do not carry one.
fn locate(e: Error, file: &str, stmt: &Stmt) -> Error {
    match e {
        Error::Expansion { .. }
        | Error::NeedsPython { .. }
        | Error::OverridesUnstable(_)
        | Error::Fatal(_) => Error::At {
            file: file.into(),
            line: stmt.span.line,
            col: stmt.span.col,
            text: stmt.raw.lines().next().unwrap_or("").to_owned(),
            inner: Box::new(e),
        },
        e => e,
    }
}

/// Records a file the parse depended on (`__depends`), once.
pub(crate) fn mark_dependency(d: &mut DataStore, f: &str) {
    let cur = d.get_raw("__depends");
    match cur {
        Some(s) if has_line(&s, f) => {}
        Some(s) if !s.is_empty() => d.set_var("__depends", &format!("{s}\n{f}")),
        _ => d.set_var("__depends", f),
    }
}

fn has_dependency(d: &DataStore, f: &str) -> bool {
    d.get_raw("__depends").is_some_and(|s| has_line(&s, f))
}

/// Whether `line` is one of the newline-separated lines of `text` (a substring search
/// instead of splitting every line: `__depends` lists a hundred paths or more).
fn has_line(text: &str, line: &str) -> bool {
    text.match_indices(line).any(|(i, _)| {
        let end = i + line.len();
        (i == 0 || text.as_bytes()[i - 1] == b'\n')
            && (end == text.len() || text.as_bytes()[end] == b'\n')
    })
}

/// `BBINCLUDED`: every file the parse depended on, base configuration first.
/// The files a parse depended on (`__base_depends`, then `__depends`: every file read
/// and every path looked for), absolute and normalized, as BBINCLUDED lists them.
pub fn file_depends(d: &DataStore) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    each_file_depend(d, |p| out.push(p.into_owned()));
    out
}

/// [`file_depends`] joined with spaces, as BBINCLUDED holds them (no list in between).
fn file_depends_joined(d: &DataStore) -> String {
    let mut out = String::new();
    each_file_depend(d, |p| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&p);
    });
    out
}

/// Calls `f` with each file of [`file_depends`], read in place (most paths are already
/// normal and absolute, and are not copied).
fn each_file_depend(d: &DataStore, mut f: impl FnMut(std::borrow::Cow<'_, str>)) {
    for v in ["__base_depends", "__depends"] {
        let Some(s) = d.var(v).and_then(|v| v.value.as_deref()) else {
            continue;
        };
        for x in s.split('\n').filter(|x| !x.is_empty()) {
            if x.starts_with('/') {
                f(bb_util::path::normpath_cow(x));
            } else {
                f(std::borrow::Cow::Owned(absolutize(x)));
            }
        }
    }
}

/// Stores a task's `deps` flag, recording it as BitBake does (a Python list).
fn set_deps(d: &mut DataStore, task: &str, deps: &[String], origin: &Origin) {
    let refs: Vec<&str> = deps.iter().map(String::as_str).collect();
    d.set_var_flag_with(
        task,
        "deps",
        &deps.join(" "),
        "set",
        Some(&py_list(&refs)),
        Some(origin),
    );
}

/// `addtask`: marks the task, keeps the task list, merges `deps`.
pub fn add_task(d: &mut DataStore, task: &str, before: &[String], after: &[String]) {
    let task = ensure_task_prefix(task);
    let o = |l| internal("build.py", l, "addtask");
    d.set_var_flag_with(&task, "task", "1", "set", None, Some(&o(943)));
    let mut tasks = words(d.get_raw("__BBTASKS"));
    if !tasks.contains(&task) {
        tasks.push(task.clone());
    }
    d.set_var("__BBTASKS", &tasks.join(" "));
    let mut existing = words(d.get_raw_flag(&task, "deps"));
    for e in after {
        let e = ensure_task_prefix(e);
        if !existing.contains(&e) {
            existing.push(e);
        }
    }
    set_deps(d, &task, &existing, &o(956));
    for e in before {
        let e = ensure_task_prefix(e);
        let existing = words(d.get_raw_flag(&e, "deps"));
        if !existing.contains(&task) {
            let mut new = vec![task.clone()];
            new.extend(existing);
            set_deps(d, &e, &new, &o(963));
        }
    }
}

/// `deltask`: removes the task and its edges, without re-linking.
pub fn del_task(d: &mut DataStore, task: &str) {
    let task = ensure_task_prefix(task);
    let mut tasks = words(d.get_raw("__BBTASKS"));
    if let Some(i) = tasks.iter().position(|t| *t == task) {
        tasks.remove(i);
        d.del_var_flag(&task, "task", Some(&internal("build.py", 971, "deltask")));
        d.set_var("__BBTASKS", &tasks.join(" "));
    }
    d.del_var_flag(&task, "deps", Some(&internal("build.py", 974, "deltask")));
    for t in words(d.get_raw("__BBTASKS")) {
        // Most tasks do not name it: looked up in place, copied only to be changed.
        let named = d
            .var(&t)
            .and_then(|v| v.flag("deps"))
            .is_some_and(|deps| bb_util::split_words(deps).any(|x| x == task));
        if !named {
            continue;
        }
        let mut deps = words(d.get_raw_flag(&t, "deps"));
        if let Some(i) = deps.iter().position(|x| *x == task) {
            deps.remove(i);
            set_deps(d, &t, &deps, &internal("build.py", 979, "deltask"));
        }
    }
}

/// Key expansion (section 5.4): renames every variable whose name holds `${`.
pub fn expand_keys(d: &mut DataStore) -> Result<()> {
    let mut todo: Vec<(String, String)> = Vec::new();
    for key in d.keys_with_refs() {
        let ekey = match d.expand(&key) {
            Ok(k) => k,
            // The key stays under its literal name, and the reason is kept where
            // `bake -e` users and later stages can see it.
            Err(Error::NeedsPython { reason, .. }) => {
                let mut list = d.get_raw("__BB_KEYS_NEED_PYTHON").unwrap_or_default();
                list.push_str(&format!("{key}: {reason}\n"));
                d.set_var("__BB_KEYS_NEED_PYTHON", &list);
                continue;
            }
            Err(e) => return Err(e),
        };
        if ekey != key {
            todo.push((key, ekey));
        }
    }
    todo.sort();
    let o = internal("data.py", 97, "expandKeys");
    for (key, ekey) in todo {
        d.rename_var(&key, &ekey, Some(&o));
    }
    Ok(())
}

/// Makes a relative path absolute against the process's working directory.
fn absolutize(p: &str) -> String {
    match std::env::current_dir() {
        Ok(cwd) => {
            let joined = cwd.join(p);
            bb_util::normpath(&joined.to_string_lossy())
        }
        Err(_) => p.to_owned(),
    }
}

#[cfg(test)]
mod line_tests {
    use super::{has_line, has_word};

    #[test]
    fn has_word_matches_whole_words_only() {
        let text = "/a/b.bbclass /a/b.bbclass.inc\t/c\u{a0}/d";
        for w in ["/a/b.bbclass", "/a/b.bbclass.inc", "/c", "/d"] {
            assert!(has_word(text, w), "{w}");
        }
        for w in ["/a/b", "b.bbclass", "/c/d", "", "/a/b.bbclass /a"] {
            assert_eq!(
                has_word(text, w),
                bb_util::split_words(text).any(|x| x == w),
                "{w}"
            );
        }
        assert!(has_word("x", "x"));
        assert!(!has_word("", "x"));
    }

    #[test]
    fn has_line_matches_whole_lines_only() {
        let text = "/a/b.bbclass\n/a/b.bbclass.inc\n/c";
        assert!(has_line(text, "/a/b.bbclass"));
        assert!(has_line(text, "/a/b.bbclass.inc"));
        assert!(has_line(text, "/c"));
        assert!(!has_line(text, "/a/b"));
        assert!(!has_line(text, "b.bbclass"));
        assert!(!has_line(text, "/c/d"));
        assert!(has_line("x", "x"));
        assert!(!has_line("", "x"));
    }
}
