//! Attribute access and methods: the methods of str, list, tuple, dict and set (the mutating
//! ones live in `mutate.rs`), the datastore's methods (`getVar`, `setVar`, `getVarFlags`...),
//! and the members of the modules we model (`bb`, `oe`, `os`).
//!
//! An attribute that exists in real Python but that we do not implement (`str.translate`,
//! `d.setVarFlags`, `oe.kernel...`) becomes a [`Value::Unknown`], so using it yields
//! `NeedsPython`; an attribute Python does not have at all raises `AttributeError`.

use std::rc::Rc;

use crate::builtins::{self, Builtin, index_arg};
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::format;
use crate::ops;
use crate::value::{
    Dict, Shared, Value, ViewKind, as_index, as_str, check_hashable, is_py_space, py_eq, py_repr,
};

const STR_ALL: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];

/// Most used first: [`get_attr`] finds a name by a linear search.
const STR_IMPL: &[&str] = &[
    "split",
    "startswith",
    "endswith",
    "join",
    "strip",
    "replace",
    "format",
    "find",
    "lower",
    "upper",
    "rstrip",
    "lstrip",
    "capitalize",
    "casefold",
    "center",
    "count",
    "expandtabs",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "islower",
    "isnumeric",
    "isspace",
    "isupper",
    "ljust",
    "partition",
    "removeprefix",
    "removesuffix",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "splitlines",
    "swapcase",
    "title",
    "zfill",
];
const LIST_ALL: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
];
const LIST_IMPL: &[&str] = LIST_ALL;
const TUPLE_ALL: &[&str] = &["count", "index"];
const DICT_ALL: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];
const DICT_IMPL: &[&str] = &[
    "clear",
    "copy",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];
const SET_ALL: &[&str] = &[
    "add",
    "clear",
    "copy",
    "difference",
    "difference_update",
    "discard",
    "intersection",
    "intersection_update",
    "isdisjoint",
    "issubset",
    "issuperset",
    "pop",
    "remove",
    "symmetric_difference",
    "symmetric_difference_update",
    "union",
    "update",
];
const FROZENSET_IMPL: &[&str] = &[
    "copy",
    "difference",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "symmetric_difference",
    "union",
];
const SET_IMPL: &[&str] = &[
    "add",
    "clear",
    "copy",
    "difference_update",
    "discard",
    "intersection_update",
    "pop",
    "remove",
    "symmetric_difference_update",
    "update",
    "difference",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "symmetric_difference",
    "union",
];
const INT_ALL: &[&str] = &[
    "as_integer_ratio",
    "bit_count",
    "bit_length",
    "conjugate",
    "denominator",
    "from_bytes",
    "imag",
    "numerator",
    "real",
    "to_bytes",
];
const FLOAT_ALL: &[&str] = &[
    "as_integer_ratio",
    "conjugate",
    "fromhex",
    "hex",
    "imag",
    "is_integer",
    "real",
];
const RANGE_ALL: &[&str] = &["count", "index", "start", "step", "stop"];
const DATASTORE_ALL: &[&str] = &[
    "appendVar",
    "appendVarFlag",
    "createCopy",
    "delVar",
    "delVarFlag",
    "delVarFlags",
    "disableTracking",
    "enableTracking",
    "expandVarref",
    "expandWithRefs",
    "getVarFlags",
    "get_hash",
    "hasOverrides",
    "initVar",
    "localkeys",
    "need_overrides",
    "prependVar",
    "prependVarFlag",
    "renameVar",
    "setVar",
    "setVarFilter",
    "setVarFlag",
    "setVarFlags",
    "keys",
    "items",
    "values",
    "get",
    "pop",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "dict",
    "overridedata",
    "varhistory",
    "inchistory",
    "inoverride",
    "inchistory",
];

/// The datastore methods we implement.
const DATASTORE_IMPL: &[&str] = &[
    "setVarFilter",
    "hasOverrides",
    "getVar",
    "getVarFlag",
    "expand",
    "getVarFlags",
    "keys",
    "createCopy",
    "setVar",
    "appendVar",
    "prependVar",
    "delVar",
    "renameVar",
    "setVarFlag",
    "appendVarFlag",
    "prependVarFlag",
    "delVarFlag",
];

/// Finds a name in a static table, returning the table's `'static` copy.
/// The implemented `str` method `name`, if it is one (what `get_attr` binds for a str).
pub(crate) fn str_method_name(name: &str) -> Option<&'static str> {
    find(STR_IMPL, name)
}

