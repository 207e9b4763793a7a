//! Variable filters (`d.setVarFilter(var, expr)`): BitBake evaluates `expr` with `val` bound
//! to the variable's expanded value, in a namespace holding only the filter functions
//! (`bb.filter`'s `suffix`, `prefix`, `sort`, `remove`, and OE-Core's `native_filter`).
//! We run calls of those functions whose arguments are `val` and literals.

use crate::ast::{Arg, Node};
use crate::builtins::{bind_py, explode_deps};
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::value::Value;

/// A context with no datastore: filter expressions cannot reach one.
struct NoData;

impl crate::Context for NoData {
    fn get_var(&self, _: &str, _: bool) -> Result<Option<String>> {
        Err(EvalError::needs(
            "a filter expression reading the datastore",
        ))
    }
    fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>> {
        Err(EvalError::needs(
            "a filter expression reading the datastore",
        ))
    }
    fn expand(&self, _: &str) -> Result<String> {
        Err(EvalError::needs(
            "a filter expression reading the datastore",
        ))
    }
    fn host(&self) -> Option<std::sync::Arc<dyn crate::Host>> {
        None
    }
}

fn is_literal(node: &Node) -> bool {
    match node {
        Node::Const(_) => true,
        Node::List(items) | Node::Tuple(items) => items.iter().all(|e| match e {
            crate::ast::Elt::One(n) => is_literal(n),
            _ => false,
        }),
        _ => false,
    }
}

fn arg_value(it: &Interp<'_>, node: &Node, val: &str) -> Result<Value> {
    match node {
        Node::Name(n) if &**n == "val" => Ok(Value::str(val)),
        n if is_literal(n) => it.eval(node, None),
        _ => Err(EvalError::needs(
            "a filter argument that is not `val` or a literal",
        )),
    }
}

fn str_arg<'v>(v: &'v Value, what: &str) -> Result<&'v str> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(EvalError::needs(format!("{what} that is not a str"))),
    }
}

