//! Changes to lists, dicts and sets: item assignment and deletion, the mutating methods
//! (`list.append`, `dict.update`, `set.add`...) and the in-place operators (`+=`, `|=`...).
//!
//! Every change goes through [`Shared::modify`] with a closure that only moves values; all
//! comparisons and calls happen before it, so no borrow conflict can arise. Two rules keep the
//! value model sound: a container may not come to contain itself (its `repr`, `==` and drop
//! would recurse forever), and a list that BitBake shares with the datastore (an internal list
//! such as `__BBTASKS`) may not be changed here; both need real Python.

use std::rc::Rc;

use crate::builtins;
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::ops;
use crate::value::{Dict, Items, Shared, Value, as_index, check_hashable, py_eq, py_repr};

/// Most values the self-containment check visits before giving up.
const MAX_WALK: usize = 1 << 20;

fn shared_list(l: &Shared<Items>) -> Result<()> {
    if l.is_external() {
        return Err(EvalError::needs(
            "changing a list that BitBake shares with the datastore",
        ));
    }
    Ok(())
}

/// The address of a mutable container, for identity checks.
fn container_ptr(v: &Value) -> Option<*const ()> {
    match v {
        Value::List(l) | Value::Set(l, _) => Some(Rc::as_ptr(l).cast()),
        Value::Dict(d) => Some(Rc::as_ptr(d).cast()),
        _ => None,
    }
}

/// Fails when storing `value` into `container` would make the container contain itself.
pub(crate) fn no_cycle(container: &Value, value: &Value) -> Result<()> {
    let Some(target) = container_ptr(container) else {
        return Ok(());
    };
    if value.is_leaf() {
        return Ok(());
    }
    let mut work = vec![value.clone()];
    let mut seen = 0usize;
    while let Some(v) = work.pop() {
        seen += 1;
        if seen > MAX_WALK {
            return Err(EvalError::needs(
                "a container too large to check for self-reference",
            ));
        }
        if container_ptr(&v) == Some(target) {
            return Err(EvalError::needs("a container that contains itself"));
        }
        match &v {
            Value::List(l) | Value::Set(l, _) => {
                work.extend(l.get().iter().filter(|v| !v.is_leaf()).cloned());
            }
            Value::Tuple(t) => work.extend(t.iter().filter(|v| !v.is_leaf()).cloned()),
            Value::Dict(d) | Value::View(_, d) => {
                for (k, v) in &d.get().entries {
                    if !k.is_leaf() {
                        work.push(k.clone());
                    }
                    if !v.is_leaf() {
                        work.push(v.clone());
                    }
                }
            }
            Value::Method(recv, _) => work.push((**recv).clone()),
            _ => {}
        }
    }
    Ok(())
}

fn list_index(kind: &str, index: &Value, len: usize, what: &str) -> Result<usize> {
    let Some(i) = as_index(index) else {
        return Err(EvalError::type_err(format!(
            "{kind} indices must be integers or slices, not {}",
            index.type_name()
        )));
    };
    ops::norm_index(i, len).ok_or_else(|| EvalError::exc("IndexError", what.to_owned()))
}

/// Python `obj[index] = value` (not a slice).
pub(crate) fn setitem(it: &Interp<'_>, obj: &Value, index: Value, value: Value) -> Result<()> {
    match obj {
        Value::List(l) => {
            shared_list(l)?;
            no_cycle(obj, &value)?;
            let i = list_index(
                "list",
                &index,
                l.get().len(),
                "list assignment index out of range",
            )?;
            let old = l.modify(false, |items| {
                items.get_mut(i).map(|slot| std::mem::replace(slot, value))
            });
            drop(old);
            Ok(())
        }
        Value::Dict(d) => {
            check_hashable(&index)?;
            no_cycle(obj, &value)?;
            dict_set(d, index, value);
            Ok(())
        }
        Value::DataCopy(_) => Err(EvalError::needs("a subscript of a copy of the datastore")),
        Value::Datastore => match (&index, &value) {
            (Value::Str(name), v) => {
                let v = store_text(v, "d[...] = value")?;
                it.ctx.set_var(name, v.as_deref())
            }
            _ => Err(EvalError::needs(
                "datastore item assignment with a non-string key",
            )),
        },
        Value::Unknown(path) => Err(EvalError::needs(format!("use of `{path}`"))),
        other => Err(EvalError::type_err(format!(
            "'{}' object does not support item assignment",
            other.type_name()
        ))),
    }
}