fn find(table: &[&'static str], name: &str) -> Option<&'static str> {
    table.iter().copied().find(|n| *n == name)
}

fn no_attr(v: &Value, name: &str) -> EvalError {
    EvalError::exc(
        "AttributeError",
        format!("'{}' object has no attribute '{name}'", v.type_name()),
    )
}

fn unknown(path: String) -> Value {
    Value::Unknown(Rc::from(path))
}

/// Attribute access `obj.name`.
pub(crate) fn get_attr(obj: &Value, name: &str) -> Result<Value> {
    let method = |implemented: &[&'static str], all: &[&'static str]| -> Result<Value> {
        if let Some(n) = find(implemented, name) {
            return Ok(Value::Method(Rc::new(obj.clone()), n));
        }
        if all.contains(&name) {
            return Ok(unknown(format!("{}.{name}", obj.type_name())));
        }
        Err(no_attr(obj, name))
    };
    match obj {
        Value::Module(m) => Ok(module_attr(m, name)),
        Value::Unknown(path) => Ok(unknown(format!("{path}.{name}"))),
        Value::Datastore | Value::DataCopy(_) => {
            if let Some(n) = find(DATASTORE_IMPL, name) {
                return Ok(Value::Method(Rc::new(obj.clone()), n));
            }
            if DATASTORE_ALL.contains(&name) || name.starts_with('_') {
                return Ok(unknown(format!("d.{name}")));
            }
            Err(no_attr(obj, name))
        }
        Value::Str(_) => method(STR_IMPL, STR_ALL),
        Value::List(_) => method(LIST_IMPL, LIST_ALL),
        Value::Tuple(_) => method(TUPLE_ALL, TUPLE_ALL),
        Value::Dict(_) => method(DICT_IMPL, DICT_ALL),
        Value::Set(_, false) => method(SET_IMPL, SET_ALL),
        Value::Set(_, true) => method(FROZENSET_IMPL, FROZENSET_IMPL),
        Value::Int(_) | Value::Bool(_) => method(&["bit_length"], INT_ALL),
        Value::Float(_) => method(&["is_integer"], FLOAT_ALL),
        Value::Range(..) => method(&["count", "index"], RANGE_ALL),
        Value::None => Err(no_attr(obj, name)),
        Value::Pattern(re) => {
            if let Some(n) = find(crate::re::PATTERN_METHODS, name) {
                return Ok(Value::Method(Rc::new(obj.clone()), n));
            }
            Ok(crate::re::pattern_attr(re, name)
                .unwrap_or_else(|| unknown(format!("re.Pattern.{name}"))))
        }
        Value::Match(m) => {
            if let Some(n) = find(crate::re::MATCH_METHODS, name) {
                return Ok(Value::Method(Rc::new(obj.clone()), n));
            }
            Ok(crate::re::match_attr(m, name)
                .unwrap_or_else(|| unknown(format!("re.Match.{name}"))))
        }
        Value::StructTime(t) => match t.attr(name) {
            Some(v) => Ok(v),
            None if TUPLE_ALL.contains(&name) => Ok(unknown(format!("time.struct_time.{name}"))),
            None => Err(no_attr(obj, name)),
        },
        Value::Event(e) => match name {
            "data" => Ok(Value::Datastore),
            _ => Ok(e
                .attr(name)
                .unwrap_or_else(|| unknown(format!("{}.{name}", e.class())))),
        },
        Value::EventClass(c) if name == "__name__" => Ok(Value::str(crate::event::short(c))),
        Value::OrigEnv if name == "getVar" => Ok(Value::Method(Rc::new(Value::OrigEnv), "getVar")),
        Value::Uri(u) => Ok(u
            .attr(name)
            .unwrap_or_else(|| unknown(format!("bb.fetch.URI.{name}")))),
        Value::ClassExtender(_) => {
            match crate::filter::EXTENDER_METHODS.iter().find(|m| **m == name) {
                Some(m) => Ok(Value::Method(Rc::new(obj.clone()), m)),
                None => Ok(unknown(format!("ClassExtender.{name}"))),
            }
        }
        Value::Exc(e) if name == "args" => match &e.args {
            Some(args) => Ok(Value::tuple(args.clone())),
            None => Ok(unknown(format!("{}.args", e.kind))),
        },
        Value::Builtin(b) if b.is_type() && name == "__name__" => Ok(Value::str(b.name())),
        Value::ExcType(k) if name == "__name__" => Ok(Value::str(*k)),
        Value::Builtin(b) if b.is_type() => {
            let table: &[&'static str] = match b {
                Builtin::Str => STR_IMPL,
                Builtin::List => LIST_IMPL,
                Builtin::Tuple => TUPLE_ALL,
                Builtin::DictT => DICT_IMPL,
                Builtin::Set => SET_IMPL,
                Builtin::FrozenSet => FROZENSET_IMPL,
                _ => &[],
            };
            if let Some(n) = find(table, name) {
                return Ok(Value::TypeMethod(*b, n));
            }
            Ok(unknown(format!("{}.{name}", b.name())))
        }
        _ => Ok(unknown(format!("{}.{name}", obj.type_name()))),
    }
}

/// Members of the modules we model; anything else is unknown to us.
fn module_attr(m: &'static str, name: &str) -> Value {
    let sub = |s: &'static str| Value::Module(s);
    if let Some(c) = crate::event::class(m, name) {
        return Value::EventClass(c);
    }
    match (m, name) {
        ("bb", "event") => sub("bb.event"),
        ("bb", "runqueue") => sub("bb.runqueue"),
        ("bb", "__version__") => Value::str(crate::event::BB_VERSION),
        ("bb.event", "getName") => Value::Method(Rc::new(Value::Module("bb.event")), "getName"),
        ("oe", "lsb") => sub("oe.lsb"),
        ("oe", "license") => sub("oe.license"),
        ("oe", "kernel") => sub("oe.kernel"),
        ("oe", "cve_check") => sub("oe.cve_check"),
        ("bb", "fetch" | "fetch2") => sub("bb.fetch"),
        ("oe", "classextend") => sub("oe.classextend"),
        ("bb", "utils") => sub("bb.utils"),
        ("bb", "parse") => sub("bb.parse"),
        ("bb", "data") => sub("bb.data"),
        ("bb", "build") => sub("bb.build"),
        ("bb.parse", "SkipRecipe" | "SkipPackage") | ("bb", "BBHandledException") => {
            match crate::builtins::exc_type(name) {
                Some(k) => Value::ExcType(k),
                None => unknown(format!("{m}.{name}")),
            }
        }
        ("bb.data_smart", "ExpansionError") => Value::ExcType("ExpansionError"),
        ("oe", "utils") => sub("oe.utils"),
        ("oe", "types") => sub("oe.types"),
        ("oe", "data") => sub("oe.data"),
        ("oe", "packagegroup") => sub("oe.packagegroup"),
        ("oe", "path") => sub("oe.path"),
        ("oe", "buildcfg") => sub("oe.buildcfg"),
        ("oe", "qa") => sub("oe.qa"),
        ("os", "path") => sub("os.path"),
        ("re", _) => {
            if let Some(v) = crate::re::constant(name) {
                return v;
            }
            match crate::re::FUNCTIONS.iter().find(|f| **f == name) {
                Some(f) => Value::Method(Rc::new(Value::Module("re")), f),
                None => unknown(format!("re.{name}")),
            }
        }
        ("time", _) => match crate::pytime::IMPLEMENTED.iter().find(|f| **f == name) {
            Some(f) => Value::Method(Rc::new(Value::Module("time")), f),
            None => unknown(format!("time.{name}")),
        },
        ("os" | "os.path", "sep") => Value::str("/"),
        ("os" | "os.path", "pathsep") => Value::str(":"),
        ("os" | "os.path", "curdir") => Value::str("."),
        ("os" | "os.path", "pardir") => Value::str(".."),
        ("os" | "os.path", "extsep") => Value::str("."),
        ("os" | "os.path", "altsep") => Value::None,
        ("os" | "os.path", "devnull") => Value::str("/dev/null"),
        ("os", "linesep") => Value::str("\n"),
        ("os", "name") => Value::str("posix"),
        _ => match Builtin::from_module(m, name) {
            Some(b) => Value::Builtin(b),
            None => unknown(format!("{m}.{name}")),
        },
    }
}

/// The characters of `s` that a strip call removes.
fn strip_set(chars: Option<&Value>, meth: &str) -> Result<Option<Vec<char>>> {
    match chars {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(c)) => Ok(Some(c.chars().collect())),
        Some(_) => Err(EvalError::type_err(format!(
            "{meth} arg must be None or str"
        ))),
    }
}

fn positional_only(name: &str, args: &Args) -> Result<()> {
    if args.kw.is_empty() {
        Ok(())
    } else {
        Err(EvalError::type_err(format!(
            "{name}() takes no keyword arguments"
        )))
    }
}

fn nargs(name: &str, args: &Args, min: usize, max: usize) -> Result<()> {
    positional_only(name, args)?;
    let n = args.pos.len();
    if n < min || n > max {
        let msg = if min == max {
            if min == 0 {
                format!("{name}() takes no arguments ({n} given)")
            } else if min == 1 {
                format!("{name}() takes exactly one argument ({n} given)")
            } else {
                format!("{name} expected {min} arguments, got {n}")
            }
        } else if n < min {
            format!(
                "{name} expected at least {min} argument{}, got {n}",
                if min == 1 { "" } else { "s" }
            )
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

/// Binds `name(a=..., b=...)`-style keyword-capable arguments by position or name.
fn kwargs(name: &str, args: Args, params: &[&str], min: usize) -> Result<Vec<Option<Value>>> {
    if args.pos.len() > params.len() {
        return Err(EvalError::type_err(format!(
            "{name}() takes at most {} argument{} ({} given)",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            args.pos.len()
        )));
    }
    let mut slots: Vec<Option<Value>> = args.pos.into_iter().map(Some).collect();
    slots.resize(params.len(), None);
    for (k, v) in args.kw {
        let Some(i) = params.iter().position(|p| **p == *k) else {
            return Err(EvalError::type_err(format!(
                "{name}() got an unexpected keyword argument '{k}'"
            )));
        };
        if slots[i].is_some() {
            return Err(EvalError::type_err(format!(
                "argument for {name}() given by name ('{k}') and position ({})",
                i + 1
            )));
        }
        slots[i] = Some(v);
    }
    if let Some(i) = slots.iter().take(min).position(Option::is_none) {
        return Err(EvalError::type_err(format!(
            "{name}() missing required argument '{}' (pos {})",
            params[i],
            i + 1
        )));
    }
    Ok(slots)
}

/// Char-indexed `[start:end]` bounds of a string as byte offsets, per slice rules.
fn str_bounds(
    s: &str,
    start: Option<&Value>,
    end: Option<&Value>,
) -> Result<Option<(usize, usize)>> {
    let conv = |v: Option<&Value>| -> Result<Option<i64>> {
        match v {
            None | Some(Value::None) => Ok(None),
            Some(v) => as_index(v).map(Some).ok_or_else(|| {
                EvalError::type_err(
                    "slice indices must be integers or None or have an __index__ method",
                )
            }),
        }
    };
    if matches!(start, None | Some(Value::None)) && matches!(end, None | Some(Value::None)) {
        // The whole string: no character needs counting.
        return Ok(Some((0, s.len())));
    }
    let n = s.chars().count() as i64;
    let adj = |i: i64| if i < 0 { (i + n).max(0) } else { i.min(n) };
    let lo = conv(start)?.map_or(0, |i| if i < 0 { (i + n).max(0) } else { i });
    let hi = conv(end)?.map_or(n, adj);
    if lo > hi || lo > n {
        return Ok(None);
    }
    let byte = |ci: i64| -> usize {
        let ci = usize::try_from(ci).unwrap_or(0);
        s.char_indices().nth(ci).map_or(s.len(), |(b, _)| b)
    };
    Ok(Some((byte(lo), byte(hi))))
}

fn char_index(s: &str, byte: usize) -> i64 {
    i64::try_from(s.get(..byte).map_or(0, |p| p.chars().count())).unwrap_or(i64::MAX)
}

fn need_str<'a>(v: &'a Value, what: &str) -> Result<&'a str> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(EvalError::type_err(format!(
            "{what}, not {}",
            other.type_name()
        ))),
    }
}

