//! Built-in functions: the Python builtins we evaluate natively, the helpers of `bb.utils`,
//! `oe.utils`, `oe.types`, `oe.path` and `os.path` that inline Python uses, and argument
//! binding with CPython's messages.
//!
//! Each helper reproduces the behaviour of the real function (BitBake's `lib/bb/utils.py`,
//! OE-Core's `meta/lib/oe/*.py`, CPython's `posixpath`), including the exceptions it raises on
//! odd input. Anything that would touch the file system, the environment, the host or a `def`
//! function is not here: looking it up yields `NeedsPython`.

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::format;
use crate::methods;
use crate::ops;
use crate::value::{
    Dict, Iter, Value, as_index, as_str, is_py_space, py_cmp, py_eq, py_repr, py_str, range_len,
    split_whitespace,
};

/// A callable we implement natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    // Python builtins.
    Abs,
    All,
    Any,
    Ascii,
    Bin,
    Bool,
    Callable,
    Chr,
    DictT,
    Divmod,
    Enumerate,
    Filter,
    Float,
    Format,
    FrozenSet,
    Hex,
    Int,
    IsInstance,
    IterF,
    Len,
    List,
    Map,
    Max,
    Min,
    Next,
    Oct,
    Ord,
    Pow,
    Range,
    Repr,
    Reversed,
    Round,
    Set,
    Sorted,
    Str,
    Sum,
    Tuple,
    Type,
    Zip,
    // bb.utils
    BbContains,
    BbContainsAny,
    BbFilter,
    BbFilterString,
    BbToBoolean,
    BbVercmpString,
    BbVercmpStringOp,
    BbParseVarsFromFile,
    BbParseMarkDependency,
    BbWhich,
    BbExplodeDeps,
    // bb logging
    BbNote,
    BbWarn,
    BbError,
    BbDebug,
    BbPlain,
    BbVerbnote,
    BbWarnonce,
    BbErroronce,
    BbFatal,
    // bb.data
    BbInheritsClass,
    BbDataCreateCopy,
    BbBuildAddtask,
    BbBuildDeltask,
    BbBuildTasksbetween,
    // oe.utils
    OeConditional,
    OeVartrue,
    OeLessOrEqual,
    OeVersionLessOrEqual,
    OeIfelse,
    OeAnyDistroFeatures,
    OeAllDistroFeatures,
    OeTrimVersion,
    OeBuildDependsString,
    OeSetDifference,
    OeSquashspaces,
    OePruneSuffix,
    OeParallelMake,
    OeParallelMakeArgument,
    OeMultilibPkgExtend,
    OeFilterDefaultFeatures,
    OeExtendVariants,
    OeInherits,
    OeCpuCount,
    BbCpuCount,
    OeMapKernelArch,
    OePathCanonicalize,
    OeMakeArchIndependent,
    OeExtendCveStatus,
    OeBaseSetFilespath,
    OeCheckLicenseFormat,
    OeCheckLicenseFlags,
    OeSkipIncompatible,
    BbFetchUri,
    OeClassExtender,
    OeSetClassFilter,
    OeClassFilterFeatures,
    OeLsbDistroIdentifier,
    BbMkdirhier,
    // oe.qa
    OeQaExitIfErrors,
    OeQaExitWithMessageIfErrors,
    // oe.buildcfg
    OeDetectBranch,
    OeDetectRevision,
    OeGitBranch,
    OeGitRevision,
    // oe.data / oe.packagegroup (lists only where consumed at once: see `eval_call`)
    OeDataTypedValue,
    OePgRequired,
    OePgOptional,
    // oe.types / oe.path
    OeTypesBoolean,
    OePathRelative,
    OePathJoin,
    OePathWhichWild,
    // os.path
    PathJoin,
    PathBasename,
    PathDirname,
    PathSplit,
    PathRelpath,
    PathSplitext,
    PathNormpath,
    PathIsabs,
    PathExists,
    PathLexists,
    PathIsfile,
    PathIsdir,
    PathIslink,
    PathAbspath,
    // os
    OsUname,
    OsGetcwd,
    OsGetuid,
    OsGetgid,
    OsGetpid,
}

use Builtin as B;

/// Python builtins by name.
const PY_BUILTINS: &[(&str, Builtin)] = &[
    ("abs", B::Abs),
    ("all", B::All),
    ("any", B::Any),
    ("ascii", B::Ascii),
    ("bin", B::Bin),
    ("bool", B::Bool),
    ("callable", B::Callable),
    ("chr", B::Chr),
    ("dict", B::DictT),
    ("divmod", B::Divmod),
    ("enumerate", B::Enumerate),
    ("filter", B::Filter),
    ("float", B::Float),
    ("format", B::Format),
    ("frozenset", B::FrozenSet),
    ("hex", B::Hex),
    ("int", B::Int),
    ("isinstance", B::IsInstance),
    ("iter", B::IterF),
    ("len", B::Len),
    ("list", B::List),
    ("map", B::Map),
    ("max", B::Max),
    ("min", B::Min),
    ("next", B::Next),
    ("oct", B::Oct),
    ("ord", B::Ord),
    ("pow", B::Pow),
    ("range", B::Range),
    ("repr", B::Repr),
    ("reversed", B::Reversed),
    ("round", B::Round),
    ("set", B::Set),
    ("sorted", B::Sorted),
    ("str", B::Str),
    ("sum", B::Sum),
    ("tuple", B::Tuple),
    ("type", B::Type),
    ("zip", B::Zip),
];

/// Module functions by module and name.
const MODULE_FUNCS: &[(&str, &str, Builtin)] = &[
    ("bb.utils", "contains", B::BbContains),
    ("bb.utils", "contains_any", B::BbContainsAny),
    ("bb.utils", "filter", B::BbFilter),
    ("bb.utils", "filter_string", B::BbFilterString),
    ("bb.utils", "to_boolean", B::BbToBoolean),
    ("bb.utils", "vercmp_string", B::BbVercmpString),
    ("bb.utils", "vercmp_string_op", B::BbVercmpStringOp),
    ("bb.parse", "vars_from_file", B::BbParseVarsFromFile),
    ("bb.parse", "mark_dependency", B::BbParseMarkDependency),
    ("bb.utils", "which", B::BbWhich),
    ("bb.utils", "explode_deps", B::BbExplodeDeps),
    ("bb", "note", B::BbNote),
    ("bb", "warn", B::BbWarn),
    ("bb", "error", B::BbError),
    ("bb", "debug", B::BbDebug),
    ("bb", "plain", B::BbPlain),
    ("bb", "verbnote", B::BbVerbnote),
    ("bb", "warnonce", B::BbWarnonce),
    ("bb", "erroronce", B::BbErroronce),
    ("bb", "fatal", B::BbFatal),
    ("bb.data", "inherits_class", B::BbInheritsClass),
    ("bb.data", "createCopy", B::BbDataCreateCopy),
    ("bb.build", "addtask", B::BbBuildAddtask),
    ("bb.build", "deltask", B::BbBuildDeltask),
    ("bb.build", "tasksbetween", B::BbBuildTasksbetween),
    ("oe.utils", "conditional", B::OeConditional),
    ("oe.utils", "vartrue", B::OeVartrue),
    ("oe.utils", "less_or_equal", B::OeLessOrEqual),
    ("oe.utils", "version_less_or_equal", B::OeVersionLessOrEqual),
    ("oe.utils", "ifelse", B::OeIfelse),
    ("oe.utils", "any_distro_features", B::OeAnyDistroFeatures),
    ("oe.utils", "all_distro_features", B::OeAllDistroFeatures),
    ("oe.utils", "trim_version", B::OeTrimVersion),
    ("oe.utils", "build_depends_string", B::OeBuildDependsString),
    ("oe.utils", "set_difference", B::OeSetDifference),
    ("oe.utils", "squashspaces", B::OeSquashspaces),
    ("oe.utils", "prune_suffix", B::OePruneSuffix),
    ("oe.utils", "parallel_make", B::OeParallelMake),
    (
        "oe.utils",
        "parallel_make_argument",
        B::OeParallelMakeArgument,
    ),
    ("oe.utils", "multilib_pkg_extend", B::OeMultilibPkgExtend),
    (
        "oe.utils",
        "filter_default_features",
        B::OeFilterDefaultFeatures,
    ),
    ("oe.utils", "extend_variants", B::OeExtendVariants),
    ("oe.utils", "inherits", B::OeInherits),
    ("oe.utils", "cpu_count", B::OeCpuCount),
    ("bb.utils", "cpu_count", B::BbCpuCount),
    ("oe.kernel", "map_kernel_arch", B::OeMapKernelArch),
    ("oe.path", "canonicalize", B::OePathCanonicalize),
    (
        "oe.utils",
        "make_arch_independent",
        B::OeMakeArchIndependent,
    ),
    ("oe.cve_check", "extend_cve_status", B::OeExtendCveStatus),
    ("oe.utils", "base_set_filespath", B::OeBaseSetFilespath),
    (
        "oe.license",
        "check_license_format",
        B::OeCheckLicenseFormat,
    ),
    ("oe.license", "check_license_flags", B::OeCheckLicenseFlags),
    ("bb.fetch", "URI", B::BbFetchUri),
    ("bb.fetch2", "URI", B::BbFetchUri),
    (
        "oe.license",
        "skip_incompatible_package_licenses",
        B::OeSkipIncompatible,
    ),
    ("oe.classextend", "ClassExtender", B::OeClassExtender),
    ("oe.utils", "set_class_filter", B::OeSetClassFilter),
    (
        "oe.utils",
        "class_filter_features",
        B::OeClassFilterFeatures,
    ),
    ("oe.lsb", "distro_identifier", B::OeLsbDistroIdentifier),
    ("bb.utils", "mkdirhier", B::BbMkdirhier),
    ("oe.qa", "exit_if_errors", B::OeQaExitIfErrors),
    (
        "oe.qa",
        "exit_with_message_if_errors",
        B::OeQaExitWithMessageIfErrors,
    ),
    ("oe.buildcfg", "detect_branch", B::OeDetectBranch),
    ("oe.buildcfg", "detect_revision", B::OeDetectRevision),
    ("oe.buildcfg", "get_metadata_git_branch", B::OeGitBranch),
    ("oe.buildcfg", "get_metadata_git_revision", B::OeGitRevision),
    ("oe.types", "boolean", B::OeTypesBoolean),
    ("oe.data", "typed_value", B::OeDataTypedValue),
    ("oe.packagegroup", "required_packages", B::OePgRequired),
    ("oe.packagegroup", "optional_packages", B::OePgOptional),
    ("oe.path", "relative", B::OePathRelative),
    ("oe.path", "join", B::OePathJoin),
    ("oe.path", "which_wild", B::OePathWhichWild),
    ("os.path", "join", B::PathJoin),
    ("os.path", "basename", B::PathBasename),
    ("os.path", "dirname", B::PathDirname),
    ("os.path", "split", B::PathSplit),
    ("os.path", "relpath", B::PathRelpath),
    ("os.path", "splitext", B::PathSplitext),
    ("os.path", "normpath", B::PathNormpath),
    ("os.path", "isabs", B::PathIsabs),
    ("os.path", "exists", B::PathExists),
    ("os.path", "lexists", B::PathLexists),
    ("os.path", "isfile", B::PathIsfile),
    ("os.path", "isdir", B::PathIsdir),
    ("os.path", "islink", B::PathIslink),
    ("os.path", "abspath", B::PathAbspath),
    ("os", "uname", B::OsUname),
    ("os", "getcwd", B::OsGetcwd),
    ("os", "getuid", B::OsGetuid),
    ("os", "getgid", B::OsGetgid),
    ("os", "getpid", B::OsGetpid),
];

impl Builtin {
    /// A Python builtin by its bare name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        PY_BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
    }

    /// A function of a module we model.
    pub(crate) fn from_module(module: &str, name: &str) -> Option<Self> {
        MODULE_FUNCS
            .iter()
            .find(|(m, n, _)| *m == module && *n == name)
            .map(|(_, _, b)| *b)
    }

    /// The function's `__name__`.
    pub(crate) fn name(self) -> &'static str {
        if let Some((n, _)) = PY_BUILTINS.iter().find(|(_, b)| *b == self) {
            return n;
        }
        MODULE_FUNCS
            .iter()
            .find(|(_, _, b)| *b == self)
            .map_or("?", |(_, n, _)| n)
    }

    /// Whether this builtin is a type (`str`, `list`, ...).
    pub(crate) fn is_type(self) -> bool {
        matches!(
            self,
            B::Bool
                | B::DictT
                | B::Enumerate
                | B::Filter
                | B::Float
                | B::FrozenSet
                | B::Int
                | B::List
                | B::Map
                | B::Range
                | B::Reversed
                | B::Set
                | B::Str
                | B::Tuple
                | B::Type
                | B::Zip
        )
    }

    /// Whether this is a function written in Python (a module helper), not a C builtin.
    pub(crate) fn is_python_function(self) -> bool {
        !PY_BUILTINS.iter().any(|(_, b)| *b == self)
    }
}

/// Python `isinstance(v, ty)` for a builtin type.
pub(crate) fn isinstance_of(v: &Value, ty: Builtin) -> bool {
    match ty {
        B::Str => matches!(v, Value::Str(_)),
        B::Int => matches!(v, Value::Int(_) | Value::Bool(_)),
        B::Bool => matches!(v, Value::Bool(_)),
        B::Float => matches!(v, Value::Float(_)),
        B::List => matches!(v, Value::List(_)),
        B::Tuple => matches!(v, Value::Tuple(_) | Value::StructTime(_)),
        B::DictT => matches!(v, Value::Dict(_)),
        B::Set => matches!(v, Value::Set(_, false)),
        B::FrozenSet => matches!(v, Value::Set(_, true)),
        B::Range => matches!(v, Value::Range(..)),
        B::Map | B::Filter | B::Zip | B::Enumerate | B::Reversed => v.type_name() == ty.name(),
        _ => false,
    }
}

/// The shape of a Python function's parameters, for [`bind`].
pub(crate) struct Signature<'a> {
    pub(crate) name: &'a str,
    pub(crate) params: &'a [&'a str],
    pub(crate) posonly: usize,
    pub(crate) varargs: bool,
    pub(crate) kwonly: &'a [&'a str],
    pub(crate) varkw: bool,
}

/// Arguments bound to parameters.
pub(crate) struct Bound {
    pub(crate) params: Vec<Value>,
    pub(crate) kwonly: Vec<Value>,
    pub(crate) varargs: Vec<Value>,
    pub(crate) varkw: Dict,
}

