//! Python values as the evaluator sees them, and their value-level semantics: type names,
//! truthiness, `==`, ordering, hashability, `repr()` and `str()`.
//!
//! It must not evaluate syntax or call functions: anything that needs the interpreter (calling a
//! lambda, advancing a generator) lives in `eval.rs`. Tuples, strings and frozensets are
//! immutable and share their contents through `Rc`. Lists, dicts and sets are mutable with
//! Python's aliasing: every binding of one list is the same [`Shared`] cell, which readers see
//! through copy-on-write snapshots ([`Shared::get`]), so no borrow is ever held while the
//! interpreter runs. Containers release their contents iteratively ([`release`]), so dropping
//! a value nested a million levels deep does not overflow the stack.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{CompDef, FuncDef, LambdaDef, Params};
use crate::builtins::Builtin;
use crate::error::{EvalError, Result};

/// A Python value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    List(Rc<Shared<Items>>),
    Tuple(Rc<Items>),
    Dict(Rc<Shared<Dict>>),
    /// A set; `true` for a frozenset. Elements are unique and kept in insertion order.
    Set(Rc<Shared<Items>>, bool),
    /// `range(start, stop, step)`.
    Range(i64, i64, i64),
    /// `dict.keys()`, `.values()` or `.items()`: a live view of the dict.
    View(ViewKind, Rc<Shared<Dict>>),
    /// A lambda or a `def` function with the scope it was created in.
    Func(Rc<Closure>),
    /// A built-in function or type, or a supported module function.
    Builtin(Builtin),
    /// A method bound to its receiver, e.g. `'a b'.split`; the name is a known method.
    Method(Rc<Value>, &'static str),
    /// A method read from a type, e.g. `str.strip`; the receiver comes as first argument.
    TypeMethod(Builtin, &'static str),
    /// A module we model, by dotted name (`bb.utils`, `os.path`).
    Module(&'static str),
    /// The datastore `d`.
    Datastore,
    /// A copy of the datastore (`bb.data.createCopy(d)`), with its own writes.
    DataCopy(Rc<DataCopy>),
    /// A name or attribute that exists in real BitBake but that we do not model. It only
    /// lives long enough to be called or have an attribute read; any other use needs Python.
    Unknown(Rc<str>),
    /// An iterator (a generator, `map`, `zip`, ...).
    Iter(Rc<RefCell<Iter>>),
    /// An exception class: a Python builtin one or one of BitBake's (`bb.parse.SkipRecipe`).
    ExcType(&'static str),
    /// An exception instance.
    Exc(Rc<ExcValue>),
    /// A compiled regular expression (`re.Pattern`).
    Pattern(Rc<crate::re::Regex>),
    /// A regular expression match (`re.Match`).
    Match(Rc<crate::re::MatchData>),
    /// A flag of the `re` module (`re.RegexFlag`, an int subclass).
    ReFlag(i64),
    /// A `time.struct_time` (a tuple subclass with named fields).
    StructTime(Rc<crate::pytime::StructTime>),
    /// A BitBake event handed to a handler (`e`).
    Event(Rc<crate::event::Event>),
    /// A BitBake event class (`bb.event.RecipeParsed`), by its full dotted name.
    EventClass(&'static str),
    /// `d.getVar("BB_ORIGENV", False)`: the environment bake was started with.
    OrigEnv,
    /// An `oe.classextend.ClassExtender(extname, prefixes, d)`.
    ClassExtender(Rc<crate::filter::ClassExtender>),
    /// A `bb.fetch.URI`.
    Uri(Rc<crate::uri::Uri>),
}

/// A datastore made by `createCopy`: reads and writes go to its own context.
pub(crate) struct DataCopy(pub(crate) Box<dyn crate::Context>);

impl std::fmt::Debug for DataCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataCopy")
    }
}

/// An exception instance: its class and `str()`.
#[derive(Debug)]
pub(crate) struct ExcValue {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    /// `e.args`, when known (exceptions raised by Python code; not the ones of the evaluator).
    pub(crate) args: Option<Vec<Value>>,
}

/// The items of a list, tuple or set. Dropping it releases nested containers iteratively.
#[derive(Debug, Clone, Default)]
pub(crate) struct Items(pub(crate) Vec<Value>);

impl std::ops::Deref for Items {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl Drop for Items {
    fn drop(&mut self) {
        if !self.0.iter().all(Value::is_leaf) {
            release(std::mem::take(&mut self.0));
        }
    }
}

/// A mutable container: a cell holding a copy-on-write snapshot of the contents.
///
/// Readers take a snapshot ([`Shared::get`]) and never hold a borrow. Writers go through
/// [`Shared::modify`], whose closure must not read any other container (it only moves values),
/// so that no borrow conflict can arise.
#[derive(Debug)]
pub(crate) struct Shared<T> {
    cell: RefCell<Rc<T>>,
    /// Bumped by every change of the set of keys (not by a value update of a dict).
    version: Cell<u64>,
    /// Set on lists that BitBake shares with the datastore: changing them needs Python.
    external: Cell<bool>,
}

impl<T: Clone> Shared<T> {
    pub(crate) fn new(v: T) -> Rc<Self> {
        Rc::new(Self {
            cell: RefCell::new(Rc::new(v)),
            version: Cell::new(0),
            external: Cell::new(false),
        })
    }

    /// A snapshot of the contents, unaffected by later changes.
    pub(crate) fn get(&self) -> Rc<T> {
        self.cell.borrow().clone()
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.get()
    }

    pub(crate) fn is_external(&self) -> bool {
        self.external.get()
    }

    pub(crate) fn set_external(&self) {
        self.external.set(true);
    }

    /// Changes the contents in place (copying them first if a snapshot is alive).
    /// `structural` tells whether keys are added or removed. `f` must only move values.
    pub(crate) fn modify<R>(&self, structural: bool, f: impl FnOnce(&mut T) -> R) -> R {
        if structural {
            self.version.set(self.version.get().wrapping_add(1));
        }
        let mut cell = self.cell.borrow_mut();
        f(Rc::make_mut(&mut cell))
    }

    /// The contents, taken out of a cell no one else holds.
    fn into_inner(self) -> Rc<T> {
        self.cell.into_inner()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewKind {
    Keys,
    Values,
    Items,
}

/// An insertion-ordered dict with Python key equality.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict {
    pub(crate) entries: Vec<(Value, Value)>,
}

impl Drop for Dict {
    fn drop(&mut self) {
        if !self.entries.iter().all(|(k, v)| k.is_leaf() && v.is_leaf()) {
            let mut out = Vec::with_capacity(self.entries.len() * 2);
            for (k, v) in std::mem::take(&mut self.entries) {
                out.push(k);
                out.push(v);
            }
            release(out);
        }
    }
}

impl Dict {
    /// Looks a key up (keys must have been checked for hashability by the caller).
    pub(crate) fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| py_eq(k, key))
            .map(|(_, v)| v)
    }

    /// Inserts or replaces, keeping the first key's position, as Python does.
    pub(crate) fn insert(&mut self, key: Value, value: Value) -> Result<()> {
        check_hashable(&key)?;
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| py_eq(k, &key)) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
        Ok(())
    }

    /// The position of a key (keys must have been checked for hashability by the caller).
    pub(crate) fn position(&self, key: &Value) -> Option<usize> {
        self.entries.iter().position(|(k, _)| py_eq(k, key))
    }
}

/// The code of a function value.
#[derive(Debug, Clone)]
pub(crate) enum Code {
    Lambda(Arc<LambdaDef>),
    Def(Arc<FuncDef>),
}

/// A lambda or `def` function value.
#[derive(Debug)]
pub(crate) struct Closure {
    pub(crate) code: Code,
    /// Default values, evaluated when the function was created: positional then keyword-only.
    pub(crate) defaults: Vec<Option<Value>>,
    pub(crate) kw_defaults: Vec<Option<Value>>,
    pub(crate) scope: Option<Rc<Scope>>,
    /// The datastore function whose source defines this one (for a nested `def`); `None` for
    /// a function of the datastore itself.
    pub(crate) owner: Option<Arc<str>>,
}

impl Closure {
    pub(crate) fn params(&self) -> &Params {
        match &self.code {
            Code::Lambda(l) => &l.params,
            Code::Def(f) => &f.params,
        }
    }

    /// The function's `__name__`.
    pub(crate) fn name(&self) -> &str {
        match &self.code {
            Code::Lambda(_) => "<lambda>",
            Code::Def(f) => &f.name,
        }
    }
}

impl Drop for Closure {
    fn drop(&mut self) {
        let mut out: Vec<Value> = Vec::new();
        out.extend(std::mem::take(&mut self.defaults).into_iter().flatten());
        out.extend(std::mem::take(&mut self.kw_defaults).into_iter().flatten());
        release_with(out, self.scope.take());
    }
}

/// The local variables of a function call, a lambda call or a comprehension, chained to the
/// enclosing ones.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub(crate) vars: RefCell<Vec<(Arc<str>, Value)>>,
    pub(crate) parent: Option<Rc<Scope>>,
    /// The names a `def` body binds (its locals, known before it runs): reading one of them
    /// before it is bound is an `UnboundLocalError`, not a lookup in enclosing scopes.
    pub(crate) locals: Option<Arc<[Arc<str>]>>,
}

