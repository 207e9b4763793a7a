//! The `bitbake -e` dump: include history, every variable with its history and final
//! value, shell functions, then Python functions, in BitBake's exact layout.
//!
//! This module only formats; it reads the datastore and never changes it.

use crate::DataStore;
use crate::history::HistoryEvent;

fn comment_quote(s: &str) -> String {
    s.replace('\n', "\n#")
}

fn escape_value(v: &str) -> String {
    v.replace('"', "\\\"")
        .replace('`', "\\`")
        .replace('\n', " \\\n")
        .replace('$', "\\$")
}

fn flag_true(d: &DataStore, var: &str, flag: &str) -> crate::Result<bool> {
    let v = d.get_var_flag(var, flag, true)?;
    bb_util::to_boolean(v.as_deref(), false).map_err(|m| crate::Error::Eval {
        file: "".into(),
        line: 0,
        message: format!("flag `{var}[{flag}]`: ValueError: {m}"),
    })
}

fn is_func(d: &DataStore, var: &str) -> bool {
    d.get_raw_flag(var, "func")
        .is_some_and(|f| !f.is_empty() && f != "0")
}

/// Prints the history block of one variable, as `bitbake -e` and `bitbake-getvar` do.
pub fn emit_history(d: &DataStore, var: &str, oval: Option<&str>, out: &mut String) {
    let mut events: Vec<HistoryEvent> = d.history(var).to_vec();
    for (r, ovr) in d.variants(var) {
        for ev in d.history(&r) {
            if let Some(f) = &ev.flag
                && !f.starts_with('_')
                && !f.starts_with(':')
            {
                continue;
            }
            let mut e = ev.clone();
            e.op = format!("override[{ovr}]:{}", ev.op);
            events.push(e);
        }
    }
    let cval = comment_quote(oval.unwrap_or("None"));
    if events.is_empty() {
        out.push_str(&format!(
            "#\n# ${var}\n#   [no history recorded]\n#\n#   \"{cval}\"\n"
        ));
        return;
    }
    if events.len() == 1 {
        out.push_str(&format!("#\n# ${var}\n"));
    } else {
        out.push_str(&format!("#\n# ${var} [{} operations]\n", events.len()));
    }
    for ev in &events {
        let (file, func) = match &ev.origin.func {
            Some(f) => (
                ev.origin
                    .file
                    .rsplit('/')
                    .next()
                    .unwrap_or(&ev.origin.file)
                    .to_owned(),
                format!(" [{f}]"),
            ),
            None => (ev.origin.file.to_string(), String::new()),
        };
        let flag = ev
            .flag
            .as_ref()
            .map(|f| format!("[{f}] "))
            .unwrap_or_default();
        let detail = ev.detail.replace('\n', "\n#     ");
        out.push_str(&format!(
            "#   {} {}:{}{}\n#     {}\"{}\"\n",
            ev.op, file, ev.origin.line, func, flag, detail
        ));
    }
    if events.len() > 1 {
        out.push_str(&format!("# pre-expansion value:\n#   \"{cval}\"\n"));
    }
}

/// One non-function variable: history, then `NAME="value"` (or `unset NAME`).
fn emit_var(d: &DataStore, var: &str, out: &mut String) -> crate::Result<()> {
    let export = flag_true(d, var, "export")?;
    let unexport = flag_true(d, var, "unexport")?;
    let vals = d
        .get_var_opts(var, false, false)
        .and_then(|o| d.get_var(var).map(|v| (o, v)));
    let (oval, val) = match vals {
        Ok(x) => x,
        Err(e) => {
            let kind = match &e {
                crate::Error::Expansion { .. } => "ExpansionError",
                crate::Error::NeedsPython { .. } => "NeedsPython",
                _ => "Exception",
            };
            out.push_str(&format!("# expansion of {var} threw {kind}: {e}\n"));
            return Ok(());
        }
    };
    emit_history(d, var, oval.as_deref(), out);
    let name = d.expand(var).unwrap_or_else(|_| var.to_owned());
    if unexport {
        out.push_str(&format!("unset {name}\n"));
        return Ok(());
    }
    let Some(val) = val else { return Ok(()) };
    if let Some(rest) = name.strip_prefix("BASH_FUNC_") {
        let short = rest.get(..rest.len().saturating_sub(2)).unwrap_or(rest);
        let body = val.get(3..).unwrap_or("");
        out.push_str(&format!("{short}() {body}\nexport -f {short}\n"));
        return Ok(());
    }
    if export {
        out.push_str("export ");
    }
    out.push_str(&format!("{name}=\"{}\"\n", escape_value(&val)));
    Ok(())
}

