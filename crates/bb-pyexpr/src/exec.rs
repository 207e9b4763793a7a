//! Runs statements: `def` function calls, assignments, control flow, exceptions and imports,
//! as CPython runs the bodies of BitBake's anonymous functions, `python` tasks and metadata
//! `def` functions.
//!
//! Expressions are evaluated by `eval.rs`; this file owns statement semantics only. Function
//! sources are parsed once per thread ([`compile_function`] caches them by text). Constructs
//! we do not run faithfully (`with`, `class`, `global`, generators, modules we do not model)
//! end the run with `NeedsPython`; so does an exception our own limits raised
//! (`RecursionError`, `MemoryError`) or the datastore raised, when an `except` clause would
//! catch it, since its handler would run on a guess.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{FuncDef, Handler, Node, Stmt, Target};
use crate::builtins;
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp, Position, bind_params, unbound_error};
use crate::methods;
use crate::mutate;
use crate::value::{Closure, Code, ExcValue, Scope, Value, py_str};
use crate::{PyFunction, PyFunctionKind};

/// Deepest nesting of `def` function calls; CPython's default recursion limit.
const MAX_FRAMES: usize = 1000;

/// Most distinct function sources kept parsed per thread.
const CACHE_SIZE: usize = 20_000;

thread_local! {
    static CACHE: RefCell<rustc_hash::FxHashMap<String, Result<Arc<FuncDef>>>> =
        RefCell::new(rustc_hash::FxHashMap::default());
}

/// How a block of statements ended.
pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

/// Parses `source`, a module holding exactly one `def` statement (anything else needs
/// Python), once per thread.
pub(crate) fn compile_function(source: &str) -> Result<Arc<FuncDef>> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(source).cloned()) {
        return r;
    }
    let r = parse_function(source);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(source.to_owned(), r.clone());
    });
    r
}

fn parse_function(source: &str) -> Result<Arc<FuncDef>> {
    let module = crate::stmt::parse_module(source)?;
    let mut defs = module
        .into_iter()
        .filter(|s| !matches!(s, Stmt::Pass | Stmt::Line(_)));
    match (defs.next(), defs.next()) {
        (Some(Stmt::Def(f)), None) => Ok(f),
        _ => Err(EvalError::needs(
            "a Python function source that is not a single `def`",
        )),
    }
}

/// The source BitBake compiles for a function of the datastore.
pub(crate) fn function_source(name: &str, f: &PyFunction) -> String {
    match f.kind {
        PyFunctionKind::Def => f.source.clone(),
        PyFunctionKind::BitBake => format!("def {name}(d):\n{}", f.source),
    }
}

/// The function value of a Python function of the datastore; its defaults are evaluated in
/// the metadata's global namespace, as BitBake does when it compiles the function. A syntax
/// error in the source needs Python: BitBake would have failed earlier, when it compiled it.
pub(crate) fn function_value(it: &Interp<'_>, name: &str, f: &PyFunction) -> Result<Value> {
    let def = match compile_function(&function_source(name, f)) {
        Err(EvalError::Syntax { message, .. }) => {
            return Err(EvalError::needs(format!(
                "syntax error in the Python function `{name}`: {message}"
            )));
        }
        r => r?,
    };
    def_value(it, &def)
}

/// A function value for a module-level `def`, without a closure scope.
fn def_value(it: &Interp<'_>, def: &Arc<FuncDef>) -> Result<Value> {
    let globals = Scope::function(None, Arc::from(Vec::new()));
    it.make_function(Code::Def(def.clone()), &def.params, Some(&globals))
        .map(|v| match v {
            // The defaults needed a scope to see the globals; the function itself has none.
            Value::Func(c) => match Rc::try_unwrap(c) {
                Ok(mut c) => {
                    c.scope = None;
                    c.owner = None;
                    Value::Func(Rc::new(c))
                }
                Err(c) => Value::Func(c),
            },
            other => other,
        })
}