impl Drop for Scope {
    fn drop(&mut self) {
        let vars = std::mem::take(self.vars.get_mut());
        if vars.iter().all(|(_, v)| v.is_leaf()) && self.parent.is_none() {
            return;
        }
        release_with(
            vars.into_iter().map(|(_, v)| v).collect(),
            self.parent.take(),
        );
    }
}

/// The result of looking a name up in the scopes of a function.
pub(crate) enum Lookup {
    Found(Value),
    /// A local of a `def` body that is not bound yet.
    Unbound,
    NotLocal,
}

impl Scope {
    pub(crate) fn new(parent: Option<Rc<Scope>>) -> Rc<Self> {
        Rc::new(Self {
            vars: RefCell::new(Vec::new()),
            parent,
            locals: None,
        })
    }

    /// The scope of a `def` body, whose locals are `locals`.
    pub(crate) fn function(parent: Option<Rc<Scope>>, locals: Arc<[Arc<str>]>) -> Rc<Self> {
        Rc::new(Self {
            vars: RefCell::new(Vec::new()),
            parent,
            locals: Some(locals),
        })
    }

    /// Removes a binding; `false` when the name was not bound here.
    pub(crate) fn unset(&self, name: &str) -> bool {
        let removed = {
            let mut vars = self.vars.borrow_mut();
            vars.iter()
                .position(|(n, _)| &**n == name)
                .map(|i| vars.remove(i))
        };
        removed.is_some()
    }

