//! Python values as the evaluator sees them, and their value-level semantics: type names,
//! truthiness, `==`, ordering, hashability, `repr()` and `str()`.
//!
//! It must not evaluate syntax or call functions: anything that needs the interpreter (calling a
//! lambda, advancing a generator) lives in `eval.rs`. Values are immutable once built, so
//! containers share their contents through `Rc`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{CompDef, LambdaDef};
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
    List(Rc<Vec<Value>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<Dict>),
    /// A set; `true` for a frozenset. Elements are unique and kept in insertion order.
    Set(Rc<Vec<Value>>, bool),
    /// `range(start, stop, step)`.
    Range(i64, i64, i64),
    /// `dict.keys()`, `.values()` or `.items()`.
    View(ViewKind, Rc<Dict>),
    /// A lambda with the scope it was created in.
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
    /// A name or attribute that exists in real BitBake but that we do not model. It only
    /// lives long enough to be called or have an attribute read; any other use needs Python.
    Unknown(Rc<str>),
    /// An iterator (a generator, `map`, `zip`, ...).
    Iter(Rc<RefCell<Iter>>),
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
}

/// A lambda value.
#[derive(Debug)]
pub(crate) struct Closure {
    pub(crate) def: Arc<LambdaDef>,
    /// Default values, evaluated when the lambda was created: positional then keyword-only.
    pub(crate) defaults: Vec<Option<Value>>,
    pub(crate) kw_defaults: Vec<Option<Value>>,
    pub(crate) scope: Option<Rc<Scope>>,
}

/// The local variables of a lambda call or a comprehension, chained to the enclosing ones.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub(crate) vars: RefCell<Vec<(Arc<str>, Value)>>,
    pub(crate) parent: Option<Rc<Scope>>,
}

impl Scope {
    pub(crate) fn new(parent: Option<Rc<Scope>>) -> Rc<Self> {
        Rc::new(Self {
            vars: RefCell::new(Vec::new()),
            parent,
        })
    }

    /// Binds or rebinds a local name.
    pub(crate) fn set(&self, name: &Arc<str>, value: Value) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            vars.push((name.clone(), value));
        }
    }

    /// Looks a name up in this scope and its parents.
    pub(crate) fn lookup(self: &Rc<Self>, name: &str) -> Option<Value> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some((_, v)) = s.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return Some(v.clone());
            }
            scope = s.parent.as_ref();
        }
        None
    }
}

/// The state of an iterator.
#[derive(Debug)]
pub(crate) enum Iter {
    /// Over a shared sequence of values (list, tuple, set, dict keys).
    Seq(Rc<Vec<Value>>, usize),
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
        _ => None,
    }
}

impl Value {
    pub(crate) fn str(s: impl Into<Arc<str>>) -> Self {
        Self::Str(s.into())
    }

    pub(crate) fn list(items: Vec<Value>) -> Self {
        Self::List(Rc::new(items))
    }

    pub(crate) fn tuple(items: Vec<Value>) -> Self {
        Self::Tuple(Rc::new(items))
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
            Self::Datastore => "DataSmart",
            Self::Unknown(_) => "object",
            Self::Iter(it) => match &*it.borrow() {
                Iter::Seq(..) => "list_iterator",
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
            Self::Int(i) => *i != 0,
            Self::Float(f) => *f != 0.0,
            Self::Str(s) => !s.is_empty(),
            Self::List(v) | Self::Tuple(v) | Self::Set(v, _) => !v.is_empty(),
            Self::Dict(d) | Self::View(_, d) => !d.entries.is_empty(),
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
        Value::Tuple(items) => items.iter().try_for_each(check_hashable),
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

/// Python `==`.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    if let Some(o) = num_cmp(a, b) {
        return o == Some(Ordering::Equal);
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| py_eq(p, q))
        }
        (Value::Dict(x), Value::Dict(y)) => dict_eq(x, y),
        (Value::Set(x, _), Value::Set(y, _)) => {
            x.len() == y.len() && x.iter().all(|e| y.iter().any(|f| py_eq(e, f)))
        }
        (Value::Range(..), Value::Range(..)) => range_items_eq(a, b),
        (Value::View(ViewKind::Keys, x), Value::View(ViewKind::Keys, y)) => {
            x.entries.len() == y.entries.len() && x.entries.iter().all(|(k, _)| y.get(k).is_some())
        }
        (Value::View(ViewKind::Items, x), Value::View(ViewKind::Items, y)) => dict_eq(x, y),
        (Value::View(ViewKind::Values, x), Value::View(ViewKind::Values, y)) => Rc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => x == y,
        (Value::Datastore, Value::Datastore) => true,
        (Value::Iter(x), Value::Iter(y)) => Rc::ptr_eq(x, y),
        (Value::Method(r1, n1), Value::Method(r2, n2)) => n1 == n2 && py_is(r1, r2),
        (Value::TypeMethod(t1, n1), Value::TypeMethod(t2, n2)) => t1 == t2 && n1 == n2,
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
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Set(x, _), Value::Set(y, _)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Iter(x), Value::Iter(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Module(x), Value::Module(y)) => x == y,
        (Value::Datastore, Value::Datastore) => true,
        _ => false,
    }
}

