//! Anonymous Python functions run at finalization, natively where their bodies are
//! straight-line datastore calls (`d.setVar`, `d.appendVar`, `d.setVarFlag`, ...).
//!
//! A body with anything else is not run at all (never half-run): it is reported as
//! needing Python, so that a later stage can hand it to embedded CPython.

use crate::error::{Error, Result};
use crate::history::Origin;
use crate::store::{DataStore, SetOpts};

/// One supported datastore call.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    SetVar(String, String),
    AppendVar(String, String),
    PrependVar(String, String),
    DelVar(String),
    SetVarFlag(String, String, String),
    AppendVarFlag(String, String, String),
    PrependVarFlag(String, String, String),
    DelVarFlag(String, String),
    RenameVar(String, String),
}

/// Splits call arguments at top-level commas (outside quotes and brackets).
fn split_args(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) => {
                if c == q && prev != '\\' {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
        prev = c;
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    Some(out)
}

/// Recognises `d.method(args)` on one line; `None` for anything else.
fn parse_call(line: &str) -> Option<(&str, Vec<&str>)> {
    let rest = line.strip_prefix("d.")?;
    let open = rest.find('(')?;
    let method = &rest[..open];
    if !method
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let inner = rest[open + 1..].strip_suffix(')')?;
    Some((method, split_args(inner)?))
}

/// Arguments are Python expressions evaluated against the datastore as it is when the
/// call runs.
fn eval_arg(d: &DataStore, arg: &str) -> Result<String> {
    d.eval_python_expr(arg)
}

/// Keyword arguments are not supported natively: they make the call "needs Python".
fn positional<'s>(args: &[&'s str], n: usize) -> Option<Vec<&'s str>> {
    if args.len() != n
        || args
            .iter()
            .any(|a| a.contains('=') && !a.starts_with(['\'', '"']))
    {
        return None;
    }
    Some(args.to_vec())
}

/// Checks that every statement of a body is supported, returning them.
fn plan(body: &str) -> std::result::Result<Vec<(u32, String, Vec<String>)>, String> {
    let mut calls = Vec::new();
    let lines: Vec<&str> = body.lines().skip(1).collect();
    for (idx, raw) in lines.into_iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line == "pass" {
            continue;
        }
        if raw.starts_with(' ') || raw.starts_with('\t') {
            // Only the function's own indentation level is supported.
        }
        if let Some(arg) = line
            .strip_prefix("raise bb.parse.SkipRecipe(")
            .and_then(|r| r.strip_suffix(')'))
        {
            calls.push((
                idx as u32 + 1,
                "SkipRecipe".to_owned(),
                vec![arg.to_owned()],
            ));
            continue;
        }
        if let Some((func, arg)) = [
            "bb.fatal(",
            "bb.note(",
            "bb.warn(",
            "bb.debug(",
            "bb.plain(",
            "bb.error(",
        ]
        .iter()
        .find_map(|f| {
            line.strip_prefix(f)
                .and_then(|r| r.strip_suffix(')'))
                .map(|a| (f.trim_end_matches('('), a))
        }) {
            calls.push((idx as u32 + 1, func.to_owned(), vec![arg.to_owned()]));
            continue;
        }
        let Some((method, args)) = parse_call(line) else {
            return Err(format!("statement `{line}`"));
        };
        let n = match method {
            "setVar" | "appendVar" | "prependVar" | "renameVar" => 2,
            "delVar" => 1,
            "setVarFlag" | "appendVarFlag" | "prependVarFlag" => 3,
            "delVarFlag" => 2,
            _ => return Err(format!("call to `d.{method}`")),
        };
        let Some(args) = positional(&args, n) else {
            return Err(format!("arguments of `d.{method}`"));
        };
        calls.push((
            idx as u32 + 1,
            method.to_owned(),
            args.into_iter().map(str::to_owned).collect(),
        ));
    }
    // Bodies must be at a single indentation level (no blocks).
    let indents: Vec<usize> = body
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start().len())
        .collect();
    if indents.windows(2).any(|w| w[0] != w[1]) {
        return Err("nested blocks".to_owned());
    }
    Ok(calls)
}