fn quoted_list(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        2 => format!("{} and {}", q[0], q[1]),
        n => format!("{}, and {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

/// Binds call arguments to a Python function's parameters, with CPython's messages.
/// `defaults` has one entry per parameter (`None` = required).
pub(crate) fn bind(
    sig: &Signature<'_>,
    args: Args,
    defaults: &[Option<Value>],
    kw_defaults: &[Option<Value>],
) -> Result<Bound> {
    let name = sig.name;
    let mut slots: Vec<Option<Value>> = vec![None; sig.params.len()];
    let mut kwslots: Vec<Option<Value>> = vec![None; sig.kwonly.len()];
    let mut varargs = Vec::new();
    let mut varkw = Dict::default();
    let npos = args.pos.len();
    for (i, v) in args.pos.into_iter().enumerate() {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(v);
        } else if sig.varargs {
            varargs.push(v);
        } else {
            let required = defaults
                .iter()
                .take(sig.params.len())
                .filter(|d| d.is_none())
                .count();
            let takes = if required == sig.params.len() {
                let s = if required == 1 { "" } else { "s" };
                format!("{required} positional argument{s}")
            } else {
                format!(
                    "from {required} to {} positional arguments",
                    sig.params.len()
                )
            };
            let was = if npos == 1 { "was" } else { "were" };
            return Err(EvalError::type_err(format!(
                "{name}() takes {takes} but {npos} {was} given"
            )));
        }
    }
    let mut posonly_as_kw = Vec::new();
    for (k, v) in args.kw {
        if let Some(i) = sig.params.iter().position(|p| **p == *k) {
            if i < sig.posonly {
                if sig.varkw {
                    varkw.insert(Value::Str(k), v)?;
                } else {
                    posonly_as_kw.push(sig.params[i]);
                }
                continue;
            }
            if slots[i].is_some() {
                return Err(EvalError::type_err(format!(
                    "{name}() got multiple values for argument '{k}'"
                )));
            }
            slots[i] = Some(v);
        } else if let Some(i) = sig.kwonly.iter().position(|p| **p == *k) {
            kwslots[i] = Some(v);
        } else if sig.varkw {
            varkw.insert(Value::Str(k), v)?;
        } else {
            return Err(EvalError::type_err(format!(
                "{name}() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    if !posonly_as_kw.is_empty() {
        return Err(EvalError::type_err(format!(
            "{name}() got some positional-only arguments passed as keyword arguments: '{}'",
            posonly_as_kw.join(", ")
        )));
    }
    let mut missing = Vec::new();
    for (i, slot) in slots.iter_mut().enumerate() {
        if slot.is_none() {
            match defaults.get(i).cloned().flatten() {
                Some(d) => *slot = Some(d),
                None => missing.push(sig.params[i]),
            }
        }
    }
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(EvalError::type_err(format!(
            "{name}() missing {} required positional argument{s}: {}",
            missing.len(),
            quoted_list(&missing)
        )));
    }
    for (i, slot) in kwslots.iter_mut().enumerate() {
        if slot.is_none() {
            match kw_defaults.get(i).cloned().flatten() {
                Some(d) => *slot = Some(d),
                None => missing.push(sig.kwonly[i]),
            }
        }
    }
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(EvalError::type_err(format!(
            "{name}() missing {} required keyword-only argument{s}: {}",
            missing.len(),
            quoted_list(&missing)
        )));
    }
    Ok(Bound {
        params: slots
            .into_iter()
            .map(|s| s.unwrap_or(Value::None))
            .collect(),
        kwonly: kwslots
            .into_iter()
            .map(|s| s.unwrap_or(Value::None))
            .collect(),
        varargs,
        varkw,
    })
}

/// Binds the arguments of a Python-level helper with positional-or-keyword parameters;
/// `defaults` gives the defaults of the trailing parameters.
pub(crate) fn bind_py(
    name: &str,
    params: &[&str],
    defaults: &[Value],
    args: Args,
) -> Result<Vec<Value>> {
    let first_default = params.len() - defaults.len();
    let defs: Vec<Option<Value>> = (0..params.len())
        .map(|i| {
            i.checked_sub(first_default)
                .and_then(|j| defaults.get(j).cloned())
        })
        .collect();
    let sig = Signature {
        name,
        params,
        posonly: 0,
        varargs: false,
        kwonly: &[],
        varkw: false,
    };
    Ok(bind(&sig, args, &defs, &[])?.params)
}

/// Binds the arguments of a C builtin: `min..=max` positional arguments and the keyword
/// arguments named in `kw` (which may also be given positionally when in range).
fn bind_c(
    name: &str,
    args: Args,
    min: usize,
    max: usize,
    kw: &[&str],
) -> Result<Vec<Option<Value>>> {
    let n = args.pos.len();
    if n > max {
        return Err(EvalError::type_err(if max == 1 && min == 1 {
            format!("{name}() takes exactly one argument ({n} given)")
        } else {
            format!(
                "{name}() takes at most {max} argument{} ({n} given)",
                if max == 1 { "" } else { "s" }
            )
        }));
    }
    let mut slots: Vec<Option<Value>> = args.pos.into_iter().map(Some).collect();
    slots.resize(max.max(kw.len()), None);
    for (k, v) in args.kw {
        match kw.iter().position(|p| **p == *k) {
            Some(i) => {
                let idx = max.saturating_sub(kw.len()) + i;
                let idx = if idx < slots.len() { idx } else { i };
                if slots.get(idx).is_some_and(Option::is_some) {
                    return Err(EvalError::type_err(format!(
                        "argument for {name}() given by name ('{k}') and position"
                    )));
                }
                if let Some(s) = slots.get_mut(idx) {
                    *s = Some(v);
                }
            }
            None => {
                return Err(EvalError::type_err(if kw.is_empty() {
                    format!("{name}() takes no keyword arguments")
                } else {
                    format!("{name}() got an unexpected keyword argument '{k}'")
                }));
            }
        }
    }
    let given = slots.iter().take(min).filter(|s| s.is_some()).count();
    if given < min {
        return Err(EvalError::type_err(if min == 1 && max == 1 {
            format!("{name}() takes exactly one argument (0 given)")
        } else {
            format!(
                "{name}() takes at least {min} argument{} ({given} given)",
                if min == 1 { "" } else { "s" }
            )
        }));
    }
    Ok(slots)
}

fn arg(slots: &[Option<Value>], i: usize) -> Option<&Value> {
    slots.get(i).and_then(Option::as_ref)
}

/// `'x' object cannot be interpreted as an integer`.
pub(crate) fn index_arg(v: &Value) -> Result<i64> {
    as_index(v).ok_or_else(|| {
        EvalError::type_err(format!(
            "'{}' object cannot be interpreted as an integer",
            v.type_name()
        ))
    })
}

/// Calls a builtin.
pub(crate) fn call(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    match b {
        B::Len => call_len(args),
        B::Str => call_str(args),
        B::Repr => call_repr(args),
        B::Ascii => call_ascii(args),
        B::Bool => call_bool(args),
        B::Int => call_int(args),
        B::Float => call_float(args),
        B::List | B::Tuple | B::Set | B::FrozenSet => call_list(it, b, args),
        B::DictT => dict(it, args),
        B::Sorted => sorted(it, args),
        B::Min | B::Max => min_max(it, b, args),
        B::Sum => call_sum(it, args),
        B::Any | B::All => call_any(it, b, args),
        B::Range => call_range(args),
        B::Enumerate => call_enumerate(it, args),
        B::Zip => call_zip(it, args),
        B::Map => call_map(it, args),
        B::Filter => call_filter(it, args),
        B::Reversed => call_reversed(it, args),
        B::IsInstance => call_isinstance(args),
        B::Abs => call_abs(args),
        B::Chr => call_chr(args),
        B::Ord => call_ord(args),
        B::Hex | B::Oct | B::Bin => call_hex(b, args),
        B::IterF => call_iterf(it, args),
        B::Next => call_next(it, args),
        B::Callable => call_callable(args),
        B::Type => call_type(args),
        B::Divmod => call_divmod(args),
        B::Pow => call_pow(args),
        B::Format => call_format(args),
        B::Round => call_round(args),
        _ => call_helper(it, b, args),
    }
}

fn iter_value(i: Iter) -> Value {
    Value::Iter(Rc::new(std::cell::RefCell::new(i)))
}

fn too_big() -> EvalError {
    EvalError::needs("integer beyond 64 bits")
}

/// Python `len()`.
pub(crate) fn len(v: &Value) -> Result<i64> {
    let n = match v {
        Value::Str(s) => s.chars().count(),
        Value::List(items) | Value::Set(items, _) => items.get().len(),
        Value::Tuple(items) => items.len(),
        Value::StructTime(t) => t.fields.len(),
        Value::Dict(d) | Value::View(_, d) => d.get().entries.len(),
        Value::Range(a, b, c) => return Ok(range_len(*a, *b, *c)),
        Value::Datastore | Value::DataCopy(_) => {
            return Err(EvalError::needs("len() of the datastore"));
        }
        other => {
            return Err(EvalError::type_err(format!(
                "object of type '{}' has no len()",
                other.type_name()
            )));
        }
    };
    i64::try_from(n).map_err(|_| too_big())
}

/// Parses the text of an integer as `int(text, base)` does.
pub(crate) fn parse_int(text: &str, base: i64) -> Result<i64> {
    let invalid = || {
        let mut r = String::new();
        let _ = crate::value::str_repr(text, &mut r);
        EvalError::value_err(format!("invalid literal for int() with base {base}: {r}"))
    };
    let s = text.trim_matches(is_py_space);
    if !s.is_ascii() {
        return Err(EvalError::needs("int() of text with non-ASCII characters"));
    }
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = s.to_ascii_lowercase();
    let mut radix = base;
    let mut digits = lower.as_str();
    let prefixed = |p: &str| lower.starts_with(p);
    if (base == 0 || base == 16) && prefixed("0x") {
        radix = 16;
        digits = &lower[2..];
    } else if (base == 0 || base == 8) && prefixed("0o") {
        radix = 8;
        digits = &lower[2..];
    } else if (base == 0 || base == 2) && prefixed("0b") {
        radix = 2;
        digits = &lower[2..];
    } else if base == 0 {
        radix = 10;
        if digits.len() > 1
            && digits.starts_with('0')
            && digits.chars().any(|c| c != '0' && c != '_')
        {
            return Err(invalid());
        }
    }
    let had_prefix = digits.len() != lower.len();
    // Underscores: single, between digits (one may follow a base prefix).
    let digits = if had_prefix {
        digits.strip_prefix('_').unwrap_or(digits)
    } else {
        digits
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(invalid());
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let radix = u32::try_from(radix).map_err(|_| invalid())?;
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    let mag = u64::from_str_radix(&clean, radix).map_err(|_| too_big())?;
    if neg {
        0i64.checked_sub_unsigned(mag).ok_or_else(too_big)
    } else {
        i64::try_from(mag).map_err(|_| too_big())
    }
}

fn int(x: Option<&Value>, base: Option<&Value>) -> Result<Value> {
    let Some(x) = x else {
        if base.is_some() {
            return Err(EvalError::type_err("int() missing string argument"));
        }
        return Ok(Value::Int(0));
    };
    if let Some(base) = base {
        let base = index_arg(base)?;
        if base != 0 && !(2..=36).contains(&base) {
            return Err(EvalError::value_err(
                "int() base must be >= 2 and <= 36, or 0",
            ));
        }
        let Value::Str(s) = x else {
            return Err(EvalError::type_err(
                "int() can't convert non-string with explicit base",
            ));
        };
        return parse_int(s, base).map(Value::Int);
    }
    match x {
        Value::Int(i) | Value::ReFlag(i) => Ok(Value::Int(*i)),
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        Value::Float(f) => float_to_int(*f).map(Value::Int),
        Value::Str(s) => parse_int(s, 10).map(Value::Int),
        other => Err(EvalError::type_err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

/// `int(f)` for a float.
pub(crate) fn float_to_int(f: f64) -> Result<i64> {
    if f.is_nan() {
        return Err(EvalError::value_err("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(EvalError::exc(
            "OverflowError",
            "cannot convert float infinity to integer",
        ));
    }
    let t = f.trunc();
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        return Err(too_big());
    }
    // invariant: t is integral and within i64's range, so the cast is exact.
    Ok(t as i64)
}

/// Python `float(v)`.
pub(crate) fn to_float(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) | Value::ReFlag(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Str(s) => parse_float(s).ok_or_else(|| {
            let mut r = String::new();
            let _ = crate::value::str_repr(s, &mut r);
            EvalError::value_err(format!("could not convert string to float: {r}"))
        }),
        other => Err(EvalError::type_err(format!(
            "float() argument must be a string or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

fn parse_float(text: &str) -> Option<f64> {
    let s = text.trim_matches(is_py_space);
    if !s.is_ascii() || s.is_empty() {
        return None;
    }
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    // Digits, with single underscores between digits only.
    let bytes = lower.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let before = i
                .checked_sub(1)
                .and_then(|j| bytes.get(j))
                .is_some_and(u8::is_ascii_digit);
            let after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !before || !after {
                return None;
            }
        } else if !(b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-')) {
            return None;
        }
    }
    let clean: String = lower.chars().filter(|c| *c != '_').collect();
    if clean.starts_with(['+', '-']) {
        return None;
    }
    clean.parse::<f64>().ok().map(|f| sign * f)
}

fn dict(it: &Interp<'_>, args: Args) -> Result<Value> {
    if args.pos.len() > 1 {
        return Err(EvalError::type_err(format!(
            "dict expected at most 1 argument, got {}",
            args.pos.len()
        )));
    }
    let mut d = Dict::default();
    if let Some(src) = args.pos.first() {
        match src {
            Value::Dict(m) => d = Dict::clone(&m.get()),
            other => {
                let items = it.collect(other)?;
                for (i, item) in items.iter().enumerate() {
                    let pair = match item {
                        Value::List(_)
                        | Value::Tuple(_)
                        | Value::Str(_)
                        | Value::Set(..)
                        | Value::Dict(_)
                        | Value::Range(..)
                        | Value::View(..)
                        | Value::Iter(_) => it.collect(item)?,
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
                    d.insert(k, v)?;
                }
            }
        }
    }
    for (k, v) in args.kw {
        d.insert(Value::Str(k), v)?;
    }
    Ok(Value::dict(d))
}

fn lt(a: &Value, b: &Value) -> Result<bool> {
    Ok(py_cmp(a, b, "<")? == Some(Ordering::Less))
}

/// Sorts `(key, value)` pairs by key with Python's `<`, stably. Short lists follow CPython's
/// exact comparison order (a run count, then binary insertion), so that the first failing
/// comparison, and thus the error message, is the same; longer ones use a stable merge sort.
pub(crate) fn py_sort(v: &mut Vec<(Value, Value)>) -> Result<()> {
    let n = v.len();
    if n < 2 {
        return Ok(());
    }
    if n >= 64 {
        let mut src = std::mem::take(v);
        let mut width = 1;
        while width < n {
            let mut out = Vec::with_capacity(n);
            let mut rest = src.into_iter().peekable();
            loop {
                let left: Vec<(Value, Value)> = rest.by_ref().take(width).collect();
                if left.is_empty() {
                    break;
                }
                let right: Vec<(Value, Value)> = rest.by_ref().take(width).collect();
                let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
                while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
                    let take_right = lt(&b.0, &a.0)?;
                    let next = if take_right { r.next() } else { l.next() };
                    out.extend(next);
                }
                out.extend(l);
                out.extend(r);
            }
            src = out;
            width *= 2;
        }
        *v = src;
        return Ok(());
    }
    let mut run = 2;
    if lt(&v[1].0, &v[0].0)? {
        while run < n && lt(&v[run].0, &v[run - 1].0)? {
            run += 1;
        }
        v[..run].reverse();
    } else {
        while run < n && !lt(&v[run].0, &v[run - 1].0)? {
            run += 1;
        }
    }
    for start in run..n {
        let (mut l, mut r) = (0, start);
        while l < r {
            let p = l + (r - l) / 2;
            if lt(&v[start].0, &v[p].0)? {
                r = p;
            } else {
                l = p + 1;
            }
        }
        v[l..=start].rotate_right(1);
    }
    Ok(())
}

/// Sorts values as `sorted(items, key=key, reverse=reverse)` does.
pub(crate) fn sort_values(
    it: &Interp<'_>,
    items: Vec<Value>,
    key: Option<&Value>,
    reverse: bool,
) -> Result<Vec<Value>> {
    let mut keyed: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for v in items {
        let k = match key {
            None | Some(Value::None) => v.clone(),
            Some(f) => it.call(f, Args::positional(vec![v.clone()]))?,
        };
        keyed.push((k, v));
    }
    if reverse {
        keyed.reverse();
    }
    py_sort(&mut keyed)?;
    let mut out: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
    if reverse {
        out.reverse();
    }
    Ok(out)
}

fn sorted(it: &Interp<'_>, args: Args) -> Result<Value> {
    if args.pos.len() != 1 {
        return Err(EvalError::type_err(format!(
            "sorted expected 1 argument, got {}",
            args.pos.len()
        )));
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
    let items = it.collect(&args.pos[0])?;
    Ok(Value::list(sort_values(it, items, key.as_ref(), reverse)?))
}

fn min_max(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let mut key = None;
    let mut default = None;
    for (k, v) in args.kw {
        match &*k {
            "key" => key = Some(v),
            "default" => default = Some(v),
            other => {
                return Err(EvalError::type_err(format!(
                    "{name}() got an unexpected keyword argument '{other}'"
                )));
            }
        }
    }
    let items = match args.pos.len() {
        0 => {
            return Err(EvalError::type_err(format!(
                "{name} expected at least 1 argument, got 0"
            )));
        }
        1 => it.collect(&args.pos[0])?,
        _ => {
            if default.is_some() {
                return Err(EvalError::type_err(format!(
                    "Cannot specify a default for {name}() with multiple positional arguments"
                )));
            }
            args.pos
        }
    };
    let mut best: Option<(Value, Value)> = None;
    for v in items {
        let k = match &key {
            None | Some(Value::None) => v.clone(),
            Some(f) => it.call(f, Args::positional(vec![v.clone()]))?,
        };
        best = Some(match best {
            None => (k, v),
            Some((bk, bv)) => {
                let better = if b == B::Max {
                    py_cmp(&k, &bk, ">")? == Some(Ordering::Greater)
                } else {
                    py_cmp(&k, &bk, "<")? == Some(Ordering::Less)
                };
                if better { (k, v) } else { (bk, bv) }
            }
        });
    }
    match (best, default) {
        (Some((_, v)), _) => Ok(v),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(EvalError::value_err(format!(
            "{name}() arg is an empty sequence"
        ))),
    }
}

fn modpow(x: &Value, y: &Value, m: &Value) -> Result<Value> {
    let (Some(x), Some(y), Some(m)) = (as_index(x), as_index(y), as_index(m)) else {
        return Err(EvalError::type_err(
            "pow() 3rd argument not allowed unless all arguments are integers",
        ));
    };
    if m == 0 {
        return Err(EvalError::value_err("pow() 3rd argument cannot be 0"));
    }
    if y < 0 {
        return Err(EvalError::needs(
            "pow() with a negative exponent and a modulus",
        ));
    }
    let m128 = i128::from(m);
    let mut result: i128 = 1 % m128;
    let mut base = i128::from(x).rem_euclid(m128.abs());
    let mut e = y;
    while e > 0 {
        if e & 1 == 1 {
            result = (result * base) % m128.abs();
        }
        base = (base * base) % m128.abs();
        e >>= 1;
    }
    // Python's result has the sign of the modulus.
    let mut r = result.rem_euclid(m128.abs());
    if m < 0 && r != 0 {
        r += m128;
    }
    i64::try_from(r).map(Value::Int).map_err(|_| too_big())
}

fn round(x: &Value, nd: Option<&Value>) -> Result<Value> {
    let nd = match nd {
        None | Some(Value::None) => None,
        Some(v) => Some(index_arg(v)?),
    };
    match x {
        Value::Int(_) | Value::Bool(_) => {
            let i = as_index(x).unwrap_or(0);
            match nd {
                None => Ok(Value::Int(i)),
                Some(n) if n >= 0 => Ok(Value::Int(i)),
                Some(n) => {
                    let Some(p) = u32::try_from(-n).ok().and_then(|e| 10i128.checked_pow(e)) else {
                        return Ok(Value::Int(0));
                    };
                    let v = i128::from(i);
                    let q = v.div_euclid(p);
                    let r = v.rem_euclid(p);
                    let twice = 2 * r;
                    let q = if twice > p || (twice == p && q % 2 != 0) {
                        q + 1
                    } else {
                        q
                    };
                    i64::try_from(q * p).map(Value::Int).map_err(|_| too_big())
                }
            }
        }
        Value::Float(f) => match nd {
            None => {
                let r = f.round_ties_even();
                float_to_int(r).map(Value::Int)
            }
            Some(n) if (0..=300).contains(&n) && f.is_finite() => {
                let n = usize::try_from(n).unwrap_or(0);
                let text = format!("{f:.n$}");
                Ok(Value::Float(text.parse::<f64>().unwrap_or(*f)))
            }
            Some(_) if !f.is_finite() => Ok(Value::Float(*f)),
            Some(_) => Err(EvalError::needs(
                "round() of a float to many or negative digits",
            )),
        },
        other => Err(EvalError::type_err(format!(
            "type {} doesn't define __round__ method",
            other.type_name()
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// BitBake and OE-Core helpers.

/// `d.getVar(var)` on whatever object was passed as `d`.
fn d_getvar(it: &Interp<'_>, d: &Value, var: &Value) -> Result<Value> {
    if let (Value::Datastore, Value::Str(name)) = (d, var) {
        return Ok(it.ctx.get_var(name, true)?.map_or(Value::None, Value::str));
    }
    let get = methods::get_attr(d, "getVar")?;
    it.call(&get, Args::positional(vec![var.clone()]))
}

/// A set of words from `checkvalues`: split if a string, else its (hashable) items.
fn check_set(it: &Interp<'_>, checkvalues: &Value) -> Result<Vec<Value>> {
    match checkvalues {
        Value::Str(s) => ops::unique(split_whitespace(s).map(Value::str).collect()),
        other => ops::unique(it.collect(other)?),
    }
}

/// The set of words of a variable's value (a non-empty str).
fn word_set(val: &Value) -> Result<Vec<Arc<str>>> {
    match val {
        Value::Str(s) => Ok(split_whitespace(s).map(Arc::from).collect()),
        other => Err(EvalError::exc(
            "AttributeError",
            format!("'{}' object has no attribute 'split'", other.type_name()),
        )),
    }
}

fn in_words(words: &[Arc<str>], v: &Value) -> bool {
    matches!(v, Value::Str(s) if words.iter().any(|w| w == s))
}

fn vercmp_split(v: &Value) -> Result<(i64, String, String)> {
    let Value::Str(s) = v else {
        return Err(EvalError::exc(
            "AttributeError",
            format!("'{}' object has no attribute 'strip'", v.type_name()),
        ));
    };
    if !s.is_ascii() {
        return Err(EvalError::needs(
            "vercmp of a version with non-ASCII characters",
        ));
    }
    let mut s: &str = s.trim_matches([' ', '<', '>', '=']);
    let mut e = 0;
    if s.contains(':') {
        let mut parts = s.split(':');
        e = parse_int(parts.next().unwrap_or(""), 10)?;
        s = parts.next().unwrap_or("");
    }
    let mut r = "";
    if let Some((head, tail)) = s.rsplit_once('-') {
        r = tail;
        s = head;
    }
    Ok((e, s.to_owned(), r.to_owned()))
}

fn vercmp_part(a: &str, b: &str) -> i64 {
    match bb_util::version::vercmp_part(a, b) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// `bb.utils.vercmp_string(a, b)`.
fn vercmp_string(a: &Value, b: &Value) -> Result<i64> {
    let (ea, va, ra) = vercmp_split(a)?;
    let (eb, vb, rb) = vercmp_split(b)?;
    let mut r = ea.checked_sub(eb).ok_or_else(too_big)?;
    if r == 0 {
        r = vercmp_part(&va, &vb);
    }
    if r == 0 {
        r = vercmp_part(&ra, &rb);
    }
    Ok(r)
}

/// `oe.types.boolean(value)`.
fn oe_boolean(v: &Value) -> Result<bool> {
    match v {
        Value::None => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Str(s) => {
            let lower = s.to_lowercase();
            match lower.as_str() {
                "yes" | "y" | "true" | "t" | "1" => Ok(true),
                "no" | "n" | "false" | "f" | "0" => Ok(false),
                _ => Err(EvalError::value_err(format!(
                    "Invalid boolean value '{lower}'"
                ))),
            }
        }
        other => Err(EvalError::type_err(format!(
            "boolean accepts a string, not '<class '{}'>'",
            other.type_name()
        ))),
    }
}

fn contains_impl(
    it: &Interp<'_>,
    var: &Value,
    check: &Value,
    t: Value,
    f: Value,
    d: &Value,
    any: bool,
) -> Result<Value> {
    let val = d_getvar(it, d, var)?;
    if !val.truthy() {
        return Ok(f);
    }
    let words = word_set(&val)?;
    let check = check_set(it, check)?;
    let hit = if any {
        check.iter().any(|c| in_words(&words, c))
    } else {
        check.iter().all(|c| in_words(&words, c))
    };
    Ok(if hit { t } else { f })
}

fn filter_string(it: &Interp<'_>, val: &Value, check: &Value) -> Result<Value> {
    if !val.truthy() {
        return Ok(Value::str(""));
    }
    let words = word_set(val)?;
    let check = check_set(it, check)?;
    let mut hits: Vec<Arc<str>> = check
        .iter()
        .filter_map(|c| match c {
            Value::Str(s) if words.iter().any(|w| w == s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    hits.sort();
    Ok(Value::str(hits.join(" ")))
}

/// `oe.utils.set_difference(variable1, variable2, d)`.
fn set_difference(it: &Interp<'_>, var1: &Value, var2: &Value, d: &Value) -> Result<Value> {
    let s = |x: &str| Value::str(x);
    let a = [var1.clone(), var2.clone(), d.clone()];
    let v1 = d_getvar(it, &a[2], &a[0])?;
    if !v1.truthy() {
        return Ok(s(""));
    }
    let v2 = d_getvar(it, &a[2], &a[1])?;
    if !v2.truthy() {
        return Ok(v1);
    }
    let w1 = word_set(&v1)?;
    let w2 = word_set(&v2)?;
    if w2.iter().any(|w| &**w == "*") {
        return Ok(s(""));
    }
    let mut out: Vec<Arc<str>> = Vec::new();
    for w in w1 {
        if !w2.contains(&w) && !out.contains(&w) {
            out.push(w);
        }
    }
    out.sort();
    Ok(Value::str(out.join(" ")))
}

/// `oe.utils.parallel_make(d, makeinst)`: the `-j` value of PARALLEL_MAKE(INST), or ''.
fn parallel_make(it: &Interp<'_>, d: &Value, makeinst: &Value) -> Result<Value> {
    let var = if makeinst.truthy() {
        "PARALLEL_MAKEINST"
    } else {
        "PARALLEL_MAKE"
    };
    let pm = d_getvar(it, d, &Value::str(var))?;
    let pm = if pm.truthy() { pm } else { Value::str("") };
    let words = word_set(&pm)?;
    let mut opts = words.iter();
    while let Some(opt) = opts.next() {
        let v: String = if &**opt == "-j" {
            match opts.next() {
                Some(v) => v.to_string(),
                None => return Err(EvalError::exc("IndexError", "pop from empty list")),
            }
        } else if let Some(rest) = opt.strip_prefix("-j") {
            rest.trim_matches(is_py_space).to_owned()
        } else {
            continue;
        };
        return parse_int(&v, 10).map(Value::Int);
    }
    Ok(Value::str(""))
}

fn path_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(EvalError::type_err(format!(
            "expected str, bytes or os.PathLike object, not {}",
            other.type_name()
        ))),
    }
}

/// `posixpath.join`.
fn path_join(parts: &[Value]) -> Result<String> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(EvalError::type_err(
            "join() missing 1 required positional argument: 'a'",
        ));
    };
    let mut path = path_arg(first)?.to_owned();
    for p in rest {
        let Value::Str(b) = p else {
            return Err(EvalError::type_err(format!(
                "join() argument must be str, bytes, or os.PathLike object, not '{}'",
                p.type_name()
            )));
        };
        if b.starts_with('/') {
            path = b.to_string();
        } else if path.is_empty() || path.ends_with('/') {
            path.push_str(b);
        } else {
            path.push('/');
            path.push_str(b);
        }
    }
    Ok(path)
}

/// `posixpath.split`.
fn path_split(p: &str) -> (String, String) {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = p.split_at(i);
    let head = if !head.is_empty() && head.chars().any(|c| c != '/') {
        head.trim_end_matches('/')
    } else {
        head
    };
    (head.to_owned(), tail.to_owned())
}

/// `posixpath.normpath`.
pub(crate) fn normpath(path: &str) -> String {
    bb_util::normpath(path)
}

/// `posixpath.splitext`.
fn splitext(p: &str) -> (String, String) {
    let sep = p.rfind('/').map_or(-1, |i| i as i64);
    let Some(dot) = p.rfind('.') else {
        return (p.to_owned(), String::new());
    };
    let dot_i = dot as i64;
    if dot_i > sep {
        let start = usize::try_from(sep + 1).unwrap_or(0);
        if p[start..dot].bytes().any(|b| b != b'.') {
            return (p[..dot].to_owned(), p[dot..].to_owned());
        }
    }
    (p.to_owned(), String::new())
}

/// `posixpath.relpath` when the answer does not depend on the working directory.
fn relpath(path: &Value, start: Option<&Value>) -> Result<Value> {
    if !path.truthy() {
        return Err(EvalError::value_err("no path specified"));
    }
    let path = path_arg(path)?;
    let start = match start {
        None | Some(Value::None) => ".",
        Some(s) => path_arg(s)?,
    };
    if path.is_empty() {
        return Err(EvalError::value_err("no path specified"));
    }
    let abs_p = path.starts_with('/');
    let abs_s = start.starts_with('/');
    let escapes = |p: &str| {
        let n = normpath(p);
        n == ".." || n.starts_with("../")
    };
    if abs_p != abs_s || (!abs_p && (escapes(path) || escapes(start))) {
        return Err(EvalError::needs(
            "os.path.relpath() that depends on the working directory",
        ));
    }
    let comps = |p: &str| -> Vec<String> {
        let n = if p.starts_with('/') {
            normpath(p)
        } else {
            normpath(&format!("/{p}"))
        };
        n.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let sl = comps(start);
    let pl = comps(path);
    let common = sl.iter().zip(pl.iter()).take_while(|(a, b)| a == b).count();
    let mut rel: Vec<String> = vec!["..".into(); sl.len() - common];
    rel.extend(pl[common..].iter().cloned());
    if rel.is_empty() {
        return Ok(Value::str("."));
    }
    Ok(Value::str(rel.join("/")))
}

fn str_arg<'v>(v: &'v Value, what: &str) -> Result<&'v Arc<str>> {
    as_str(v).ok_or_else(|| {
        EvalError::exc(
            "AttributeError",
            format!("'{}' object has no attribute '{what}'", v.type_name()),
        )
    })
}

fn call_helper(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    match b {
        B::BbContains | B::BbContainsAny => helper_bbcontains(it, b, args),
        B::BbFilter => helper_bbfilter(it, b, args),
        B::BbFilterString => helper_bbfilterstring(it, b, args),
        B::BbToBoolean => helper_bbtoboolean(b, args),
        B::BbVercmpString => helper_bbvercmpstring(b, args),
        B::BbVercmpStringOp => helper_bbvercmpstringop(b, args),
        B::OeConditional => helper_oeconditional(it, b, args),
        B::OeVartrue => helper_oevartrue(it, b, args),
        B::OeLessOrEqual => helper_oelessorequal(it, b, args),
        B::OeVersionLessOrEqual => helper_oeversionlessorequal(it, b, args),
        B::OeIfelse => helper_oeifelse(b, args),
        B::OeAnyDistroFeatures | B::OeAllDistroFeatures => helper_oeanydistrofeatures(it, b, args),
        B::OeTrimVersion => helper_oetrimversion(it, b, args),
        B::OeBuildDependsString => helper_oebuilddependsstring(b, args),
        B::OeSetDifference => helper_oesetdifference(it, b, args),
        B::OeFilterDefaultFeatures => helper_oefilterdefaultfeatures(it, b, args),
        B::OeInherits => helper_oe_inherits(it, args),
        B::OeCpuCount => helper_cpu_count(it, args),
        B::BbCpuCount => {
            bind_py("cpu_count", &[], &[], args)?;
            let cpus = need_host(it, "os.sched_getaffinity")?
                .cpu_count()
                .ok_or_else(|| EvalError::needs("`os.sched_getaffinity` (unknown on this host)"))?;
            Ok(Value::Int(i64::try_from(cpus).unwrap_or(i64::MAX)))
        }
        B::OeMapKernelArch => helper_map_kernel_arch(it, args),
        B::OePathCanonicalize => helper_canonicalize(it, args),
        B::OeMakeArchIndependent => helper_make_arch_independent(it, args),
        B::OeExtendCveStatus => helper_extend_cve_status(it, args),
        B::OeBaseSetFilespath => helper_base_set_filespath(it, args),
        B::OeCheckLicenseFormat => crate::license::check_license_format(it, args),
        B::OeCheckLicenseFlags => crate::license::check_license_flags(it, args),
        B::BbFetchUri => crate::uri::new(args),
        B::OeSkipIncompatible => crate::license::skip_incompatible_package_licenses(it, args),
        B::OeClassExtender => crate::filter::new_extender(it, args),
        B::OeSetClassFilter => helper_set_class_filter(it, args),
        B::OeClassFilterFeatures => helper_class_filter_features(it, args),
        B::OeLsbDistroIdentifier => helper_distro_identifier(it, args),
        B::BbMkdirhier => helper_mkdirhier(it, args),
        B::OeExtendVariants => helper_extend_variants(it, args),
        B::BbParseVarsFromFile => helper_vars_from_file(args),
        B::BbNote
        | B::BbWarn
        | B::BbError
        | B::BbDebug
        | B::BbPlain
        | B::BbVerbnote
        | B::BbWarnonce
        | B::BbErroronce
        | B::BbFatal => helper_log(it, b, args),
        B::BbInheritsClass => helper_inherits_class(it, args),
        B::BbDataCreateCopy => {
            // bb.data.createCopy(source) is source.createCopy().
            let a = bind_py("createCopy", &["source"], &[], args)?;
            d_method(it, &a[0], "createCopy", Vec::new())
        }
        B::BbBuildAddtask => helper_addtask(it, args),
        B::BbBuildDeltask => helper_deltask(it, args),
        B::OeParallelMake => helper_oeparallelmake(it, b, args),
        B::OeParallelMakeArgument => helper_oeparallelmakeargument(it, b, args),
        B::OeMultilibPkgExtend => helper_oemultilibpkgextend(it, b, args),
        B::OeSquashspaces => helper_oesquashspaces(b, args),
        B::OePruneSuffix => helper_oeprunesuffix(it, b, args),
        B::OeTypesBoolean => helper_oetypesboolean(b, args),
        B::OeDataTypedValue | B::OePgRequired | B::OePgOptional => {
            call_consumed(it, b, args, false)
        }
        B::OePathRelative => helper_oepathrelative(b, args),
        B::OePathJoin => helper_oepathjoin(args),
        B::BbBuildTasksbetween => helper_tasksbetween(it, args),
        B::OePathWhichWild => helper_which_wild(it, args),
        B::PathJoin => helper_pathjoin(args),
        B::PathBasename
        | B::PathDirname
        | B::PathSplit
        | B::PathSplitext
        | B::PathNormpath
        | B::PathIsabs => helper_path_simple(b, args),
        B::PathRelpath => helper_pathrelpath(b, args),
        B::PathExists | B::PathLexists | B::PathIsfile | B::PathIsdir | B::PathIslink => {
            helper_path_test(it, b, args)
        }
        B::PathAbspath => helper_abspath(it, args),
        B::OsGetcwd => {
            if !args.pos.is_empty() || !args.kw.is_empty() {
                return Err(EvalError::type_err(format!(
                    "getcwd() takes no arguments ({} given)",
                    args.pos.len() + args.kw.len()
                )));
            }
            host_cwd(it).map(Value::str)
        }
        B::OsGetuid | B::OsGetgid | B::OsGetpid => {
            let name = b.name();
            if !args.pos.is_empty() || !args.kw.is_empty() {
                return Err(EvalError::type_err(format!(
                    "{name}() takes no arguments ({} given)",
                    args.pos.len() + args.kw.len()
                )));
            }
            let ids = need_host(it, &format!("os.{name}"))?
                .ids()
                .ok_or_else(|| EvalError::needs(format!("call to `os.{name}`")))?;
            Ok(Value::Int(i64::from(match b {
                B::OsGetuid => ids.uid,
                B::OsGetgid => ids.gid,
                _ => ids.pid,
            })))
        }
        B::BbWhich => helper_which(it, args),
        B::OeQaExitIfErrors | B::OeQaExitWithMessageIfErrors => helper_qa_exit(it, b, args),
        B::BbExplodeDeps => {
            let a = bind_py("explode_deps", &["s"], &[], args)?;
            let s = str_arg(&a[0], "split")?;
            Ok(Value::list(
                explode_deps(s).into_iter().map(Value::str).collect(),
            ))
        }
        B::OeDetectBranch | B::OeDetectRevision | B::OeGitBranch | B::OeGitRevision => {
            helper_buildcfg(it, b, args)
        }
        B::BbParseMarkDependency => helper_mark_dependency(it, args),
        B::OsUname => {
            if !args.pos.is_empty() || !args.kw.is_empty() {
                return Err(EvalError::needs("`os.uname` with arguments"));
            }
            match it.ctx.host_uname() {
                Some(u) => Ok(Value::tuple(
                    u.into_iter().map(|x| Value::str(x.as_str())).collect(),
                )),
                None => Err(EvalError::needs("call to `os.uname`")),
            }
        }
        _ => Err(EvalError::needs(format!("call to `{}`", b.name()))),
    }
}

/// `bb.note(*args)` and its siblings: the arguments are joined (they must be strings) and
/// logged; `bb.fatal` then raises `BBHandledException` (its message is the logged text).
fn helper_log(it: &Interp<'_>, b: Builtin, mut args: Args) -> Result<Value> {
    let name = b.name();
    let extra_kw = matches!(b, B::BbError | B::BbFatal);
    if !args.kw.is_empty() && !extra_kw {
        let (k, _) = &args.kw[0];
        return Err(EvalError::type_err(format!(
            "{name}() got an unexpected keyword argument '{k}'"
        )));
    }
    if b == B::BbDebug {
        if args.pos.is_empty() {
            return Err(EvalError::type_err(
                "debug() missing 1 required positional argument: 'lvl'",
            ));
        }
        // A string level is logged as part of the message (with a warning we do not repeat).
        if !matches!(args.pos[0], Value::Str(_)) {
            args.pos.remove(0);
        }
    }
    let mut message = String::new();
    for (i, a) in args.pos.iter().enumerate() {
        match a {
            Value::Str(s) => message.push_str(s),
            other => {
                return Err(EvalError::type_err(format!(
                    "sequence item {i}: expected str instance, {} found",
                    other.type_name()
                )));
            }
        }
    }
    it.ctx.log(name, &message);
    if b == B::BbFatal {
        return Err(EvalError::exc("BBHandledException", message));
    }
    Ok(Value::None)
}

/// `bb.data.inherits_class(klass, d)`: whether `klass.bbclass` is in `__inherit_cache`.
/// A `str` or `None` argument of `bb.build.addtask`.
fn opt_str(v: &Value, what: &str) -> Result<Option<String>> {
    match v {
        Value::None => Ok(None),
        Value::Str(s) => Ok(Some(s.to_string())),
        _ => Err(EvalError::needs(format!(
            "`bb.build.addtask` with a non-string `{what}`"
        ))),
    }
}

/// `bb.build.addtask(task, before, after, d)`.
fn helper_addtask(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("addtask", &["task", "before", "after", "d"], &[], args)?;
    if !matches!(a[3], Value::Datastore) {
        return Err(EvalError::needs(
            "addtask() with a `d` that is not the datastore",
        ));
    }
    let task = str_arg(&a[0], "task")?.to_string();
    let before = opt_str(&a[1], "before")?;
    let after = opt_str(&a[2], "after")?;
    it.ctx
        .add_task(&task, before.as_deref(), after.as_deref())?;
    Ok(Value::None)
}

/// `bb.build.deltask(task, d)`.
fn helper_deltask(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("deltask", &["task", "d"], &[], args)?;
    if !matches!(a[1], Value::Datastore) {
        return Err(EvalError::needs(
            "deltask() with a `d` that is not the datastore",
        ));
    }
    let task = str_arg(&a[0], "task")?.to_string();
    it.ctx.del_task(&task)?;
    Ok(Value::None)
}

fn helper_inherits_class(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("inherits_class", &["klass", "d"], &[], args)?;
    if !matches!(a[1], Value::Datastore) {
        return Err(EvalError::needs(
            "inherits_class() with a `d` that is not the datastore",
        ));
    }
    let needle = match &a[0] {
        Value::Str(k) => format!("/{k}.bbclass"),
        other => {
            return Err(EvalError::type_err(format!(
                "can only concatenate str (not \"{}\") to str",
                other.type_name()
            )));
        }
    };
    let items = match it.ctx.internal_list("__inherit_cache", None) {
        Some(items) => items,
        // A plain string value iterates by character: no item ends with the needle.
        None => return Ok(Value::Bool(false)),
    };
    Ok(Value::Bool(items.iter().any(|v| v.ends_with(&needle))))
}

/// The exception classes we know: Python's builtin ones and BitBake's, with their bases.
const EXCEPTIONS: &[(&str, Option<&str>)] = &[
    ("BaseException", None),
    ("SystemExit", Some("BaseException")),
    ("KeyboardInterrupt", Some("BaseException")),
    ("GeneratorExit", Some("BaseException")),
    ("Exception", Some("BaseException")),
    ("ArithmeticError", Some("Exception")),
    ("FloatingPointError", Some("ArithmeticError")),
    ("OverflowError", Some("ArithmeticError")),
    ("ZeroDivisionError", Some("ArithmeticError")),
    ("AssertionError", Some("Exception")),
    ("AttributeError", Some("Exception")),
    ("BufferError", Some("Exception")),
    ("EOFError", Some("Exception")),
    ("ImportError", Some("Exception")),
    ("ModuleNotFoundError", Some("ImportError")),
    ("LookupError", Some("Exception")),
    ("IndexError", Some("LookupError")),
    ("KeyError", Some("LookupError")),
    ("MemoryError", Some("Exception")),
    ("NameError", Some("Exception")),
    ("UnboundLocalError", Some("NameError")),
    ("OSError", Some("Exception")),
    ("FileNotFoundError", Some("OSError")),
    ("FileExistsError", Some("OSError")),
    ("PermissionError", Some("OSError")),
    ("IsADirectoryError", Some("OSError")),
    ("NotADirectoryError", Some("OSError")),
    ("ReferenceError", Some("Exception")),
    ("RuntimeError", Some("Exception")),
    ("NotImplementedError", Some("RuntimeError")),
    ("RecursionError", Some("RuntimeError")),
    ("StopIteration", Some("Exception")),
    ("SyntaxError", Some("Exception")),
    ("IndentationError", Some("SyntaxError")),
    ("TabError", Some("IndentationError")),
    ("SystemError", Some("Exception")),
    ("TypeError", Some("Exception")),
    ("ValueError", Some("Exception")),
    ("UnicodeError", Some("ValueError")),
    ("UnicodeDecodeError", Some("UnicodeError")),
    ("UnicodeEncodeError", Some("UnicodeError")),
    ("Warning", Some("Exception")),
    ("SkipRecipe", Some("Exception")),
    ("SkipPackage", Some("SkipRecipe")),
    ("BBHandledException", Some("Exception")),
    ("ExpansionError", Some("Exception")),
];

/// The classes of [`EXCEPTIONS`] that are BitBake's, not Python builtins: they are reached
/// as attributes (`bb.parse.SkipRecipe`), never as bare names.
pub(crate) const BITBAKE_EXCEPTIONS: [&str; 4] = [
    "SkipRecipe",
    "SkipPackage",
    "BBHandledException",
    "ExpansionError",
];

/// An exception class we know, by name.
pub(crate) fn exc_type(name: &str) -> Option<&'static str> {
    EXCEPTIONS.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
}

/// The base class of an exception class we know.
pub(crate) fn exc_parent(name: &str) -> Option<&'static str> {
    EXCEPTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, p)| *p)
}

/// Calls an exception class: `ValueError('x')`. Only positional arguments are accepted.
pub(crate) fn new_exception(kind: &'static str, args: Args) -> Result<Value> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(format!(
            "{kind}() takes no keyword arguments"
        )));
    }
    if matches!(
        kind,
        "OSError"
            | "FileNotFoundError"
            | "FileExistsError"
            | "PermissionError"
            | "IsADirectoryError"
            | "NotADirectoryError"
            | "SyntaxError"
            | "IndentationError"
            | "TabError"
            | "UnicodeDecodeError"
            | "UnicodeEncodeError"
            | "SystemExit"
            | "ExpansionError"
    ) {
        return Err(EvalError::needs(format!("creation of a `{kind}`")));
    }
    let message = match args.pos.as_slice() {
        [] => String::new(),
        // `str(KeyError(k))` is `repr(k)`.
        [k] if kind == "KeyError" => py_repr(k)?,
        [one] => py_str(one)?,
        many => py_repr(&Value::tuple(many.to_vec()))?,
    };
    Ok(Value::Exc(Rc::new(crate::value::ExcValue {
        kind,
        message,
        args: Some(args.pos),
    })))
}

/// `bb.parse.vars_from_file(mypkg, d)`: PN, PV and PR from a recipe file name.
fn helper_vars_from_file(args: Args) -> Result<Value> {
    let a = bind_py("vars_from_file", &["mypkg", "d"], &[], args)?;
    let none3 = || Value::tuple(vec![Value::None, Value::None, Value::None]);
    let path = match &a[0] {
        Value::Str(p) if p.ends_with(".bb") || p.ends_with(".bbappend") => p.clone(),
        Value::Str(_) => return Ok(none3()),
        v if !v.truthy() => return Ok(none3()),
        other => {
            return Err(EvalError::exc(
                "AttributeError",
                format!("'{}' object has no attribute 'endswith'", other.type_name()),
            ));
        }
    };
    let (stem, _) = splitext(&path_split(&path).1);
    let mut parts: Vec<Value> = stem.split('_').map(Value::str).collect();
    if parts.len() > 3 {
        return Err(EvalError::exc(
            "ParseError",
            format!(
                "ParseError in {path}: Unable to generate default variables from filename (too many underscores)"
            ),
        ));
    }
    parts.resize(3, Value::None);
    Ok(Value::list(parts))
}

/// `oe.utils.extend_variants(d, var, extend, delim=':')`.
fn helper_extend_variants(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "extend_variants",
        &["d", "var", "extend", "delim"],
        &[Value::str(":")],
        args,
    )?;
    let whole = d_getvar(it, &a[0], &a[1])?;
    let whole = if whole.truthy() {
        whole
    } else {
        Value::str("")
    };
    let mut variants = Vec::new();
    for ext in word_set(&whole)? {
        let split = Args::positional(vec![a[3].clone()]);
        let parts = methods::call_method(it, &Value::Str(ext), "split", split)?;
        if let Some(p) = parts.seq_items()
            && p.len() > 1
            && py_eq(&p[0], &a[2])
        {
            variants.push(py_str(&p[1])?);
        }
    }
    Ok(Value::str(variants.join(" ")))
}

// Each builtin has its own function, so that the dispatcher's frame stays small.

fn call_len(args: Args) -> Result<Value> {
    let a = bind_c("len", args, 1, 1, &[])?;
    len(arg(&a, 0).unwrap_or(&Value::None)).map(Value::Int)
}

fn call_str(args: Args) -> Result<Value> {
    if args.pos.len() > 1 || !args.kw.is_empty() {
        return Err(EvalError::needs("str() with an encoding"));
    }
    match args.pos.first() {
        None => Ok(Value::str("")),
        Some(v) => Ok(Value::str(py_str(v)?)),
    }
}

fn call_repr(args: Args) -> Result<Value> {
    let a = bind_c("repr", args, 1, 1, &[])?;
    Ok(Value::str(py_repr(arg(&a, 0).unwrap_or(&Value::None))?))
}

fn call_ascii(args: Args) -> Result<Value> {
    let a = bind_c("ascii", args, 1, 1, &[])?;
    Ok(Value::str(format::ascii(&py_repr(
        arg(&a, 0).unwrap_or(&Value::None),
    )?)))
}

fn call_bool(args: Args) -> Result<Value> {
    let a = bind_c("bool", args, 0, 1, &[])?;
    Ok(Value::Bool(arg(&a, 0).is_some_and(Value::truthy)))
}

fn call_int(args: Args) -> Result<Value> {
    let a = bind_c("int", args, 0, 2, &["base"])?;
    int(arg(&a, 0), arg(&a, 1))
}

fn call_float(args: Args) -> Result<Value> {
    let a = bind_c("float", args, 0, 1, &[])?;
    match arg(&a, 0) {
        None => Ok(Value::Float(0.0)),
        Some(v) => to_float(v).map(Value::Float),
    }
}

fn call_list(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let a = bind_c(b.name(), args, 0, 1, &[])?;
    let items = match arg(&a, 0) {
        None => Vec::new(),
        Some(v) => it.collect(v)?,
    };
    // Copying a set keeps its table, which we only know for some int sets.
    let copied = matches!(arg(&a, 0), Some(Value::Set(..)));
    let set_items = |items: Vec<Value>| -> Result<Vec<Value>> {
        let items = ops::unique(items)?;
        if copied {
            crate::value::derived_set_order(items, "copying a set")
        } else {
            crate::value::set_order(items)
        }
    };
    Ok(match b {
        B::List => Value::list(items),
        B::Tuple => Value::tuple(items),
        B::Set => Value::set(set_items(items)?, false),
        _ => Value::set(set_items(items)?, true),
    })
}

fn call_sum(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("sum", args, 1, 2, &["start"])?;
    let mut acc = arg(&a, 1).cloned().unwrap_or(Value::Int(0));
    match acc {
        Value::Str(_) => {
            return Err(EvalError::type_err(
                "sum() can't sum strings [use ''.join(seq) instead]",
            ));
        }
        Value::List(_) | Value::Tuple(_) => {}
        _ => {}
    }
    let src = it.iter_of(arg(&a, 0).unwrap_or(&Value::None))?;
    while let Some(v) = it.next(&src)? {
        acc = ops::binary(crate::ast::BinOp::Add, &acc, &v)?;
    }
    Ok(acc)
}

fn call_any(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let a = bind_c(b.name(), args, 1, 1, &[])?;
    let src = it.iter_of(arg(&a, 0).unwrap_or(&Value::None))?;
    let want = b == B::Any;
    while let Some(v) = it.next(&src)? {
        if v.truthy() == want {
            return Ok(Value::Bool(want));
        }
    }
    Ok(Value::Bool(!want))
}

fn call_range(args: Args) -> Result<Value> {
    let a = bind_c("range", args, 1, 3, &[])?;
    let ints: Vec<i64> = a
        .iter()
        .flatten()
        .map(index_arg)
        .collect::<Result<Vec<i64>>>()?;
    let (start, stop, step) = match ints.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        _ => {
            return Err(EvalError::type_err(
                "range expected at least 1 argument, got 0",
            ));
        }
    };
    if step == 0 {
        return Err(EvalError::value_err("range() arg 3 must not be zero"));
    }
    Ok(Value::Range(start, stop, step))
}

fn call_enumerate(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("enumerate", args, 1, 2, &["iterable", "start"])?;
    let src = it.iter_of(arg(&a, 0).unwrap_or(&Value::None))?;
    let start = arg(&a, 1).map(index_arg).transpose()?.unwrap_or(0);
    Ok(iter_value(Iter::Enumerate(Value::Iter(src), start)))
}

fn call_zip(it: &Interp<'_>, args: Args) -> Result<Value> {
    if args.kw.iter().any(|(k, v)| &**k == "strict" && v.truthy()) {
        return Err(EvalError::needs("zip(strict=True)"));
    }
    if let Some((k, _)) = args.kw.iter().find(|(k, _)| &**k != "strict") {
        return Err(EvalError::type_err(format!(
            "zip() got an unexpected keyword argument '{k}'"
        )));
    }
    let iters = args
        .pos
        .iter()
        .map(|v| it.iter_of(v).map(Value::Iter))
        .collect::<Result<Vec<_>>>()?;
    Ok(iter_value(Iter::Zip(iters)))
}

fn call_map(it: &Interp<'_>, args: Args) -> Result<Value> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err("map() takes no keyword arguments"));
    }
    let mut pos = args.pos.into_iter();
    let (Some(f), true) = (pos.next(), pos.len() > 0) else {
        return Err(EvalError::type_err(
            "map() must have at least two arguments.",
        ));
    };
    let iters = pos
        .map(|v| it.iter_of(&v).map(Value::Iter))
        .collect::<Result<Vec<_>>>()?;
    Ok(iter_value(Iter::Map(f, iters)))
}

fn call_filter(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("filter", args, 2, 2, &[])?;
    let f = arg(&a, 0).cloned().unwrap_or(Value::None);
    let src = it.iter_of(arg(&a, 1).unwrap_or(&Value::None))?;
    Ok(iter_value(Iter::Filter(f, Value::Iter(src))))
}

fn call_reversed(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("reversed", args, 1, 1, &[])?;
    let v = arg(&a, 0).unwrap_or(&Value::None);
    if let Value::List(l) = v {
        let len = l.get().len();
        return Ok(iter_value(Iter::ListRev(l.clone(), len)));
    }
    let mut items = match v {
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Range(..) | Value::Dict(_) => {
            it.collect(v)?
        }
        Value::View(..) => it.collect(v)?,
        other => {
            return Err(EvalError::type_err(format!(
                "'{}' object is not reversible",
                other.type_name()
            )));
        }
    };
    items.reverse();
    Ok(iter_value(Iter::Seq(
        Rc::new(crate::value::Items(items)),
        0,
    )))
}

fn call_isinstance(args: Args) -> Result<Value> {
    let a = bind_c("isinstance", args, 2, 2, &[])?;
    let v = arg(&a, 0).unwrap_or(&Value::None);
    let v0 = arg(&a, 0).unwrap_or(&Value::None);
    let classes: Vec<&'static str> = match arg(&a, 1).unwrap_or(&Value::None) {
        Value::ExcType(k) => vec![*k],
        Value::Tuple(ts) => ts
            .iter()
            .filter_map(|t| match t {
                Value::ExcType(k) => Some(*k),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Value::Exc(e) = v0
        && classes.iter().any(|c| crate::exec::is_subclass(e.kind, c))
    {
        return Ok(Value::Bool(true));
    }
    let event_classes: Vec<&'static str> = match arg(&a, 1).unwrap_or(&Value::None) {
        Value::EventClass(c) => vec![*c],
        Value::Tuple(ts) => ts
            .iter()
            .filter_map(|t| match t {
                Value::EventClass(c) => Some(*c),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Value::Event(e) = v0 {
        if event_classes
            .iter()
            .any(|c| crate::event::is_subclass(e.class(), c))
        {
            return Ok(Value::Bool(true));
        }
        if matches!(arg(&a, 1), Some(Value::EventClass(_))) {
            return Ok(Value::Bool(false));
        }
    } else if matches!(arg(&a, 1), Some(Value::EventClass(_))) {
        return Ok(Value::Bool(false));
    }
    let types = match arg(&a, 1).unwrap_or(&Value::None) {
        Value::Builtin(t) if t.is_type() => vec![*t],
        Value::ExcType(_) | Value::EventClass(_) => Vec::new(),
        Value::Unknown(p) => {
            return Err(EvalError::needs(format!("isinstance() with `{p}`")));
        }
        Value::Tuple(ts) => {
            let mut out = Vec::new();
            for t in ts.iter() {
                match t {
                    Value::Builtin(t) if t.is_type() => out.push(*t),
                    Value::ExcType(_) | Value::EventClass(_) => {}
                    Value::Unknown(p) => {
                        return Err(EvalError::needs(format!("isinstance() with `{p}`")));
                    }
                    _ => {
                        return Err(EvalError::type_err(
                            "isinstance() arg 2 must be a type, a tuple of types, or a union",
                        ));
                    }
                }
            }
            out
        }
        _ => {
            return Err(EvalError::type_err(
                "isinstance() arg 2 must be a type, a tuple of types, or a union",
            ));
        }
    };
    if matches!(
        v,
        Value::Datastore
            | Value::DataCopy(_)
            | Value::Module(_)
            | Value::Func(_)
            | Value::Builtin(_)
            | Value::Exc(_)
            | Value::ExcType(_)
            | Value::Event(_)
            | Value::EventClass(_)
            | Value::OrigEnv
    ) {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(types.iter().any(|t| isinstance_of(v, *t))))
}

fn call_abs(args: Args) -> Result<Value> {
    let a = bind_c("abs", args, 1, 1, &[])?;
    match arg(&a, 0).unwrap_or(&Value::None) {
        Value::Int(i) => i.checked_abs().map(Value::Int).ok_or_else(too_big),
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => Err(EvalError::type_err(format!(
            "bad operand type for abs(): '{}'",
            other.type_name()
        ))),
    }
}

fn call_chr(args: Args) -> Result<Value> {
    let a = bind_c("chr", args, 1, 1, &[])?;
    let i = index_arg(arg(&a, 0).unwrap_or(&Value::None))?;
    if !(0..0x110000).contains(&i) {
        return Err(EvalError::value_err("chr() arg not in range(0x110000)"));
    }
    let c = u32::try_from(i).ok().and_then(char::from_u32);
    c.map(|c| Value::str(c.to_string()))
        .ok_or_else(|| EvalError::needs("chr() of a surrogate"))
}

fn call_ord(args: Args) -> Result<Value> {
    let a = bind_c("ord", args, 1, 1, &[])?;
    match arg(&a, 0).unwrap_or(&Value::None) {
        Value::Str(s) => {
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Ok(Value::Int(i64::from(u32::from(c)))),
                _ => Err(EvalError::type_err(format!(
                    "ord() expected a character, but string of length {} found",
                    s.chars().count()
                ))),
            }
        }
        other => Err(EvalError::type_err(format!(
            "ord() expected string of length 1, but {} found",
            other.type_name()
        ))),
    }
}

fn call_hex(b: Builtin, args: Args) -> Result<Value> {
    let a = bind_c(b.name(), args, 1, 1, &[])?;
    let i = index_arg(arg(&a, 0).unwrap_or(&Value::None))?;
    let (radix, prefix) = match b {
        B::Hex => (16, "0x"),
        B::Oct => (8, "0o"),
        _ => (2, "0b"),
    };
    let sign = if i < 0 { "-" } else { "" };
    Ok(Value::str(format!(
        "{sign}{prefix}{}",
        format::radix_digits(i.unsigned_abs(), radix, false)
    )))
}

fn call_iterf(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("iter", args, 1, 1, &[])?;
    Ok(Value::Iter(it.iter_of(arg(&a, 0).unwrap_or(&Value::None))?))
}

fn call_next(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_c("next", args, 1, 2, &[])?;
    match arg(&a, 0).unwrap_or(&Value::None) {
        Value::Iter(src) => match it.next(src)? {
            Some(v) => Ok(v),
            None => arg(&a, 1)
                .cloned()
                .ok_or_else(|| EvalError::exc("StopIteration", "")),
        },
        other => Err(EvalError::type_err(format!(
            "'{}' object is not an iterator",
            other.type_name()
        ))),
    }
}

/// `type(x)` for the values whose type we model as a builtin.
fn call_type(args: Args) -> Result<Value> {
    if args.pos.len() != 1 || !args.kw.is_empty() {
        return Err(EvalError::needs("type() with other than one argument"));
    }
    let t = match &args.pos[0] {
        Value::Str(_) => B::Str,
        Value::Bool(_) => B::Bool,
        Value::Int(_) => B::Int,
        Value::Float(_) => B::Float,
        Value::List(_) => B::List,
        Value::Tuple(_) => B::Tuple,
        Value::Dict(_) => B::DictT,
        Value::Set(_, false) => B::Set,
        Value::Set(_, true) => B::FrozenSet,
        Value::Range(..) => B::Range,
        Value::Builtin(b) if b.is_type() => B::Type,
        Value::ExcType(_) => B::Type,
        Value::Exc(e) => return Ok(Value::ExcType(e.kind)),
        other => {
            return Err(EvalError::needs(format!(
                "type() of a `{}` value",
                other.type_name()
            )));
        }
    };
    Ok(Value::Builtin(t))
}

/// `oe.utils.inherits(d, *classes)`: whether any of the classes is inherited.
fn helper_oe_inherits(it: &Interp<'_>, mut args: Args) -> Result<Value> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(
            "inherits() got an unexpected keyword argument",
        ));
    }
    if args.pos.is_empty() {
        return Err(EvalError::type_err(
            "inherits() missing 1 required positional argument: 'd'",
        ));
    }
    let d = args.pos.remove(0);
    for cls in args.pos {
        let r = helper_inherits_class(it, Args::positional(vec![cls, d.clone()]))?;
        if r.truthy() {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `oe.utils.base_set_filespath(path, d)`: FILESEXTRAPATHS and `path`, each joined with
/// every FILESOVERRIDES entry (last first) and the empty override.
fn helper_base_set_filespath(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("base_set_filespath", &["path", "d"], &[], args)?;
    let mut path: Vec<Value> = match &a[0] {
        Value::List(_) | Value::Tuple(_) => it.collect(&a[0])?,
        other => {
            return Err(EvalError::needs(format!(
                "base_set_filespath() of a `{}`",
                other.type_name()
            )));
        }
    };
    let text = |v: Value, what: &str| -> Result<String> {
        match v {
            Value::None => Ok(String::new()),
            Value::Str(s) => Ok(s.to_string()),
            other => Err(EvalError::needs(format!(
                "{what} that is a `{}`",
                other.type_name()
            ))),
        }
    };
    let extra = text(
        d_getvar(it, &a[1], &Value::str("FILESEXTRAPATHS"))?,
        "FILESEXTRAPATHS",
    )?
    .replace("__default:", "");
    if !extra.is_empty() {
        let mut p: Vec<Value> = extra.split(':').map(Value::str).collect();
        p.append(&mut path);
        path = p;
    }
    let ovr = text(
        d_getvar(it, &a[1], &Value::str("FILESOVERRIDES"))?,
        "FILESOVERRIDES",
    )?;
    let ovr = format!(":{ovr}");
    let mut out: Vec<String> = Vec::new();
    for o in ovr.split(':').rev() {
        for p in &path {
            if !matches!(p, Value::Str(s) if s.is_empty()) {
                out.push(path_join(&[p.clone(), Value::str(o)])?);
            }
        }
    }
    Ok(Value::str(out.join(":")))
}

/// `oe.cve_check.extend_cve_status(d)`: once per datastore, CVE_CHECK_IGNORE and the
/// groups of CVE_STATUS_GROUPS become CVE_STATUS flags.
fn helper_extend_cve_status(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("extend_cve_status", &["d"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "extend_cve_status() with a `d` that is not the datastore",
        ));
    }
    let ctx = it.ctx;
    if ctx
        .get_var("CVE_STATUS_EXTENDED", true)?
        .is_some_and(|v| !v.is_empty())
    {
        return Ok(Value::None);
    }
    ctx.set_var("CVE_STATUS_EXTENDED", Some("1"))?;
    if let Some(ignore) = ctx
        .get_var("CVE_CHECK_IGNORE", true)?
        .filter(|v| !v.is_empty())
    {
        ctx.log(
            "warn",
            "CVE_CHECK_IGNORE is deprecated in favor of CVE_STATUS",
        );
        for cve in split_whitespace(&ignore) {
            ctx.set_var_flag("CVE_STATUS", cve, Some("ignored"))?;
        }
    }
    let groups = ctx.get_var("CVE_STATUS_GROUPS", true)?.unwrap_or_default();
    for group in split_whitespace(&groups) {
        match ctx.get_var(group, true)? {
            Some(cves) => {
                let status = ctx.get_var_flag(group, "status", true)?;
                for cve in split_whitespace(&cves) {
                    ctx.set_var_flag("CVE_STATUS", cve, status.as_deref())?;
                }
            }
            None => ctx.log(
                "warn",
                &format!("CVE_STATUS_GROUPS contains undefined variable {group}"),
            ),
        }
    }
    Ok(Value::None)
}

/// `os.path.realpath(path)` (not strict): symbolic links of the existing components are
/// followed through the host; the rest is kept.
fn realpath(it: &Interp<'_>, path: &str) -> Result<String> {
    let host = need_host(it, "os.path.realpath")?;
    let start = if path.starts_with('/') {
        String::new()
    } else {
        host_cwd(it)?
    };
    let mut out = start;
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_owned).collect();
    let mut links = 0usize;
    while let Some(c) = pending.pop() {
        match c.as_str() {
            "" | "." => continue,
            ".." => {
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
                continue;
            }
            _ => {}
        }
        let next = format!("{out}/{c}");
        match host.read_link(&next) {
            None => {
                return Err(EvalError::needs(
                    "`os.path.realpath` (links unknown on this host)",
                ));
            }
            Some(None) => out = next,
            Some(Some(target)) => {
                links += 1;
                if links > 40 {
                    return Err(EvalError::needs(
                        "`os.path.realpath` of a symbolic link loop",
                    ));
                }
                if target.starts_with('/') {
                    out.clear();
                }
                pending.extend(target.split('/').rev().map(str::to_owned));
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// `oe.path.canonicalize(paths, sep=',')`: each path through `os.path.realpath`, trailing
/// slashes kept, empty entries and entries with `$` dropped.
fn helper_canonicalize(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("canonicalize", &["paths", "sep"], &[Value::str(",")], args)?;
    let paths = match &a[0] {
        Value::Str(s) => s.to_string(),
        v if !v.truthy() => String::new(),
        other => {
            return Err(EvalError::needs(format!(
                "oe.path.canonicalize of a `{}`",
                other.type_name()
            )));
        }
    };
    let Value::Str(sep) = &a[1] else {
        return Err(EvalError::needs(
            "oe.path.canonicalize with a `sep` that is not a str",
        ));
    };
    if sep.is_empty() {
        return Err(EvalError::exc("ValueError", "empty separator"));
    }
    let mut out = Vec::new();
    for p in paths.split(&**sep) {
        if !p.is_empty() && !p.contains('$') {
            let slash = if p.ends_with('/') { "/" } else { "" };
            out.push(format!("{}{slash}", realpath(it, p)?));
        }
    }
    Ok(Value::str(out.join(sep)))
}

/// `oe.utils.make_arch_independent(d)`: the fixed settings of an allarch recipe.
fn helper_make_arch_independent(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("make_arch_independent", &["d"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "make_arch_independent() with a `d` that is not the datastore",
        ));
    }
    let ctx = it.ctx;
    let set = |k: &str, v: &str| ctx.set_var(k, Some(v));
    for (k, v) in [
        ("baselib", "lib"),
        ("TARGET_ARCH", "allarch"),
        ("TARGET_OS", "linux"),
        ("TARGET_CC_ARCH", "none"),
        ("TARGET_LD_ARCH", "none"),
        ("TARGET_AS_ARCH", "none"),
        ("TARGET_FPU", ""),
        ("TARGET_PREFIX", ""),
    ] {
        set(k, v)?;
    }
    let extra = ctx.get_var("PACKAGE_EXTRA_ARCHS", true)?;
    ctx.set_var("PACKAGE_EXTRA_ARCHS", extra.as_deref())?;
    for (k, v) in [
        ("SDK_ARCH", "none"),
        ("SDK_CC_ARCH", "none"),
        ("TARGET_CPPFLAGS", "none"),
        ("TARGET_CFLAGS", "none"),
        ("TARGET_CXXFLAGS", "none"),
        ("TARGET_LDFLAGS", "none"),
        ("POPULATESYSROOTDEPS", ""),
        ("LDFLAGS", ""),
        ("EXCLUDE_FROM_SHLIBS", "1"),
        ("INHIBIT_PACKAGE_DEBUG_SPLIT", "1"),
        ("INHIBIT_PACKAGE_STRIP", "1"),
    ] {
        set(k, v)?;
    }
    ctx.append_var_flag("emit_pkgdata", "vardepsexclude", " MULTILIB_VARIANTS")?;
    ctx.append_var_flag("write_specfile", "vardepsexclude", " MULTILIBS")?;
    ctx.append_var_flag("do_package", "vardepsexclude", " package_do_shlibs")?;
    set(
        "qemu_wrapper_cmdline",
        "def qemu_wrapper_cmdline(data, rootfs_path, library_paths):\n    return 'false'",
    )?;
    Ok(Value::None)
}

/// `oe.kernel.map_kernel_arch(d)`: the Linux kernel's name for TARGET_ARCH.
fn helper_map_kernel_arch(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("map_kernel_arch", &["d"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "map_kernel_arch() with a `d` that is not the datastore",
        ));
    }
    let Some(arch) = it.ctx.get_var("TARGET_ARCH", true)? else {
        return Err(EvalError::type_err(
            "expected string or bytes-like object, got 'NoneType'",
        ));
    };
    const VALID: &[&str] = &[
        "alpha",
        "cris",
        "ia64",
        "i386",
        "x86",
        "m68knommu",
        "m68k",
        "ppc",
        "powerpc",
        "powerpc64",
        "ppc64",
        "sparc",
        "sparc64",
        "arm",
        "aarch64",
        "m32r",
        "mips",
        "sh",
        "sh64",
        "um",
        "h8300",
        "parisc",
        "s390",
        "v850",
        "avr32",
        "blackfin",
        "loongarch64",
        "microblaze",
        "nios2",
        "arc",
        "riscv",
        "xtensa",
    ];
    // `re.match` patterns in OE-Core's order.
    const TABLE: &[(&str, &str)] = &[
        ("(i.86|athlon|x86.64)$", "x86"),
        ("arceb$", "arc"),
        ("armeb$", "arm"),
        ("aarch64$", "arm64"),
        ("aarch64_be$", "arm64"),
        ("aarch64_ilp32$", "arm64"),
        ("aarch64_be_ilp32$", "arm64"),
        ("loongarch(32|64|)$", "loongarch"),
        ("mips(isa|)(32|64|)(r6|)(el|)$", "mips"),
        ("mcf", "m68k"),
        ("riscv(32|64|)(eb|)$", "riscv"),
        ("p(pc|owerpc)(|64)", "powerpc"),
        ("sh(3|4)$", "sh"),
        ("bfin", "blackfin"),
        ("microblazee[bl]", "microblaze"),
    ];
    for (pat, name) in TABLE {
        let re = crate::re::PyRegex::new(pat).map_err(EvalError::needs)?;
        if re.is_match_at_start(&arch) {
            return Ok(Value::str(*name));
        }
    }
    if VALID.contains(&arch.as_str()) {
        return Ok(Value::str(arch));
    }
    let os = it.ctx.get_var("TARGET_OS", true)?.unwrap_or_default();
    if !os.starts_with("linux") {
        return Ok(Value::str(arch));
    }
    it.ctx.log(
        "error",
        &format!("cannot map '{arch}' to a linux kernel architecture"),
    );
    Ok(Value::None)
}

/// `oe.utils.cpu_count(at_least=1, at_most=64)`: the CPUs of the process's affinity mask,
/// clamped.
fn helper_cpu_count(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "cpu_count",
        &["at_least", "at_most"],
        &[Value::Int(1), Value::Int(64)],
        args,
    )?;
    let (Value::Int(at_least), Value::Int(at_most)) = (&a[0], &a[1]) else {
        return Err(EvalError::needs(
            "oe.utils.cpu_count() with bounds that are not ints",
        ));
    };
    let cpus = need_host(it, "os.sched_getaffinity")?
        .cpu_count()
        .ok_or_else(|| EvalError::needs("`os.sched_getaffinity` (unknown on this host)"))?;
    let cpus = i64::try_from(cpus).unwrap_or(i64::MAX);
    Ok(Value::Int(cpus.min(*at_most).max(*at_least)))
}

fn str_of<'v>(v: &'v Value, what: &str) -> Result<&'v str> {
    match v {
        Value::Str(s) => Ok(s),
        Value::None => Err(EvalError::exc(
            "AttributeError",
            format!("'NoneType' object has no attribute '{what}'"),
        )),
        other => Err(EvalError::needs(format!(
            "{what} of a `{}`",
            other.type_name()
        ))),
    }
}

/// `oe.utils.set_class_filter(var, features_var, filter_var, d)`: `var` becomes a call of
/// `class_filter_features` on its current value (words with a `}` dropped, with a warning).
fn helper_set_class_filter(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "set_class_filter",
        &["var", "features_var", "filter_var", "d"],
        &[],
        args,
    )?;
    if !matches!(a[3], Value::Datastore) {
        return Err(EvalError::needs(
            "set_class_filter() with a `d` that is not the datastore",
        ));
    }
    let var = str_of(&a[0], "var")?;
    let (fv, flv) = (str_of(&a[1], "features_var")?, str_of(&a[2], "filter_var")?);
    let Some(mut defaults) = it.ctx.get_var(var, true)? else {
        return Err(EvalError::type_err(
            "argument of type 'NoneType' is not iterable",
        ));
    };
    if defaults.contains('}') {
        let issues: Vec<String> = split_whitespace(&defaults)
            .filter(|w| w.contains('}'))
            .map(str::to_owned)
            .collect();
        for issue in issues {
            defaults = defaults.replace(&issue, "");
            it.ctx.log(
                "warn",
                &format!("Unexpanded variable {issue} in {var} is not recommended"),
            );
        }
    }
    let value =
        format!("${{@oe.utils.class_filter_features(\"{defaults}\", \"{fv}\", \"{flv}\", d)}}");
    it.ctx.set_var(var, Some(&value))?;
    Ok(Value::None)
}

/// `oe.utils.class_filter_features(defaults, features_var, filter_var, d)`: the sorted
/// union of `features_var`'s words and the words of `defaults` listed in `filter_var`.
fn helper_class_filter_features(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "class_filter_features",
        &["defaults", "features_var", "filter_var", "d"],
        &[],
        args,
    )?;
    let features = d_getvar(it, &a[3], &a[1])?;
    let mut words: Vec<String> = split_whitespace(str_of(&features, "split")?)
        .map(str::to_owned)
        .collect();
    let check = d_getvar(it, &a[3], &a[2])?;
    let filtered = filter_string(it, &a[0], &check)?;
    words.extend(split_whitespace(str_of(&filtered, "split")?).map(str::to_owned));
    words.sort();
    words.dedup();
    Ok(Value::str(words.join(" ")))
}