/// Inserts or replaces a key already checked for hashability.
fn dict_set(d: &Shared<Dict>, key: Value, value: Value) {
    match d.get().position(&key) {
        Some(i) => {
            let old = d.modify(false, |d| {
                d.entries
                    .get_mut(i)
                    .map(|slot| std::mem::replace(&mut slot.1, value))
            });
            drop(old);
        }
        None => d.modify(true, |d| d.entries.push((key, value))),
    }
}

/// Python `del obj[index]` (not a slice).
pub(crate) fn delitem(it: &Interp<'_>, obj: &Value, index: &Value) -> Result<()> {
    match obj {
        Value::List(l) => {
            shared_list(l)?;
            let i = list_index(
                "list",
                index,
                l.get().len(),
                "list assignment index out of range",
            )?;
            let old = l.modify(true, |items| (i < items.len()).then(|| items.remove(i)));
            drop(old);
            Ok(())
        }
        Value::Dict(d) => {
            check_hashable(index)?;
            match d.get().position(index) {
                Some(i) => {
                    let old =
                        d.modify(true, |d| (i < d.entries.len()).then(|| d.entries.remove(i)));
                    drop(old);
                    Ok(())
                }
                None => Err(EvalError::exc("KeyError", py_repr(index)?)),
            }
        }
        Value::DataCopy(_) => Err(EvalError::needs("a subscript of a copy of the datastore")),
        Value::Datastore => match index {
            Value::Str(name) => it.ctx.del_var(name),
            _ => Err(EvalError::needs(
                "datastore item deletion with a non-string key",
            )),
        },
        Value::Unknown(path) => Err(EvalError::needs(format!("use of `{path}`"))),
        other => Err(EvalError::type_err(format!(
            "'{}' object doesn't support item deletion",
            other.type_name()
        ))),
    }
}

/// The text a datastore write stores: a string, or `None` for Python `None`. Any other
/// value needs Python, where the datastore keeps the object itself as BitBake does.
pub(crate) fn store_text(v: &Value, what: &str) -> Result<Option<String>> {
    match v {
        Value::None => Ok(None),
        Value::Str(s) => Ok(Some(s.to_string())),
        other => Err(EvalError::needs(format!(
            "{what} with a `{}` value",
            other.type_name()
        ))),
    }
}

fn nargs(name: &str, args: &Args, min: usize, max: usize) -> Result<()> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(format!(
            "{name}() takes no keyword arguments"
        )));
    }
    let n = args.pos.len();
    if n < min || n > max {
        let msg = if min == max {
            match min {
                0 => format!("{name}() takes no arguments ({n} given)"),
                1 => format!("{name}() takes exactly one argument ({n} given)"),
                _ => format!("{name} expected {min} arguments, got {n}"),
            }
        } else if n < min {
            format!("{name} expected at least {min} argument, got {n}")
        } else {
            format!(
                "{name} expected at most {max} argument{}, got {n}",
                if max == 1 { "" } else { "s" }
            )
        };
        return Err(EvalError::type_err(msg));
    }
    Ok(())
}

/// The mutating methods of a set.
pub(crate) const SET_METHODS: &[&str] = &[
    "add",
    "clear",
    "difference_update",
    "discard",
    "intersection_update",
    "pop",
    "remove",
    "symmetric_difference_update",
    "update",
];