fn run_one(d: &mut DataStore, name: &str, calls: &[(u32, String, Vec<String>)]) -> Result<()> {
    let file = d.get_raw_flag(name, "filename").unwrap_or_default();
    let base = file.rsplit('/').next().unwrap_or(&file).to_owned();
    let header: u32 = d
        .get_raw_flag(name, "lineno")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    for (offset, method, args) in calls {
        let origin = Origin::internal(&base, header + offset, name);
        let origin = Some(&origin);
        if matches!(
            method.as_str(),
            "bb.note" | "bb.warn" | "bb.debug" | "bb.plain" | "bb.error"
        ) {
            continue;
        }
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(eval_arg(d, a)?);
        }
        let v = |i: usize| vals.get(i).cloned().unwrap_or_default();
        let call = match method.as_str() {
            "SkipRecipe" => return Err(Error::SkipRecipe(v(0))),
            "bb.fatal" => return Err(Error::Fatal(v(0))),
            "setVar" => Call::SetVar(v(0), v(1)),
            "appendVar" => Call::AppendVar(v(0), v(1)),
            "prependVar" => Call::PrependVar(v(0), v(1)),
            "delVar" => Call::DelVar(v(0)),
            "renameVar" => Call::RenameVar(v(0), v(1)),
            "setVarFlag" => Call::SetVarFlag(v(0), v(1), v(2)),
            "appendVarFlag" => Call::AppendVarFlag(v(0), v(1), v(2)),
            "prependVarFlag" => Call::PrependVarFlag(v(0), v(1), v(2)),
            _ => Call::DelVarFlag(v(0), v(1)),
        };
        match call {
            Call::SetVar(n, val) => d.set_var_with(
                &n,
                &val,
                SetOpts {
                    parsing: false,
                    op: "set",
                    detail: None,
                    origin,
                },
            ),
            Call::AppendVar(n, val) => d.append_var(&n, &val, origin),
            Call::PrependVar(n, val) => d.prepend_var(&n, &val, origin),
            Call::DelVar(n) => d.del_var(&n, origin),
            Call::RenameVar(a, b) => d.rename_var(&a, &b, origin),
            Call::SetVarFlag(n, f, val) => d.set_var_flag_with(&n, &f, &val, "set", None, origin),
            Call::AppendVarFlag(n, f, val) => {
                let cur = d.get_var_flag(&n, &f, false)?.unwrap_or_default();
                d.set_var_flag_with(&n, &f, &format!("{cur}{val}"), "append", Some(&val), origin);
            }
            Call::PrependVarFlag(n, f, val) => {
                let cur = d.get_var_flag(&n, &f, false)?.unwrap_or_default();
                d.set_var_flag_with(
                    &n,
                    &f,
                    &format!("{val}{cur}"),
                    "prepend",
                    Some(&val),
                    origin,
                );
            }
            Call::DelVarFlag(n, f) => d.del_var_flag(&n, &f, origin),
        }
    }
    Ok(())
}

/// Runs the anonymous functions of `d` in definition order. Those that need CPython
/// are listed in `__BB_ANON_NEEDS_PYTHON` and not run.
pub(crate) fn run_anon_funcs(d: &mut DataStore) -> Result<()> {
    let names: Vec<String> = d
        .get_raw("__BBANONFUNCS")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut skipped = Vec::new();
    for name in names {
        let body = d.get_raw(&name).unwrap_or_default();
        match plan(&body) {
            Ok(calls) => match run_one(d, &name, &calls) {
                Ok(()) => {}
                Err(Error::NeedsPython { reason, .. }) => skipped.push(format!("{name}: {reason}")),
                Err(e) => return Err(e),
            },
            Err(reason) => skipped.push(format!("{name}: {reason}")),
        }
    }
    if !skipped.is_empty() {
        d.set_var("__BB_ANON_NEEDS_PYTHON", &skipped.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arguments_outside_quotes() {
        assert_eq!(
            split_args("'A', 'b, c', f(1, 2)"),
            Some(vec!["'A'", "'b, c'", "f(1, 2)"])
        );
        assert_eq!(split_args("'A"), None);
    }

    #[test]
    fn plans_straight_line_bodies_only() {
        assert!(plan("def f(d):\n    d.setVar('A', 'x')\n    # note\n").is_ok());
        assert!(plan("def f(d):\n    if True:\n        d.setVar('A', 'x')\n").is_err());
        assert!(plan("def f(d):\n    x = 1\n").is_err());
    }
}