/// `oe.lsb.distro_identifier(d=None)`: `ID-VERSION_ID` of `/etc/os-release`, with
/// non-word characters of the id removed.
fn helper_distro_identifier(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("distro_identifier", &["d"], &[Value::None], args)?;
    match &a[0] {
        Value::None => {}
        Value::Datastore => {
            if it
                .ctx
                .get_var("LSB_DISTRO_ADJUST", true)?
                .is_some_and(|v| !v.is_empty())
            {
                return Err(EvalError::needs(
                    "oe.lsb.distro_identifier() with LSB_DISTRO_ADJUST (a hook function)",
                ));
            }
        }
        _ => {
            return Err(EvalError::needs(
                "oe.lsb.distro_identifier() with a `d` that is not the datastore",
            ));
        }
    }
    let host = need_host(it, "oe.lsb.distro_identifier")?;
    let path = "/etc/os-release";
    let mut id = None;
    let mut release = None;
    if host.path_info(path).exists {
        let text = host
            .read_to_string(path)
            .ok_or_else(|| EvalError::needs("reading /etc/os-release (not UTF-8 text)"))?;
        for line in text.split_inclusive('\n') {
            let line = line.trim_end_matches(crate::value::is_py_space);
            let Some((key, val)) = line.split_once('=') else {
                continue;
            };
            let val = val.trim_matches(['"', '\'']).to_owned();
            match key.trim_matches(crate::value::is_py_space) {
                "ID" => id = Some(val),
                "VERSION_ID" => release = Some(val),
                _ => {}
            }
        }
    }
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Ok(Value::str("unknown"));
    };
    let id: String = id
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_lowercase();
    let s = match release.filter(|r| !r.is_empty()) {
        Some(r) => format!("{id}-{r}"),
        None => id,
    };
    Ok(Value::str(s.replace([' ', '/'], "-")))
}