    /// Whether this scope is, or is nested in, the scope of a `def` body (whose globals are
    /// the metadata's Python namespace, not the inline Python context).
    pub(crate) fn in_def(self: &Rc<Self>) -> bool {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if s.locals.is_some() {
                return true;
            }
            scope = s.parent.as_ref();
        }
        false
    }

    /// Looks a name up in this scope and its parents, stopping at a `def` local.
    pub(crate) fn resolve(self: &Rc<Self>, name: &str) -> Lookup {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some((_, v)) = s.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return Lookup::Found(v.clone());
            }
            if s.locals
                .as_ref()
                .is_some_and(|l| l.iter().any(|n| &**n == name))
            {
                return Lookup::Unbound;
            }
            scope = s.parent.as_ref();
        }
        Lookup::NotLocal
    }

    /// Binds or rebinds a local name.
    pub(crate) fn set(&self, name: &Arc<str>, value: Value) {
        let old = {
            let mut vars = self.vars.borrow_mut();
            if let Some(slot) = vars.iter_mut().find(|(n, _)| n == name) {
                Some(std::mem::replace(&mut slot.1, value))
            } else {
                vars.push((name.clone(), value));
                None
            }
        };
        // Dropped after the borrow ends: a drop may run arbitrary releases.
        drop(old);
    }
}

/// The state of an iterator.
#[derive(Debug)]
pub(crate) enum Iter {
    /// Over a snapshot of values (tuple, frozenset, `reversed()`).
    Seq(Rc<Items>, usize),
    /// Over a live list: each step reads the item at the index, as CPython's list iterator.
    List(Rc<Shared<Items>>, usize),
    /// Backwards over a live list (`reversed(list)`): the next index, counting down.
    ListRev(Rc<Shared<Items>>, usize),
    /// Over a live set or dict: the size (and key set) must not change while iterating.
    Keyed {
        src: KeyedSrc,
        pos: usize,
        len: usize,
        version: u64,
    },
    /// Over the characters of a string; the index is a byte offset.
    Chars(Arc<str>, usize),
    /// Over a range: next value, stop, step.
    Range(i64, i64, i64),
    /// `enumerate(iterator, start)`.
    Enumerate(Value, i64),
    /// `zip(iterators...)`.
    Zip(Vec<Value>),
    /// `map(function, iterators...)`.
    Map(Value, Vec<Value>),
    /// `filter(function or None, iterator)`.
    Filter(Value, Value),
    /// A generator expression.
    Gen(GenState),
    /// An exhausted iterator.
    Done,
}

/// What an [`Iter::Keyed`] walks.
#[derive(Debug)]
pub(crate) enum KeyedSrc {
    Set(Rc<Shared<Items>>),
    Dict(Rc<Shared<Dict>>, ViewKind),
}

impl Drop for Iter {
    fn drop(&mut self) {
        let mut out = Vec::new();
        let mut scope = None;
        match self {
            Iter::Enumerate(v, _) => out.push(std::mem::replace(v, Value::None)),
            Iter::Zip(vs) => out.append(vs),
            Iter::Map(f, vs) => {
                out.push(std::mem::replace(f, Value::None));
                out.append(vs);
            }
            Iter::Filter(f, v) => {
                out.push(std::mem::replace(f, Value::None));
                out.push(std::mem::replace(v, Value::None));
            }
            Iter::Gen(g) => {
                out.append(&mut g.iters);
                scope = Some(std::mem::replace(&mut g.scope, Rc::new(Scope::default())));
            }
            _ => return,
        }
        release_with(out, scope);
    }
}

/// A paused generator expression: one live iterator per active `for` clause.
#[derive(Debug)]
pub(crate) struct GenState {
    pub(crate) comp: Arc<CompDef>,
    pub(crate) scope: Rc<Scope>,
    pub(crate) iters: Vec<Value>,
}

