//! Walks a syntax tree and computes its value: name resolution, scopes, calls, lambdas,
//! comprehensions and the iterator protocol.
//!
//! Name resolution follows BitBake's `better_eval`: at the top level a bare name is a Python
//! builtin, then `d`/`bb`/`oe`/`os`/`time`, then a BitBake variable; inside a lambda or a
//! comprehension body (a nested Python scope) variables of the datastore are not visible.
//! Operators live in `ops.rs`, builtin functions in `builtins.rs` and methods in `methods.rs`;
//! this file must not grow their semantics.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::Context;
use crate::ast::{
    Arg, BinOp, CmpOp, CompDef, CompKind, Const, DictItem, Elt, FPart, LambdaDef, Node, Params,
    Target, UnaryOp,
};
use crate::builtins::{self, Builtin};
use crate::error::{EvalError, Result};
use crate::format;
use crate::methods;
use crate::ops;
use crate::value::{
    Closure, Code, Dict, ExcValue, GenState, Items, Iter, KeyedSrc, Lookup, Scope, Value, ViewKind,
    as_str,
};

/// Deepest evaluation recursion (nested nodes plus lambda calls) before `RecursionError`.
const MAX_EVAL_DEPTH: usize = 300;

/// Most items a single container may hold before we hand over to Python.
pub(crate) const MAX_ITEMS: usize = 1 << 20;

/// A container beyond [`MAX_ITEMS`]: CPython may well build it (a few million items take
/// megabytes, not gigabytes), so this is `NeedsPython`, not a `MemoryError` of our own.
pub(crate) fn too_many_items() -> EvalError {
    EvalError::needs(format!("a container of more than {MAX_ITEMS} items"))
}

/// Most evaluation steps (nodes evaluated and calls made) of one expression; beyond this the
/// expression is not evaluated natively (inline Python in metadata takes a few hundred).
const MAX_STEPS: u64 = 5_000_000;

/// Positional and keyword arguments of a call.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub(crate) pos: Vec<Value>,
    pub(crate) kw: Vec<(Arc<str>, Value)>,
}

impl Args {
    pub(crate) fn positional(pos: Vec<Value>) -> Self {
        Self {
            pos,
            kw: Vec::new(),
        }
    }
}

/// One evaluation of an expression, or one run of a function, against a datastore.
pub(crate) struct Interp<'c> {
    pub(crate) ctx: &'c dyn Context,
    pub(crate) depth: Cell<usize>,
    steps: Cell<u64>,
    /// How many `def` function calls are active.
    pub(crate) frames: Cell<usize>,
    /// The datastore's Python functions looked up so far, by name (`None`: not a function).
    funcs: RefCell<HashMap<Arc<str>, Option<Value>>>,
    /// The exceptions being handled by `except` clauses, innermost last (for a bare `raise`).
    pub(crate) handling: RefCell<Vec<EvalError>>,
    /// The last exception object raised by a `raise` statement, to give `except ... as e` its
    /// arguments back.
    pub(crate) last_raised: RefCell<Option<Rc<ExcValue>>>,
    /// Where the running statement is, for the history of the datastore's writes.
    pub(crate) pos: RefCell<Option<Position>>,
    /// Set by `exec::run_with`: the outermost function's variables are released when it
    /// returns (nothing of them can be used afterwards).
    pub(crate) drop_outermost_scope: Cell<bool>,
}

/// The place of a statement: the datastore function whose source holds it, the Python function
/// running it (`co_name`) and its line in that source (the `def` line is 1).
#[derive(Debug, Clone)]
pub(crate) struct Position {
    pub(crate) owner: Arc<str>,
    pub(crate) func: Arc<str>,
    pub(crate) line: u32,
}

/// Names of Python builtins we do not implement: using one needs real Python, and they are
/// never looked up in the datastore.
const OTHER_BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "aiter",
    "anext",
    "breakpoint",
    "bytearray",
    "bytes",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dir",
    "eval",
    "exec",
    "exit",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "id",
    "input",
    "issubclass",
    "license",
    "locals",
    "memoryview",
    "object",
    "open",
    "print",
    "property",
    "quit",
    "setattr",
    "slice",
    "staticmethod",
    "super",
    "vars",
    "__build_class__",
    "__debug__",
    "__doc__",
    "__import__",
    "__loader__",
    "__name__",
    "__package__",
    "__spec__",
    "__builtins__",
];

/// A name of BitBake's global evaluation context, or a Python builtin.
fn global(name: &str) -> Option<Value> {
    match name {
        "d" => Some(Value::Datastore),
        _ => module_global(name),
    }
}

/// A global name of the metadata's Python functions: the modules of BitBake's context and the
/// Python builtins (not `d`, which only inline Python sees as a global).
fn module_global(name: &str) -> Option<Value> {
    match name {
        "bb" => Some(Value::Module("bb")),
        "oe" => Some(Value::Module("oe")),
        "os" => Some(Value::Module("os")),
        "time" => Some(Value::Module("time")),
        _ => Builtin::from_name(name)
            .map(Value::Builtin)
            .or_else(|| {
                builtins::exc_type(name)
                    .filter(|k| !builtins::BITBAKE_EXCEPTIONS.contains(k))
                    .map(Value::ExcType)
            })
            .or_else(|| {
                OTHER_BUILTINS
                    .contains(&name)
                    .then(|| Value::Unknown(Rc::from(name)))
            }),
    }
}