/// Applies filter expression `expr` to `val`; `None` when the filter returns `None`.
pub(crate) fn apply(expr: &str, val: &str) -> Result<Option<String>> {
    let _guard = crate::stack::Guard::new();
    let text = expr.trim_matches(crate::value::is_py_space);
    if text.is_empty() {
        return Ok(Some(val.to_owned()));
    }
    let node = crate::parser::parse(text).map_err(|e| e.with_expr(expr))?;
    let Node::Call(func, args) = &node else {
        return Err(EvalError::needs("a filter that is not a call").with_expr(expr));
    };
    let Node::Name(name) = &**func else {
        return Err(EvalError::needs("a filter that is not a call").with_expr(expr));
    };
    let it = Interp::new(&NoData);
    let mut call = Args::positional(Vec::new());
    for a in args {
        match a {
            Arg::Pos(n) => call.pos.push(arg_value(&it, n, val)?),
            Arg::Kw(k, n) => call.kw.push((k.clone(), arg_value(&it, n, val)?)),
            _ => return Err(EvalError::needs("a filter call with `*` arguments").with_expr(expr)),
        }
    }
    let words = |s: &str| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
    let r = match &**name {
        "native_filter" => {
            let a = bind_py(
                "native_filter",
                &["val", "pn", "bpn", "regex", "selfref"],
                &[Value::Bool(false), Value::Bool(true)],
                call,
            )?;
            let (v, pn, bpn) = (
                str_arg(&a[0], "val")?,
                str_arg(&a[1], "pn")?,
                str_arg(&a[2], "bpn")?,
            );
            if v.is_empty() {
                return Ok(None);
            }
            Some(native_filter(v, pn, bpn, a[3].truthy(), a[4].truthy()))
        }
        "suffix" | "prefix" => {
            let a = bind_py(name, &["val", name], &[], call)?;
            let (v, fix) = (str_arg(&a[0], "val")?, str_arg(&a[1], name)?);
            let out: Vec<String> = words(v)
                .into_iter()
                .map(|w| {
                    if &**name == "suffix" {
                        format!("{w}{fix}")
                    } else {
                        format!("{fix}{w}")
                    }
                })
                .collect();
            Some(out.join(" "))
        }
        "sort" => {
            let a = bind_py("sort", &["val"], &[], call)?;
            let mut w = words(str_arg(&a[0], "val")?);
            w.sort();
            Some(w.join(" "))
        }
        "remove" => {
            let a = bind_py("remove", &["val", "remove", "sep"], &[Value::None], call)?;
            let v = str_arg(&a[0], "val")?;
            let sep = match &a[2] {
                Value::None => None,
                Value::Str(s) if !s.is_empty() => Some(s.to_string()),
                _ => return Err(EvalError::needs("remove() with an unusual `sep`")),
            };
            let split = |s: &str| -> Vec<String> {
                match &sep {
                    None => words(s),
                    Some(p) => s.split(p.as_str()).map(str::to_owned).collect(),
                }
            };
            let gone = split(str_arg(&a[1], "remove")?);
            let kept: Vec<String> = split(v).into_iter().filter(|i| !gone.contains(i)).collect();
            Some(kept.join(sep.as_deref().unwrap_or(" ")))
        }
        "suffix_filter" | "suffix_filter_regex" => {
            let a = bind_py(name, &["val", "extname", "prefixes"], &[], call)?;
            let (v, ext) = (str_arg(&a[0], "val")?, str_arg(&a[1], "extname")?);
            let prefixes = str_list(&a[2])?;
            let mut out: Vec<String> = Vec::new();
            for w in v.split_whitespace() {
                let mapped = match &**name {
                    "suffix_filter_regex" if w.starts_with(&format!("^{ext}")) => w.to_owned(),
                    "suffix_filter_regex" if w.starts_with('^') => {
                        format!("^{ext}-{}", &w[1..])
                    }
                    _ => add_suffix(w, ext, &prefixes),
                };
                out.push(mapped);
            }
            Some(out.join(" "))
        }
        "suffix_filter_deps" => {
            let a = bind_py(name, &["val", "extname", "prefixes"], &[], call)?;
            let (v, ext) = (str_arg(&a[0], "val")?, str_arg(&a[1], "extname")?);
            let prefixes = str_list(&a[2])?;
            // Sorted by name as OE-Core's (`explode_dep_versions2` sorts). BitBake reads
            // DEPENDS through the filter, writes it back (handleVirtRecipeProviders) and
            // filters it again on later reads: the result is sorted by the new names.
            Some(suffix_filter_deps(v, ext, &prefixes)?)
        }
        "package_suffix_filter" => {
            let a = bind_py(name, &["val", "extname"], &[], call)?;
            let (v, ext) = (str_arg(&a[0], "val")?, str_arg(&a[1], "extname")?);
            let out: Vec<String> = package_mappings(v, ext)?
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            Some(out.join(" "))
        }
        _ => {
            return Err(EvalError::needs(format!("filter function `{name}`")).with_expr(expr));
        }
    };
    Ok(r)
}

fn str_list(v: &Value) -> Result<Vec<String>> {
    let items = v
        .seq_items()
        .ok_or_else(|| EvalError::needs("prefixes that are not a list"))?;
    items
        .iter()
        .map(|i| str_arg(i, "prefix").map(str::to_owned))
        .collect()
}

