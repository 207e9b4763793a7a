//! Python operators on values: arithmetic, bitwise, comparison, membership, indexing and
//! slicing, with CPython's results and error messages.
//!
//! It must not call user functions; the only interpreter service it uses is advancing an
//! iterator for `in`. 64-bit integer overflow is reported as `NeedsPython`, never wrapped.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::ast::{BinOp, CmpOp, UnaryOp};
use crate::error::{EvalError, Result};
use crate::eval::{Interp, MAX_ITEMS};
use crate::format;
use crate::value::{
    Dict, Value, ViewKind, as_index, check_hashable, py_cmp, py_eq, py_is, range_len,
};

fn overflow() -> EvalError {
    EvalError::needs("integer result beyond 64 bits")
}

fn too_large() -> EvalError {
    EvalError::needs("result too large")
}

/// Whether a value is a number (bool, int or float).
pub(crate) fn is_number(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_))
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Removes duplicates (by Python equality), keeping the first; items must be hashable.
pub(crate) fn unique(items: Vec<Value>) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        check_hashable(&v)?;
        if !out.iter().any(|o| py_eq(o, &v)) {
            out.push(v);
        }
    }
    Ok(out)
}

fn set_items(v: &Value) -> Option<Rc<crate::value::Items>> {
    match v {
        Value::Set(items, _) => Some(items.get()),
        _ => None,
    }
}

fn unsupported(op: BinOp, a: &Value, b: &Value) -> EvalError {
    EvalError::type_err(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        op.symbol(),
        a.type_name(),
        b.type_name()
    ))
}

/// A unary operator.
pub(crate) fn unary(op: UnaryOp, v: &Value) -> Result<Value> {
    match (op, v) {
        (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
        (UnaryOp::Pos, Value::Float(f)) => Ok(Value::Float(*f)),
        (_, Value::Int(_) | Value::Bool(_)) => {
            let i = as_index(v).unwrap_or(0);
            match op {
                UnaryOp::Neg => i.checked_neg().map(Value::Int).ok_or_else(overflow),
                UnaryOp::Pos => Ok(Value::Int(i)),
                UnaryOp::Invert => Ok(Value::Int(!i)),
            }
        }
        _ => {
            let sym = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Pos => "+",
                UnaryOp::Invert => "~",
            };
            Err(EvalError::type_err(format!(
                "bad operand type for unary {sym}: '{}'",
                v.type_name()
            )))
        }
    }
}

fn repeat(items: &[Value], n: i64) -> Result<Vec<Value>> {
    let n = usize::try_from(n).unwrap_or(0);
    if items.is_empty() {
        // `[] * 10**18` is empty at once (not after 10**18 empty copies).
        return Ok(Vec::new());
    }
    let total = items.len().checked_mul(n).ok_or_else(too_large)?;
    if total > MAX_ITEMS {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(total);
    for _ in 0..n {
        out.extend_from_slice(items);
    }
    Ok(out)
}

fn repeat_str(s: &str, n: i64) -> Result<Value> {
    let n = usize::try_from(n).unwrap_or(0);
    let total = s.len().checked_mul(n).ok_or_else(too_large)?;
    if total > MAX_ITEMS * 4 {
        return Err(too_large());
    }
    Ok(Value::str(s.repeat(n)))
}

/// Python float floor division and modulo (CPython's `float_divmod`).
fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(x / y)
    };
    (floordiv, m)
}

fn int_floordiv(a: i64, b: i64) -> Result<i64> {
    if b == 0 {
        return Err(EvalError::exc(
            "ZeroDivisionError",
            "integer division or modulo by zero",
        ));
    }
    let q = a.checked_div(b).ok_or_else(overflow)?;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        Ok(q - 1)
    } else {
        Ok(q)
    }
}

fn int_mod(a: i64, b: i64) -> Result<i64> {
    if b == 0 {
        return Err(EvalError::exc(
            "ZeroDivisionError",
            "integer modulo by zero",
        ));
    }
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        Ok(r + b)
    } else {
        Ok(r)
    }
}

/// `2**53`: integers up to this size convert to float exactly.
const EXACT_F64: i64 = 1 << 53;