/// `bb.utils.mkdirhier(dir)` for a directory that already exists (nothing to do); creating
/// one is a write to the file system, which needs Python.
fn helper_mkdirhier(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("mkdirhier", &["directory"], &[], args)?;
    let Value::Str(dir) = &a[0] else {
        return Err(EvalError::needs(
            "bb.utils.mkdirhier() of a value that is not a str",
        ));
    };
    if dir.contains("${") {
        return Err(EvalError::needs(
            "bb.utils.mkdirhier() of a name with an unexpanded variable (bb.fatal)",
        ));
    }
    if need_host(it, "bb.utils.mkdirhier")?.path_info(dir).is_dir {
        return Ok(Value::None);
    }
    Err(EvalError::needs(format!(
        "bb.utils.mkdirhier(`{dir}`) would create a directory"
    )))
}

/// Python `callable()` for the values we model.
pub(crate) fn is_callable(v: &Value) -> bool {
    matches!(
        v,
        Value::Func(_)
            | Value::Builtin(_)
            | Value::Method(..)
            | Value::TypeMethod(..)
            | Value::ExcType(_)
    )
}

fn call_callable(args: Args) -> Result<Value> {
    let a = bind_c("callable", args, 1, 1, &[])?;
    Ok(Value::Bool(arg(&a, 0).is_some_and(is_callable)))
}