/// `True` if the value is a str.
pub(crate) fn as_str(v: &Value) -> Option<&Arc<str>> {
    match v {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// An integer view of `int` and `bool` values (Python's `__index__`).
pub(crate) fn as_index(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::ReFlag(f) => Some(*f),
        _ => None,
    }
}

impl Value {
    pub(crate) fn str(s: impl Into<Arc<str>>) -> Self {
        Self::Str(s.into())
    }

    pub(crate) fn list(items: Vec<Value>) -> Self {
        Self::List(Shared::new(Items(items)))
    }

    pub(crate) fn tuple(items: Vec<Value>) -> Self {
        Self::Tuple(Rc::new(Items(items)))
    }

    pub(crate) fn set(items: Vec<Value>, frozen: bool) -> Self {
        Self::Set(Shared::new(Items(items)), frozen)
    }

    pub(crate) fn dict(d: Dict) -> Self {
        Self::Dict(Shared::new(d))
    }

    /// Whether the value holds no other values (dropping it cannot recurse).
    pub(crate) fn is_leaf(&self) -> bool {
        matches!(
            self,
            Self::None
                | Self::Bool(_)
                | Self::Int(_)
                | Self::Float(_)
                | Self::Str(_)
                | Self::Range(..)
                | Self::Builtin(_)
                | Self::TypeMethod(..)
                | Self::Module(_)
                | Self::Datastore
                | Self::Unknown(_)
                | Self::ExcType(_)
                | Self::Pattern(_)
                | Self::Match(_)
                | Self::ReFlag(_)
                | Self::StructTime(_)
        )
    }

    /// A `time.struct_time` as the plain tuple it extends (for the operations it inherits);
    /// any other value as it is.
    pub(crate) fn tuple_view(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            Self::StructTime(t) => std::borrow::Cow::Owned(t.as_tuple()),
            v => std::borrow::Cow::Borrowed(v),
        }
    }

    /// A snapshot of the items of a list or tuple.
    pub(crate) fn seq_items(&self) -> Option<Rc<Items>> {
        match self {
            Self::List(l) => Some(l.get()),
            Self::Tuple(t) => Some(t.clone()),
            _ => None,
        }
    }

    /// The name Python's `type(x).__name__` gives, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::None => "NoneType",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Float(_) => "float",
            Self::Str(_) => "str",
            Self::List(_) => "list",
            Self::Tuple(_) => "tuple",
            Self::Dict(_) => "dict",
            Self::Set(_, false) => "set",
            Self::Set(_, true) => "frozenset",
            Self::Range(..) => "range",
            Self::View(ViewKind::Keys, _) => "dict_keys",
            Self::View(ViewKind::Values, _) => "dict_values",
            Self::View(ViewKind::Items, _) => "dict_items",
            Self::Func(_) => "function",
            Self::Builtin(b) if b.is_type() => "type",
            Self::Builtin(b) if b.is_python_function() => "function",
            Self::Builtin(_) => "builtin_function_or_method",
            Self::Method(..) => "builtin_function_or_method",
            Self::TypeMethod(..) => "method_descriptor",
            Self::Module(_) => "module",
            Self::Datastore | Self::DataCopy(_) => "DataSmart",
            Self::Unknown(_) => "object",
            Self::ExcType(_) => "type",
            Self::Exc(e) => e.kind,
            Self::Pattern(_) => "re.Pattern",
            Self::Match(_) => "re.Match",
            Self::ReFlag(_) => "RegexFlag",
            Self::StructTime(_) => "time.struct_time",
            Self::Event(e) => crate::event::static_short(e.class()),
            Self::EventClass(_) => "type",
            Self::OrigEnv => "DataSmart",
            Self::ClassExtender(_) => "ClassExtender",
            Self::Uri(_) => "URI",
            Self::Iter(it) => match &*it.borrow() {
                Iter::Seq(..) | Iter::List(..) => "list_iterator",
                Iter::ListRev(..) => "list_reverseiterator",
                Iter::Keyed {
                    src: KeyedSrc::Set(_),
                    ..
                } => "set_iterator",
                Iter::Keyed {
                    src: KeyedSrc::Dict(_, ViewKind::Keys),
                    ..
                } => "dict_keyiterator",
                Iter::Keyed {
                    src: KeyedSrc::Dict(_, ViewKind::Values),
                    ..
                } => "dict_valueiterator",
                Iter::Keyed {
                    src: KeyedSrc::Dict(_, ViewKind::Items),
                    ..
                } => "dict_itemiterator",
                Iter::Chars(..) => "str_ascii_iterator",
                Iter::Range(..) => "range_iterator",
                Iter::Enumerate(..) => "enumerate",
                Iter::Zip(..) => "zip",
                Iter::Map(..) => "map",
                Iter::Filter(..) => "filter",
                Iter::Gen(..) | Iter::Done => "generator",
            },
        }
    }

    /// Python truthiness.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Self::None => false,
            Self::Bool(b) => *b,
            Self::Int(i) | Self::ReFlag(i) => *i != 0,
            Self::Float(f) => *f != 0.0,
            Self::Str(s) => !s.is_empty(),
            Self::List(v) | Self::Set(v, _) => !v.get().is_empty(),
            Self::Tuple(v) => !v.is_empty(),
            Self::Dict(d) | Self::View(_, d) => !d.get().entries.is_empty(),
            Self::Range(start, stop, step) => range_len(*start, *stop, *step) > 0,
            _ => true,
        }
    }
}

/// The number of items of `range(start, stop, step)` (step is never zero).
pub(crate) fn range_len(start: i64, stop: i64, step: i64) -> i64 {
    let (lo, hi, st) = if step > 0 {
        (i128::from(start), i128::from(stop), i128::from(step))
    } else {
        (i128::from(stop), i128::from(start), -i128::from(step))
    };
    if lo >= hi {
        return 0;
    }
    let n = (hi - lo - 1) / st + 1;
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Raises `TypeError: unhashable type` for values that cannot be dict keys or set members.
pub(crate) fn check_hashable(v: &Value) -> Result<()> {
    match v {
        Value::List(_) | Value::Dict(_) | Value::Set(_, false) | Value::View(..) => Err(
            EvalError::type_err(format!("unhashable type: '{}'", v.type_name())),
        ),
        Value::Tuple(items) => {
            if crate::stack::exhausted() {
                return Err(EvalError::needs("a tuple nested too deeply"));
            }
            items.iter().try_for_each(check_hashable)
        }
        _ => Ok(()),
    }
}

/// Compares an int with a float exactly, as Python does.
fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 as f64 is exact.
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO63 {
        return Some(Ordering::Less);
    }
    if f < -TWO63 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    // invariant: -2^63 <= t < 2^63, so the conversion is exact.
    let ti = t as i64;
    match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            if frac > 0.0 {
                Some(Ordering::Less)
            } else if frac < 0.0 {
                Some(Ordering::Greater)
            } else {
                Some(Ordering::Equal)
            }
        }
        o => Some(o),
    }
}

/// Numeric comparison of two numbers (bool, int, float), `None` for non-numbers or NaN.
pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<Option<Ordering>> {
    let ai = as_index(a);
    let bi = as_index(b);
    match (a, b) {
        _ if ai.is_some() && bi.is_some() => Some(ai.partial_cmp(&bi)),
        (Value::Float(x), Value::Float(y)) => Some(x.partial_cmp(y)),
        (Value::Float(x), _) if bi.is_some() => {
            Some(int_float_cmp(bi.unwrap_or(0), *x).map(Ordering::reverse))
        }
        (_, Value::Float(y)) if ai.is_some() => Some(int_float_cmp(ai.unwrap_or(0), *y)),
        _ => None,
    }
}

thread_local! {
    /// Set when a recursive comparison ran out of stack; see [`take_too_deep`].
    static TOO_DEEP: Cell<bool> = const { Cell::new(false) };
}

/// Whether a comparison since the last call gave up on a value nested too deeply (its `bool`
/// result is then meaningless, and the evaluation must not go on).
pub(crate) fn take_too_deep() -> bool {
    TOO_DEEP.with(|t| t.replace(false))
}