fn int_pow(a: i64, b: i64) -> Result<Value> {
    if b < 0 {
        if a == 0 {
            return Err(EvalError::exc(
                "ZeroDivisionError",
                "0.0 cannot be raised to a negative power",
            ));
        }
        return float_pow(a as f64, b as f64);
    }
    match a {
        0 | 1 => return Ok(Value::Int(if b == 0 { 1 } else { a })),
        -1 => return Ok(Value::Int(if b % 2 == 0 { 1 } else { -1 })),
        _ => {}
    }
    let e = u32::try_from(b).map_err(|_| overflow())?;
    a.checked_pow(e).map(Value::Int).ok_or_else(overflow)
}

fn float_pow(x: f64, y: f64) -> Result<Value> {
    if x == 0.0 && y < 0.0 {
        return Err(EvalError::exc(
            "ZeroDivisionError",
            "0.0 cannot be raised to a negative power",
        ));
    }
    if x < 0.0 && y.is_finite() && y.fract() != 0.0 {
        return Err(EvalError::needs("complex result of `**`"));
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(EvalError::exc(
            "OverflowError",
            "(34, 'Numerical result out of range')",
        ));
    }
    Ok(Value::Float(r))
}

fn set_op(op: BinOp, a: &[Value], b: &[Value], frozen: bool) -> Result<Value> {
    let inb = |v: &Value| b.iter().any(|w| py_eq(v, w));
    let ina = |v: &Value| a.iter().any(|w| py_eq(v, w));
    let items: Vec<Value> = match op {
        BinOp::BitAnd => a.iter().filter(|v| inb(v)).cloned().collect(),
        BinOp::BitOr => a
            .iter()
            .cloned()
            .chain(b.iter().filter(|v| !ina(v)).cloned())
            .collect(),
        BinOp::Sub => a.iter().filter(|v| !inb(v)).cloned().collect(),
        _ => a
            .iter()
            .filter(|v| !inb(v))
            .cloned()
            .chain(b.iter().filter(|v| !ina(v)).cloned())
            .collect(),
    };
    let what = format!("`{}`", op.symbol());
    Ok(Value::set(
        crate::value::derived_set_order(items, &what)?,
        frozen,
    ))
}