/// Calls a mutating list method.
pub(crate) fn list_method(
    it: &Interp<'_>,
    recv: &Value,
    l: &Shared<Items>,
    name: &str,
    mut args: Args,
) -> Result<Value> {
    shared_list(l)?;
    match name {
        "append" => {
            nargs("list.append", &args, 1, 1)?;
            let v = args.pos.remove(0);
            no_cycle(recv, &v)?;
            l.modify(true, |items| items.push(v));
        }
        "extend" => {
            nargs("list.extend", &args, 1, 1)?;
            let new = it.collect(&args.pos[0])?;
            extend(recv, l, new)?;
        }
        "insert" => {
            nargs("insert", &args, 2, 2)?;
            let i = builtins::index_arg(&args.pos[0])?;
            let v = args.pos.remove(1);
            no_cycle(recv, &v)?;
            let len = i64::try_from(l.get().len()).unwrap_or(i64::MAX);
            let i = if i < 0 { (i + len).max(0) } else { i.min(len) };
            let i = usize::try_from(i).unwrap_or(0);
            l.modify(true, |items| {
                let i = i.min(items.len());
                items.insert(i, v);
            });
        }
        "remove" => {
            nargs("list.remove", &args, 1, 1)?;
            let snapshot = l.get();
            let Some(i) = snapshot.iter().position(|v| py_eq(v, &args.pos[0])) else {
                return Err(EvalError::value_err("list.remove(x): x not in list"));
            };
            drop(snapshot);
            let old = l.modify(true, |items| (i < items.len()).then(|| items.remove(i)));
            drop(old);
        }
        "pop" => {
            nargs("pop", &args, 0, 1)?;
            let len = l.get().len();
            if len == 0 {
                return Err(EvalError::exc("IndexError", "pop from empty list"));
            }
            let i = match args.pos.first() {
                None => len - 1,
                Some(v) => list_index("list", v, len, "pop index out of range")?,
            };
            let v = l.modify(true, |items| (i < items.len()).then(|| items.remove(i)));
            return Ok(v.unwrap_or(Value::None));
        }
        "clear" => {
            nargs("list.clear", &args, 0, 0)?;
            let old = l.modify(true, |items| std::mem::take(&mut items.0));
            crate::value::release(old);
        }
        "reverse" => {
            nargs("list.reverse", &args, 0, 0)?;
            l.modify(false, |items| items.reverse());
        }
        "sort" => {
            if !args.pos.is_empty() {
                return Err(EvalError::type_err("sort() takes no positional arguments"));
            }
            let mut key = None;
            let mut reverse = false;
            for (k, v) in &args.kw {
                match &**k {
                    "key" => key = Some(v.clone()),
                    "reverse" => reverse = v.truthy(),
                    other => {
                        return Err(EvalError::type_err(format!(
                            "'{other}' is an invalid keyword argument for sort()"
                        )));
                    }
                }
            }
            return sort(it, l, key.as_ref(), reverse);
        }
        _ => {
            return Err(EvalError::needs(format!("call to `list.{name}`")));
        }
    }
    Ok(Value::None)
}

/// `list.sort()`, as CPython's `list_sort_impl` does it: the list is empty while keys are
/// computed and items compared; a failing key function leaves it unchanged, a failing
/// comparison leaves it partly sorted (in CPython's order for the short lists whose
/// comparison sequence we reproduce).
fn sort(it: &Interp<'_>, l: &Shared<Items>, key: Option<&Value>, reverse: bool) -> Result<Value> {
    let items = l.modify(true, |items| std::mem::take(&mut items.0));
    let restore = |items: Vec<Value>| -> Result<()> {
        if !l.get().is_empty() {
            return Err(EvalError::needs("a list changed while it was sorted"));
        }
        l.modify(true, |old| old.0 = items);
        Ok(())
    };
    let mut keyed: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for v in &items {
        let k = match key {
            None | Some(Value::None) => Ok(v.clone()),
            Some(f) => it.call(f, Args::positional(vec![v.clone()])),
        };
        match k {
            Ok(k) => keyed.push((k, v.clone())),
            Err(e) => {
                restore(items)?;
                return Err(e);
            }
        }
    }
    drop(items);
    if reverse {
        keyed.reverse();
    }
    let r = builtins::py_sort(&mut keyed);
    if r.is_err() && keyed.len() >= 64 {
        return Err(EvalError::needs("a failed sort of a long list"));
    }
    if reverse {
        keyed.reverse();
    }
    restore(keyed.into_iter().map(|(_, v)| v).collect())?;
    r.map(|()| Value::None)
}

fn extend(recv: &Value, l: &Shared<Items>, new: Vec<Value>) -> Result<()> {
    for v in &new {
        no_cycle(recv, v)?;
    }
    if l.get().len().saturating_add(new.len()) > crate::eval::MAX_ITEMS {
        return Err(crate::eval::too_many_items());
    }
    l.modify(true, |items| items.extend(new));
    Ok(())
}

