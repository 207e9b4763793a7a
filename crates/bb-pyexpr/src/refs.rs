//! Finds what a piece of metadata Python reads from the datastore, as BitBake's
//! `bb.codeparser.PythonParser` does for signatures: the variable names read through
//! `d.getVar("X")`-style calls with literal names, `bb.utils.contains` checks, functions run
//! through `bb.build.exec_func`, and every other called name.
//!
//! It walks the syntax tree built by `parser.rs`/`stmt.rs` and never evaluates anything.
//! Every call node is visited, wherever it sits (nested functions, lambdas, comprehensions,
//! default values), as Python's `ast.walk` does. Bodies the statement parser drops (`with`,
//! `class`, decorators) are not seen.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Arg, CompDef, Const, DictItem, Elt, FPart, Node, Params, Stmt, Target};
use crate::error::Result;

/// What a Python function body or expression refers to (BitBake's `PythonParser` results).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PyRefs {
    /// Variables read by name: `X` for `d.getVar("X")` (also `appendVar`, `prependVar`,
    /// `oe.utils.conditional`), `X[f]` for `d.getVarFlag("X", "f")`.
    pub references: BTreeSet<String>,
    /// Called names (`bb.note`, `my_helper`, ...) and the functions named in
    /// `bb.build.exec_func("name", d)` / `bb.build.exec_task`.
    pub execs: BTreeSet<String>,
    /// `bb.utils.contains("VAR", "item", ...)` (and `contains_any`, `filter`,
    /// `base_contains`): the items checked per variable, instead of a reference to it.
    pub contains: BTreeMap<String, BTreeSet<String>>,
    /// Literal strings passed to `.expand(...)`; BitBake adds the references found by
    /// expanding them against an empty datastore (the caller does that).
    pub expands: Vec<String>,
}

const GETVARS: &[&str] = &[
    ".getVar",
    ".appendVar",
    ".prependVar",
    "oe.utils.conditional",
];
const GETVARFLAGS: &[&str] = &[".getVarFlag", ".appendVarFlag", ".prependVarFlag"];
const CONTAINS: &[&str] = &["bb.utils.contains", "base_contains"];
const CONTAINS_ANY: &[&str] = &["bb.utils.contains_any", "bb.utils.filter"];
const EXECFUNCS: &[&str] = &["bb.build.exec_func", "bb.build.exec_task"];

/// The references of a block of Python statements: a `def` function, or the body of a
/// `python NAME() { }` function (indented text is wrapped as BitBake's `check_indent`
/// does). Empty or blank text has no references.
///
/// ```
/// let r = bb_pyexpr::python_refs(
///     "    if bb.utils.contains('DISTRO_FEATURES', 'x11', True, False, d):\n        \
///      bb.build.exec_func('do_gui', d)\n    d.getVarFlag('do_x', 'dirs')\n",
/// )?;
/// assert!(r.references.contains("do_x[dirs]"));
/// assert!(r.execs.contains("do_gui"));
/// assert!(r.contains["DISTRO_FEATURES"].contains("x11"));
/// # Ok::<(), bb_pyexpr::EvalError>(())
/// ```
pub fn python_refs(source: &str) -> Result<PyRefs> {
    let mut out = PyRefs::default();
    if source.trim().is_empty() {
        return Ok(out);
    }
    let _guard = crate::stack::Guard::new();
    let text = check_indent(source);
    let module = crate::stmt::parse_function_body(&text)?;
    let mut w = Walker {
        out: &mut out,
        var_execs: BTreeSet::new(),
    };
    w.stmts(&module);
    let var_execs = std::mem::take(&mut w.var_execs);
    out.execs.extend(var_execs);
    Ok(out)
}

/// The references of one inline expression (the text of `${@...}`).
///
/// ```
/// let r = bb_pyexpr::expr_refs("d.getVar('A') + oe.utils.conditional('B', 'x', 'y', 'z', d)")?;
/// assert_eq!(r.references.iter().collect::<Vec<_>>(), ["A", "B"]);
/// # Ok::<(), bb_pyexpr::EvalError>(())
/// ```
pub fn expr_refs(expr: &str) -> Result<PyRefs> {
    let mut out = PyRefs::default();
    let text = crate::strip_py(expr);
    if text.is_empty() {
        return Ok(out);
    }
    let _guard = crate::stack::Guard::new();
    let node = crate::parser::parse(text)?;
    let mut w = Walker {
        out: &mut out,
        var_execs: BTreeSet::new(),
    };
    w.node(&node);
    let var_execs = std::mem::take(&mut w.var_execs);
    out.execs.extend(var_execs);
    Ok(out)
}