fn call_divmod(args: Args) -> Result<Value> {
    let a = bind_c("divmod", args, 2, 2, &[])?;
    let (x, y) = (
        arg(&a, 0).unwrap_or(&Value::None),
        arg(&a, 1).unwrap_or(&Value::None),
    );
    if ops::is_number(x) && ops::is_number(y) {
        let is_float = |v: &Value| matches!(v, Value::Float(_));
        if (is_float(x) || is_float(y)) && ops::as_f64(y) == Some(0.0) {
            return Err(EvalError::exc("ZeroDivisionError", "float divmod()"));
        }
        let q = ops::binary(crate::ast::BinOp::FloorDiv, x, y)?;
        let r = ops::binary(crate::ast::BinOp::Mod, x, y)?;
        return Ok(Value::tuple(vec![q, r]));
    }
    Err(EvalError::type_err(format!(
        "unsupported operand type(s) for divmod(): '{}' and '{}'",
        x.type_name(),
        y.type_name()
    )))
}

fn call_pow(args: Args) -> Result<Value> {
    let a = bind_c("pow", args, 2, 3, &["base", "exp", "mod"])?;
    let (x, y) = (
        arg(&a, 0).unwrap_or(&Value::None),
        arg(&a, 1).unwrap_or(&Value::None),
    );
    match arg(&a, 2) {
        None | Some(Value::None) => ops::binary(crate::ast::BinOp::Pow, x, y),
        Some(m) => modpow(x, y, m),
    }
}