fn name_error(name: &str) -> EvalError {
    EvalError::exc("NameError", format!("name '{name}' is not defined"))
}

fn not_callable(v: &Value) -> EvalError {
    EvalError::type_err(format!("'{}' object is not callable", v.type_name()))
}

/// Binds a function's arguments to its parameters in `scope`.
pub(crate) fn bind_params(c: &Closure, args: Args, scope: &Scope) -> Result<()> {
    let def: &Params = c.params();
    let names: Vec<&str> = def.params.iter().map(|p| &*p.name).collect();
    let kwonly: Vec<&str> = def.kwonly.iter().map(|p| &*p.name).collect();
    let sig = builtins::Signature {
        name: c.name(),
        params: &names,
        posonly: def.posonly,
        varargs: def.varargs.is_some(),
        kwonly: &kwonly,
        varkw: def.varkw.is_some(),
    };
    let bound = builtins::bind(&sig, args, &c.defaults, &c.kw_defaults)?;
    for (p, v) in def.params.iter().zip(bound.params) {
        scope.set(&p.name, v);
    }
    for (p, v) in def.kwonly.iter().zip(bound.kwonly) {
        scope.set(&p.name, v);
    }
    if let Some(name) = &def.varargs {
        scope.set(name, Value::tuple(bound.varargs));
    }
    if let Some(name) = &def.varkw {
        scope.set(name, Value::dict(bound.varkw));
    }
    Ok(())
}