/// BitBake's `check_indent`: indented code is put under `if 1:`.
fn check_indent(code: &str) -> String {
    let lead = code
        .bytes()
        .take_while(|b| matches!(b, b'\n' | b'\t' | b' '))
        .count();
    if lead == 0 {
        return code.to_owned();
    }
    if matches!(code.as_bytes()[lead - 1], b'\t' | b' ') {
        let body = code.strip_prefix('\n').unwrap_or(code);
        return format!("if 1:\n{body}");
    }
    code.to_owned()
}

struct Walker<'a> {
    out: &'a mut PyRefs,
    var_execs: BTreeSet<String>,
}

/// The dotted name of a called expression (`d.getVar`, `bb.utils.contains`), when it is a
/// chain of attributes on a bare name.
fn called_name(node: &Node) -> Option<String> {
    let mut parts = Vec::new();
    let mut n = node;
    loop {
        match n {
            Node::Attr(inner, attr) => {
                parts.push(&**attr);
                n = inner;
            }
            Node::Name(name) => {
                parts.push(&**name);
                parts.reverse();
                return Some(parts.join("."));
            }
            _ => return None,
        }
    }
}

fn str_const(n: Option<&Node>) -> Option<&str> {
    match n {
        Some(Node::Const(Const::Str(s))) => Some(s),
        _ => None,
    }
}

fn is_const(n: Option<&Node>) -> bool {
    matches!(n, Some(Node::Const(_)))
}