fn call_format(args: Args) -> Result<Value> {
    let a = bind_c("format", args, 1, 2, &[])?;
    let spec = match arg(&a, 1) {
        None => Arc::from(""),
        Some(Value::Str(s)) => s.clone(),
        Some(other) => {
            return Err(EvalError::type_err(format!(
                "format() argument 2 must be str, not {}",
                other.type_name()
            )));
        }
    };
    Ok(Value::str(format::format_value(
        arg(&a, 0).unwrap_or(&Value::None),
        &spec,
    )?))
}

fn call_round(args: Args) -> Result<Value> {
    let a = bind_c("round", args, 1, 2, &["number", "ndigits"])?;
    round(arg(&a, 0).unwrap_or(&Value::None), arg(&a, 1))
}

fn helper_bbcontains(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(
        name,
        &["variable", "checkvalues", "truevalue", "falsevalue", "d"],
        &[],
        args,
    )?;
    contains_impl(
        it,
        &a[0],
        &a[1],
        a[2].clone(),
        a[3].clone(),
        &a[4],
        b == B::BbContainsAny,
    )
}

fn helper_bbfilter(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["variable", "checkvalues", "d"], &[], args)?;
    let val = d_getvar(it, &a[2], &a[0])?;
    filter_string(it, &val, &a[1])
}