/// One shell function: location comment and body; `false` when nothing was printed.
fn emit_shell_func(d: &DataStore, var: &str, out: &mut String) -> crate::Result<bool> {
    if d.get_raw_flag(var, "python")
        .is_some_and(|p| !p.is_empty() && p != "0")
    {
        return Ok(false);
    }
    let val = match d.get_var(var) {
        Ok(v) => v,
        Err(e) => {
            out.push_str(&format!("# expansion of {var} threw ExpansionError: {e}\n"));
            return Ok(false);
        }
    };
    if var.contains(['-', '.', '{', '}', '+']) {
        return Ok(false);
    }
    let name = d.expand(var).unwrap_or_else(|_| var.to_owned());
    if flag_true(d, var, "unexport")? {
        out.push_str(&format!("unset {name}\n"));
        return Ok(false);
    }
    let Some(val) = val else { return Ok(false) };
    let lineno = d
        .get_raw_flag(var, "lineno")
        .unwrap_or_else(|| "None".to_owned());
    let filename = d
        .get_raw_flag(var, "filename")
        .unwrap_or_else(|| "None".to_owned());
    out.push_str(&format!("# line: {lineno}, file: {filename}\n"));
    out.push_str(&format!(
        "{name}() {{\n{}\n}}\n",
        val.trim_end_matches('\n')
    ));
    Ok(true)
}

/// The whole `bitbake -e` output for a datastore. `includes` is the datastore whose
/// include history is printed (BitBake prints the configuration's, even for a recipe).
///
/// Fails, as BitBake does, on an `export`/`unexport` flag that is not a boolean;
/// `out` then holds what was printed before the failure.
pub fn emit_env(d: &DataStore, includes: &DataStore, out: &mut String) -> crate::Result<()> {
    includes.include_tree().emit(out);
    out.push('\n');
    let keys = d.keys();
    let (funcs, vars): (Vec<&String>, Vec<&String>) = keys
        .iter()
        .filter(|k| !k.starts_with("__"))
        .partition(|k| is_func(d, k));
    for v in &vars {
        emit_var(d, v, out)?;
    }
    for f in &funcs {
        if emit_shell_func(d, f, out)? {
            out.push('\n');
        }
    }
    out.push('\n');
    for k in &keys {
        if is_func(d, k)
            && d.get_raw_flag(k, "python")
                .is_some_and(|p| !p.is_empty() && p != "0")
        {
            let body = d
                .get_var_opts(k, false, false)
                .ok()
                .flatten()
                .unwrap_or_else(|| "None".to_owned());
            out.push_str(&format!("\npython {k} () {{\n{body}}}\n\n"));
        }
    }
    Ok(())
}

/// One variable as `bitbake-getvar VAR` prints it (BitBake's `emit_var` with `all=True`):
/// its history block, then `VAR="value"` (or `unset VAR`); for a shell function, its
/// history, then the location comment and body; nothing for a Python function.
pub fn emit_one_var(d: &DataStore, var: &str, out: &mut String) -> crate::Result<()> {
    if !is_func(d, var) {
        return emit_var(d, var, out);
    }
    if d.get_raw_flag(var, "python")
        .is_some_and(|p| !p.is_empty() && p != "0")
    {
        return Ok(());
    }
    let oval = d.get_var_opts(var, false, false).ok().flatten();
    emit_history(d, var, oval.as_deref(), out);
    emit_shell_func(d, var, out)?;
    Ok(())
}