/// Python `a < b` style ordering between two values: `Ok(None)` when unordered (NaN),
/// `TypeError` when the types do not support `op`.
pub(crate) fn py_cmp(a: &Value, b: &Value, op: &str) -> Result<Option<Ordering>> {
    if let Some(o) = num_cmp(a, b) {
        return Ok(o);
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.cmp(y))),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
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
        _ => py_repr(v),
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
        return Err(EvalError::exc(
            "RecursionError",
            "maximum recursion depth exceeded while getting the repr of an object",
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
            repr_seq(items, out, depth)?;
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
            if items.is_empty() {
                out.push_str(if *frozen { "frozenset()" } else { "set()" });
            } else {
                if *frozen {
                    out.push_str("frozenset(");
                }
                out.push('{');
                repr_seq(items, out, depth)?;
                out.push('}');
                if *frozen {
                    out.push(')');
                }
            }
        }
        Value::Dict(d) => {
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

/// Whether CPython's `str.isprintable()` holds for a character, or `None` when we cannot tell
/// without Unicode tables.
fn printable(c: char) -> Option<bool> {
    let u = u32::from(c);
    if u < 0x20 || u == 0x7f {
        return Some(false);
    }
    if u < 0x7f {
        return Some(true);
    }
    if (0x80..=0xa0).contains(&u) || u == 0xad {
        return Some(false);
    }
    const KNOWN: &[(u32, u32)] = &[
        (0xa1, 0x377),      // Latin-1 supplement to Greek
        (0x384, 0x38a),     // Greek
        (0x38e, 0x3a1),     // Greek
        (0x3a3, 0x52f),     // Greek, Cyrillic
        (0x2010, 0x2027),   // general punctuation
        (0x2030, 0x205e),   // general punctuation
        (0x20a0, 0x20c0),   // currency symbols
        (0x2100, 0x218b),   // letterlike symbols, number forms
        (0x2190, 0x2426),   // arrows, mathematical operators, technical
        (0x2500, 0x2b73),   // box drawing to miscellaneous symbols and arrows
        (0x3001, 0x303f),   // CJK punctuation
        (0x3041, 0x3096),   // Hiragana
        (0x30a1, 0x30ff),   // Katakana
        (0x4e00, 0x9fff),   // CJK unified ideographs
        (0xac00, 0xd7a3),   // Hangul syllables
        (0x1f300, 0x1f64f), // pictographs, emoticons
    ];
    if KNOWN.iter().any(|(lo, hi)| (*lo..=*hi).contains(&u)) {
        return Some(true);
    }
    if matches!(u, 0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff)
        || (0xe000..=0xf8ff).contains(&u)
        || (0xfdd0..=0xfdef).contains(&u)
        || u & 0xfffe == 0xfffe
    {
        return Some(false);
    }
    None
}

/// Python's `repr()` of a str.
pub(crate) fn str_repr(s: &str, out: &mut String) -> Result<()> {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => match printable(c) {
                Some(true) => out.push(c),
                Some(false) => {
                    let u = u32::from(c);
                    let _ = if u <= 0xff {
                        write!(out, "\\x{u:02x}")
                    } else if u <= 0xffff {
                        write!(out, "\\u{u:04x}")
                    } else {
                        write!(out, "\\U{u:08x}")
                    };
                }
                None => {
                    return Err(EvalError::needs(format!(
                        "repr() of the character U+{:04X} (printability unknown)",
                        u32::from(c)
                    )));
                }
            },
        }
    }
    out.push(quote);
    Ok(())
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

/// The hashes of a set's items when all are ints (the only hashes we model).
fn int_hashes(items: &[Value]) -> Option<Vec<i64>> {
    if items.len() < 2 {
        return None;
    }
    items
        .iter()
        .map(|v| {
            matches!(v, Value::Int(_) | Value::Bool(_)).then(|| int_hash(as_index(v).unwrap_or(0)))
        })
        .collect()
}

fn reorder(items: &[Value], order: impl Iterator<Item = usize>) -> Vec<Value> {
    order.filter_map(|k| items.get(k).cloned()).collect()
}

/// The iteration order of a set built by adding distinct `items` in order (displays,
/// comprehensions, `set(iterable)`), as CPython's hash table gives it for ints. Sets of other
/// values keep insertion order: CPython's order for str is randomised per process, and we do
/// not model the hashes of other types.
pub(crate) fn set_order(items: Vec<Value>) -> Vec<Value> {
    match int_hashes(&items) {
        Some(h) => reorder(&items, IntTable::add_all(&h, 0..items.len()).order()),
        None => items,
    }
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
    Ok(set_order(items))
}

/// The iteration order of a set display of more than two constants: CPython compiles it to a
/// frozenset constant (built, then rebuilt by the compiler in its own order) that
/// `SET_UPDATE` copies into a new set.
pub(crate) fn const_display_order(items: Vec<Value>) -> Vec<Value> {
    let Some(h) = int_hashes(&items) else {
        return items;
    };
    let first: Vec<usize> = IntTable::add_all(&h, 0..items.len()).order().collect();
    let second = IntTable::add_all(&h, first);
    reorder(&items, second.merged_into_empty(&h).order())
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