/// Python `str.split` / `str.rsplit`.
fn split(s: &str, sep: Option<&Value>, maxsplit: Option<&Value>, right: bool) -> Result<Value> {
    let maxsplit = match maxsplit {
        None => -1,
        Some(v) => index_arg(v)?,
    };
    let limit = usize::try_from(maxsplit).ok();
    let parts: Vec<Value> = match sep {
        None | Some(Value::None) => {
            let mut out: Vec<String> = Vec::new();
            if right {
                let mut rest = s.trim_end_matches(is_py_space);
                while !rest.is_empty() {
                    if limit.is_some_and(|l| out.len() >= l) {
                        out.push(rest.to_owned());
                        break;
                    }
                    match rest.rfind(is_py_space) {
                        Some(i) => {
                            let ch_len = rest[i..].chars().next().map_or(1, char::len_utf8);
                            out.push(rest[i + ch_len..].to_owned());
                            rest = rest[..i].trim_end_matches(is_py_space);
                        }
                        None => {
                            out.push(rest.to_owned());
                            break;
                        }
                    }
                }
                out.reverse();
            } else {
                let mut rest = s.trim_start_matches(is_py_space);
                while !rest.is_empty() {
                    if limit.is_some_and(|l| out.len() >= l) {
                        out.push(rest.to_owned());
                        break;
                    }
                    match rest.find(is_py_space) {
                        Some(i) => {
                            out.push(rest[..i].to_owned());
                            rest = rest[i..].trim_start_matches(is_py_space);
                        }
                        None => {
                            out.push(rest.to_owned());
                            break;
                        }
                    }
                }
            }
            out.into_iter().map(Value::str).collect()
        }
        Some(Value::Str(sep)) => {
            if sep.is_empty() {
                return Err(EvalError::value_err("empty separator"));
            }
            let mut v: Vec<Value> = match (limit, right) {
                (Some(l), false) => s
                    .splitn(l.saturating_add(1), &**sep)
                    .map(Value::str)
                    .collect(),
                (None, false) => s.split(&**sep).map(Value::str).collect(),
                (Some(l), true) => s
                    .rsplitn(l.saturating_add(1), &**sep)
                    .map(Value::str)
                    .collect(),
                (None, true) => s.rsplit(&**sep).map(Value::str).collect(),
            };
            if right {
                v.reverse();
            }
            v
        }
        Some(other) => {
            return Err(EvalError::type_err(format!(
                "must be str or None, not {}",
                other.type_name()
            )));
        }
    };
    Ok(Value::list(parts))
}