/// A binary operator.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    if matches!(a, Value::StructTime(_)) || matches!(b, Value::StructTime(_)) {
        return binary(op, &a.tuple_view(), &b.tuple_view());
    }
    // Flags of the `re` module combine into flags.
    if let (Value::ReFlag(x), Value::ReFlag(y)) = (a, b) {
        match op {
            BinOp::BitOr => return Ok(Value::ReFlag(x | y)),
            BinOp::BitAnd => return Ok(Value::ReFlag(x & y)),
            BinOp::BitXor => return Ok(Value::ReFlag(x ^ y)),
            _ => {}
        }
    }
    // Integers (bools count as ints).
    if let (Some(x), Some(y)) = (as_index(a), as_index(b)) {
        let bools = matches!((a, b), (Value::Bool(_), Value::Bool(_)));
        return match op {
            BinOp::Add => x.checked_add(y).map(Value::Int).ok_or_else(overflow),
            BinOp::Sub => x.checked_sub(y).map(Value::Int).ok_or_else(overflow),
            BinOp::Mul => x.checked_mul(y).map(Value::Int).ok_or_else(overflow),
            BinOp::Div => {
                if y == 0 {
                    return Err(EvalError::exc("ZeroDivisionError", "division by zero"));
                }
                if x.abs() > EXACT_F64 || y.abs() > EXACT_F64 {
                    return Err(EvalError::needs("true division of integers beyond 2**53"));
                }
                Ok(Value::Float(x as f64 / y as f64))
            }
            BinOp::FloorDiv => int_floordiv(x, y).map(Value::Int),
            BinOp::Mod => int_mod(x, y).map(Value::Int),
            BinOp::Pow => int_pow(x, y),
            BinOp::BitAnd if bools => Ok(Value::Bool(x & y != 0)),
            BinOp::BitOr if bools => Ok(Value::Bool(x | y != 0)),
            BinOp::BitXor if bools => Ok(Value::Bool(x ^ y != 0)),
            BinOp::BitAnd => Ok(Value::Int(x & y)),
            BinOp::BitOr => Ok(Value::Int(x | y)),
            BinOp::BitXor => Ok(Value::Int(x ^ y)),
            BinOp::LShift | BinOp::RShift if y < 0 => {
                Err(EvalError::value_err("negative shift count"))
            }
            BinOp::LShift => {
                if x == 0 {
                    return Ok(Value::Int(0));
                }
                let sh = u32::try_from(y).map_err(|_| overflow())?;
                let r = x.checked_shl(sh).ok_or_else(overflow)?;
                if r >> sh != x {
                    Err(overflow())
                } else {
                    Ok(Value::Int(r))
                }
            }
            BinOp::RShift => Ok(Value::Int(if y >= 64 {
                if x < 0 { -1 } else { 0 }
            } else {
                x >> y
            })),
            BinOp::MatMul => Err(unsupported(op, a, b)),
        };
    }
    // Floats mixed with numbers.
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return match op {
            BinOp::Add => Ok(Value::Float(x + y)),
            BinOp::Sub => Ok(Value::Float(x - y)),
            BinOp::Mul => Ok(Value::Float(x * y)),
            BinOp::Div => {
                if y == 0.0 {
                    return Err(EvalError::exc(
                        "ZeroDivisionError",
                        "float division by zero",
                    ));
                }
                Ok(Value::Float(x / y))
            }
            BinOp::FloorDiv => {
                if y == 0.0 {
                    return Err(EvalError::exc(
                        "ZeroDivisionError",
                        "float floor division by zero",
                    ));
                }
                Ok(Value::Float(float_divmod(x, y).0))
            }
            BinOp::Mod => {
                if y == 0.0 {
                    return Err(EvalError::exc("ZeroDivisionError", "float modulo"));
                }
                Ok(Value::Float(float_divmod(x, y).1))
            }
            BinOp::Pow => float_pow(x, y),
            _ => Err(unsupported(op, a, b)),
        };
    }
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => {
            if x.len() + y.len() > MAX_ITEMS * 4 {
                return Err(too_large());
            }
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Value::str(s))
        }
        (BinOp::Add, Value::List(x), Value::List(y)) => {
            let (x, y) = (x.get(), y.get());
            if x.len().saturating_add(y.len()) > MAX_ITEMS {
                return Err(too_large());
            }
            Ok(Value::list(x.iter().chain(y.iter()).cloned().collect()))
        }
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => {
            Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect()))
        }
        (BinOp::Add, Value::Str(_) | Value::List(_) | Value::Tuple(_), _) => {
            Err(EvalError::type_err(format!(
                "can only concatenate {} (not \"{}\") to {}",
                a.type_name(),
                b.type_name(),
                a.type_name()
            )))
        }
        (BinOp::Mul, Value::Str(s), n) | (BinOp::Mul, n, Value::Str(s))
            if as_index(n).is_some() =>
        {
            repeat_str(s, as_index(n).unwrap_or(0))
        }
        (BinOp::Mul, Value::List(v), n) | (BinOp::Mul, n, Value::List(v))
            if as_index(n).is_some() =>
        {
            Ok(Value::list(repeat(&v.get(), as_index(n).unwrap_or(0))?))
        }
        (BinOp::Mul, Value::Tuple(v), n) | (BinOp::Mul, n, Value::Tuple(v))
            if as_index(n).is_some() =>
        {
            Ok(Value::tuple(repeat(v, as_index(n).unwrap_or(0))?))
        }
        (BinOp::Mul, Value::Str(_) | Value::List(_) | Value::Tuple(_), other)
        | (BinOp::Mul, other, Value::Str(_) | Value::List(_) | Value::Tuple(_)) => {
            Err(EvalError::type_err(format!(
                "can't multiply sequence by non-int of type '{}'",
                other.type_name()
            )))
        }
        (BinOp::Mod, Value::Str(fmt), args) => format::percent(fmt, args).map(Value::str),
        (BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Sub, Value::Set(x, frozen), _)
            if set_items(b).is_some() =>
        {
            set_op(op, &x.get(), &set_items(b).unwrap_or_default(), *frozen)
        }
        (BinOp::BitOr, Value::Dict(x), Value::Dict(y)) => {
            let mut d: Dict = Dict::clone(&x.get());
            for (k, v) in &y.get().entries {
                d.insert(k.clone(), v.clone())?;
            }
            Ok(Value::dict(d))
        }
        (
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Sub,
            Value::View(ViewKind::Keys, x),
            _,
        ) => {
            let left: Vec<Value> = x.get().entries.iter().map(|(k, _)| k.clone()).collect();
            let right: Vec<Value> = match b {
                Value::Set(items, _) => items.get().to_vec(),
                Value::View(ViewKind::Keys, y) => {
                    y.get().entries.iter().map(|(k, _)| k.clone()).collect()
                }
                _ => {
                    return Err(EvalError::needs(
                        "set operation between dict keys and a non-set",
                    ));
                }
            };
            set_op(op, &left, &right, false)
        }
        _ => Err(unsupported(op, a, b)),
    }
}