impl Walker<'_> {
    fn call(&mut self, func: &Node, args: &[Arg]) {
        let Some(name) = called_name(func) else {
            return;
        };
        // Python's `node.args`: the positional arguments, starred ones included.
        let pos: Vec<&Node> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Pos(n) | Arg::Star(n) => Some(n),
                Arg::Kw(..) | Arg::StarStar(_) => None,
            })
            .collect();
        let arg = |i: usize| pos.get(i).copied();
        let is_getvar = GETVARS.iter().any(|s| name.ends_with(s));
        let is_getflag = GETVARFLAGS.iter().any(|s| name.ends_with(s));
        let is_contains = CONTAINS.contains(&name.as_str());
        let is_any = CONTAINS_ANY.contains(&name.as_str());
        if is_getvar || is_getflag || is_contains || is_any {
            let Some(var) = str_const(arg(0)) else {
                return;
            };
            if is_contains && is_const(arg(1)) {
                if let Some(item) = str_const(arg(1)) {
                    self.out
                        .contains
                        .entry(var.to_owned())
                        .or_default()
                        .insert(item.to_owned());
                }
            } else if is_any && is_const(arg(1)) {
                if let Some(items) = str_const(arg(1)) {
                    self.out
                        .contains
                        .entry(var.to_owned())
                        .or_default()
                        .extend(items.split_whitespace().map(str::to_owned));
                }
            } else if is_getflag {
                if let Some(Node::Const(c)) = arg(1) {
                    let flag = match c {
                        Const::Str(s) => s.to_string(),
                        Const::Int(i) => i.to_string(),
                        Const::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
                        Const::None => "None".to_owned(),
                        Const::Float(f) => f.to_string(),
                    };
                    self.out.references.insert(format!("{var}[{flag}]"));
                }
            } else {
                self.out.references.insert(var.to_owned());
            }
        } else if name.ends_with(".expand") {
            if let Some(text) = str_const(arg(0)) {
                self.out.expands.push(text.to_owned());
            }
        } else if EXECFUNCS.contains(&name.as_str()) {
            if let Some(f) = str_const(arg(0)) {
                self.var_execs.insert(f.to_owned());
            }
        } else {
            self.out.execs.insert(name);
        }
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::Const(_) | Node::Name(_) | Node::Unsupported(_) => {}
            Node::FString(parts) => self.fparts(parts),
            Node::Attr(v, _) | Node::Unary(_, v) | Node::Not(v) => self.node(v),
            Node::Subscript(a, b) | Node::Binary(_, a, b) | Node::BoolOp(_, a, b) => {
                self.node(a);
                self.node(b);
            }
            Node::Slice(a, b, c) => {
                for x in [a, b, c].into_iter().flatten() {
                    self.node(x);
                }
            }
            Node::Call(func, args) => {
                self.call(func, args);
                self.node(func);
                for a in args {
                    match a {
                        Arg::Pos(x) | Arg::Star(x) | Arg::Kw(_, x) | Arg::StarStar(x) => {
                            self.node(x)
                        }
                    }
                }
            }
            Node::Compare(first, rest) => {
                self.node(first);
                for (_, x) in rest {
                    self.node(x);
                }
            }
            Node::IfExp { cond, body, orelse } => {
                self.node(cond);
                self.node(body);
                self.node(orelse);
            }
            Node::Lambda(l) => {
                self.params(&l.params);
                self.node(&l.body);
            }
            Node::List(elts) | Node::Tuple(elts) | Node::Set(elts) => {
                for e in elts {
                    match e {
                        Elt::One(x) | Elt::Star(x) => self.node(x),
                    }
                }
            }
            Node::Dict(items) => {
                for i in items {
                    match i {
                        DictItem::Pair(k, v) => {
                            self.node(k);
                            self.node(v);
                        }
                        DictItem::Spread(x) => self.node(x),
                    }
                }
            }
            Node::Comp(c) => self.comp(c),
        }
    }

    fn fparts(&mut self, parts: &[FPart]) {
        for p in parts {
            if let FPart::Field { expr, spec, .. } = p {
                self.node(expr);
                self.fparts(spec);
            }
        }
    }

    fn comp(&mut self, c: &CompDef) {
        if let Some(k) = &c.key {
            self.node(k);
        }
        self.node(&c.elt);
        for f in &c.clauses {
            self.target(&f.target);
            self.node(&f.iter);
            for i in &f.ifs {
                self.node(i);
            }
        }
    }

    fn params(&mut self, p: &Params) {
        for param in p.params.iter().chain(&p.kwonly) {
            if let Some(d) = &param.default {
                self.node(d);
            }
        }
    }

    fn target(&mut self, t: &Target) {
        match t {
            Target::Name(_) => {}
            Target::Seq(ts) => ts.iter().for_each(|t| self.target(t)),
            Target::Star(t) => self.target(t),
            Target::Subscript(a, b) => {
                self.node(a);
                self.node(b);
            }
            Target::Attr(a, _) => self.node(a),
        }
    }

    fn stmts(&mut self, body: &[Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Expr(n) => self.node(n),
            Stmt::Assign(targets, v) => {
                targets.iter().for_each(|t| self.target(t));
                self.node(v);
            }
            Stmt::AugAssign(t, _, v) => {
                self.target(t);
                self.node(v);
            }
            Stmt::If(branches, orelse) => {
                for (c, b) in branches {
                    self.node(c);
                    self.stmts(b);
                }
                self.stmts(orelse);
            }
            Stmt::For {
                target,
                iter,
                body,
                orelse,
            } => {
                self.target(target);
                self.node(iter);
                self.stmts(body);
                self.stmts(orelse);
            }
            Stmt::While { cond, body, orelse } => {
                self.node(cond);
                self.stmts(body);
                self.stmts(orelse);
            }
            Stmt::Return(v) => {
                if let Some(v) = v {
                    self.node(v);
                }
            }
            Stmt::Raise(a, b) => {
                for x in [a, b].into_iter().flatten() {
                    self.node(x);
                }
            }
            Stmt::Try {
                body,
                handlers,
                orelse,
                finally,
            } => {
                self.stmts(body);
                for h in handlers {
                    if let Some(k) = &h.kind {
                        self.node(k);
                    }
                    self.stmts(&h.body);
                }
                self.stmts(orelse);
                self.stmts(finally);
            }
            Stmt::Del(ts) => ts.iter().for_each(|t| self.target(t)),
            Stmt::Def(f) => {
                self.params(&f.params);
                self.stmts(&f.body);
            }
            Stmt::Assert(a, b) => {
                self.node(a);
                if let Some(b) = b {
                    self.node(b);
                }
            }
            Stmt::Break
            | Stmt::Continue
            | Stmt::Pass
            | Stmt::Line(_)
            | Stmt::Import(_)
            | Stmt::ImportFrom(..)
            | Stmt::Unsupported(_) => {}
        }
    }
}

#[cfg(test)]
mod tests;