fn splitlines(s: &str, keepends: bool) -> Vec<Value> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_break(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r'
            && let Some(&(_, '\n')) = it.peek()
        {
            it.next();
            end += 1;
        }
        let line = if keepends {
            &s[start..end]
        } else {
            &s[start..i]
        };
        out.push(Value::str(line));
        start = end;
    }
    if start < s.len() {
        out.push(Value::str(&s[start..]));
    }
    out
}

fn ascii_only(s: &str, what: &str) -> Result<()> {
    if s.is_ascii() {
        Ok(())
    } else {
        Err(EvalError::needs(format!("str.{what}() of non-ASCII text")))
    }
}

fn pad(s: &str, width: &Value, fill: Option<&Value>, how: char, name: &str) -> Result<Value> {
    let width = index_arg(width)?;
    let fill = match fill {
        None => ' ',
        Some(Value::Str(f)) if f.chars().count() == 1 => f.chars().next().unwrap_or(' '),
        Some(Value::Str(_)) => {
            return Err(EvalError::type_err(
                "The fill character must be exactly one character long",
            ));
        }
        Some(other) => {
            return Err(EvalError::type_err(format!(
                "{name}() argument 2 must be str, not {}",
                other.type_name()
            )));
        }
    };
    let n = s.chars().count() as i64;
    if width <= n {
        return Ok(Value::str(s));
    }
    let marg = usize::try_from(width - n).unwrap_or(0);
    if marg > 1 << 24 {
        return Err(EvalError::needs("result too large"));
    }
    let f = |k: usize| fill.to_string().repeat(k);
    let out = match how {
        '<' => format!("{s}{}", f(marg)),
        '>' => format!("{}{s}", f(marg)),
        _ => {
            let w = usize::try_from(width).unwrap_or(0);
            let left = marg / 2 + (marg & w & 1);
            format!("{}{s}{}", f(left), f(marg - left))
        }
    };
    Ok(Value::str(out))
}

fn str_method(it: &Interp<'_>, s: &str, name: &str, args: Args) -> Result<Value> {
    match name {
        "split" | "rsplit" => str_split(s, name, args),
        "join" => str_join(it, s, args),
        "replace" => str_replace(s, args),
        "strip" | "lstrip" | "rstrip" => str_strip(s, name, args),
        "startswith" | "endswith" => str_startswith(s, name, args),
        "upper" | "lower" | "casefold" | "swapcase" | "capitalize" | "title" => {
            str_upper(s, name, args)
        }
        "find" | "rfind" | "index" | "rindex" | "count" => str_find(s, name, args),
        "format" => Ok(Value::str(format::str_format(it, s, &args)?)),
        "partition" | "rpartition" => str_partition(s, name, args),
        "isspace" => str_isspace(s, name, args),
        "isascii" => str_isascii(s, name, args),
        "isdigit" | "isdecimal" | "isnumeric" | "isalpha" | "isalnum" | "isupper" | "islower" => {
            str_isdigit(s, name, args)
        }
        "splitlines" => str_splitlines(s, name, args),
        "zfill" => str_zfill(s, name, args),
        "center" | "ljust" | "rjust" => str_center(s, name, args),
        "removeprefix" | "removesuffix" => str_removeprefix(s, name, args),
        "expandtabs" => str_expandtabs(s, name, args),
        _ => Err(EvalError::needs(format!("call to `str.{name}`"))),
    }
}

// Each str method has its own function, so that the dispatcher's frame stays small.
fn str_split(s: &str, name: &str, args: Args) -> Result<Value> {
    let a = kwargs(name, args, &["sep", "maxsplit"], 0)?;
    split(s, a[0].as_ref(), a[1].as_ref(), name == "rsplit")
}

fn str_join(it: &Interp<'_>, s: &str, args: Args) -> Result<Value> {
    let a0 = args.pos.first().cloned();
    nargs("join", &args, 1, 1)?;
    let items = it.collect(a0.as_ref().unwrap_or(&Value::None))?;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(s);
        }
        match item {
            Value::Str(x) => out.push_str(x),
            other => {
                return Err(EvalError::type_err(format!(
                    "sequence item {i}: expected str instance, {} found",
                    other.type_name()
                )));
            }
        }
    }
    Ok(Value::str(out))
}

fn str_replace(s: &str, args: Args) -> Result<Value> {
    positional_only("replace", &args)?;
    if args.pos.len() < 2 || args.pos.len() > 3 {
        return Err(EvalError::type_err(format!(
            "replace expected {} arguments, got {}",
            if args.pos.len() < 2 {
                "at least 2"
            } else {
                "at most 3"
            },
            args.pos.len()
        )));
    }
    let old = need_str(&args.pos[0], "replace() argument 1 must be str")?;
    let new = need_str(&args.pos[1], "replace() argument 2 must be str")?;
    let count = args.pos.get(2).map(index_arg).transpose()?.unwrap_or(-1);
    let out = match usize::try_from(count) {
        Ok(c) => s.replacen(old, new, c),
        Err(_) => s.replace(old, new),
    };
    if out.len() > 1 << 26 {
        return Err(EvalError::needs("result too large"));
    }
    Ok(Value::str(out))
}

fn str_strip(s: &str, name: &str, args: Args) -> Result<Value> {
    let a0 = args.pos.first().cloned();
    nargs(name, &args, 0, 1)?;
    let set = strip_set(a0.as_ref(), name)?;
    let is = |c: char| match &set {
        None => is_py_space(c),
        Some(cs) => cs.contains(&c),
    };
    Ok(Value::str(match name {
        "strip" => s.trim_matches(is),
        "lstrip" => s.trim_start_matches(is),
        _ => s.trim_end_matches(is),
    }))
}