/// One comparison of a chain.
pub(crate) fn compare(it: &Interp<'_>, op: CmpOp, a: &Value, b: &Value) -> Result<bool> {
    match op {
        CmpOp::Eq => Ok(py_eq(a, b)),
        CmpOp::Ne => Ok(!py_eq(a, b)),
        CmpOp::In => contains(it, b, a),
        CmpOp::NotIn => contains(it, b, a).map(|r| !r),
        CmpOp::Is | CmpOp::IsNot => {
            let defined = matches!(a, Value::None | Value::Bool(_))
                || matches!(b, Value::None | Value::Bool(_))
                || a.type_name() != b.type_name()
                || matches!(
                    a,
                    Value::List(_)
                        | Value::Dict(_)
                        | Value::Set(_, false)
                        | Value::Datastore
                        | Value::DataCopy(_)
                        | Value::Module(_)
                        | Value::ExcType(_)
                        | Value::Exc(_)
                )
                || matches!(a, Value::Builtin(t) if t.is_type());
            if !defined {
                return Err(EvalError::needs(format!(
                    "`is` between two `{}` values (identity is an implementation detail)",
                    a.type_name()
                )));
            }
            let same = py_is(a, b);
            Ok(if op == CmpOp::Is { same } else { !same })
        }
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            if let (Value::Set(x, _), Value::Set(y, _)) = (a, b) {
                let (x, y) = (&x.get(), &y.get());
                let sub =
                    |p: &[Value], q: &[Value]| p.iter().all(|v| q.iter().any(|w| py_eq(v, w)));
                return Ok(match op {
                    CmpOp::Lt => x.len() < y.len() && sub(x, y),
                    CmpOp::Le => sub(x, y),
                    CmpOp::Gt => x.len() > y.len() && sub(y, x),
                    _ => sub(y, x),
                });
            }
            let ord = py_cmp(a, b, op.symbol())?;
            Ok(match (op, ord) {
                (_, None) => false,
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            })
        }
    }
}