fn helper_bbfilterstring(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["val", "checkvalues"], &[], args)?;
    filter_string(it, &a[0], &a[1])
}

fn helper_bbtoboolean(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["string", "default"], &[Value::None], args)?;
    let v = &a[0];
    if !v.truthy() {
        return Ok(a[1].clone());
    }
    match v {
        Value::Int(i) => Ok(Value::Bool(*i != 0)),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::Str(st) => bb_util::to_boolean(Some(st), false)
            .map(Value::Bool)
            .map_err(|e| EvalError::value_err(e.to_string())),
        other => Err(EvalError::exc(
            "AttributeError",
            format!("'{}' object has no attribute 'lower'", other.type_name()),
        )),
    }
}

fn helper_bbvercmpstring(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["a", "b"], &[], args)?;
    vercmp_string(&a[0], &a[1]).map(Value::Int)
}

fn helper_bbvercmpstringop(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["a", "b", "op"], &[], args)?;
    let r = vercmp_string(&a[0], &a[1])?;
    let op = as_str(&a[2]).map(|s| s.to_string()).unwrap_or_default();
    let v = match op.as_str() {
        "=" | "==" => r == 0,
        "<=" => r <= 0,
        ">=" => r >= 0,
        ">" | ">>" => r > 0,
        "<" | "<<" => r < 0,
        "!=" => r != 0,
        _ => {
            return Err(EvalError::exc(
                "VersionStringException",
                format!("Unsupported comparison operator \"{}\"", py_str(&a[2])?),
            ));
        }
    };
    Ok(Value::Bool(v))
}

fn helper_oeconditional(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(
        name,
        &["variable", "checkvalue", "truevalue", "falsevalue", "d"],
        &[],
        args,
    )?;
    let val = d_getvar(it, &a[4], &a[0])?;
    Ok(if py_eq(&val, &a[1]) {
        a[2].clone()
    } else {
        a[3].clone()
    })
}

fn helper_oevartrue(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["var", "iftrue", "iffalse", "d"], &[], args)?;
    let val = d_getvar(it, &a[3], &a[0])?;
    Ok(if oe_boolean(&val)? {
        a[1].clone()
    } else {
        a[2].clone()
    })
}

fn helper_oelessorequal(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(
        name,
        &["variable", "checkvalue", "truevalue", "falsevalue", "d"],
        &[],
        args,
    )?;
    let val = d_getvar(it, &a[4], &a[0])?;
    let x = to_float(&val)?;
    let y = to_float(&a[1])?;
    Ok(if x <= y { a[2].clone() } else { a[3].clone() })
}

fn helper_oeversionlessorequal(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(
        name,
        &["variable", "checkvalue", "truevalue", "falsevalue", "d"],
        &[],
        args,
    )?;
    let val = d_getvar(it, &a[4], &a[0])?;
    Ok(if vercmp_string(&val, &a[1])? <= 0 {
        a[2].clone()
    } else {
        a[3].clone()
    })
}

fn helper_oeifelse(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(
        name,
        &["condition", "iftrue", "iffalse"],
        &[Value::Bool(true), Value::Bool(false)],
        args,
    )?;
    Ok(if a[0].truthy() {
        a[1].clone()
    } else {
        a[2].clone()
    })
}

fn helper_oeanydistrofeatures(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(
        name,
        &["d", "features", "truevalue", "falsevalue"],
        &[s("1"), s("")],
        args,
    )?;
    contains_impl(
        it,
        &s("DISTRO_FEATURES"),
        &a[1],
        a[2].clone(),
        a[3].clone(),
        &a[0],
        b == B::OeAnyDistroFeatures,
    )
}

fn helper_oetrimversion(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(name, &["version", "num_parts"], &[Value::Int(2)], args)?;
    let Value::Str(v) = &a[0] else {
        return Err(EvalError::type_err("Version should be a string"));
    };
    if py_cmp(&a[1], &Value::Int(1), "<")? == Some(Ordering::Less) {
        return Err(EvalError::value_err("Cannot split to parts < 1"));
    }
    let parts: Vec<Value> = v.split('.').map(Value::str).collect();
    let head = ops::slice(&Value::list(parts), &Value::None, &a[1], &Value::None)?;
    methods::call_method(it, &s("."), "join", Args::positional(vec![head]))
}

fn helper_oebuilddependsstring(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(name, &["depends", "task"], &[], args)?;
    let deps = str_arg(&a[0], "split")?;
    let mut out = Vec::new();
    for dep in split_whitespace(deps) {
        let x = ops::binary(crate::ast::BinOp::Add, &s(dep), &s(":"))?;
        out.push(py_str(&ops::binary(crate::ast::BinOp::Add, &x, &a[1])?)?);
    }
    Ok(Value::str(out.join(" ")))
}

fn helper_oesetdifference(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["variable1", "variable2", "d"], &[], args)?;
    set_difference(it, &a[0], &a[1], &a[2])
}

fn helper_oefilterdefaultfeatures(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(name, &["varname", "d"], &[], args)?;
    let v1 = ops::binary(crate::ast::BinOp::Add, &a[0], &s("_DEFAULTS"))?;
    let v2 = ops::binary(crate::ast::BinOp::Add, &a[0], &s("_OPTED_OUT"))?;
    set_difference(it, &v1, &v2, &a[1])
}

fn helper_oeparallelmake(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["d", "makeinst"], &[Value::Bool(false)], args)?;
    parallel_make(it, &a[0], &a[1])
}

fn helper_oeparallelmakeargument(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(
        name,
        &["d", "fmt", "limit", "makeinst"],
        &[Value::None, Value::Bool(false)],
        args,
    )?;
    let mut v = parallel_make(it, &a[0], &a[3])?;
    if !v.truthy() {
        return Ok(s(""));
    }
    // `min(limit, v)`: the limit unless v is smaller.
    if a[2].truthy() && py_cmp(&v, &a[2], "<")? != Some(Ordering::Less) {
        v = a[2].clone();
    }
    ops::binary(crate::ast::BinOp::Mod, &a[1], &v)
}

fn helper_oemultilibpkgextend(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(name, &["d", "pkg"], &[], args)?;
    let variants = d_getvar(it, &a[0], &s("MULTILIB_VARIANTS"))?;
    let variants = if variants.truthy() { variants } else { s("") };
    let words = word_set(&variants)?;
    let mut pkgs = a[1].clone();
    for v in words {
        let add = |x: &Value, y: &Value| ops::binary(crate::ast::BinOp::Add, x, y);
        pkgs = add(
            &add(&add(&add(&pkgs, &s(" "))?, &Value::Str(v))?, &s("-"))?,
            &a[1],
        )?;
    }
    Ok(pkgs)
}

fn helper_oesquashspaces(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["string"], &[], args)?;
    let Value::Str(st) = &a[0] else {
        return Err(EvalError::type_err("expected string or bytes-like object"));
    };
    let words: Vec<&str> = split_whitespace(st).collect();
    Ok(Value::str(words.join(" ")))
}

fn helper_oeprunesuffix(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let a = bind_py(name, &["var", "suffixes", "d"], &[], args)?;
    let mut var = a[0].clone();
    let suffixes = it.iter_of(&a[1])?;
    while let Some(suffix) = it.next(&suffixes)? {
        if !suffix.truthy() {
            continue;
        }
        let ends =
            methods::call_method(it, &var, "endswith", Args::positional(vec![suffix.clone()]))?;
        if ends.truthy() {
            let n = len(&suffix)?;
            var = ops::slice(&var, &Value::None, &Value::Int(-n), &Value::None)?;
        }
    }
    let prefix = d_getvar(it, &a[2], &s("MLPREFIX"))?;
    if prefix.truthy() {
        let starts = methods::call_method(
            it,
            &var,
            "startswith",
            Args::positional(vec![prefix.clone()]),
        )?;
        if starts.truthy() {
            var = ops::slice(&var, &Value::Int(len(&prefix)?), &Value::None, &Value::None)?;
        }
    }
    Ok(var)
}

fn helper_oetypesboolean(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["value"], &[], args)?;
    oe_boolean(&a[0]).map(Value::Bool)
}

/// `oe.data.typed_value` and `oe.packagegroup.required_packages`/`optional_packages`.
///
/// Their results are an `OEList` (a list whose `str()` joins its items) and a generator (whose
/// reads of the datastore happen as it is iterated). `consumed` says the caller iterates the
/// result at once and keeps nothing of its type (`set(...)`, `' '.join(...)`, see
/// `Interp::eval_call`): a plain list is then exact. Elsewhere such results need Python.
pub(crate) fn call_consumed(
    it: &Interp<'_>,
    b: Builtin,
    args: Args,
    consumed: bool,
) -> Result<Value> {
    match b {
        B::OeDataTypedValue => typed_value(it, args, consumed),
        B::OePgRequired | B::OePgOptional => {
            if !consumed {
                return Err(EvalError::needs(format!(
                    "oe.packagegroup.{}() (a generator) other than iterated at once",
                    b.name()
                )));
            }
            let a = bind_py(b.name(), &["features", "d"], &[], args)?;
            let optional = b == B::OePgOptional;
            let mut chosen = Vec::new();
            for feature in it.collect(&a[0])? {
                // is_optional: bool(d.getVarFlag("FEATURE_PACKAGES_%s" % feature, "optional"))
                let var = ops::binary(
                    crate::ast::BinOp::Mod,
                    &Value::str("FEATURE_PACKAGES_%s"),
                    &feature,
                )?;
                let flag = d_method(it, &a[1], "getVarFlag", vec![var, Value::str("optional")])?;
                if flag.truthy() == optional {
                    chosen.push(feature);
                }
            }
            // packages(): the words of each chosen feature's FEATURE_PACKAGES_<feature>.
            let mut out = Vec::new();
            for feature in chosen {
                let var = ops::binary(
                    crate::ast::BinOp::Mod,
                    &Value::str("FEATURE_PACKAGES_%s"),
                    &feature,
                )?;
                let pkgs = d_getvar(it, &a[1], &var)?;
                let pkgs = if pkgs.truthy() { pkgs } else { Value::str("") };
                let words = methods::call_method(it, &pkgs, "split", Args::default())?;
                out.extend(it.collect(&words)?);
            }
            Ok(Value::list(out))
        }
        _ => call(it, b, args),
    }
}

/// `d.NAME(args...)` on whatever `d` is.
fn d_method(it: &Interp<'_>, d: &Value, name: &str, pos: Vec<Value>) -> Result<Value> {
    let m = methods::get_attr(d, name)?;
    it.call(&m, Args::positional(pos))
}

/// `oe.data.typed_value(key, d)`: the `type` flag names an `oe.types` factory, the other flags
/// (expanded) its parameters. The `boolean` and (when `consumed`) `list` types without a
/// `separator` are done here; other types, and the `bb.msg.fatal` of a bad value, need Python.
fn typed_value(it: &Interp<'_>, args: Args, consumed: bool) -> Result<Value> {
    let a = bind_py("typed_value", &["key", "d"], &[], args)?;
    let (key, d) = (&a[0], &a[1]);
    let var_type = d_method(it, d, "getVarFlag", vec![key.clone(), Value::str("type")])?;
    let flags = d_method(it, d, "getVarFlags", vec![key.clone()])?;
    let mut names = Vec::new();
    match &flags {
        Value::None => {}
        Value::Dict(m) => {
            let entries = m.get().entries.clone();
            for (flag, raw) in entries {
                d_method(it, d, "expand", vec![raw])?;
                names.push(flag);
            }
        }
        other => {
            return Err(EvalError::needs(format!(
                "oe.data.typed_value with flags of type `{}`",
                other.type_name()
            )));
        }
    }
    let value = d_getvar(it, d, key)?;
    let value = if value.truthy() {
        value
    } else {
        Value::str("")
    };
    let has = |f: &str| {
        names
            .iter()
            .any(|n| matches!(n, Value::Str(s) if &**s == f))
    };
    match &var_type {
        Value::Str(t) if &**t == "boolean" => oe_boolean(&value).map(Value::Bool).map_err(|_| {
            EvalError::needs(format!(
                "oe.data.typed_value of an invalid boolean value (bb.msg.fatal), {}",
                py_repr(&value).unwrap_or_default()
            ))
        }),
        Value::Str(t) if &**t == "list" && !has("separator") => {
            if !consumed {
                return Err(EvalError::needs(
                    "oe.data.typed_value of a `list` type (an OEList) other than iterated at once",
                ));
            }
            let words = methods::call_method(it, &value, "split", Args::default())?;
            Ok(Value::list(it.collect(&words)?))
        }
        other => Err(EvalError::needs(format!(
            "oe.data.typed_value with type {}{}",
            py_repr(other).unwrap_or_default(),
            if has("separator") {
                " and a separator"
            } else {
                ""
            }
        ))),
    }
}