fn str_startswith(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 3)?;
    let Some((lo, hi)) = str_bounds(s, args.pos.get(1), args.pos.get(2))? else {
        // An empty window: only the empty string matches, and only if start <= len.
        return Ok(Value::Bool(false));
    };
    let window = &s[lo..hi];
    let test = |p: &str| {
        if name == "startswith" {
            window.starts_with(p)
        } else {
            window.ends_with(p)
        }
    };
    match &args.pos[0] {
        Value::Str(p) => Ok(Value::Bool(test(p))),
        Value::Tuple(ps) => {
            for p in ps.iter() {
                let p = need_str(p, &format!("tuple for {name} must only contain str"))?;
                if test(p) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        other => Err(EvalError::type_err(format!(
            "{name} first arg must be str or a tuple of str, not {}",
            other.type_name()
        ))),
    }
}

fn str_upper(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 0, 0)?;
    let out = match name {
        "upper" => s.to_uppercase(),
        "lower" => s.to_lowercase(),
        _ => {
            ascii_only(s, name)?;
            match name {
                "casefold" => s.to_ascii_lowercase(),
                "swapcase" => s
                    .chars()
                    .map(|c| {
                        if c.is_ascii_uppercase() {
                            c.to_ascii_lowercase()
                        } else {
                            c.to_ascii_uppercase()
                        }
                    })
                    .collect(),
                "capitalize" => {
                    let mut cs = s.chars();
                    cs.next().map_or(String::new(), |f| {
                        f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase()
                    })
                }
                _ => {
                    let mut prev_cased = false;
                    s.chars()
                        .map(|c| {
                            let r = if prev_cased {
                                c.to_ascii_lowercase()
                            } else {
                                c.to_ascii_uppercase()
                            };
                            prev_cased = c.is_ascii_alphabetic();
                            r
                        })
                        .collect()
                }
            }
        }
    };
    Ok(Value::str(out))
}

fn str_find(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 3)?;
    let sub = need_str(&args.pos[0], "must be str")?;
    let Some((lo, hi)) = str_bounds(s, args.pos.get(1), args.pos.get(2))? else {
        return match name {
            "count" => Ok(Value::Int(0)),
            "index" | "rindex" => Err(EvalError::value_err("substring not found")),
            _ => Ok(Value::Int(-1)),
        };
    };
    let window = &s[lo..hi];
    if name == "count" {
        let n = if sub.is_empty() {
            window.chars().count() + 1
        } else {
            window.matches(sub).count()
        };
        return Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    let found = if name.starts_with('r') {
        window.rfind(sub)
    } else {
        window.find(sub)
    };
    match found {
        Some(b) => Ok(Value::Int(char_index(s, lo + b))),
        None if name.ends_with("index") => Err(EvalError::value_err("substring not found")),
        None => Ok(Value::Int(-1)),
    }
}

fn str_partition(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 1)?;
    let sep = need_str(&args.pos[0], "must be str")?;
    if sep.is_empty() {
        return Err(EvalError::value_err("empty separator"));
    }
    let found = if name == "partition" {
        s.split_once(sep)
    } else {
        s.rsplit_once(sep)
    };
    let parts = match found {
        Some((a, b)) => [a, sep, b],
        None if name == "partition" => [s, "", ""],
        None => ["", "", s],
    };
    Ok(Value::tuple(parts.iter().map(|p| Value::str(*p)).collect()))
}

fn str_isspace(s: &str, name: &str, args: Args) -> Result<Value> {
    let bool_of = |f: &dyn Fn(char) -> bool| Value::Bool(!s.is_empty() && s.chars().all(f));
    nargs(name, &args, 0, 0)?;
    Ok(bool_of(&is_py_space))
}

fn str_isascii(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 0, 0)?;
    Ok(Value::Bool(s.is_ascii()))
}

fn str_isdigit(s: &str, name: &str, args: Args) -> Result<Value> {
    let bool_of = |f: &dyn Fn(char) -> bool| Value::Bool(!s.is_empty() && s.chars().all(f));
    nargs(name, &args, 0, 0)?;
    ascii_only(s, name)?;
    Ok(match name {
        "isdigit" | "isdecimal" | "isnumeric" => bool_of(&|c: char| c.is_ascii_digit()),
        "isalpha" => bool_of(&|c: char| c.is_ascii_alphabetic()),
        "isalnum" => bool_of(&|c: char| c.is_ascii_alphanumeric()),
        "isupper" => Value::Bool(
            s.chars().any(|c| c.is_ascii_alphabetic())
                && !s.chars().any(|c| c.is_ascii_lowercase()),
        ),
        _ => Value::Bool(
            s.chars().any(|c| c.is_ascii_alphabetic())
                && !s.chars().any(|c| c.is_ascii_uppercase()),
        ),
    })
}

fn str_splitlines(s: &str, name: &str, args: Args) -> Result<Value> {
    let a = kwargs(name, args, &["keepends"], 0)?;
    Ok(Value::list(splitlines(
        s,
        a[0].as_ref().is_some_and(Value::truthy),
    )))
}

fn str_zfill(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 1)?;
    let width = index_arg(&args.pos[0])?;
    let n = s.chars().count() as i64;
    if width <= n {
        return Ok(Value::str(s));
    }
    let fill = usize::try_from(width - n).unwrap_or(usize::MAX);
    if fill > 1 << 24 {
        // CPython would build it (or raise MemoryError past the machine's memory).
        return Err(EvalError::needs("result too large"));
    }
    let fill = "0".repeat(fill);
    let out = match s.strip_prefix(['+', '-']) {
        Some(rest) => format!("{}{fill}{rest}", &s[..1]),
        None => format!("{fill}{s}"),
    };
    Ok(Value::str(out))
}

fn str_center(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 2)?;
    let how = match name {
        "ljust" => '<',
        "rjust" => '>',
        _ => '^',
    };
    pad(s, &args.pos[0], args.pos.get(1), how, name)
}

fn str_removeprefix(s: &str, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 1)?;
    let p = need_str(&args.pos[0], &format!("{name}() argument must be str"))?;
    let out = if name == "removeprefix" {
        s.strip_prefix(p)
    } else {
        s.strip_suffix(p)
    };
    Ok(Value::str(out.unwrap_or(s)))
}