/// OE-Core's `oe.classextend.add_suffix`: the name of `val` in class extension `ext`.
fn add_suffix(val: &str, ext: &str, prefixes: &[String]) -> String {
    let keep = val.starts_with(&format!("{ext}-"))
        || val.ends_with("-native")
        || val.ends_with("-native-runtime")
        || val.contains("nativesdk-")
        || val.contains("-cross-")
        || val.contains("-crosssdk-")
        || prefixes.iter().any(|p| val.starts_with(&format!("{p}-")))
        || val.starts_with("kernel-")
        || val == "virtual/kernel"
        || val.starts_with("rtld")
        || val.ends_with("-crosssdk");
    if keep {
        return val.to_owned();
    }
    let mut val = val.to_owned();
    let ext_suffix = format!("-{ext}");
    if val.ends_with(&ext_suffix) {
        val = val.replace(&ext_suffix, "");
    }
    if let Some(subs) = val.strip_prefix("virtual/") {
        if val.matches('-').count() >= 3 && val.ends_with("-go") {
            return val;
        }
        if !subs.starts_with(ext) {
            return format!("virtual/{ext}-{subs}");
        }
        return val;
    }
    if val.starts_with('/') || (val.starts_with("${") && val.ends_with('}')) {
        return val;
    }
    if !val.starts_with(ext) {
        return format!("{ext}-{val}");
    }
    val
}