/// Whether an exception class (by name) is `of` or derives from it.
pub(crate) fn is_subclass(kind: &str, of: &str) -> bool {
    let mut k = kind;
    loop {
        if k == of {
            return true;
        }
        match builtins::exc_parent(k) {
            Some(p) => k = p,
            None => return false,
        }
    }
}

/// The classes an `except` clause names.
fn handler_classes(v: &Value) -> Result<Vec<&'static str>> {
    match v {
        Value::ExcType(k) => Ok(vec![k]),
        Value::Tuple(items) => {
            let mut out = Vec::new();
            for item in items.iter() {
                out.extend(handler_classes(item)?);
            }
            Ok(out)
        }
        Value::Unknown(path) => Err(EvalError::needs(format!("`except {path}`"))),
        _ => Err(EvalError::type_err(
            "catching classes that do not inherit from BaseException is not allowed",
        )),
    }
}

/// Whether the exception is one our limits raised, where Python might not have.
fn is_limit_error(kind: &str) -> bool {
    matches!(kind, "RecursionError" | "MemoryError")
}

impl Interp<'_> {
    /// Calls a `def` function.
    pub(crate) fn call_def(&self, c: &Closure, def: &FuncDef, args: Args) -> Result<Value> {
        if let Some(why) = def.unsupported {
            return Err(EvalError::needs(why));
        }
        let scope = Scope::function(c.scope.clone(), def.locals.clone());
        bind_params(c, args, &scope)?;
        if self.frames.get() >= MAX_FRAMES {
            return Err(EvalError::needs("recursion deeper than Python's limit"));
        }
        // Each frame gets its own expression depth budget; the stack budget still holds.
        let depth = self.depth.replace(0);
        self.frames.set(self.frames.get() + 1);
        let here = Position {
            owner: c.owner.clone().unwrap_or_else(|| def.name.clone()),
            func: def.name.clone(),
            line: 0,
        };
        let caller = self.pos.replace(Some(here));
        let outermost = caller.is_none();
        let r = self.exec_block(&def.body, &scope);
        if outermost && self.drop_outermost_scope.get() {
            // The function [`run_with`] called has returned and its result is dropped: its
            // variables go now, also when a nested `def` kept the scope alive (a cycle).
            let vars = std::mem::take(&mut *scope.vars.borrow_mut());
            crate::value::release(vars.into_iter().map(|(_, v)| v).collect());
        }
        if let Some(p) = &caller {
            self.ctx.set_position(&p.owner, &p.func, p.line);
        }
        *self.pos.borrow_mut() = caller;
        self.frames.set(self.frames.get().saturating_sub(1));
        self.depth.set(depth);
        match r {
            Ok(Flow::Return(v)) => Ok(v),
            Ok(_) => Ok(Value::None),
            // Our container limits are far below what CPython can hold.
            Err(EvalError::Exception { kind, .. }) if is_limit_error(&kind) => Err(
                EvalError::needs(format!("a {kind} of the native evaluator in a function")),
            ),
            Err(e) => Err(e),
        }
    }

    /// Runs statements in order.
    pub(crate) fn exec_block(&self, body: &[Stmt], scope: &Rc<Scope>) -> Result<Flow> {
        for s in body {
            match self.exec_stmt(s, scope)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn exec_stmt(&self, s: &Stmt, scope: &Rc<Scope>) -> Result<Flow> {
        self.enter()?;
        let r = self.exec_stmt_inner(s, scope);
        self.leave();
        r
    }

    fn exec_stmt_inner(&self, s: &Stmt, scope: &Rc<Scope>) -> Result<Flow> {
        let sc = Some(scope);
        match s {
            Stmt::Expr(n) => {
                self.eval(n, sc)?;
            }
            Stmt::Assign(targets, value) => {
                let v = self.eval(value, sc)?;
                for t in targets {
                    self.bind_target(t, v.clone(), scope)?;
                }
            }
            Stmt::AugAssign(target, op, value) => self.aug_assign(target, *op, value, scope)?,
            Stmt::If(branches, orelse) => {
                for (cond, body) in branches {
                    if self.eval(cond, sc)?.truthy() {
                        return self.exec_block(body, scope);
                    }
                }
                return self.exec_block(orelse, scope);
            }
            Stmt::For {
                target,
                iter,
                body,
                orelse,
            } => {
                let iterable = self.eval(iter, sc)?;
                let it = self.iter_of(&iterable)?;
                while let Some(item) = self.next(&it)? {
                    self.bind_target(target, item, scope)?;
                    match self.exec_block(body, scope)? {
                        Flow::Break => return Ok(Flow::Normal),
                        Flow::Normal | Flow::Continue => {}
                        ret @ Flow::Return(_) => return Ok(ret),
                    }
                }
                return self.exec_block(orelse, scope);
            }
            Stmt::While { cond, body, orelse } => {
                while self.eval(cond, sc)?.truthy() {
                    self.tick()?;
                    match self.exec_block(body, scope)? {
                        Flow::Break => return Ok(Flow::Normal),
                        Flow::Normal | Flow::Continue => {}
                        ret @ Flow::Return(_) => return Ok(ret),
                    }
                }
                return self.exec_block(orelse, scope);
            }
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Pass => {}
            Stmt::Line(n) => {
                if let Some(p) = self.pos.borrow_mut().as_mut() {
                    p.line = *n;
                    self.ctx.set_position(&p.owner, &p.func, *n);
                }
            }
            Stmt::Return(v) => {
                let v = match v {
                    Some(n) => self.eval(n, sc)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            Stmt::Raise(exc, cause) => return Err(self.raise(exc.as_ref(), cause.as_ref(), scope)),
            Stmt::Try {
                body,
                handlers,
                orelse,
                finally,
            } => return self.try_stmt(body, handlers, orelse, finally, scope),
            Stmt::Del(targets) => {
                for t in targets {
                    self.delete(t, scope)?;
                }
            }
            Stmt::Import(names) => {
                for (path, alias) in names {
                    let module = import(path)?;
                    match alias {
                        Some(a) => scope.set(a, module),
                        None => {
                            let first = path.split('.').next().unwrap_or(path);
                            scope.set(&Arc::from(first), import(first)?);
                        }
                    }
                }
            }
            Stmt::ImportFrom(module, names) => {
                let m = import(module)?;
                for (name, alias) in names {
                    let v = match &m {
                        // A member of a module we do not model: we cannot tell whether it
                        // exists.
                        Value::Unknown(_) => {
                            return Err(EvalError::needs(format!("import from `{module}`")));
                        }
                        m => methods::get_attr(m, name)?,
                    };
                    if let Value::Unknown(path) = &v {
                        // A submodule of a package we model may exist; a member may not.
                        let sub = format!("{module}.{name}");
                        match import(&sub) {
                            Ok(sub) => {
                                scope.set(alias.as_ref().unwrap_or(name), sub);
                                continue;
                            }
                            Err(_) => {
                                return Err(EvalError::needs(format!("import of `{path}`")));
                            }
                        }
                    }
                    scope.set(alias.as_ref().unwrap_or(name), v);
                }
            }
            Stmt::Def(def) => {
                let f = self.make_function(Code::Def(def.clone()), &def.params, sc)?;
                scope.set(&def.name, f);
            }
            Stmt::Assert(test, msg) => {
                if !self.eval(test, sc)?.truthy() {
                    let message = match msg {
                        Some(m) => py_str(&self.eval(m, sc)?)?,
                        None => String::new(),
                    };
                    return Err(EvalError::exc("AssertionError", message));
                }
            }
            Stmt::Unsupported(why) => return Err(EvalError::needs(*why)),
        }
        Ok(Flow::Normal)
    }

    fn aug_assign(
        &self,
        target: &Target,
        op: crate::ast::BinOp,
        value: &Node,
        scope: &Rc<Scope>,
    ) -> Result<()> {
        let sc = Some(scope);
        match target {
            Target::Name(n) => {
                let old = self.eval(&Node::Name(n.clone()), sc)?;
                let v = self.eval(value, sc)?;
                let new = mutate::inplace(self, op, &old, &v)?;
                scope.set(n, new);
                Ok(())
            }
            Target::Subscript(obj, index) => {
                if let Node::Slice(..) = &**index {
                    return Err(EvalError::needs("augmented assignment to a slice"));
                }
                let obj = self.eval(obj, sc)?;
                let index = self.eval(index, sc)?;
                let old = crate::ops::getitem(self, &obj, &index)?;
                let v = self.eval(value, sc)?;
                let new = mutate::inplace(self, op, &old, &v)?;
                mutate::setitem(self, &obj, index, new)
            }
            Target::Attr(..) => Err(EvalError::needs("assignment to an attribute")),
            Target::Seq(_) | Target::Star(_) => Err(EvalError::syntax(
                "illegal expression for augmented assignment",
            )),
        }
    }

    fn delete(&self, target: &Target, scope: &Rc<Scope>) -> Result<()> {
        match target {
            Target::Name(n) => {
                if scope.unset(n) {
                    return Ok(());
                }
                if scope.locals.as_ref().is_some_and(|l| l.contains(n)) {
                    return Err(unbound_error(n));
                }
                Err(EvalError::exc(
                    "NameError",
                    format!("name '{n}' is not defined"),
                ))
            }
            Target::Seq(ts) => ts.iter().try_for_each(|t| self.delete(t, scope)),
            Target::Subscript(obj, index) => {
                if let Node::Slice(..) = &**index {
                    return Err(EvalError::needs("deletion of a slice"));
                }
                let obj = self.eval(obj, Some(scope))?;
                let index = self.eval(index, Some(scope))?;
                mutate::delitem(self, &obj, &index)
            }
            Target::Attr(..) => Err(EvalError::needs("deletion of an attribute")),
            Target::Star(_) => Err(EvalError::syntax("cannot delete starred")),
        }
    }

    /// The error a `raise` statement raises.
    fn raise(&self, exc: Option<&Node>, cause: Option<&Node>, scope: &Rc<Scope>) -> EvalError {
        let Some(exc) = exc else {
            return match self.handling.borrow().last() {
                Some(e) => e.clone(),
                None => EvalError::exc("RuntimeError", "No active exception to reraise"),
            };
        };
        let v = match self.eval(exc, Some(scope)) {
            Ok(v) => v,
            Err(e) => return e,
        };
        if let Some(c) = cause
            && let Err(e) = self.eval(c, Some(scope))
        {
            return e;
        }
        let e = match v {
            Value::ExcType(kind) => match builtins::new_exception(kind, Args::default()) {
                Ok(Value::Exc(e)) => e,
                Ok(_) => return EvalError::needs("raise of an exception class"),
                Err(e) => return e,
            },
            Value::Exc(e) => e,
            Value::Unknown(path) => return EvalError::needs(format!("raise of `{path}`")),
            _ => {
                return EvalError::type_err("exceptions must derive from BaseException");
            }
        };
        let err = EvalError::exc(e.kind, e.message.clone());
        *self.last_raised.borrow_mut() = Some(e);
        err
    }

    /// The exception object an `except ... as name` clause binds.
    fn caught_value(&self, kind: &str, message: &str) -> Value {
        if let Some(e) = self.last_raised.borrow().as_ref()
            && e.kind == kind
            && e.message == message
        {
            return Value::Exc(e.clone());
        }
        // `bb.fatal()` raises a `BBHandledException` without arguments; the message we carry
        // is the one it logged.
        let message = if kind == "BBHandledException" {
            String::new()
        } else {
            message.to_owned()
        };
        let kind = builtins::exc_type(kind).unwrap_or("Exception");
        Value::Exc(Rc::new(ExcValue {
            kind,
            message,
            args: None,
        }))
    }

    /// The index of the handler that catches `err`, if any.
    fn find_handler(
        &self,
        err: &EvalError,
        handlers: &[Handler],
        scope: &Rc<Scope>,
    ) -> Result<Option<usize>> {
        for (i, h) in handlers.iter().enumerate() {
            let classes = match &h.kind {
                None => vec!["BaseException"],
                Some(n) => handler_classes(&self.eval(n, Some(scope))?)?,
            };
            let caught = match err {
                EvalError::Exception { kind, .. } => {
                    if builtins::exc_type(kind).is_none() {
                        return Err(EvalError::needs(format!(
                            "an exception of unknown class `{kind}` inside `try`"
                        )));
                    }
                    classes.iter().any(|c| is_subclass(kind, c))
                }
                // An error of the datastore is a `bb.data_smart.ExpansionError` or worse.
                EvalError::Data(_) => {
                    if classes
                        .iter()
                        .any(|c| matches!(*c, "Exception" | "BaseException" | "ExpansionError"))
                    {
                        return Err(EvalError::needs(
                            "a datastore error caught by an `except` clause",
                        ));
                    }
                    false
                }
                _ => false,
            };
            if caught {
                if let EvalError::Exception { kind, .. } = err
                    && is_limit_error(kind)
                {
                    return Err(EvalError::needs(format!(
                        "a {kind} of the native evaluator caught by an `except` clause"
                    )));
                }
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    fn try_stmt(
        &self,
        body: &[Stmt],
        handlers: &[Handler],
        orelse: &[Stmt],
        finally: &[Stmt],
        scope: &Rc<Scope>,
    ) -> Result<Flow> {
        let r = match self.exec_block(body, scope) {
            Ok(Flow::Normal) => self.exec_block(orelse, scope),
            Ok(flow) => Ok(flow),
            Err(err @ (EvalError::Exception { .. } | EvalError::Data(_))) => {
                match self.find_handler(&err, handlers, scope) {
                    Ok(Some(i)) => self.run_handler(&handlers[i], err, scope),
                    Ok(None) => Err(err),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        if finally.is_empty() || matches!(r, Err(EvalError::NeedsPython { .. })) {
            return r;
        }
        match self.exec_block(finally, scope)? {
            Flow::Normal => r,
            other => Ok(other),
        }
    }

    fn run_handler(&self, h: &Handler, err: EvalError, scope: &Rc<Scope>) -> Result<Flow> {
        if let (Some(name), EvalError::Exception { kind, message }) = (&h.name, &err) {
            scope.set(name, self.caught_value(kind, message));
        }
        self.handling.borrow_mut().push(err);
        let r = self.exec_block(&h.body, scope);
        self.handling.borrow_mut().pop();
        if let Some(name) = &h.name {
            scope.unset(name);
        }
        r
    }
}

/// The modules of Python's standard library that every Linux build of CPython has.
const STDLIB: &[&str] = &[
    "abc",
    "argparse",
    "array",
    "ast",
    "asyncio",
    "atexit",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "calendar",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "csv",
    "ctypes",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "dis",
    "email",
    "encodings",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "imaplib",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "mailbox",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "multiprocessing",
    "netrc",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "queue",
    "quopri",
    "random",
    "re",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtplib",
    "socket",
    "socketserver",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "tempfile",
    "termios",
    "textwrap",
    "threading",
    "time",
    "timeit",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uuid",
    "warnings",
    "wave",
    "weakref",
    "wsgiref",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Submodules of standard packages that metadata imports.
const STDLIB_SUBMODULES: &[&str] = &[
    "collections.abc",
    "concurrent.futures",
    "email.utils",
    "importlib.util",
    "logging.handlers",
    "urllib.error",
    "urllib.parse",
    "urllib.request",
    "xml.dom.minidom",
    "xml.etree.ElementTree",
];

/// The modules of BitBake's `bb` package (`bb.fetch` is an alias of `bb.fetch2`).
const BB_MODULES: &[&str] = &[
    "COW",
    "acl",
    "asyncrpc",
    "build",
    "cache",
    "cache_extra",
    "checksum",
    "codeparser",
    "command",
    "compress",
    "cooker",
    "cookerdata",
    "daemonize",
    "data",
    "data_smart",
    "event",
    "fetch",
    "fetch2",
    "filter",
    "main",
    "methodpool",
    "monitordisk",
    "msg",
    "namedtuple_with_abc",
    "parse",
    "process",
    "progress",
    "providers",
    "pysh",
    "remotedata",
    "runqueue",
    "server",
    "siggen",
    "taskdata",
    "tinfoil",
    "ui",
    "utils",
    "xattr",
];

/// The modules of OE-Core's `oe` package.
const OE_MODULES: &[&str] = &[
    "bootfiles",
    "buildcfg",
    "buildhistory_analysis",
    "buildstats",
    "cachedpath",
    "classextend",
    "classutils",
    "copy_buildsystem",
    "cve_check",
    "data",
    "distro_check",
    "elf",
    "fitimage",
    "go",
    "gpg_sign",
    "kernel",
    "kernel_module",
    "license",
    "license_finder",
    "lsb",
    "maketype",
    "manifest",
    "npm_registry",
    "overlayfs",
    "package",
    "package_manager",
    "packagedata",
    "packagegroup",
    "patch",
    "path",
    "prservice",
    "purl",
    "qa",
    "qemu",
    "recipeutils",
    "reproducible",
    "rootfs",
    "rootfspostcommands",
    "rust",
    "sanity",
    "sbom30",
    "sdk",
    "spdx30",
    "spdx30_tasks",
    "spdx_common",
    "spdx_license",
    "sstatesig",
    "terminal",
    "tune",
    "types",
    "useradd",
    "utils",
];

/// The value an `import` binds. Modules we model are themselves; other modules that surely
/// exist (the standard library, BitBake's and OE-Core's own) import fine but any use of them
/// needs Python; an import of anything else needs Python (we cannot tell whether it exists).
fn import(path: &str) -> Result<Value> {
    let known = [
        "bb",
        "bb.utils",
        "bb.parse",
        "bb.data",
        "bb.build",
        "oe",
        "oe.utils",
        "oe.types",
        "oe.data",
        "oe.packagegroup",
        "oe.path",
        "oe.buildcfg",
        "oe.qa",
        "oe.lsb",
        "oe.license",
        "oe.kernel",
        "oe.cve_check",
        "bb.fetch",
        "bb.fetch2",
        "oe.classextend",
        "bb.event",
        "bb.runqueue",
        "os",
        "os.path",
        "re",
        "time",
    ];
    if let Some(m) = known.iter().find(|m| **m == path) {
        return Ok(Value::Module(m));
    }
    let parts: Vec<&str> = path.split('.').collect();
    let exists = match parts.as_slice() {
        ["bb", m] => BB_MODULES.contains(m),
        ["oe", m] => OE_MODULES.contains(m),
        [m] => STDLIB.contains(m),
        _ => STDLIB_SUBMODULES.contains(&path),
    };
    if exists {
        Ok(Value::Unknown(Rc::from(path)))
    } else {
        Err(EvalError::needs(format!("import of `{path}`")))
    }
}

/// Runs a function body as BitBake runs anonymous functions: `source` is `def NAME(d):` and
/// the body; the function is called with the datastore.
pub(crate) fn run(source: &str, it: &Interp<'_>) -> Result<()> {
    run_with(source, it, vec![Value::Datastore])
}

/// Compiles the `def` of `source` and calls it with `args`.
pub(crate) fn run_with(source: &str, it: &Interp<'_>, args: Vec<Value>) -> Result<()> {
    let def = compile_function(source)?;
    let f = def_value(it, &def)?;
    let Value::Func(c) = &f else {
        return Err(EvalError::needs("a function that is not a function"));
    };
    it.drop_outermost_scope.set(true);
    it.call_def(c, &def, Args::positional(args)).map(drop)
}

#[cfg(test)]
mod tests;