/// The key-value pairs of `dict.update`'s positional argument.
fn update_pairs(it: &Interp<'_>, src: &Value) -> Result<Vec<(Value, Value)>> {
    if let Value::Dict(m) = src {
        return Ok(m.get().entries.clone());
    }
    let mut out = Vec::new();
    for (i, item) in it.collect(src)?.into_iter().enumerate() {
        let pair = match &item {
            Value::List(_)
            | Value::Tuple(_)
            | Value::Str(_)
            | Value::Set(..)
            | Value::Dict(_)
            | Value::Range(..)
            | Value::View(..)
            | Value::Iter(_) => it.collect(&item)?,
            _ => {
                return Err(EvalError::type_err(format!(
                    "cannot convert dictionary update sequence element #{i} to a sequence"
                )));
            }
        };
        let [k, v] = <[Value; 2]>::try_from(pair).map_err(|p: Vec<Value>| {
            EvalError::value_err(format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                p.len()
            ))
        })?;
        out.push((k, v));
    }
    Ok(out)
}

/// Calls a mutating dict method.
pub(crate) fn dict_method(
    it: &Interp<'_>,
    recv: &Value,
    d: &Shared<Dict>,
    name: &str,
    args: Args,
) -> Result<Value> {
    match name {
        "update" => {
            if args.pos.len() > 1 {
                return Err(EvalError::type_err(format!(
                    "update expected at most 1 argument, got {}",
                    args.pos.len()
                )));
            }
            let mut pairs = match args.pos.first() {
                Some(src) => update_pairs(it, src)?,
                None => Vec::new(),
            };
            pairs.extend(args.kw.into_iter().map(|(k, v)| (Value::Str(k), v)));
            for (k, v) in pairs {
                check_hashable(&k)?;
                no_cycle(recv, &v)?;
                dict_set(d, k, v);
            }
            Ok(Value::None)
        }
        "setdefault" => {
            nargs("setdefault", &args, 1, 2)?;
            let key = &args.pos[0];
            check_hashable(key)?;
            if let Some(v) = d.get().get(key) {
                return Ok(v.clone());
            }
            let default = args.pos.get(1).cloned().unwrap_or(Value::None);
            no_cycle(recv, &default)?;
            dict_set(d, key.clone(), default.clone());
            Ok(default)
        }
        "pop" => {
            nargs("pop", &args, 1, 2)?;
            let key = &args.pos[0];
            check_hashable(key)?;
            match d.get().position(key) {
                Some(i) => {
                    let old =
                        d.modify(true, |d| (i < d.entries.len()).then(|| d.entries.remove(i)));
                    Ok(old.map_or(Value::None, |(_, v)| v))
                }
                None => match args.pos.get(1) {
                    Some(default) => Ok(default.clone()),
                    None => Err(EvalError::exc("KeyError", py_repr(key)?)),
                },
            }
        }
        "popitem" => {
            nargs("popitem", &args, 0, 0)?;
            match d.modify(true, |d| d.entries.pop()) {
                Some((k, v)) => Ok(Value::tuple(vec![k, v])),
                None => Err(EvalError::exc(
                    "KeyError",
                    "'popitem(): dictionary is empty'",
                )),
            }
        }
        "clear" => {
            nargs("clear", &args, 0, 0)?;
            let old = d.modify(true, |d| std::mem::take(&mut d.entries));
            drop(Dict { entries: old });
            Ok(Value::None)
        }
        _ => Err(EvalError::needs(format!("call to `dict.{name}`"))),
    }
}

/// Replaces a set's items, keeping CPython's iteration order where we know it.
fn set_replace(s: &Shared<Items>, items: Vec<Value>, what: &str) -> Result<()> {
    let items = crate::value::derived_set_order(items, what)?;
    s.modify(true, |old| old.0 = items);
    Ok(())
}