fn seq_eq(x: &[Value], y: &[Value]) -> bool {
    x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| py_eq(p, q))
}

/// Python `==`.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    if matches!(a, Value::StructTime(_)) || matches!(b, Value::StructTime(_)) {
        return py_eq(&a.tuple_view(), &b.tuple_view());
    }
    if let Some(o) = num_cmp(a, b) {
        return o == Some(Ordering::Equal);
    }
    if !a.is_leaf() && crate::stack::exhausted() {
        TOO_DEEP.with(|t| t.set(true));
        return false;
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y) || seq_eq(&x.get(), &y.get()),
        (Value::Tuple(x), Value::Tuple(y)) => seq_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => dict_eq(&x.get(), &y.get()),
        (Value::Set(x, _), Value::Set(y, _)) => {
            let (x, y) = (x.get(), y.get());
            x.len() == y.len() && x.iter().all(|e| y.iter().any(|f| py_eq(e, f)))
        }
        (Value::Range(..), Value::Range(..)) => range_items_eq(a, b),
        (Value::View(ViewKind::Keys, x), Value::View(ViewKind::Keys, y)) => {
            let (x, y) = (x.get(), y.get());
            x.entries.len() == y.entries.len() && x.entries.iter().all(|(k, _)| y.get(k).is_some())
        }
        (Value::View(ViewKind::Items, x), Value::View(ViewKind::Items, y)) => {
            dict_eq(&x.get(), &y.get())
        }
        (Value::View(ViewKind::Values, x), Value::View(ViewKind::Values, y)) => Rc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => x == y,
        (Value::Datastore, Value::Datastore) => true,
        (Value::DataCopy(x), Value::DataCopy(y)) => Rc::ptr_eq(x, y),
        (Value::Iter(x), Value::Iter(y)) => Rc::ptr_eq(x, y),
        (Value::Method(r1, n1), Value::Method(r2, n2)) => n1 == n2 && py_is(r1, r2),
        (Value::TypeMethod(t1, n1), Value::TypeMethod(t2, n2)) => t1 == t2 && n1 == n2,
        (Value::ExcType(x), Value::ExcType(y)) => x == y,
        (Value::Exc(x), Value::Exc(y)) => Rc::ptr_eq(x, y),
        (Value::Match(x), Value::Match(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn dict_eq(x: &Dict, y: &Dict) -> bool {
    x.entries.len() == y.entries.len()
        && x.entries
            .iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
}

fn range_items_eq(a: &Value, b: &Value) -> bool {
    let (Value::Range(s1, e1, st1), Value::Range(s2, e2, st2)) = (a, b) else {
        return false;
    };
    let (n1, n2) = (range_len(*s1, *e1, *st1), range_len(*s2, *e2, *st2));
    if n1 != n2 {
        return false;
    }
    n1 == 0 || (s1 == s2 && (n1 == 1 || st1 == st2))
}

/// Python `is` for the values where identity is well defined here.
pub(crate) fn py_is(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Set(x, _), Value::Set(y, _)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::ExcType(x), Value::ExcType(y)) => x == y,
        (Value::Exc(x), Value::Exc(y)) => Rc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Iter(x), Value::Iter(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => x == y,
        (Value::Datastore, Value::Datastore) => true,
        (Value::DataCopy(x), Value::DataCopy(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Python `a < b` style ordering between two values: `Ok(None)` when unordered (NaN),
/// `TypeError` when the types do not support `op`.
pub(crate) fn py_cmp(a: &Value, b: &Value, op: &str) -> Result<Option<Ordering>> {
    if matches!(a, Value::StructTime(_)) || matches!(b, Value::StructTime(_)) {
        return py_cmp(&a.tuple_view(), &b.tuple_view(), op);
    }
    if let Some(o) = num_cmp(a, b) {
        return Ok(o);
    }
    let seqs = match (a, b) {
        (Value::List(x), Value::List(y)) => Some((x.get(), y.get())),
        (Value::Tuple(x), Value::Tuple(y)) => Some((x.clone(), y.clone())),
        _ => None,
    };
    if seqs.is_some() && crate::stack::exhausted() {
        return Err(EvalError::needs("comparison of values nested too deeply"));
    }
    match (a, b, seqs) {
        (Value::Str(x), Value::Str(y), _) => Ok(Some(x.cmp(y))),
        (_, _, Some((x, y))) => {
            for (p, q) in x.iter().zip(y.iter()) {
                if !py_eq(p, q) {
                    return py_cmp(p, q, op);
                }
            }
            Ok(Some(x.len().cmp(&y.len())))
        }
        _ => Err(EvalError::type_err(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// Python `str()`.
pub(crate) fn py_str(v: &Value) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        Value::Exc(e) => Ok(e.message.clone()),
        _ => py_repr(v),
    }
}

/// The module-qualified name of an exception class, as its `repr()` shows it.
pub(crate) fn exc_qualname(kind: &str) -> String {
    match kind {
        "SkipRecipe" | "SkipPackage" | "ParseError" => format!("bb.parse.{kind}"),
        "BBHandledException" => format!("bb.{kind}"),
        "ExpansionError" => format!("bb.data_smart.{kind}"),
        _ => kind.to_owned(),
    }
}

/// Something whose drop is deferred by [`release`].
enum Garbage {
    Value(Value),
    Scope(Rc<Scope>),
}

/// Drops values without recursion: containers no one else holds are emptied onto a work list
/// first, so that a deeply nested value does not overflow the stack when dropped.
pub(crate) fn release(values: Vec<Value>) {
    release_with(values, None);
}

/// [`release`], plus a scope.
pub(crate) fn release_with(values: Vec<Value>, scope: Option<Rc<Scope>>) {
    let mut work: Vec<Garbage> = values.into_iter().map(Garbage::Value).collect();
    work.extend(scope.map(Garbage::Scope));
    while let Some(g) = work.pop() {
        let v = match g {
            Garbage::Value(v) => v,
            Garbage::Scope(s) => {
                if let Ok(mut s) = Rc::try_unwrap(s) {
                    let vars = std::mem::take(s.vars.get_mut());
                    work.extend(vars.into_iter().map(|(_, v)| Garbage::Value(v)));
                    work.extend(s.parent.take().map(Garbage::Scope));
                }
                continue;
            }
        };
        let take_items = |items: Rc<Items>, work: &mut Vec<Garbage>| {
            if let Ok(mut items) = Rc::try_unwrap(items) {
                work.extend(std::mem::take(&mut items.0).into_iter().map(Garbage::Value));
            }
        };
        match v {
            Value::List(l) | Value::Set(l, _) => {
                if let Ok(l) = Rc::try_unwrap(l) {
                    take_items(l.into_inner(), &mut work);
                }
            }
            Value::Tuple(t) => take_items(t, &mut work),
            Value::Dict(d) | Value::View(_, d) => {
                if let Ok(d) = Rc::try_unwrap(d)
                    && let Ok(mut d) = Rc::try_unwrap(d.into_inner())
                {
                    for (k, v) in std::mem::take(&mut d.entries) {
                        work.push(Garbage::Value(k));
                        work.push(Garbage::Value(v));
                    }
                }
            }
            Value::Func(f) => {
                if let Ok(mut f) = Rc::try_unwrap(f) {
                    let defaults = std::mem::take(&mut f.defaults);
                    let kw = std::mem::take(&mut f.kw_defaults);
                    work.extend(defaults.into_iter().flatten().map(Garbage::Value));
                    work.extend(kw.into_iter().flatten().map(Garbage::Value));
                    work.extend(f.scope.take().map(Garbage::Scope));
                }
            }
            Value::Method(recv, _) => {
                if let Ok(recv) = Rc::try_unwrap(recv) {
                    work.push(Garbage::Value(recv));
                }
            }
            Value::Iter(it) => {
                if let Ok(it) = Rc::try_unwrap(it) {
                    let mut it = it.into_inner();
                    let mut out = Vec::new();
                    match &mut it {
                        Iter::Enumerate(v, _) => out.push(std::mem::replace(v, Value::None)),
                        Iter::Zip(vs) => out.append(vs),
                        Iter::Map(f, vs) => {
                            out.push(std::mem::replace(f, Value::None));
                            out.append(vs);
                        }
                        Iter::Filter(f, v) => {
                            out.push(std::mem::replace(f, Value::None));
                            out.push(std::mem::replace(v, Value::None));
                        }
                        Iter::Gen(g) => {
                            out.append(&mut g.iters);
                            let scope = std::mem::replace(&mut g.scope, Rc::new(Scope::default()));
                            work.push(Garbage::Scope(scope));
                        }
                        Iter::Seq(items, _) => {
                            let items = std::mem::take(items);
                            take_items(items, &mut work);
                        }
                        Iter::List(l, _)
                        | Iter::ListRev(l, _)
                        | Iter::Keyed {
                            src: KeyedSrc::Set(l),
                            ..
                        } => {
                            let l = std::mem::replace(l, Shared::new(Items::default()));
                            out.push(Value::List(l));
                        }
                        Iter::Keyed {
                            src: KeyedSrc::Dict(d, _),
                            ..
                        } => {
                            let d = std::mem::replace(d, Shared::new(Dict::default()));
                            out.push(Value::Dict(d));
                        }
                        _ => {}
                    }
                    work.extend(out.into_iter().map(Garbage::Value));
                }
            }
            Value::Exc(e) => {
                if let Ok(mut e) = Rc::try_unwrap(e) {
                    work.extend(e.args.take().into_iter().flatten().map(Garbage::Value));
                }
            }
            _ => {}
        }
    }
}

/// Python `repr()`.
pub(crate) fn py_repr(v: &Value) -> Result<String> {
    let mut out = String::new();
    repr_into(v, &mut out, 0)?;
    Ok(out)
}

fn repr_seq(items: &[Value], out: &mut String, depth: usize) -> Result<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        repr_into(item, out, depth + 1)?;
    }
    Ok(())
}

fn repr_into(v: &Value, out: &mut String, depth: usize) -> Result<()> {
    if depth > 200 {
        return Err(EvalError::needs(
            "repr() of a value nested more than 200 levels deep",
        ));
    }
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Str(s) => str_repr(s, out)?,
        Value::List(items) => {
            out.push('[');
            repr_seq(&items.get(), out, depth)?;
            out.push(']');
        }
        Value::Tuple(items) => {
            out.push('(');
            repr_seq(items, out, depth)?;
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::Set(items, frozen) => {
            let items = items.get();
            if items.is_empty() {
                out.push_str(if *frozen { "frozenset()" } else { "set()" });
            } else {
                if *frozen {
                    out.push_str("frozenset(");
                }
                out.push('{');
                repr_seq(&items, out, depth)?;
                out.push('}');
                if *frozen {
                    out.push(')');
                }
            }
        }
        Value::Dict(d) => {
            let d = d.get();
            out.push('{');
            for (i, (k, val)) in d.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_into(k, out, depth + 1)?;
                out.push_str(": ");
                repr_into(val, out, depth + 1)?;
            }
            out.push('}');
        }
        Value::View(kind, d) => {
            let d = d.get();
            let (name, items): (&str, Vec<Value>) = match kind {
                ViewKind::Keys => (
                    "dict_keys",
                    d.entries.iter().map(|(k, _)| k.clone()).collect(),
                ),
                ViewKind::Values => (
                    "dict_values",
                    d.entries.iter().map(|(_, v)| v.clone()).collect(),
                ),
                ViewKind::Items => (
                    "dict_items",
                    d.entries
                        .iter()
                        .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
                        .collect(),
                ),
            };
            out.push_str(name);
            out.push_str("([");
            repr_seq(&items, out, depth)?;
            out.push_str("])");
        }
        Value::Range(start, stop, step) => {
            if *step == 1 {
                let _ = write!(out, "range({start}, {stop})");
            } else {
                let _ = write!(out, "range({start}, {stop}, {step})");
            }
        }
        Value::Builtin(b) if b.is_type() => {
            let _ = write!(out, "<class '{}'>", b.name());
        }
        Value::Builtin(b) if !b.is_python_function() => {
            let _ = write!(out, "<built-in function {}>", b.name());
        }
        Value::Unknown(path) => return Err(EvalError::needs(format!("use of `{path}`"))),
        Value::ExcType(kind) => {
            let _ = write!(out, "<class '{}'>", exc_qualname(kind));
        }
        Value::Pattern(re) => crate::re::pattern_repr(re, out)?,
        Value::Match(m) => crate::re::match_repr(m, out)?,
        Value::ReFlag(f) => crate::re::flag_repr(*f, out)?,
        Value::StructTime(t) => t.repr(out),
        Value::Exc(e) => match &e.args {
            Some(args) => {
                out.push_str(e.kind);
                out.push('(');
                repr_seq(args, out, depth)?;
                out.push(')');
            }
            None => return Err(EvalError::needs("repr() of a caught exception")),
        },
        other => {
            return Err(EvalError::needs(format!(
                "str() of a `{}` object (its text includes a memory address)",
                other.type_name()
            )));
        }
    }
    Ok(())
}

/// Python's `repr()` of a float (the shortest text that reads back the same value).
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    let decpt = exp + 1;
    let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            let zeros = "0".repeat(usize::try_from(-decpt).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        } else if decpt >= n {
            let zeros = "0".repeat(usize::try_from(decpt - n).unwrap_or(0));
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (a, b) = digits.split_at(usize::try_from(decpt).unwrap_or(0));
            format!("{sign}{a}.{b}")
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let e = decpt - 1;
        let esign = if e < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", e.abs())
    }
}

/// Python's `repr()` of a str (`bb_util::repr`), or NeedsPython naming the first
/// character whose printability the table does not know.
pub(crate) fn str_repr(s: &str, out: &mut String) -> Result<()> {
    match bb_util::try_py_repr(s) {
        Some(r) => {
            out.push_str(&r);
            Ok(())
        }
        None => {
            let c = s
                .chars()
                .find(|&c| bb_util::repr::printable(c).is_none())
                .map_or(0, u32::from);
            Err(EvalError::needs(format!(
                "repr() of the character U+{c:04X} (printability unknown)"
            )))
        }
    }
}

/// CPython's `hash()` of an int.
fn int_hash(i: i64) -> i64 {
    const MODULUS: i128 = (1 << 61) - 1;
    let h = i128::from(i).signum() * (i128::from(i).abs() % MODULUS);
    // invariant: |h| < 2^61, so it fits.
    let h = h as i64;
    if h == -1 { -2 } else { h }
}

/// A simulated CPython set table of int hashes: slot -> index into the hashes.
struct IntTable {
    slots: Vec<Option<usize>>,
}

impl IntTable {
    fn empty(size: usize) -> Self {
        Self {
            slots: vec![None; size],
        }
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The free slot for a new key: linear probes, then perturbed jumps (`set_insert_clean`
    /// and, without deleted entries, `set_add_entry`).
    fn free_slot(&self, hash: i64) -> usize {
        let mask = self.mask();
        // CPython works on the hash as an unsigned `size_t`.
        let mut perturb = hash as u64;
        let mut i = (hash as u64 as usize) & mask;
        loop {
            let probes = if i + 9 <= mask { 9 } else { 0 };
            for j in i..=i + probes {
                if self.slots.get(j).is_some_and(Option::is_none) {
                    return j;
                }
            }
            perturb >>= 5;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    fn insert(&mut self, hashes: &[i64], k: usize) {
        let slot = self.free_slot(hashes[k]);
        self.slots[slot] = Some(k);
    }

    /// The smallest table size CPython picks for `minused` entries.
    fn size_for(minused: usize) -> usize {
        let mut size = 8usize;
        while size <= minused {
            size <<= 1;
        }
        size
    }

    /// Adds keys one by one (`set.add`), growing like CPython.
    fn add_all(hashes: &[i64], order: impl IntoIterator<Item = usize>) -> Self {
        let mut t = Self::empty(8);
        for (n, k) in order.into_iter().enumerate() {
            t.insert(hashes, k);
            let fill = n + 1;
            if fill * 5 >= t.mask() * 3 {
                let size = Self::size_for(if fill > 50_000 { fill * 2 } else { fill * 4 });
                let old = std::mem::replace(&mut t, Self::empty(size));
                for e in old.slots.into_iter().flatten() {
                    t.insert(hashes, e);
                }
            }
        }
        t
    }

    /// Copies a set into an empty one (`set_merge` into an empty set, as `set(s)` and
    /// `SET_UPDATE` do).
    fn merged_into_empty(&self, hashes: &[i64]) -> Self {
        let used = self.order().count();
        if used * 5 < 7 * 3 {
            return Self {
                slots: self.slots.clone(),
            };
        }
        let mut t = Self::empty(Self::size_for(used * 2));
        if t.slots.len() == self.slots.len() {
            return Self {
                slots: self.slots.clone(),
            };
        }
        for k in self.order() {
            t.insert(hashes, k);
        }
        t
    }

    fn order(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().flatten().copied()
    }
}

/// CPython's `hash()` of a float (`_Py_HashDouble`); `None` for NaN, whose hash is its
/// object's address.
fn float_hash(v: f64) -> Option<i64> {
    const BITS: i32 = 61;
    const MODULUS: u64 = (1 << 61) - 1;
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        return Some(if v > 0.0 { 314_159 } else { -314_159 });
    }
    let (mut m, mut e) = frexp(v);
    let sign: i64 = if m < 0.0 {
        m = -m;
        -1
    } else {
        1
    };
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (BITS - 28));
        m *= 268_435_456.0;
        e -= 28;
        // invariant: 0 <= m < 2**28 here, so the truncation is exact.
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        e % BITS
    } else {
        BITS - 1 - ((-1 - e) % BITS)
    };
    let x = ((x << e) & MODULUS) | (x >> (BITS - e));
    // invariant: x < 2**61, so it fits.
    let h = x as i64 * sign;
    Some(if h == -1 { -2 } else { h })
}

/// C's `frexp`: `v == m * 2**e` with `0.5 <= |m| < 1` (`m == 0` for zero).
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::from_bits(0x4350_0000_0000_0000)); // 2**54
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (0x3fe << 52));
    (m, exp - 1022)
}

/// CPython's `hash()` of the values whose hash does not depend on the process (ints, bools,
/// floats other than NaN, tuples of those); `None` for the others (str and bytes hashes are
/// randomised per process, most objects hash by address).
fn stable_hash(v: &Value) -> Option<i64> {
    match v {
        Value::Int(_) | Value::Bool(_) => Some(int_hash(as_index(v).unwrap_or(0))),
        Value::Float(f) => float_hash(*f),
        Value::Tuple(items) => {
            // CPython 3.8+'s xxHash-based `tuplehash`.
            const P1: u64 = 11_400_714_785_074_694_791;
            const P2: u64 = 14_029_467_366_897_019_727;
            const P5: u64 = 2_870_177_450_012_600_261;
            let mut acc = P5;
            for item in items.iter() {
                let lane = stable_hash(item)? as u64;
                acc = acc.wrapping_add(lane.wrapping_mul(P2));
                acc = acc.rotate_left(31);
                acc = acc.wrapping_mul(P1);
            }
            acc = acc.wrapping_add((items.len() as u64) ^ (P5 ^ 3_527_539));
            let h = acc as i64;
            Some(if h == -1 { 1_546_275_796 } else { h })
        }
        _ => None,
    }
}

/// The hashes of a set's items when all have a [`stable_hash`].
fn int_hashes(items: &[Value]) -> Option<Vec<i64>> {
    if items.len() < 2 {
        return None;
    }
    items.iter().map(stable_hash).collect()
}

fn reorder(items: &[Value], order: impl Iterator<Item = usize>) -> Vec<Value> {
    order.filter_map(|k| items.get(k).cloned()).collect()
}

/// The iteration order of a set built by adding distinct `items` in order (displays,
/// comprehensions, `set(iterable)`), as CPython's hash table gives it for values with a
/// [`stable_hash`] (ints, floats, tuples of them). Sets of other values keep insertion order:
/// CPython's order for str is randomised per process (any order is one CPython can print).
pub(crate) fn set_order(items: Vec<Value>) -> Result<Vec<Value>> {
    Ok(match int_hashes(&items) {
        Some(h) => reorder(&items, IntTable::add_all(&h, 0..items.len()).order()),
        None => {
            check_unmixed(&items)?;
            items
        }
    })
}

/// A set that mixes values of stable hashes with values of per-process hashes (str, NaN,
/// None...) has an order that insertion order may not be (`{4, nan, 1717}` cannot print as
/// that in CPython: 4 and 1717 sit in adjacent slots), so it needs Python.
fn check_unmixed(items: &[Value]) -> Result<()> {
    let stable = items.iter().filter(|v| stable_hash(v).is_some()).count();
    if stable > 0 && stable < items.len() {
        return Err(EvalError::needs(
            "iteration order of a set mixing ints, floats or tuples with other values",
        ));
    }
    Ok(())
}

/// The order of a set computed by set algebra or copied from another set. We only model
/// CPython's table for the add path, so for ints the order is known only when every item
/// sits in its home slot of any table (0 <= i < 8, then it is ascending).
pub(crate) fn derived_set_order(items: Vec<Value>, what: &str) -> Result<Vec<Value>> {
    if int_hashes(&items).is_some()
        && items
            .iter()
            .any(|v| !(0..8).contains(&as_index(v).unwrap_or(-1)))
    {
        return Err(EvalError::needs(format!(
            "iteration order of an int set built by {what}"
        )));
    }
    set_order(items)
}

/// The iteration order of a set display of more than two constants: CPython compiles it to a
/// frozenset constant (built, then rebuilt by the compiler in its own order) that
/// `SET_UPDATE` copies into a new set.
pub(crate) fn const_display_order(items: Vec<Value>) -> Result<Vec<Value>> {
    let Some(h) = int_hashes(&items) else {
        check_unmixed(&items)?;
        return Ok(items);
    };
    let first: Vec<usize> = IntTable::add_all(&h, 0..items.len()).order().collect();
    let second = IntTable::add_all(&h, first);
    Ok(reorder(&items, second.merged_into_empty(&h).order()))
}

/// Python's `str.isspace()` for one character.
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}'
            | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}'
            | '\u{205f}' | '\u{3000}'
    )
}

/// Python's `str.split()` without a separator.
pub(crate) fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests;