/// OE-Core's `suffix_filter_deps`: `bb.utils.explode_dep_versions2(val)` (sorted by
/// name), each name through [`add_suffix`] into an ordered dict (a name mapped twice keeps
/// its first place and its last constraints), then `bb.utils.join_deps(deps, False)`.
fn suffix_filter_deps(val: &str, ext: &str, prefixes: &[String]) -> Result<String> {
    // A version group before any name is a dependency named `None` in BitBake, and a
    // malformed group raises there: CPython gives the exception.
    if val
        .split(|c: char| c == ',' || crate::value::is_py_space(c))
        .find(|w| !w.is_empty())
        .is_some_and(|w| w.starts_with('('))
    {
        return Err(EvalError::needs(
            "suffix_filter_deps() of a version before any name",
        ));
    }
    if val
        .chars()
        .any(|c| crate::value::is_py_space(c) != c.is_whitespace())
    {
        return Err(EvalError::needs(
            "suffix_filter_deps() of text with unusual whitespace",
        ));
    }
    let deps = bb_util::deps::explode_dep_versions(val, true)
        .map_err(|e| EvalError::needs(format!("suffix_filter_deps() of a malformed list: {e}")))?;
    let mut mapped: Vec<(String, Vec<String>)> = Vec::with_capacity(deps.len());
    for dep in deps {
        let name = add_suffix(&dep.name, ext, prefixes);
        match mapped.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = dep.constraints,
            None => mapped.push((name, dep.constraints)),
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (name, constraints) in mapped {
        if constraints.is_empty() {
            out.push(name);
        } else {
            out.extend(constraints.iter().map(|c| format!("{name} ({c})")));
        }
    }
    Ok(out.join(" "))
}

/// OE-Core's `get_package_mappings`: (old name, new name) of each package.
fn package_mappings(packages: &str, ext: &str) -> Result<Vec<(String, String)>> {
    let sep = format!("{ext}-");
    packages
        .split_whitespace()
        .map(|p| {
            if p.starts_with(ext) {
                // `pkg.split(extname + "-")[1]`
                match p.split(sep.as_str()).nth(1) {
                    Some(second) => Ok((second.to_owned(), p.to_owned())),
                    None => Err(EvalError::exc("IndexError", "list index out of range")),
                }
            } else {
                Ok((p.to_owned(), add_suffix(p, ext, &[])))
            }
        })
        .collect()
}

/// An `oe.classextend.ClassExtender`: its extension name and multilib prefixes.
#[derive(Debug)]
pub(crate) struct ClassExtender {
    ext: String,
    prefixes: Vec<String>,
}

/// The methods of [`ClassExtender`] we run.
pub(crate) const EXTENDER_METHODS: &[&str] =
    &["set_filter", "map_packagevars", "rename_package_variables"];

/// `oe.classextend.ClassExtender(extname, prefixes, d)`.
pub(crate) fn new_extender(_it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("ClassExtender", &["extname", "prefixes", "d"], &[], args)?;
    if !matches!(a[2], Value::Datastore) {
        return Err(EvalError::needs(
            "ClassExtender with a `d` that is not the datastore",
        ));
    }
    Ok(Value::ClassExtender(std::rc::Rc::new(ClassExtender {
        ext: str_arg(&a[0], "extname")?.to_owned(),
        prefixes: str_list(&a[1])?,
    })))
}

fn py_list_repr(items: &[String]) -> Result<String> {
    let v = Value::list(items.iter().map(|s| Value::str(s.as_str())).collect());
    crate::value::py_repr(&v)
}

fn set_filter(it: &Interp<'_>, c: &ClassExtender, var: &str, deps: bool) -> Result<()> {
    let f = if deps {
        "suffix_filter_deps"
    } else {
        "suffix_filter"
    };
    let expr = format!("{f}(val, '{}', {})", c.ext, py_list_repr(&c.prefixes)?);
    it.ctx.set_var_filter(var, Some(&expr))
}

/// Calls method `name` of a [`ClassExtender`].
pub(crate) fn extender_method(
    it: &Interp<'_>,
    c: &ClassExtender,
    name: &str,
    args: Args,
) -> Result<Value> {
    match name {
        "set_filter" => {
            let a = bind_py("set_filter", &["var", "deps"], &[], args)?;
            set_filter(it, c, str_arg(&a[0], "var")?, a[1].truthy())?;
        }
        "map_packagevars" => {
            bind_py("map_packagevars", &[], &[], args)?;
            for v in [
                "RDEPENDS",
                "RRECOMMENDS",
                "RSUGGESTS",
                "RPROVIDES",
                "RREPLACES",
                "RCONFLICTS",
                "PKG",
            ] {
                set_filter(it, c, v, true)?;
            }
        }
        "rename_package_variables" => {
            let a = bind_py("rename_package_variables", &["variables"], &[], args)?;
            let variables = match &a[0] {
                Value::Str(_) => {
                    return Err(EvalError::needs("rename_package_variables() of a str"));
                }
                v => str_list(v)?,
            };
            let packages = it.ctx.get_var("PACKAGES", true)?.ok_or_else(|| {
                EvalError::exc(
                    "AttributeError",
                    "'NoneType' object has no attribute 'split'",
                )
            })?;
            let mappings = package_mappings(&packages, &c.ext)?;
            let ext = &c.ext;
            it.ctx.set_var_filter(
                "PACKAGES",
                Some(&format!("package_suffix_filter(val, '{ext}')")),
            )?;
            it.ctx.set_var_filter(
                "PACKAGES_DYNAMIC",
                Some(&format!(
                    "suffix_filter_regex(val, '{ext}', {})",
                    py_list_repr(&c.prefixes)?
                )),
            )?;
            for (old, new) in mappings {
                if old.starts_with("${") && old.ends_with('}') {
                    continue;
                }
                for subs in &variables {
                    it.ctx
                        .rename_var(&format!("{subs}:{old}"), &format!("{subs}:{new}"))?;
                }
            }
        }
        _ => return Err(EvalError::needs(format!("call to `ClassExtender.{name}`"))),
    }
    Ok(Value::None)
}

/// OE-Core's `native_filter`: dependency names of a `-native` variant.
fn native_filter(val: &str, pn: &str, bpn: &str, regex: bool, selfref: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    for dep in explode_deps(val) {
        if regex && dep.starts_with('^') && dep.ends_with('$') {
            if dep.ends_with("-native$") {
                out.push(dep.to_owned());
            } else {
                let stem = &dep[..dep.len() - 1];
                out.push(format!("{}-native$", stem.replace(pn, bpn)));
            }
        } else if dep == pn {
            if selfref {
                out.push(dep.to_owned());
            }
        } else if dep.contains("-cross-") {
            out.push(dep.replace("-cross", "-native"));
        } else if !dep.ends_with("-native") {
            out.push(format!("{}-native", dep.replace(pn, bpn)));
        } else {
            out.push(dep.to_owned());
        }
    }
    out.join(" ")
}