/// Calls a mutating set method.
pub(crate) fn set_method(
    it: &Interp<'_>,
    s: &Shared<Items>,
    name: &str,
    args: Args,
) -> Result<Value> {
    let what = format!("`set.{name}`");
    let has = |set: &[Value], v: &Value| set.iter().any(|w| py_eq(v, w));
    match name {
        "add" | "discard" | "remove" => {
            nargs(&format!("set.{name}"), &args, 1, 1)?;
            let v = &args.pos[0];
            check_hashable(v)?;
            let mut items = s.get().to_vec();
            let pos = items.iter().position(|w| py_eq(v, w));
            match (name, pos) {
                ("add", None) => items.push(v.clone()),
                ("add", Some(_)) => return Ok(Value::None),
                (_, Some(i)) => {
                    items.remove(i);
                }
                ("remove", None) => return Err(EvalError::exc("KeyError", py_repr(v)?)),
                _ => return Ok(Value::None),
            }
            set_replace(s, items, &what)?;
        }
        "clear" => {
            nargs("set.clear", &args, 0, 0)?;
            let old = s.modify(true, |items| std::mem::take(&mut items.0));
            crate::value::release(old);
        }
        "pop" => {
            nargs("set.pop", &args, 0, 0)?;
            let items = s.get();
            match items.len() {
                0 => return Err(EvalError::exc("KeyError", "'pop from an empty set'")),
                1 => {
                    let v = items[0].clone();
                    drop(items);
                    s.modify(true, |items| items.clear());
                    return Ok(v);
                }
                _ => return Err(EvalError::needs("set.pop() of a set with several items")),
            }
        }
        _ => {
            if !args.kw.is_empty() {
                return Err(EvalError::type_err(format!(
                    "set.{name}() takes no keyword arguments"
                )));
            }
            let others = args
                .pos
                .iter()
                .map(|o| it.collect(o).and_then(ops::unique))
                .collect::<Result<Vec<Vec<Value>>>>()?;
            let mut items = s.get().to_vec();
            match name {
                "update" => {
                    for o in others {
                        for v in o {
                            if !has(&items, &v) {
                                items.push(v);
                            }
                        }
                    }
                }
                "intersection_update" => {
                    for o in others {
                        items.retain(|v| has(&o, v));
                    }
                }
                "difference_update" => {
                    for o in others {
                        items.retain(|v| !has(&o, v));
                    }
                }
                "symmetric_difference_update" => {
                    if others.len() != 1 {
                        return Err(EvalError::type_err(format!(
                            "set.symmetric_difference_update() takes exactly one argument ({} given)",
                            others.len()
                        )));
                    }
                    let o = others.into_iter().next().unwrap_or_default();
                    let mut out: Vec<Value> =
                        items.iter().filter(|v| !has(&o, v)).cloned().collect();
                    out.extend(o.iter().filter(|v| !has(&items, v)).cloned());
                    items = out;
                }
                _ => return Err(EvalError::needs(format!("call to `set.{name}`"))),
            }
            set_replace(s, items, &what)?;
        }
    }
    Ok(Value::None)
}

/// The in-place form of a binary operator (`a op= b`): lists, sets and dicts change in place,
/// everything else computes `a op b`.
pub(crate) fn inplace(
    it: &Interp<'_>,
    op: crate::ast::BinOp,
    a: &Value,
    b: &Value,
) -> Result<Value> {
    use crate::ast::BinOp;
    match (op, a) {
        (BinOp::Add, Value::List(l)) => {
            shared_list(l)?;
            let new = it.collect(b)?;
            extend(a, l, new)?;
            Ok(a.clone())
        }
        (BinOp::Mul, Value::List(l)) => {
            shared_list(l)?;
            let Some(n) = as_index(b) else {
                return Err(EvalError::type_err(format!(
                    "can't multiply sequence by non-int of type '{}'",
                    b.type_name()
                )));
            };
            let items = l.get().to_vec();
            let new = match ops::binary(BinOp::Mul, &Value::list(items), &Value::Int(n))? {
                Value::List(r) => r.get().to_vec(),
                _ => Vec::new(),
            };
            l.modify(true, |items| items.0 = new);
            Ok(a.clone())
        }
        (BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor, Value::Set(s, false))
            if matches!(b, Value::Set(..)) =>
        {
            let name = match op {
                BinOp::BitOr => "update",
                BinOp::BitAnd => "intersection_update",
                BinOp::Sub => "difference_update",
                _ => "symmetric_difference_update",
            };
            set_method(it, s, name, Args::positional(vec![b.clone()]))?;
            Ok(a.clone())
        }
        (BinOp::BitOr, Value::Dict(d)) if matches!(b, Value::Dict(_)) => {
            dict_method(it, a, d, "update", Args::positional(vec![b.clone()]))?;
            Ok(a.clone())
        }
        _ => ops::binary(op, a, b),
    }
}

#[cfg(test)]
mod tests;