fn helper_oepathrelative(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["src", "dest"], &[], args)?;
    relpath(&a[1], Some(&a[0]))
}

fn helper_oepathjoin(args: Args) -> Result<Value> {
    let mut parts = Vec::with_capacity(args.pos.len());
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(
            "join() got an unexpected keyword argument",
        ));
    }
    for (i, p) in args.pos.iter().enumerate() {
        match p {
            Value::Str(x) => parts.push(x.to_string()),
            other => {
                return Err(EvalError::type_err(format!(
                    "sequence item {i}: expected str instance, {} found",
                    other.type_name()
                )));
            }
        }
    }
    Ok(Value::str(normpath(&parts.join("/"))))
}

fn helper_pathjoin(args: Args) -> Result<Value> {
    if !args.kw.is_empty() {
        return Err(EvalError::type_err(
            "join() got an unexpected keyword argument",
        ));
    }
    path_join(&args.pos).map(Value::str)
}

fn helper_path_simple(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let s = |x: &str| Value::str(x);
    let pname = if b == B::PathIsabs {
        "s"
    } else if b == B::PathNormpath {
        "path"
    } else {
        "p"
    };
    let a = bind_py(name, &[pname], &[], args)?;
    let p = path_arg(&a[0])?;
    Ok(match b {
        B::PathBasename => s(&path_split(p).1),
        B::PathDirname => s(&path_split(p).0),
        B::PathSplit => {
            let (h, t) = path_split(p);
            Value::tuple(vec![s(&h), s(&t)])
        }
        B::PathSplitext => {
            let (h, t) = splitext(p);
            Value::tuple(vec![s(&h), s(&t)])
        }
        B::PathNormpath => s(&normpath(p)),
        _ => Value::Bool(p.starts_with('/')),
    })
}

fn helper_pathrelpath(b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let a = bind_py(name, &["path", "start"], &[Value::None], args)?;
    relpath(&a[0], Some(&a[1]))
}

/// The host, or "needs Python" naming the call that wanted it.
fn need_host(it: &Interp<'_>, what: &str) -> Result<Arc<dyn crate::Host>> {
    it.ctx
        .host()
        .ok_or_else(|| EvalError::needs(format!("call to `{what}` (the host's file system)")))
}

fn host_cwd(it: &Interp<'_>) -> Result<String> {
    need_host(it, "os.getcwd")?
        .cwd()
        .ok_or_else(|| EvalError::needs("`os.getcwd()` of a directory that is not text"))
}

/// `os.path.exists(path)` and its siblings, asking the host.
fn helper_path_test(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let pname = if b == B::PathIsdir { "s" } else { "path" };
    let a = bind_py(name, &[pname], &[], args)?;
    let p = match &a[0] {
        Value::Str(s) => s.clone(),
        Value::Int(_) | Value::Bool(_) => {
            return Err(EvalError::needs(format!(
                "`os.path.{name}` of a file descriptor"
            )));
        }
        other => {
            return Err(EvalError::type_err(format!(
                "stat: path should be string, bytes, os.PathLike or integer, not {}",
                other.type_name()
            )));
        }
    };
    let info = need_host(it, &format!("os.path.{name}"))?.path_info(&p);
    Ok(Value::Bool(match b {
        B::PathExists => info.exists,
        B::PathLexists => info.exists || info.is_link,
        B::PathIsfile => info.is_file,
        B::PathIsdir => info.is_dir,
        _ => info.is_link,
    }))
}

/// `bb.build.tasksbetween(task_start, task_end, d)`: the tasks of the recipe (names with
/// a `task` flag, in `d.keys()` order) on a dependency chain (their `deps` flags) from
/// `task_start` up to `task_end`, each once, in the order the chains are found.
fn helper_tasksbetween(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("tasksbetween", &["task_start", "task_end", "d"], &[], args)?;
    if !matches!(a[2], Value::Datastore) {
        return Err(EvalError::needs(
            "tasksbetween() with a `d` that is not the datastore",
        ));
    }
    let (Value::Str(start), Value::Str(end)) = (&a[0], &a[1]) else {
        return Err(EvalError::needs("tasksbetween() of tasks that are not str"));
    };
    let mut tasks = Vec::new();
    for k in it.ctx.keys()? {
        if it
            .ctx
            .get_var_flag(&k, "task", true)?
            .is_some_and(|f| !f.is_empty())
        {
            tasks.push(k);
        }
    }
    // Each task's `deps` flag, read once (BitBake reads it at every step, unexpanded).
    let mut deps: Vec<Option<Vec<String>>> = Vec::with_capacity(tasks.len());
    for t in &tasks {
        deps.push(match it.ctx.internal_list(t, Some("deps")) {
            Some(l) => Some(l),
            None => match it.ctx.get_var_flag(t, "deps", false)? {
                // `task in deps` of a str is a substring test: leave it to Python.
                Some(_) => return Err(EvalError::needs("tasksbetween() with a str `deps` flag")),
                None => None,
            },
        });
    }
    struct Walk<'a> {
        it: &'a Interp<'a>,
        tasks: &'a [String],
        deps: &'a [Option<Vec<String>>],
        end: &'a str,
        chain: Vec<&'a str>,
        out: Vec<&'a str>,
    }
    fn follow<'a>(w: &mut Walk<'a>, task: &'a str) -> Result<()> {
        w.it.tick()?;
        if w.chain.contains(&task) {
            // bb.fatal: leave the message and the exception to Python.
            return Err(EvalError::needs(
                "tasksbetween() of circular task dependencies",
            ));
        }
        if w.chain.len() > 200 {
            return Err(EvalError::needs(
                "tasksbetween() of a chain deeper than 200 tasks",
            ));
        }
        w.chain.push(task);
        for (i, other) in w.tasks.iter().enumerate() {
            if other == task {
                continue;
            }
            if task == w.end {
                for c in &w.chain {
                    if !w.out.contains(c) {
                        w.out.push(c);
                    }
                }
            } else {
                let Some(d) = &w.deps[i] else {
                    return Err(EvalError::type_err(
                        "argument of type 'NoneType' is not iterable",
                    ));
                };
                if d.iter().any(|x| x == task) {
                    follow(w, other)?;
                }
            }
        }
        w.chain.pop();
        Ok(())
    }
    let mut w = Walk {
        it,
        tasks: &tasks,
        deps: &deps,
        end,
        chain: Vec::new(),
        out: Vec::new(),
    };
    follow(&mut w, start)?;
    Ok(Value::list(w.out.into_iter().map(Value::str).collect()))
}

/// `oe.path.which_wild(pathname, path, mode=os.F_OK, *, reverse=False, candidates=False)`
/// for a `pathname` of `*` (every entry of each directory of `path`, hidden ones left
/// out, each name once: the first directory holding it wins), listing directories
/// through the host. Other patterns, `PATH` from the environment and other modes need
/// Python.
fn helper_which_wild(it: &Interp<'_>, args: Args) -> Result<Value> {
    if args.pos.len() > 3 {
        return Err(EvalError::needs(
            "which_wild() with more than 3 positional arguments",
        ));
    }
    let a = bind_py(
        "which_wild",
        &["pathname", "path", "mode", "reverse", "candidates"],
        &[
            Value::None,
            Value::Int(0),
            Value::Bool(false),
            Value::Bool(false),
        ],
        args,
    )?;
    if !matches!(&a[0], Value::Str(s) if &**s == "*") {
        return Err(EvalError::needs("which_wild() of a pattern other than `*`"));
    }
    let path = match &a[1] {
        Value::Str(s) if !s.is_empty() => s.to_string(),
        _ => {
            return Err(EvalError::needs(
                "which_wild() searching the environment's PATH",
            ));
        }
    };
    if !matches!(a[2], Value::Int(0)) {
        return Err(EvalError::needs(
            "which_wild() with a mode other than os.F_OK",
        ));
    }
    let (reverse, candidates) = (a[3].truthy(), a[4].truthy());
    let host = need_host(it, "oe.path.which_wild")?;
    let mut paths: Vec<&str> = path.split(':').collect();
    if reverse {
        paths.reverse();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut files = Vec::new();
    for (index, &element) in paths.iter().enumerate() {
        let element = if element.starts_with('/') {
            element.to_owned()
        } else {
            normpath(&path_join(&[
                Value::str(host_cwd(it)?),
                Value::str(element),
            ])?)
        };
        if element.contains(['*', '?', '[']) {
            return Err(EvalError::needs(
                "which_wild() of a directory with glob characters",
            ));
        }
        // glob.glob(join(element, '*')): the directory is the candidate's head, its
        // trailing slashes dropped (unless it is all slashes).
        let trimmed = element.trim_end_matches('/');
        let dir = if trimmed.is_empty() {
            element.as_str()
        } else {
            trimmed
        };
        let names = match host.read_dir(dir) {
            None => {
                return Err(EvalError::needs(
                    "call to `oe.path.which_wild` (a directory listing)",
                ));
            }
            Some(None) => continue,
            Some(Some(names)) => names,
        };
        let mut found: Vec<String> = names
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .map(|n| {
                if dir.ends_with('/') {
                    format!("{dir}{n}")
                } else {
                    format!("{dir}/{n}")
                }
            })
            .collect();
        found.sort();
        for f in found {
            // os.access(F_OK): the path exists, symbolic links followed.
            if !host.path_info(&f).exists {
                continue;
            }
            let rel = f.rsplit('/').next().unwrap_or(&f).to_owned();
            if seen.contains(&rel) {
                continue;
            }
            if candidates {
                let cands = paths[..=index]
                    .iter()
                    .map(|p| path_join(&[Value::str(*p), Value::str(rel.as_str())]).map(Value::str))
                    .collect::<Result<Vec<_>>>()?;
                files.push(Value::tuple(vec![Value::str(f), Value::list(cands)]));
            } else {
                files.push(Value::str(f));
            }
            seen.push(rel);
        }
    }
    Ok(Value::list(files))
}

/// `posixpath.abspath`.
fn helper_abspath(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("abspath", &["path"], &[], args)?;
    let p = path_arg(&a[0])?;
    if p.starts_with('/') {
        return Ok(Value::str(normpath(p)));
    }
    let cwd = host_cwd(it)?;
    Ok(Value::str(normpath(&path_join(&[
        Value::str(cwd),
        Value::str(p),
    ])?)))
}

/// `bb.utils.which(path, item, direction=0, history=False, executable=False)`.
fn helper_which(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "which",
        &["path", "item", "direction", "history", "executable"],
        &[Value::Int(0), Value::Bool(false), Value::Bool(false)],
        args,
    )?;
    let executable = a[4].truthy();
    let path = match &a[0] {
        v if !v.truthy() => String::new(),
        Value::Str(s) => s.to_string(),
        other => {
            return Err(EvalError::exc(
                "AttributeError",
                format!("'{}' object has no attribute 'split'", other.type_name()),
            ));
        }
    };
    let mut paths: Vec<&str> = path.split(':').collect();
    if !py_eq(&a[2], &Value::Int(0)) {
        paths.reverse();
    }
    let history = a[3].truthy();
    let host = need_host(it, "bb.utils.which")?;
    let mut hist = Vec::new();
    let mut found = String::new();
    for p in paths {
        let next = path_join(&[Value::str(p), a[1].clone()])?;
        hist.push(Value::str(next.as_str()));
        let candidate = if executable {
            host.is_executable(&next).ok_or_else(|| {
                EvalError::needs("`bb.utils.which` with `executable` (the host's permissions)")
            })?
        } else {
            host.path_info(&next).exists
        };
        if candidate {
            found = if next.starts_with('/') {
                next
            } else {
                let cwd = host.cwd().ok_or_else(|| {
                    EvalError::needs("`os.getcwd()` of a directory that is not text")
                })?;
                normpath(&path_join(&[Value::str(cwd), Value::str(next)])?)
            };
            break;
        }
    }
    if history {
        return Ok(Value::tuple(vec![Value::str(found), Value::list(hist)]));
    }
    Ok(Value::str(found))
}

/// `oe.buildcfg.detect_branch(d)`, `detect_revision(d)` and the
/// `get_metadata_git_branch(path)`/`get_metadata_git_revision(path)` they call: what
/// `git rev-parse --abbrev-ref HEAD` / `git rev-parse HEAD` print in the metadata's
/// directory, read from the repository's files (`<unknown>` outside a repository).
fn helper_buildcfg(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let path = if matches!(b, B::OeDetectBranch | B::OeDetectRevision) {
        let a = bind_py(name, &["d"], &[], args)?;
        if !matches!(a[0], Value::Datastore) {
            return Err(EvalError::needs(format!(
                "{name}() with a `d` that is not the datastore"
            )));
        }
        let Some(corebase) = it.ctx.get_var("COREBASE", true)? else {
            return Err(EvalError::type_err(
                "expected str, bytes or os.PathLike object, not NoneType",
            ));
        };
        path_join(&[Value::str(corebase), Value::str("meta")])?
    } else {
        let a = bind_py(name, &["path"], &[], args)?;
        path_arg(&a[0])?.to_owned()
    };
    let host = need_host(it, &format!("oe.buildcfg.{name}"))?;
    let branch = matches!(b, B::OeDetectBranch | B::OeGitBranch);
    let r = crate::git::rev_parse_head(&*host, &path, branch)?;
    Ok(Value::str(r.unwrap_or_else(|| "<unknown>".to_owned())))
}

/// `oe.qa.exit_if_errors(d)` and `oe.qa.exit_with_message_if_errors(message, d)`:
/// `bb.fatal(message)` when `QA_ERRORS_FOUND` is true.
fn helper_qa_exit(it: &Interp<'_>, b: Builtin, args: Args) -> Result<Value> {
    let name = b.name();
    let (message, d) = if b == B::OeQaExitIfErrors {
        let a = bind_py(name, &["d"], &[], args)?;
        let d = a.into_iter().next().unwrap_or(Value::None);
        (Value::str("Fatal QA errors were found, failing task."), d)
    } else {
        let mut a = bind_py(name, &["message", "d"], &[], args)?.into_iter();
        let m = a.next().unwrap_or(Value::None);
        (m, a.next().unwrap_or(Value::None))
    };
    if !matches!(d, Value::Datastore) {
        return Err(EvalError::needs(format!(
            "{name}() with a `d` that is not the datastore"
        )));
    }
    let found = match it.ctx.get_var("QA_ERRORS_FOUND", true)? {
        Some(v) => Value::str(v),
        None => Value::None,
    };
    let fatal = helper_bbtoboolean(
        B::BbToBoolean,
        Args::positional(vec![found, Value::Bool(false)]),
    )?;
    if fatal.truthy() {
        return helper_log(it, B::BbFatal, Args::positional(vec![message]));
    }
    Ok(Value::None)
}

/// `bb.utils.explode_deps(s)`.
pub(crate) fn explode_deps(s: &str) -> Vec<&str> {
    bb_util::deps::explode_deps(s)
}

/// `bb.parse.mark_dependency(d, f)`.
fn helper_mark_dependency(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("mark_dependency", &["d", "f"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "mark_dependency() with a `d` that is not the datastore",
        ));
    }
    let f = match &a[1] {
        Value::Str(s) => s.to_string(),
        other => {
            return Err(EvalError::exc(
                "AttributeError",
                format!(
                    "'{}' object has no attribute 'startswith'",
                    other.type_name()
                ),
            ));
        }
    };
    let f = match f.strip_prefix("./") {
        Some(rest) => format!("{}/{rest}", host_cwd(it)?),
        None => f,
    };
    it.ctx.mark_dependency(&f)?;
    Ok(Value::None)
}

#[cfg(test)]
mod tests;