fn str_expandtabs(s: &str, name: &str, args: Args) -> Result<Value> {
    let a = kwargs(name, args, &["tabsize"], 0)?;
    let size = a[0].as_ref().map(index_arg).transpose()?.unwrap_or(8);
    // `tabsize` is a C int.
    if i32::try_from(size).is_err() {
        return Err(EvalError::exc(
            "OverflowError",
            "Python int too large to convert to C int",
        ));
    }
    let mut out = String::new();
    let mut col = 0i64;
    for c in s.chars() {
        match c {
            '\t' => {
                if size > 0 {
                    let n = size - col % size;
                    // CPython would build it (or raise MemoryError past the machine's memory).
                    if out.len() as i64 + n > 1 << 24 {
                        return Err(EvalError::needs("result too large"));
                    }
                    out.push_str(&" ".repeat(usize::try_from(n).unwrap_or(0)));
                    col += n;
                }
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    Ok(Value::str(out))
}

fn seq_index(items: &[Value], args: &Args, kind: &str) -> Result<Value> {
    nargs("index", args, 1, 3)?;
    let x = &args.pos[0];
    let n = items.len() as i64;
    let adj = |v: Option<&Value>, d: i64| -> Result<i64> {
        Ok(match v {
            None => d,
            Some(v) => {
                let i = index_arg(v)?;
                if i < 0 { (i + n).max(0) } else { i.min(n) }
            }
        })
    };
    let lo = adj(args.pos.get(1), 0)?;
    let hi = adj(args.pos.get(2), n)?;
    for i in lo..hi {
        if items
            .get(usize::try_from(i).unwrap_or(usize::MAX))
            .is_some_and(|v| py_eq(v, x))
        {
            return Ok(Value::Int(i));
        }
    }
    Err(EvalError::value_err(if kind == "list" {
        format!("{} is not in list", py_repr(x)?)
    } else {
        "tuple.index(x): x not in tuple".to_owned()
    }))
}

fn set_method(
    it: &Interp<'_>,
    items: &[Value],
    frozen: bool,
    name: &str,
    args: Args,
) -> Result<Value> {
    positional_only(name, &args)?;
    let others = args
        .pos
        .iter()
        .map(|o| it.collect(o).and_then(ops::unique))
        .collect::<Result<Vec<Vec<Value>>>>()?;
    let has = |set: &[Value], v: &Value| set.iter().any(|w| py_eq(v, w));
    let what = format!("`set.{name}`");
    let mk = |v: Vec<Value>| -> Result<Value> {
        Ok(Value::set(
            crate::value::derived_set_order(v, &what)?,
            frozen,
        ))
    };
    match name {
        "copy" => {
            nargs(name, &args, 0, 0)?;
            mk(items.to_vec())
        }
        "union" => {
            let mut out = items.to_vec();
            for o in others {
                for v in o {
                    if !has(&out, &v) {
                        out.push(v);
                    }
                }
            }
            mk(out)
        }
        "intersection" => {
            let mut out = items.to_vec();
            for o in others {
                out.retain(|v| has(&o, v));
            }
            mk(out)
        }
        "difference" => {
            let mut out = items.to_vec();
            for o in others {
                out.retain(|v| !has(&o, v));
            }
            mk(out)
        }
        _ => {
            nargs(name, &args, 1, 1)?;
            let o = others.into_iter().next().unwrap_or_default();
            Ok(match name {
                "symmetric_difference" => {
                    let mut out: Vec<Value> =
                        items.iter().filter(|v| !has(&o, v)).cloned().collect();
                    out.extend(o.iter().filter(|v| !has(items, v)).cloned());
                    mk(out)?
                }
                "isdisjoint" => Value::Bool(!items.iter().any(|v| has(&o, v))),
                "issubset" => Value::Bool(items.iter().all(|v| has(&o, v))),
                _ => Value::Bool(o.iter().all(|v| has(items, v))),
            })
        }
    }
}

/// Calls a method we implement on its receiver.
pub(crate) fn call_method(it: &Interp<'_>, recv: &Value, name: &str, args: Args) -> Result<Value> {
    match recv {
        Value::Str(s) => str_method(it, s, name, args),
        Value::List(l) if !matches!(name, "count" | "index" | "copy") => {
            crate::mutate::list_method(it, recv, l, name, args)
        }
        Value::Dict(d) if !matches!(name, "get" | "keys" | "values" | "items" | "copy") => {
            crate::mutate::dict_method(it, recv, d, name, args)
        }
        Value::Set(s, false) if crate::mutate::SET_METHODS.contains(&name) => {
            crate::mutate::set_method(it, s, name, args)
        }
        Value::List(_) | Value::Tuple(_) => {
            let items = recv.seq_items().unwrap_or_default();
            seq_method(it, recv, &items, name, args)
        }
        Value::Dict(d) => {
            let snapshot = d.get();
            dict_read_method(d, &snapshot, name, args)
        }
        Value::Set(items, frozen) => set_method(it, &items.get(), *frozen, name, args),
        Value::Int(_) | Value::Bool(_) if name == "bit_length" => {
            nargs(name, &args, 0, 0)?;
            let i = as_index(recv).unwrap_or(0);
            Ok(Value::Int(i64::from(64 - i.unsigned_abs().leading_zeros())))
        }
        Value::Float(f) if name == "is_integer" => {
            nargs(name, &args, 0, 0)?;
            Ok(Value::Bool(f.is_finite() && f.fract() == 0.0))
        }
        Value::Range(..) if name == "count" || name == "index" => {
            range_method(it, recv, name, args)
        }
        Value::Datastore => datastore_method(it, name, args),
        // The copy's methods are the datastore's, on the copy's own context.
        Value::DataCopy(c) => datastore_method(&Interp::new(&*c.0), name, args),
        Value::Module("bb.event") if name == "getName" => {
            nargs(name, &args, 1, 1)?;
            match args.pos.first() {
                Some(Value::Event(e)) => Ok(Value::str(e.short_name())),
                Some(Value::EventClass(c)) => Ok(Value::str(crate::event::short(c))),
                Some(other) => Err(EvalError::needs(format!(
                    "bb.event.getName() of a `{}`",
                    other.type_name()
                ))),
                None => Err(EvalError::needs("bb.event.getName()")),
            }
        }
        Value::ClassExtender(c) => crate::filter::extender_method(it, c, name, args),
        Value::OrigEnv if name == "getVar" => {
            nargs(name, &args, 1, 2)?;
            let Some(Value::Str(var)) = args.pos.first() else {
                return Err(EvalError::needs(
                    "BB_ORIGENV.getVar() of a name that is not a str",
                ));
            };
            let host = it.ctx.host().ok_or_else(|| {
                EvalError::needs("BB_ORIGENV (the environment bake started with)")
            })?;
            let env = host.original_env().ok_or_else(|| {
                EvalError::needs("BB_ORIGENV (the environment bake started with)")
            })?;
            Ok(env
                .iter()
                .find(|(k, _)| k.as_str() == &**var)
                .map_or(Value::None, |(_, v)| Value::str(v.as_str())))
        }
        Value::Module("re") => crate::re::call_module(it, name, args),
        Value::Module("time") => crate::pytime::call(it, name, args),
        Value::Pattern(re) => crate::re::call_pattern(it, re, name, args),
        Value::Match(m) => crate::re::call_match(m, name, args),
        _ => Err(EvalError::needs(format!(
            "call to `{}.{name}`",
            recv.type_name()
        ))),
    }
}

fn seq_method(
    _it: &Interp<'_>,
    recv: &Value,
    items: &[Value],
    name: &str,
    args: Args,
) -> Result<Value> {
    match name {
        "count" => {
            nargs("count", &args, 1, 1)?;
            let n = items.iter().filter(|v| py_eq(v, &args.pos[0])).count();
            Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        }
        "index" => seq_index(items, &args, recv.type_name()),
        "copy" => {
            nargs("copy", &args, 0, 0)?;
            Ok(Value::list(items.to_vec()))
        }
        _ => Err(EvalError::needs(format!(
            "call to `{}.{name}`",
            recv.type_name()
        ))),
    }
}

fn dict_read_method(shared: &Rc<Shared<Dict>>, d: &Dict, name: &str, args: Args) -> Result<Value> {
    match name {
        "get" => {
            nargs("get", &args, 1, 2)?;
            check_hashable(&args.pos[0])?;
            Ok(d.get(&args.pos[0])
                .cloned()
                .or_else(|| args.pos.get(1).cloned())
                .unwrap_or(Value::None))
        }
        "keys" | "values" | "items" => {
            nargs(name, &args, 0, 0)?;
            let kind = match name {
                "keys" => ViewKind::Keys,
                "values" => ViewKind::Values,
                _ => ViewKind::Items,
            };
            Ok(Value::View(kind, shared.clone()))
        }
        "copy" => {
            nargs(name, &args, 0, 0)?;
            Ok(Value::dict(Dict::clone(d)))
        }
        _ => Err(EvalError::needs(format!("call to `dict.{name}`"))),
    }
}

fn range_method(it: &Interp<'_>, recv: &Value, name: &str, args: Args) -> Result<Value> {
    nargs(name, &args, 1, 1)?;
    let found = ops::contains(it, recv, &args.pos[0])?;
    if name == "count" {
        return Ok(Value::Int(i64::from(found)));
    }
    let (Value::Range(start, _, step), Some(x), true) = (recv, as_index(&args.pos[0]), found)
    else {
        return Err(EvalError::value_err(format!(
            "{} is not in range",
            py_repr(&args.pos[0])?
        )));
    };
    Ok(Value::Int((x - start) / step))
}

/// Extra keyword arguments of a datastore method (BitBake's `**loginfo`).
type LogInfo = Vec<(std::sync::Arc<str>, Value)>;

/// Binds the arguments of a datastore method: `params` after `self`, `defaults` for the
/// trailing ones; with `loginfo`, extra keyword arguments (`**loginfo`) are accepted and
/// returned.
fn ds_bind(
    name: &str,
    args: Args,
    params: &[&str],
    defaults: &[Value],
    loginfo: bool,
) -> Result<(Vec<Value>, LogInfo)> {
    let mut args = args;
    args.pos.insert(0, Value::Datastore);
    let qualname = format!("DataSmart.{name}");
    let mut all = vec!["self"];
    all.extend_from_slice(params);
    let first_default = all.len() - defaults.len();
    let defs: Vec<Option<Value>> = (0..all.len())
        .map(|i| {
            i.checked_sub(first_default)
                .and_then(|j| defaults.get(j).cloned())
        })
        .collect();
    let sig = builtins::Signature {
        name: &qualname,
        params: &all,
        posonly: 0,
        varargs: false,
        kwonly: &[],
        varkw: loginfo,
    };
    let bound = builtins::bind(&sig, args, &defs, &[])?;
    let extra = std::mem::take(&mut bound.varkw.clone().entries)
        .into_iter()
        .filter_map(|(k, v)| as_str(&k).map(|k| (k.clone(), v)))
        .collect();
    Ok((bound.params.into_iter().skip(1).collect(), extra))
}

fn datastore_method(it: &Interp<'_>, name: &str, args: Args) -> Result<Value> {
    // The common `d.getVar('X')` and `d.getVar('X', False)`, without argument binding.
    if name == "getVar" && args.kw.is_empty() {
        let expand = match args.pos.as_slice() {
            [Value::Str(_)] => Some(true),
            [Value::Str(_), e] => Some(e.truthy()),
            _ => None,
        };
        if let (Some(expand), Some(Value::Str(var))) = (expand, args.pos.first()) {
            return get_var(it, var, expand);
        }
    }
    let var_name = |v: &Value| -> Result<String> {
        as_str(v).map(|s| s.to_string()).ok_or_else(|| {
            EvalError::needs(format!(
                "d.{name}() with a `{}` variable name",
                v.type_name()
            ))
        })
    };
    let f = Value::Bool(false);
    let t = Value::Bool(true);
    match name {
        "getVar" => {
            let (a, _) = ds_bind(
                name,
                args,
                &["var", "expand", "noweakdefault", "parsing"],
                &[t, f.clone(), f],
                false,
            )?;
            if a[2].truthy() {
                return Err(EvalError::needs("d.getVar(noweakdefault=True)"));
            }
            get_var(it, &var_name(&a[0])?, a[1].truthy())
        }
        "getVarFlag" => {
            let (a, _) = ds_bind(
                name,
                args,
                &[
                    "var",
                    "flag",
                    "expand",
                    "noweakdefault",
                    "parsing",
                    "retparser",
                ],
                &[t, f.clone(), f.clone(), f],
                false,
            )?;
            if a[3].truthy() || a[5].truthy() {
                return Err(EvalError::needs(
                    "d.getVarFlag() with noweakdefault or retparser",
                ));
            }
            let (var, flag) = (var_name(&a[0])?, var_name(&a[1])?);
            if let Some(items) = it.ctx.internal_list(&var, Some(&flag)) {
                return Ok(internal(items));
            }
            Ok(opt(it.ctx.get_var_flag(&var, &flag, a[2].truthy())?))
        }
        "expand" => {
            let (a, _) = ds_bind(name, args, &["s", "varname"], &[Value::None], false)?;
            match &a[0] {
                Value::Str(s) => Ok(Value::str(it.ctx.expand(s)?)),
                other => Ok(other.clone()),
            }
        }
        "getVarFlags" => {
            let (a, _) = ds_bind(
                name,
                args,
                &["var", "expand", "internalflags"],
                &[f.clone(), f],
                false,
            )?;
            if a[1].truthy() || a[2].truthy() {
                return Err(EvalError::needs(
                    "d.getVarFlags() with expand or internalflags",
                ));
            }
            match it.ctx.get_var_flags(&var_name(&a[0])?)? {
                None => Ok(Value::None),
                Some(flags) => {
                    let mut d = Dict::default();
                    for (k, v) in flags {
                        d.entries.push((Value::str(k), Value::str(v)));
                    }
                    Ok(Value::dict(d))
                }
            }
        }
        "createCopy" => {
            ds_bind(name, args, &[], &[], false)?;
            Ok(Value::DataCopy(Rc::new(crate::value::DataCopy(
                it.ctx.create_copy()?,
            ))))
        }
        "keys" => {
            ds_bind(name, args, &[], &[], false)?;
            let keys = it.ctx.keys()?;
            Ok(Value::list(keys.into_iter().map(Value::str).collect()))
        }
        "setVar" => {
            let (a, loginfo) = ds_bind(name, args, &["var", "value"], &[], true)?;
            if loginfo.iter().any(|(k, _)| &**k == "parsing") {
                return Err(EvalError::needs("d.setVar(parsing=...)"));
            }
            let value = crate::mutate::store_text(&a[1], "d.setVar()")?;
            it.ctx.set_var(&var_name(&a[0])?, value.as_deref())?;
            Ok(Value::None)
        }
        "appendVar" | "prependVar" => {
            let (a, _) = ds_bind(name, args, &["var", "value"], &[], true)?;
            let Some(value) = crate::mutate::store_text(&a[1], &format!("d.{name}()"))? else {
                return Err(EvalError::needs(format!("d.{name}() with a `None` value")));
            };
            let var = var_name(&a[0])?;
            if name == "appendVar" {
                it.ctx.append_var(&var, &value)?;
            } else {
                it.ctx.prepend_var(&var, &value)?;
            }
            Ok(Value::None)
        }
        "hasOverrides" => {
            let (a, _) = ds_bind(name, args, &["var"], &[], true)?;
            Ok(Value::Bool(it.ctx.has_overrides(&var_name(&a[0])?)?))
        }
        "setVarFilter" => {
            let (a, _) = ds_bind(name, args, &["var", "filter"], &[], true)?;
            let filter = if a[1].truthy() {
                Some(crate::value::py_str(&a[1])?)
            } else {
                None
            };
            it.ctx
                .set_var_filter(&var_name(&a[0])?, filter.as_deref())?;
            Ok(Value::None)
        }
        "delVar" => {
            let (a, _) = ds_bind(name, args, &["var"], &[], true)?;
            it.ctx.del_var(&var_name(&a[0])?)?;
            Ok(Value::None)
        }
        "renameVar" => {
            let (a, _) = ds_bind(name, args, &["key", "newkey"], &[], true)?;
            it.ctx.rename_var(&var_name(&a[0])?, &var_name(&a[1])?)?;
            Ok(Value::None)
        }
        "setVarFlag" => {
            let (a, _) = ds_bind(name, args, &["var", "flag", "value"], &[], true)?;
            let value = crate::mutate::store_text(&a[2], "d.setVarFlag()")?;
            it.ctx
                .set_var_flag(&var_name(&a[0])?, &var_name(&a[1])?, value.as_deref())?;
            Ok(Value::None)
        }
        "appendVarFlag" | "prependVarFlag" => {
            let (a, _) = ds_bind(name, args, &["var", "flag", "value"], &[], true)?;
            let (var, flag) = (var_name(&a[0])?, var_name(&a[1])?);
            // BitBake concatenates the old value (or "") with the new one.
            let Value::Str(value) = &a[2] else {
                return Err(EvalError::type_err(format!(
                    "can only concatenate str (not \"{}\") to str",
                    a[2].type_name()
                )));
            };
            if it.ctx.internal_list(&var, Some(&flag)).is_some() {
                return Err(EvalError::needs(format!(
                    "d.{name}() on a list-valued flag"
                )));
            }
            if name == "appendVarFlag" {
                it.ctx.append_var_flag(&var, &flag, value)?;
            } else {
                it.ctx.prepend_var_flag(&var, &flag, value)?;
            }
            Ok(Value::None)
        }
        "delVarFlag" => {
            let (a, _) = ds_bind(name, args, &["var", "flag"], &[], true)?;
            it.ctx.del_var_flag(&var_name(&a[0])?, &var_name(&a[1])?)?;
            Ok(Value::None)
        }
        _ => Err(EvalError::needs(format!("call to `d.{name}`"))),
    }
}

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::None, Value::str)
}

/// A list BitBake keeps in the datastore: the same object as the datastore's, so changing it
/// needs Python.
fn internal(items: Vec<String>) -> Value {
    let v = Value::list(items.into_iter().map(Value::str).collect());
    if let Value::List(l) = &v {
        l.set_external();
    }
    v
}

/// `d.getVar(var, expand)`.
fn get_var(it: &Interp<'_>, var: &str, expand: bool) -> Result<Value> {
    if let Some(items) = it.ctx.internal_list(var, None) {
        return Ok(internal(items));
    }
    let v = it.ctx.get_var(var, expand)?;
    if v.is_none() && var == "BB_ORIGENV" {
        // BitBake keeps the original environment there as a datastore object.
        return Ok(Value::OrigEnv);
    }
    Ok(opt(v))
}

#[cfg(test)]
mod tests;