/// `UnboundLocalError` for a local read before assignment.
pub(crate) fn unbound_error(name: &str) -> EvalError {
    EvalError::exc(
        "UnboundLocalError",
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

/// Whether CPython's compiler folds a node into a constant (literals and arithmetic on them).
fn is_constant(n: &Node) -> bool {
    match n {
        Node::Const(_) => true,
        Node::Unary(_, a) => is_constant(a),
        Node::Binary(_, a, b) => is_constant(a) && is_constant(b),
        Node::Tuple(elts) => elts
            .iter()
            .all(|e| matches!(e, Elt::One(n) if is_constant(n))),
        _ => false,
    }
}

/// The next character of a string iterator at byte offset `i`.
fn chars_next(s: &str, i: &mut usize) -> Option<Value> {
    let c = s.get(*i..).and_then(|rest| rest.chars().next())?;
    *i += c.len_utf8();
    Some(Value::str(c.to_string()))
}

/// The next value of a range iterator.
fn range_next(next: &mut i64, stop: i64, step: i64) -> Option<Value> {
    let more = if step > 0 { *next < stop } else { *next > stop };
    if !more {
        return None;
    }
    let v = *next;
    *next = next.checked_add(step).unwrap_or(stop);
    Some(Value::Int(v))
}

/// Turns a transient [`Value::Unknown`] into the error its use deserves.
fn known(v: Value) -> Result<Value> {
    match v {
        Value::Unknown(path) => Err(EvalError::needs(format!("use of `{path}`"))),
        v => Ok(v),
    }
}

/// Attribute names of the functions whose result only a caller that iterates it at once may
/// take natively (`crate::builtins::call_consumed`).
const CONSUMED_ONLY: &[&str] = &["typed_value", "required_packages", "optional_packages"];

/// Whether calling `f` with `args` iterates the first argument at once and keeps nothing of its
/// type: `set`, `frozenset`, `list`, `tuple`, `sorted` and `str.join` of one argument, and
/// `oe.packagegroup`'s functions (their `features`).
fn consumes_at_once(f: &Value, args: &[Arg]) -> bool {
    let one = args.len() == 1;
    match f {
        Value::Builtin(
            Builtin::Set | Builtin::FrozenSet | Builtin::List | Builtin::Tuple | Builtin::Sorted,
        ) => one,
        Value::Builtin(Builtin::OePgRequired | Builtin::OePgOptional) => true,
        Value::Method(recv, "join") => one && matches!(**recv, Value::Str(_)),
        _ => false,
    }
}

impl<'c> Interp<'c> {
    pub(crate) fn new(ctx: &'c dyn Context) -> Self {
        Self {
            ctx,
            depth: Cell::new(0),
            steps: Cell::new(0),
            frames: Cell::new(0),
            funcs: RefCell::new(HashMap::new()),
            handling: RefCell::new(Vec::new()),
            last_raised: RefCell::new(None),
            pos: RefCell::new(None),
            drop_outermost_scope: Cell::new(false),
        }
    }

    pub(crate) fn enter(&self) -> Result<()> {
        let d = self.depth.get() + 1;
        if d > MAX_EVAL_DEPTH || crate::stack::exhausted() {
            // Our limits are not Python's (CPython's depends on its recursion limit and on
            // how deep BitBake's own stack is when it evaluates): say so instead of guessing
            // a RecursionError where CPython may well produce a value.
            return Err(EvalError::needs(
                "recursion deeper than the native evaluator allows",
            ));
        }
        self.tick()?;
        self.depth.set(d);
        Ok(())
    }

    /// Counts one evaluation step.
    pub(crate) fn tick(&self) -> Result<()> {
        let steps = self.steps.get() + 1;
        if steps > MAX_STEPS {
            return Err(EvalError::needs(format!(
                "evaluation longer than {MAX_STEPS} steps"
            )));
        }
        self.steps.set(steps);
        Ok(())
    }

    pub(crate) fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }

    /// Evaluates a node; `scope` is `None` at the top level of the expression.
    pub(crate) fn eval(&self, node: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        self.enter()?;
        let r = self.eval_inner(node, scope);
        self.leave();
        if crate::value::take_too_deep() {
            return Err(EvalError::needs("comparison of values nested too deeply"));
        }
        r
    }

    /// Dispatches on the node kind. Each kind has its own function so that this frame, which
    /// is on the stack once per nesting level, stays small.
    fn eval_inner(&self, node: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        match node {
            Node::Const(c) => Ok(match c {
                Const::None => Value::None,
                Const::Bool(b) => Value::Bool(*b),
                Const::Int(i) => Value::Int(*i),
                Const::Float(f) => Value::Float(*f),
                Const::Str(s) => Value::Str(s.clone()),
            }),
            Node::FString(parts) => self.fstring(parts, scope).map(Value::str),
            Node::Name(_) | Node::Attr(..) => self.callee(node, scope).and_then(known),
            Node::Subscript(obj, index) => self.subscript(obj, index, scope),
            Node::Slice(..) => Err(EvalError::needs("slice object outside a simple subscript")),
            Node::Call(func, args) => self.eval_call(func, args, scope),
            Node::Unary(op, operand) => self.eval_unary(*op, operand, scope),
            Node::Binary(op, a, b) => self.eval_binary(*op, a, b, scope),
            Node::BoolOp(is_and, a, b) => self.eval_boolop(*is_and, a, b, scope),
            Node::Not(a) => self.eval_not(a, scope),
            Node::Compare(first, rest) => self.eval_compare(first, rest, scope),
            Node::IfExp { cond, body, orelse } => self.eval_ifexp(cond, body, orelse, scope),
            Node::Lambda(def) => self.lambda(def, scope),
            Node::List(elts) => self.elts(elts, scope).map(Value::list),
            Node::Tuple(elts) => self.elts(elts, scope).map(Value::tuple),
            Node::Set(elts) => self.eval_set(elts, scope),
            Node::Dict(items) => self.dict(items, scope),
            Node::Comp(def) => self.comprehension(def, scope),
            Node::Unsupported(why) => Err(EvalError::needs(*why)),
        }
    }

    fn subscript(&self, obj: &Node, index: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        let obj = self.eval(obj, scope)?;
        if let Node::Slice(lower, upper, step) = index {
            let part = |p: &Option<Box<Node>>| -> Result<Value> {
                p.as_ref().map_or(Ok(Value::None), |n| self.eval(n, scope))
            };
            let (l, u, s) = (part(lower)?, part(upper)?, part(step)?);
            return ops::slice(&obj, &l, &u, &s);
        }
        let index = self.eval(index, scope)?;
        ops::getitem(self, &obj, &index)
    }

    fn eval_call(&self, func: &Node, args: &[Arg], scope: Option<&Rc<Scope>>) -> Result<Value> {
        self.eval_call_as(func, args, scope, false)
    }

    /// A call; `consumed`: its caller iterates the result at once and keeps nothing of its type
    /// (see [`consumes_at_once`]).
    fn eval_call_as(
        &self,
        func: &Node,
        args: &[Arg],
        scope: Option<&Rc<Scope>>,
        consumed: bool,
    ) -> Result<Value> {
        let f = match func {
            // A bare name that is neither local nor a global we know is, in BitBake, most
            // likely a `def` function of a class that the datastore did not give us.
            Node::Name(n) => match self.callee_name(n, scope)? {
                Some(f) => f,
                None => return Err(EvalError::needs(format!("call to `{n}`"))),
            },
            Node::Attr(obj, attr) => {
                let obj = self.callee(obj, scope)?;
                // `s.method(...)` on a str: called without binding the method first (what
                // `get_attr` would bind; the call is the same).
                // (`str.join` goes the long way: it may take a result only it consumes.)
                if let Value::Str(_) = obj
                    && let Some(name) = methods::str_method_name(attr)
                    && name != "join"
                {
                    let args = self.args(args, scope)?;
                    self.enter()?;
                    let r = methods::call_method(self, &obj, name, args);
                    self.leave();
                    return r;
                }
                methods::get_attr(&obj, attr)?
            }
            _ => self.callee(func, scope)?,
        };
        if let Value::Unknown(path) = &f {
            return Err(EvalError::needs(format!("call to `{path}`")));
        }
        let args = match args.split_first() {
            // `set(oe.data.typed_value(...))`, `' '.join(oe.packagegroup...(...))`: the inner
            // result is iterated at once, so a plain list stands for it exactly.
            Some((Arg::Pos(Node::Call(inner, inner_args)), rest))
                if consumes_at_once(&f, args)
                    && matches!(&**inner, Node::Attr(_, name) if CONSUMED_ONLY.contains(&&**name)) =>
            {
                let first = self.eval_call_as(inner, inner_args, scope, true)?;
                let mut all = self.args(rest, scope)?;
                all.pos.insert(0, first);
                all
            }
            _ => self.args(args, scope)?,
        };
        match f {
            Value::Builtin(b) if consumed => builtins::call_consumed(self, b, args, true),
            f => self.call(&f, args),
        }
    }

    fn eval_unary(&self, op: UnaryOp, operand: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        let v = self.eval(operand, scope)?;
        ops::unary(op, &v)
    }

    fn eval_binary(
        &self,
        op: BinOp,
        a: &Node,
        b: &Node,
        scope: Option<&Rc<Scope>>,
    ) -> Result<Value> {
        let a = self.eval(a, scope)?;
        let b = self.eval(b, scope)?;
        ops::binary(op, &a, &b)
    }

    fn eval_boolop(
        &self,
        is_and: bool,
        a: &Node,
        b: &Node,
        scope: Option<&Rc<Scope>>,
    ) -> Result<Value> {
        let a = self.eval(a, scope)?;
        if a.truthy() == is_and {
            self.eval(b, scope)
        } else {
            Ok(a)
        }
    }

    fn eval_not(&self, a: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        Ok(Value::Bool(!self.eval(a, scope)?.truthy()))
    }

    fn eval_compare(
        &self,
        first: &Node,
        rest: &[(CmpOp, Node)],
        scope: Option<&Rc<Scope>>,
    ) -> Result<Value> {
        let mut left = self.eval(first, scope)?;
        for (op, right) in rest {
            let right = self.eval(right, scope)?;
            if !ops::compare(self, *op, &left, &right)? {
                return Ok(Value::Bool(false));
            }
            left = right;
        }
        Ok(Value::Bool(true))
    }

    fn eval_ifexp(
        &self,
        cond: &Node,
        body: &Node,
        orelse: &Node,
        scope: Option<&Rc<Scope>>,
    ) -> Result<Value> {
        if self.eval(cond, scope)?.truthy() {
            self.eval(body, scope)
        } else {
            self.eval(orelse, scope)
        }
    }

    fn eval_set(&self, elts: &[Elt], scope: Option<&Rc<Scope>>) -> Result<Value> {
        let items = ops::unique(self.elts(elts, scope)?)?;
        // CPython compiles a display of more than two constants into a frozenset constant.
        let constant = elts
            .iter()
            .all(|e| matches!(e, Elt::One(n) if is_constant(n)));
        let items = if elts.len() > 2 && constant {
            crate::value::const_display_order(items)?
        } else {
            crate::value::set_order(items)?
        };
        Ok(Value::set(items, false))
    }

    /// Evaluates a node that may name something we do not model ([`Value::Unknown`]): the
    /// function of a call or the object of an attribute.
    fn callee(&self, node: &Node, scope: Option<&Rc<Scope>>) -> Result<Value> {
        match node {
            Node::Name(name) => self.name(name, scope),
            Node::Attr(obj, attr) => {
                let obj = self.callee(obj, scope)?;
                methods::get_attr(&obj, attr)
            }
            _ => self.eval(node, scope),
        }
    }

    /// Whether `name` is one of the modules BitBake imports into the global context
    /// (`BB_GLOBAL_PYMODULES`, "os sys time" in OE-Core).
    fn global_module(&self, name: &str) -> Result<Option<Value>> {
        let modules = self
            .ctx
            .get_var("BB_GLOBAL_PYMODULES", true)?
            .unwrap_or_default();
        Ok(crate::value::split_whitespace(&modules)
            .any(|m| m == name)
            .then(|| match name {
                "re" => Value::Module("re"),
                "time" => Value::Module("time"),
                _ => Value::Unknown(Rc::from(name)),
            }))
    }

    /// A Python function of the datastore, as a function value (looked up once per run).
    pub(crate) fn global_function(&self, name: &Arc<str>) -> Result<Option<Value>> {
        if let Some(f) = self.funcs.borrow().get(name) {
            return Ok(f.clone());
        }
        let f = match self.ctx.python_function(name) {
            Some(f) => Some(crate::exec::function_value(self, name, &f)?),
            None => None,
        };
        self.funcs.borrow_mut().insert(name.clone(), f.clone());
        Ok(f)
    }

    /// A global of the metadata's Python namespace: a function of the datastore, a module of
    /// the context, or a builtin.
    fn namespace_global(&self, name: &Arc<str>) -> Result<Option<Value>> {
        if let Some(f) = self.global_function(name)? {
            return Ok(Some(f));
        }
        if let Some(v) = module_global(name) {
            return Ok(Some(v));
        }
        self.global_module(name)
    }

    /// The function a bare name calls; `None` when we do not know it.
    fn callee_name(&self, name: &Arc<str>, scope: Option<&Rc<Scope>>) -> Result<Option<Value>> {
        if let Some(s) = scope {
            match s.resolve(name) {
                Lookup::Found(v) => return Ok(Some(v)),
                Lookup::Unbound => return Err(unbound_error(name)),
                Lookup::NotLocal => {}
            }
            if s.in_def() {
                return self.namespace_global(name);
            }
        }
        if let Some(f) = self.global_function(name)? {
            return Ok(Some(f));
        }
        Ok(global(name))
    }

    fn name(&self, name: &Arc<str>, scope: Option<&Rc<Scope>>) -> Result<Value> {
        if let Some(s) = scope {
            match s.resolve(name) {
                Lookup::Found(v) => return Ok(v),
                Lookup::Unbound => return Err(unbound_error(name)),
                Lookup::NotLocal => {}
            }
            if s.in_def() {
                return self.namespace_global(name)?.ok_or_else(|| name_error(name));
            }
            if let Some(v) = global(name) {
                return Ok(v);
            }
            if let Some(f) = self.global_function(name)? {
                return Ok(f);
            }
            return self.global_module(name)?.ok_or_else(|| name_error(name));
        }
        // Top level: BitBake's DataContext consults the datastore for every name that is not a
        // builtin or a context entry; names starting with `_` are not excluded.
        if !name.starts_with('_') {
            if let Some(v) = global(name) {
                return Ok(v);
            }
            if let Some(v) = self.global_module(name)? {
                return Ok(v);
            }
        }
        // The functions of the metadata are context entries too.
        if let Some(f) = self.global_function(name)? {
            return Ok(f);
        }
        if let Some(v) = self.ctx.get_var(name, true)? {
            // A `def` function is a variable too (flag `func`), but BitBake resolves its name
            // to the Python function, which we do not have.
            if self
                .ctx
                .get_var_flag(name, "func", false)?
                .is_some_and(|f| !f.is_empty() && f != "0")
            {
                return Err(EvalError::needs(format!("use of the function `{name}`")));
            }
            return Ok(Value::str(v));
        }
        global(name).ok_or_else(|| name_error(name))
    }

    fn fstring(&self, parts: &[FPart], scope: Option<&Rc<Scope>>) -> Result<String> {
        let mut out = String::new();
        for part in parts {
            match part {
                FPart::Lit(s) => out.push_str(s),
                FPart::Field { expr, conv, spec } => {
                    let mut v = self.eval(expr, scope)?;
                    match conv {
                        Some('r') => v = Value::str(crate::value::py_repr(&v)?),
                        Some('a') => v = Value::str(format::ascii(&crate::value::py_repr(&v)?)),
                        Some(_) => v = Value::str(crate::value::py_str(&v)?),
                        None => {}
                    }
                    let spec = self.fstring(spec, scope)?;
                    out.push_str(&format::format_value(&v, &spec)?);
                }
            }
        }
        Ok(out)
    }

    fn elts(&self, elts: &[Elt], scope: Option<&Rc<Scope>>) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(elts.len());
        for e in elts {
            match e {
                Elt::One(n) => out.push(self.eval(n, scope)?),
                Elt::Star(n) => {
                    let v = self.eval(n, scope)?;
                    out.extend(self.collect(&v)?);
                }
            }
        }
        Ok(out)
    }

    fn dict(&self, items: &[DictItem], scope: Option<&Rc<Scope>>) -> Result<Value> {
        let mut d = Dict::default();
        for item in items {
            match item {
                DictItem::Pair(k, v) => {
                    let k = self.eval(k, scope)?;
                    let v = self.eval(v, scope)?;
                    d.insert(k, v)?;
                }
                DictItem::Spread(m) => match self.eval(m, scope)? {
                    Value::Dict(m) => {
                        for (k, v) in &m.get().entries {
                            d.insert(k.clone(), v.clone())?;
                        }
                    }
                    other => {
                        return Err(EvalError::type_err(format!(
                            "'{}' object is not a mapping",
                            other.type_name()
                        )));
                    }
                },
            }
        }
        Ok(Value::dict(d))
    }

    fn args(&self, args: &[Arg], scope: Option<&Rc<Scope>>) -> Result<Args> {
        let mut out = Args::default();
        for a in args {
            match a {
                Arg::Pos(n) => out.pos.push(self.eval(n, scope)?),
                Arg::Star(n) => {
                    let v = self.eval(n, scope)?;
                    out.pos.extend(self.collect(&v)?);
                }
                Arg::Kw(name, n) => {
                    let v = self.eval(n, scope)?;
                    out.kw.push((name.clone(), v));
                }
                Arg::StarStar(n) => match self.eval(n, scope)? {
                    Value::Dict(m) => {
                        for (k, v) in &m.get().entries {
                            let Some(k) = as_str(k) else {
                                return Err(EvalError::type_err("keywords must be strings"));
                            };
                            if out.kw.iter().any(|(n, _)| n == k) {
                                return Err(EvalError::type_err(format!(
                                    "got multiple values for keyword argument '{k}'"
                                )));
                            }
                            out.kw.push((k.clone(), v.clone()));
                        }
                    }
                    other => {
                        return Err(EvalError::type_err(format!(
                            "argument after ** must be a mapping, not {}",
                            other.type_name()
                        )));
                    }
                },
            }
        }
        Ok(out)
    }

    /// Calls a callable value.
    pub(crate) fn call(&self, f: &Value, args: Args) -> Result<Value> {
        self.enter()?;
        let r = self.call_inner(f, args);
        self.leave();
        r
    }

    fn call_inner(&self, f: &Value, args: Args) -> Result<Value> {
        match f {
            Value::Func(c) => match &c.code {
                Code::Lambda(def) => self.call_lambda(c, def, args),
                Code::Def(def) => self.call_def(c, def, args),
            },
            Value::ExcType(kind) => builtins::new_exception(kind, args),
            Value::Builtin(b) => builtins::call(self, *b, args),
            Value::Method(recv, name) => methods::call_method(self, recv, name, args),
            Value::TypeMethod(ty, name) => self.call_type_method(*ty, name, args),
            Value::Unknown(path) => Err(EvalError::needs(format!("call to `{path}`"))),
            other => Err(not_callable(other)),
        }
    }

    fn call_type_method(&self, ty: Builtin, name: &str, mut args: Args) -> Result<Value> {
        if args.pos.is_empty() {
            return Err(EvalError::type_err(format!(
                "unbound method {}.{name}() needs an argument",
                ty.name()
            )));
        }
        let recv = args.pos.remove(0);
        if !builtins::isinstance_of(&recv, ty) {
            return Err(EvalError::type_err(format!(
                "descriptor '{name}' for '{}' objects doesn't apply to a '{}' object",
                ty.name(),
                recv.type_name()
            )));
        }
        methods::call_method(self, &recv, name, args)
    }

    fn lambda(&self, def: &Arc<LambdaDef>, scope: Option<&Rc<Scope>>) -> Result<Value> {
        self.make_function(Code::Lambda(def.clone()), &def.params, scope)
    }

    /// A function value: its defaults are evaluated now, in `scope`.
    pub(crate) fn make_function(
        &self,
        code: Code,
        params: &Params,
        scope: Option<&Rc<Scope>>,
    ) -> Result<Value> {
        let mut defaults = Vec::with_capacity(params.params.len());
        for p in &params.params {
            defaults.push(
                p.default
                    .as_ref()
                    .map(|n| self.eval(n, scope))
                    .transpose()?,
            );
        }
        let mut kw_defaults = Vec::with_capacity(params.kwonly.len());
        for p in &params.kwonly {
            kw_defaults.push(
                p.default
                    .as_ref()
                    .map(|n| self.eval(n, scope))
                    .transpose()?,
            );
        }
        let owner = self.pos.borrow().as_ref().map(|p| p.owner.clone());
        Ok(Value::Func(Rc::new(Closure {
            code,
            defaults,
            kw_defaults,
            scope: scope.cloned(),
            owner,
        })))
    }

    fn call_lambda(&self, c: &Closure, def: &LambdaDef, args: Args) -> Result<Value> {
        let scope = Scope::new(c.scope.clone());
        bind_params(c, args, &scope)?;
        self.enter()?;
        let r = self.eval(&def.body, Some(&scope));
        self.leave();
        r
    }

    fn comprehension(&self, def: &Arc<CompDef>, scope: Option<&Rc<Scope>>) -> Result<Value> {
        // The first iterable is evaluated in the enclosing scope, the rest in the new one.
        let Some(first) = def.clauses.first() else {
            return Err(EvalError::syntax("invalid syntax"));
        };
        let iterable = self.eval(&first.iter, scope)?;
        let it = self.iter_of(&iterable)?;
        let gen_scope = Scope::new(scope.cloned());
        let generator = Rc::new(RefCell::new(Iter::Gen(GenState {
            comp: def.clone(),
            scope: gen_scope,
            iters: vec![Value::Iter(it)],
        })));
        match def.kind {
            CompKind::Gen => Ok(Value::Iter(generator)),
            CompKind::List => Ok(Value::list(self.drain(&generator)?)),
            CompKind::Set => Ok(Value::set(
                crate::value::set_order(ops::unique(self.drain(&generator)?)?)?,
                false,
            )),
            CompKind::Dict => {
                let mut d = Dict::default();
                for pair in self.drain(&generator)? {
                    if let Value::Tuple(kv) = pair
                        && let [k, v] = kv.as_slice()
                    {
                        d.insert(k.clone(), v.clone())?;
                    }
                }
                Ok(Value::dict(d))
            }
        }
    }

    /// Advances a generator expression.
    fn gen_next(&self, g: &mut GenState) -> Result<Option<Value>> {
        let comp = g.comp.clone();
        loop {
            let level = g.iters.len();
            let Some(Value::Iter(top)) = g.iters.last().cloned() else {
                return Ok(None);
            };
            let Some(item) = self.next(&top)? else {
                g.iters.pop();
                continue;
            };
            let Some(clause) = comp.clauses.get(level - 1) else {
                return Ok(None);
            };
            self.bind_target(&clause.target, item, &g.scope)?;
            let mut pass = true;
            for cond in &clause.ifs {
                if !self.eval(cond, Some(&g.scope))?.truthy() {
                    pass = false;
                    break;
                }
            }
            if !pass {
                continue;
            }
            if let Some(next_clause) = comp.clauses.get(level) {
                let iterable = self.eval(&next_clause.iter, Some(&g.scope))?;
                g.iters.push(Value::Iter(self.iter_of(&iterable)?));
                continue;
            }
            let value = self.eval(&comp.elt, Some(&g.scope))?;
            if let Some(key) = &comp.key {
                let k = self.eval(key, Some(&g.scope))?;
                return Ok(Some(Value::tuple(vec![k, value])));
            }
            return Ok(Some(value));
        }
    }

    /// Assigns a value to a target (of `=`, `for` or a comprehension) in `scope`.
    pub(crate) fn bind_target(
        &self,
        target: &Target,
        value: Value,
        scope: &Rc<Scope>,
    ) -> Result<()> {
        match target {
            Target::Name(n) => {
                scope.set(n, value);
                Ok(())
            }
            Target::Subscript(obj, index) => {
                let obj = self.eval(obj, Some(scope))?;
                if let Node::Slice(..) = &**index {
                    return Err(EvalError::needs("assignment to a slice"));
                }
                let index = self.eval(index, Some(scope))?;
                crate::mutate::setitem(self, &obj, index, value)
            }
            Target::Attr(..) => Err(EvalError::needs("assignment to an attribute")),
            Target::Seq(targets) => {
                let items = match self.collect(&value) {
                    Err(EvalError::Exception { kind, message })
                        if kind == "TypeError" && message.ends_with("object is not iterable") =>
                    {
                        return Err(EvalError::type_err(format!(
                            "cannot unpack non-iterable {} object",
                            value.type_name()
                        )));
                    }
                    r => r?,
                };
                let star = targets.iter().position(|t| matches!(t, Target::Star(_)));
                match star {
                    None => {
                        if items.len() < targets.len() {
                            return Err(EvalError::value_err(format!(
                                "not enough values to unpack (expected {}, got {})",
                                targets.len(),
                                items.len()
                            )));
                        }
                        if items.len() > targets.len() {
                            return Err(EvalError::value_err(format!(
                                "too many values to unpack (expected {})",
                                targets.len()
                            )));
                        }
                        for (t, v) in targets.iter().zip(items) {
                            self.bind_target(t, v, scope)?;
                        }
                    }
                    Some(si) => {
                        let after = targets.len() - si - 1;
                        if items.len() < targets.len() - 1 {
                            return Err(EvalError::value_err(format!(
                                "not enough values to unpack (expected at least {}, got {})",
                                targets.len() - 1,
                                items.len()
                            )));
                        }
                        let mut items = items;
                        let tail = items.split_off(items.len() - after);
                        let middle = items.split_off(si);
                        for (t, v) in targets.iter().zip(items) {
                            self.bind_target(t, v, scope)?;
                        }
                        if let Some(Target::Star(t)) = targets.get(si) {
                            self.bind_target(t, Value::list(middle), scope)?;
                        }
                        for (t, v) in targets.iter().skip(si + 1).zip(tail) {
                            self.bind_target(t, v, scope)?;
                        }
                    }
                }
                Ok(())
            }
            Target::Star(_) => Err(EvalError::syntax(
                "starred assignment target must be in a list or tuple",
            )),
        }
    }

    /// Python `iter()`.
    pub(crate) fn iter_of(&self, v: &Value) -> Result<Rc<RefCell<Iter>>> {
        let it = match v {
            Value::List(items) => Iter::List(items.clone(), 0),
            Value::Tuple(items) => Iter::Seq(items.clone(), 0),
            Value::Set(items, true) => Iter::Seq(items.get(), 0),
            Value::Set(items, false) => Iter::Keyed {
                src: KeyedSrc::Set(items.clone()),
                pos: 0,
                len: items.get().len(),
                version: items.version(),
            },
            Value::Str(s) => Iter::Chars(s.clone(), 0),
            Value::Dict(d) | Value::View(_, d) => {
                let kind = match v {
                    Value::View(kind, _) => *kind,
                    _ => ViewKind::Keys,
                };
                Iter::Keyed {
                    src: KeyedSrc::Dict(d.clone(), kind),
                    pos: 0,
                    len: d.get().entries.len(),
                    version: d.version(),
                }
            }
            Value::Range(start, stop, step) => Iter::Range(*start, *stop, *step),
            Value::StructTime(t) => return self.iter_of(&t.as_tuple()),
            Value::Iter(it) => return Ok(it.clone()),
            Value::DataCopy(_) => {
                return Err(EvalError::needs("iterating over a copy of the datastore"));
            }
            // `for var in d`: every variable name, as bake's `DataSmart.__iter__` lists them.
            Value::Datastore => {
                let names = self.ctx.key_names()?.into_iter().map(Value::Str).collect();
                Iter::Seq(Rc::new(Items(names)), 0)
            }
            other => {
                return Err(EvalError::type_err(format!(
                    "'{}' object is not iterable",
                    other.type_name()
                )));
            }
        };
        Ok(Rc::new(RefCell::new(it)))
    }

    /// Python `next()`: the next item, or `None` when exhausted.
    pub(crate) fn next(&self, it: &Rc<RefCell<Iter>>) -> Result<Option<Value>> {
        self.tick()?;
        let mut state = it
            .try_borrow_mut()
            .map_err(|_| EvalError::value_err("generator already executing"))?;
        let item = match &mut *state {
            Iter::Done => Ok(None),
            Iter::Seq(items, i) => {
                let v = items.get(*i).cloned();
                *i += 1;
                Ok(v)
            }
            Iter::List(items, i) => {
                let v = items.get().get(*i).cloned();
                *i += 1;
                Ok(v)
            }
            // CPython's `listreviter`: the index counts down and stops when it is out of range.
            Iter::ListRev(items, i) => {
                let snapshot = items.get();
                let v = i.checked_sub(1).and_then(|j| snapshot.get(j).cloned());
                *i = if v.is_some() { *i - 1 } else { 0 };
                Ok(v)
            }
            Iter::Keyed {
                src,
                pos,
                len,
                version,
            } => keyed_next(src, pos, *len, *version),
            Iter::Chars(s, i) => Ok(chars_next(s, i)),
            Iter::Range(next, stop, step) => Ok(range_next(next, *stop, *step)),
            Iter::Enumerate(inner, n) => self.enumerate_next(inner, n),
            Iter::Zip(iters) => self.row_next(iters).map(|row| row.map(Value::tuple)),
            Iter::Map(f, iters) => self.map_next(f, iters),
            Iter::Filter(f, inner) => self.filter_next(f, inner),
            Iter::Gen(g) => self.gen_next(g),
        };
        // An exhausted or failed iterator stays exhausted.
        if !matches!(item, Ok(Some(_))) {
            *state = Iter::Done;
        }
        item
    }

    fn enumerate_next(&self, inner: &Value, n: &mut i64) -> Result<Option<Value>> {
        let Value::Iter(inner) = inner else {
            return Ok(None);
        };
        let Some(v) = self.next(inner)? else {
            return Ok(None);
        };
        let i = *n;
        *n = n
            .checked_add(1)
            .ok_or_else(|| EvalError::needs("integer beyond 64 bits"))?;
        Ok(Some(Value::tuple(vec![Value::Int(i), v])))
    }

    /// One item from each iterator, or `None` when any is exhausted (or there are none).
    fn row_next(&self, iters: &[Value]) -> Result<Option<Vec<Value>>> {
        if iters.is_empty() {
            return Ok(None);
        }
        let mut row = Vec::with_capacity(iters.len());
        for inner in iters {
            let Value::Iter(inner) = inner else { continue };
            match self.next(inner)? {
                Some(v) => row.push(v),
                None => return Ok(None),
            }
        }
        Ok(Some(row))
    }

    fn map_next(&self, f: &Value, iters: &[Value]) -> Result<Option<Value>> {
        match self.row_next(iters)? {
            Some(row) => self.call(f, Args::positional(row)).map(Some),
            None => Ok(None),
        }
    }

    fn filter_next(&self, f: &Value, inner: &Value) -> Result<Option<Value>> {
        let Value::Iter(inner) = inner else {
            return Ok(None);
        };
        while let Some(v) = self.next(inner)? {
            let keep = match f {
                Value::None => v.truthy(),
                f => self.call(f, Args::positional(vec![v.clone()]))?.truthy(),
            };
            if keep {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    fn drain(&self, it: &Rc<RefCell<Iter>>) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        while let Some(v) = self.next(it)? {
            if out.len() >= MAX_ITEMS {
                return Err(too_many_items());
            }
            out.push(v);
        }
        Ok(out)
    }

    /// All items of an iterable, as `list(v)` would give them.
    pub(crate) fn collect(&self, v: &Value) -> Result<Vec<Value>> {
        match v {
            Value::List(items) | Value::Set(items, _) => Ok(items.get().to_vec()),
            Value::Tuple(items) => Ok(items.to_vec()),
            Value::Dict(d) | Value::View(ViewKind::Keys, d) => {
                Ok(d.get().entries.iter().map(|(k, _)| k.clone()).collect())
            }
            Value::Range(start, stop, step) => {
                let n = crate::value::range_len(*start, *stop, *step);
                if usize::try_from(n).map_or(true, |n| n > MAX_ITEMS) {
                    return Err(too_many_items());
                }
                self.drain(&self.iter_of(v)?)
            }
            _ => self.drain(&self.iter_of(v)?),
        }
    }
}

/// The next item of a live set or dict iterator, with CPython's errors when it changed size.
fn keyed_next(src: &KeyedSrc, pos: &mut usize, len: usize, version: u64) -> Result<Option<Value>> {
    let (now_len, now_version) = match src {
        KeyedSrc::Set(s) => (s.get().len(), s.version()),
        KeyedSrc::Dict(d, _) => (d.get().entries.len(), d.version()),
    };
    if now_len != len {
        return Err(EvalError::exc(
            "RuntimeError",
            match src {
                KeyedSrc::Set(_) => "Set changed size during iteration",
                KeyedSrc::Dict(..) => "dictionary changed size during iteration",
            },
        ));
    }
    if now_version != version {
        return Err(EvalError::needs(
            "a set or dict whose keys changed during iteration",
        ));
    }
    let i = *pos;
    *pos += 1;
    Ok(match src {
        KeyedSrc::Set(s) => s.get().get(i).cloned(),
        KeyedSrc::Dict(d, kind) => d.get().entries.get(i).map(|(k, v)| match kind {
            ViewKind::Keys => k.clone(),
            ViewKind::Values => v.clone(),
            ViewKind::Items => Value::tuple(vec![k.clone(), v.clone()]),
        }),
    })
}

#[cfg(test)]
pub(crate) mod tests;