/// Python `item in container`.
pub(crate) fn contains(it: &Interp<'_>, container: &Value, item: &Value) -> Result<bool> {
    if let Value::StructTime(t) = container {
        return contains(it, &t.as_tuple(), item);
    }
    match container {
        Value::Str(s) => match item {
            Value::Str(sub) => Ok(s.contains(&**sub)),
            other => Err(EvalError::type_err(format!(
                "'in <string>' requires string as left operand, not {}",
                other.type_name()
            ))),
        },
        Value::List(items) => Ok(items.get().iter().any(|v| py_eq(v, item))),
        Value::Tuple(items) => Ok(items.iter().any(|v| py_eq(v, item))),
        Value::Set(items, _) => {
            check_hashable(item)?;
            Ok(items.get().iter().any(|v| py_eq(v, item)))
        }
        Value::Dict(d) | Value::View(ViewKind::Keys, d) => {
            check_hashable(item)?;
            Ok(d.get().get(item).is_some())
        }
        Value::View(ViewKind::Values, d) => Ok(d.get().entries.iter().any(|(_, v)| py_eq(v, item))),
        Value::View(ViewKind::Items, d) => Ok(match item {
            Value::Tuple(kv) if kv.len() == 2 => {
                check_hashable(&kv[0]).is_ok()
                    && d.get().get(&kv[0]).is_some_and(|v| py_eq(v, &kv[1]))
            }
            _ => false,
        }),
        Value::Range(start, stop, step) => match as_index(item) {
            Some(i) => {
                let in_bounds = if *step > 0 {
                    *start <= i && i < *stop
                } else {
                    *stop < i && i <= *start
                };
                Ok(in_bounds && (i128::from(i) - i128::from(*start)) % i128::from(*step) == 0)
            }
            None => {
                let src = it.iter_of(container)?;
                while let Some(v) = it.next(&src)? {
                    if py_eq(&v, item) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        },
        Value::Iter(src) => {
            while let Some(v) = it.next(src)? {
                if py_eq(&v, item) {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::DataCopy(_) => Err(EvalError::needs("`in` on a copy of the datastore")),
        // DataSmart is a mapping whose `__getitem__` is `getVar(key, False)`.
        Value::Datastore => match item {
            Value::Str(name) => Ok(it.ctx.internal_list(name, None).is_some()
                || it.ctx.get_var(name, false)?.is_some()),
            _ => Err(EvalError::needs(
                "`in` on the datastore with a non-string key",
            )),
        },
        other => Err(EvalError::type_err(format!(
            "argument of type '{}' is not iterable",
            other.type_name()
        ))),
    }
}

/// Resolves a possibly negative index into `0..len`.
pub(crate) fn norm_index(i: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let i = if i < 0 { i.checked_add(len)? } else { i };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

/// Python `obj[index]` (not a slice).
pub(crate) fn getitem(it: &Interp<'_>, obj: &Value, index: &Value) -> Result<Value> {
    if let Value::StructTime(t) = obj {
        return getitem(it, &t.as_tuple(), index);
    }
    match obj {
        Value::List(_) | Value::Tuple(_) => {
            let items = obj.seq_items().unwrap_or_default();
            let kind = obj.type_name();
            let Some(i) = as_index(index) else {
                return Err(EvalError::type_err(format!(
                    "{kind} indices must be integers or slices, not {}",
                    index.type_name()
                )));
            };
            norm_index(i, items.len())
                .and_then(|i| items.get(i).cloned())
                .ok_or_else(|| EvalError::exc("IndexError", format!("{kind} index out of range")))
        }
        Value::Str(s) => {
            let Some(i) = as_index(index) else {
                return Err(EvalError::type_err(format!(
                    "string indices must be integers, not '{}'",
                    index.type_name()
                )));
            };
            let c = if s.is_ascii() {
                norm_index(i, s.len())
                    .and_then(|i| s.get(i..=i))
                    .map(str::to_owned)
            } else {
                let n = s.chars().count();
                norm_index(i, n)
                    .and_then(|i| s.chars().nth(i))
                    .map(|c| c.to_string())
            };
            c.map(Value::str)
                .ok_or_else(|| EvalError::exc("IndexError", "string index out of range"))
        }
        Value::Dict(d) => {
            check_hashable(index)?;
            match d.get().get(index) {
                Some(v) => Ok(v.clone()),
                None => Err(EvalError::exc("KeyError", crate::value::py_repr(index)?)),
            }
        }
        Value::Range(start, stop, step) => {
            let Some(i) = as_index(index) else {
                return Err(EvalError::type_err(format!(
                    "range indices must be integers or slices, not {}",
                    index.type_name()
                )));
            };
            let n = range_len(*start, *stop, *step);
            let i = if i < 0 { i + n } else { i };
            if !(0..n).contains(&i) {
                return Err(EvalError::exc(
                    "IndexError",
                    "range object index out of range",
                ));
            }
            let v = i128::from(*start) + i128::from(i) * i128::from(*step);
            i64::try_from(v).map(Value::Int).map_err(|_| overflow())
        }
        Value::DataCopy(_) => Err(EvalError::needs("a subscript of a copy of the datastore")),
        Value::Datastore => match index {
            Value::Str(name) => match it.ctx.get_var(name, false)? {
                Some(v) => Ok(Value::str(v)),
                None => Err(EvalError::exc("KeyError", crate::value::py_repr(index)?)),
            },
            _ => Err(EvalError::needs(
                "datastore subscript with a non-string key",
            )),
        },
        Value::Match(m) => crate::re::match_item(m, index),
        Value::Builtin(b) if b.is_type() => Err(EvalError::needs("generic type alias")),
        other => Err(EvalError::type_err(format!(
            "'{}' object is not subscriptable",
            other.type_name()
        ))),
    }
}

fn slice_index(v: &Value) -> Result<Option<i64>> {
    match v {
        Value::None => Ok(None),
        v => as_index(v).map(Some).ok_or_else(|| {
            EvalError::type_err(
                "slice indices must be integers or None or have an __index__ method",
            )
        }),
    }
}

/// The adjusted `(start, stop, step)` of a slice over `len` items (CPython's
/// `PySlice_AdjustIndices`).
fn slice_bounds(
    len: usize,
    lower: &Value,
    upper: &Value,
    step: &Value,
) -> Result<(i128, i128, i128)> {
    let step = slice_index(step)?.unwrap_or(1);
    if step == 0 {
        return Err(EvalError::value_err("slice step cannot be zero"));
    }
    let len = i128::try_from(len).unwrap_or(i128::MAX);
    let step = i128::from(step);
    let adjust = |v: Option<i64>, default: i128| -> i128 {
        match v {
            None => default,
            Some(i) => {
                let mut i = i128::from(i);
                if i < 0 {
                    i += len;
                    if i < 0 {
                        i = if step < 0 { -1 } else { 0 };
                    }
                } else if i >= len {
                    i = if step < 0 { len - 1 } else { len };
                }
                i
            }
        }
    };
    let start = adjust(slice_index(lower)?, if step < 0 { len - 1 } else { 0 });
    let stop = adjust(slice_index(upper)?, if step < 0 { -1 } else { len });
    Ok((start, stop, step))
}

/// The indices a slice selects from a sequence of `len` items.
fn slice_indices(len: usize, lower: &Value, upper: &Value, step: &Value) -> Result<Vec<usize>> {
    let (start, stop, step) = slice_bounds(len, lower, upper, step)?;
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        if let Ok(u) = usize::try_from(i) {
            out.push(u);
        }
        i += step;
    }
    Ok(out)
}

/// Python `obj[lower:upper:step]`.
pub(crate) fn slice(obj: &Value, lower: &Value, upper: &Value, step: &Value) -> Result<Value> {
    if let Value::StructTime(t) = obj {
        return slice(&t.as_tuple(), lower, upper, step);
    }
    match obj {
        Value::List(_) | Value::Tuple(_) => {
            let items = obj.seq_items().unwrap_or_default();
            let idx = slice_indices(items.len(), lower, upper, step)?;
            let out: Vec<Value> = idx.iter().filter_map(|i| items.get(*i).cloned()).collect();
            Ok(if matches!(obj, Value::List(_)) {
                Value::list(out)
            } else {
                Value::tuple(out)
            })
        }
        Value::Str(s) => {
            if s.is_ascii() {
                let b = s.as_bytes();
                let idx = slice_indices(b.len(), lower, upper, step)?;
                let out: String = idx
                    .iter()
                    .filter_map(|i| b.get(*i).map(|c| char::from(*c)))
                    .collect();
                return Ok(Value::str(out));
            }
            let chars: Vec<char> = s.chars().collect();
            let idx = slice_indices(chars.len(), lower, upper, step)?;
            Ok(Value::str(
                idx.iter().filter_map(|i| chars.get(*i)).collect::<String>(),
            ))
        }
        Value::Range(start, stop, st) => {
            let n = usize::try_from(range_len(*start, *stop, *st)).unwrap_or(usize::MAX);
            let (lo, hi, sl) = slice_bounds(n, lower, upper, step)?;
            let at = |i: i128| i128::from(*start) + i * i128::from(*st);
            let conv = |v: i128| i64::try_from(v).map_err(|_| overflow());
            Ok(Value::Range(
                conv(at(lo))?,
                conv(at(hi))?,
                conv(sl * i128::from(*st))?,
            ))
        }
        Value::Dict(_) => Err(EvalError::type_err("unhashable type: 'slice'")),
        other => Err(EvalError::type_err(format!(
            "'{}' object is not subscriptable",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests;
