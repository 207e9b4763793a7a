//! Matches one logical line against BitBake's statement forms.
//!
//! Each matcher reproduces the first match that BitBake's regular expression (in
//! `ConfHandler.py` / `BBHandler.py`) would find, backtracking included: the lazy
//! variable name, the operator order, the "exactly three quotes" rejection, the greedy
//! `\s+(.+)\s+(.+)` splits of `addpylib`/`addfragments`. Matchers borrow from the line
//! and allocate nothing; turning a match into a [`crate::ast::StmtKind`] is the
//! parser's job, and so is every diagnostic except the explanation of an unparsed line.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_while, take_while1},
    character::complete::{char, satisfy},
    combinator::recognize,
};

use crate::ast::{AssignOp, IncludeKind};
use crate::lines::{is_py_space, is_py_word, starts_with_space};

/// nom result with no error payload: a failed form simply does not match.
type R<'a, T> = IResult<&'a str, T, ()>;

/// A statement form recognised on a logical line; all text borrowed from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form<'a> {
    /// `[export ]NAME[[FLAG]] OP "VALUE"` (the name may be empty: BitBake then fails).
    Assign(AssignForm<'a>),
    /// `include`, `require`, `include_all` with the rest of the line.
    Include { kind: IncludeKind, args: &'a str },
    /// `export NAME`.
    Export { name: &'a str },
    /// `unset NAME` / `unset NAME[FLAG]`.
    Unset {
        name: &'a str,
        flag: Option<&'a str>,
    },
    /// `addpylib DIR NAMESPACE` (configuration files only).
    AddPylib { dir: &'a str, namespace: &'a str },
    /// `addfragments PREFIX LISTVAR METAVARS BUILTINVAR`.
    AddFragments { parts: [&'a str; 4] },
    /// The opening line of a shell or Python function.
    FuncStart {
        name: Option<&'a str>,
        python: bool,
        fakeroot: bool,
    },
    /// `def NAME(...):`.
    Def { name: &'a str },
    /// `EXPORT_FUNCTIONS ...`.
    ExportFunctions { args: &'a str },
    /// `addtask ...` (argument before any `#`).
    AddTask { args: &'a str },
    /// `deltask ...` (argument before any `#`).
    DelTask { args: &'a str },
    /// `addhandler ...`.
    AddHandler { args: &'a str },
    /// `inherit ...` / `inherit_defer ...`.
    Inherit { defer: bool, args: &'a str },
}

/// The parts of a matched assignment, with byte offsets into the logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssignForm<'a> {
    /// `export` prefix present.
    pub(crate) export: bool,
    /// Variable name (possibly empty).
    pub(crate) name: &'a str,
    /// Flag name of the `NAME[FLAG]` form.
    pub(crate) flag: Option<&'a str>,
    /// Operator.
    pub(crate) op: AssignOp,
    /// Text between the quotes.
    pub(crate) value: &'a str,
    /// Byte offset of the operator in the line.
    pub(crate) op_at: usize,
    /// Whitespace on both sides of the operator.
    pub(crate) spaced: bool,
}

/// Characters of a variable name in an assignment.
fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '_' | '+' | '.' | '$' | '{' | '}' | '/' | '~' | ':')
}

/// Characters of a name after `export` or `unset` (no `:`).
fn is_plain_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.' | '$' | '{' | '}' | '/' | '~')
}

/// First character of a flag name.
fn is_flag_first(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.')
}

/// Later characters of a flag name in an assignment.
fn is_flag_rest(c: char) -> bool {
    is_flag_first(c) || matches!(c, '@' | '/')
}

/// Later characters of a flag name in `unset NAME[FLAG]` (no `/`).
fn is_unset_flag_rest(c: char) -> bool {
    is_flag_first(c) || c == '@'
}

/// Characters of a function name on a function's opening line.
fn is_func_char(c: char) -> bool {
    is_py_word(c) || matches!(c, '.' | '-' | '+' | '{' | '}' | '$' | ':')
}

/// Byte offset of `part` inside `whole` (`part` must be a subslice of `whole`).
pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len())
}

/// Python whitespace run (possibly empty).
fn ws0(i: &str) -> R<'_, &str> {
    take_while(is_py_space).parse(i)
}

/// Python whitespace run of at least one character.
fn ws1(i: &str) -> R<'_, &str> {
    take_while1(is_py_space).parse(i)
}

/// `[FLAG]` of an assignment.
fn flag_part(i: &str) -> R<'_, &str> {
    let (i, _) = char('[').parse(i)?;
    let (i, flag) = recognize((satisfy(is_flag_first), take_while(is_flag_rest))).parse(i)?;
    let (i, _) = char(']').parse(i)?;
    Ok((i, flag))
}

/// One of the eight operators, longest forms first (BitBake's alternation order).
fn operator(i: &str) -> R<'_, AssignOp> {
    alt((
        tag(":=").map(|_| AssignOp::Immediate),
        tag("??=").map(|_| AssignOp::WeakDefault),
        tag("?=").map(|_| AssignOp::Default),
        tag("+=").map(|_| AssignOp::Append),
        tag("=+").map(|_| AssignOp::Prepend),
        tag("=.").map(|_| AssignOp::PreDot),
        tag(".=").map(|_| AssignOp::PostDot),
        tag("=").map(|_| AssignOp::Set),
    ))
    .parse(i)
}

/// Whether `r` (starting with quote `q`) is exactly `q [^q]* q [^q]* q`, the shape
/// BitBake's negative lookahead rejects.
fn is_three_quotes(r: &str, q: u8) -> bool {
    let b = r.as_bytes();
    b.first() == Some(&q) && b.last() == Some(&q) && b.iter().filter(|&&c| c == q).count() == 3
}

/// The quoted value at the start of `r`: `Some((quote, value))` if `r` is `q VALUE q`
/// with the closing quote as the last character and not the three-quote shape.
pub(crate) fn quoted_value(r: &str) -> Option<(u8, &str)> {
    let q = *r.as_bytes().first()?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    if is_three_quotes(r, q) || r.len() < 2 || r.as_bytes().last() != Some(&q) {
        return None;
    }
    Some((q, r.get(1..r.len() - 1)?))
}

/// `ws OP ws "VALUE"` up to the end of the line.
fn op_tail(t: &str) -> Option<(AssignOp, &str, bool, &str)> {
    let (r, before) = ws0(t).ok()?;
    let (after_op, op) = operator(r).ok()?;
    let (r2, after) = ws0(after_op).ok()?;
    let (_, value) = quoted_value(r2)?;
    Some((op, r, !before.is_empty() && !after.is_empty(), value))
}

/// The assignment form: `[export\s+] NAME*? [[FLAG]] \s* OP \s* QUOTE VALUE QUOTE $`.
pub(crate) fn assignment(line: &str) -> Option<AssignForm<'_>> {
    if let Ok((rest, _)) = (tag::<_, _, ()>("export"), ws1).parse(line)
        && let Some(mut a) = assignment_body(line, rest)
    {
        a.export = true;
        return Some(a);
    }
    assignment_body(line, line)
}

/// The part after the optional `export`: the lazy name is tried shortest first.
fn assignment_body<'a>(line: &'a str, t: &'a str) -> Option<AssignForm<'a>> {
    let run = t
        .bytes()
        .take_while(|&b| is_var_char(char::from(b)))
        .count();
    for var_end in 0..=run {
        // Only a flag, whitespace or an operator can follow the name; skip other splits
        // cheaply (this loop runs for almost every line).
        let next = t.as_bytes().get(var_end).copied().unwrap_or(b' ');
        if next.is_ascii_alphanumeric()
            || matches!(next, b'_' | b'-' | b'$' | b'{' | b'}' | b'/' | b'~')
        {
            continue;
        }
        let (Some(name), Some(after)) = (t.get(..var_end), t.get(var_end..)) else {
            continue;
        };
        let (rest, flag) = match flag_part(after) {
            Ok((rest, flag)) => (rest, Some(flag)),
            Err(_) => (after, None),
        };
        if let Some((op, op_str, spaced, value)) = op_tail(rest) {
            return Some(AssignForm {
                export: false,
                name,
                flag,
                op,
                value,
                op_at: offset_in(line, op_str),
                spaced,
            });
        }
    }
    None
}

/// `KW\s+(.+)`: the rest of the line after the keyword and its whitespace, with the
/// regex's backtracking when only whitespace follows (then the last whitespace
/// character is the group).
fn keyword_rest<'a>(line: &'a str, kw: &str) -> Option<&'a str> {
    let r = line.strip_prefix(kw)?;
    let (rest, ws) = ws1(r).ok()?;
    if !rest.is_empty() {
        return Some(rest);
    }
    let last = ws.chars().next_back()?;
    if ws.chars().nth(1).is_some() {
        ws.get(ws.len() - last.len_utf8()..)
    } else {
        None
    }
}

/// `KW\s+([^#\n]+)`: the argument of `addtask`/`deltask`, cut at the first `#`.
fn task_args<'a>(line: &'a str, kw: &str) -> Option<&'a str> {
    let r = line.strip_prefix(kw)?;
    let (rest, ws) = ws1(r).ok()?;
    let arg = rest.split('#').next().unwrap_or("");
    if !arg.is_empty() {
        return Some(arg);
    }
    let last = ws.chars().next_back()?;
    if ws.chars().nth(1).is_some() {
        ws.get(ws.len() - last.len_utf8()..)
    } else {
        None
    }
}

/// `KW\s+([NAME]+)$` for `export NAME` and `unset NAME`.
fn keyword_name<'a>(line: &'a str, kw: &str) -> Option<&'a str> {
    let r = line.strip_prefix(kw)?;
    let (rest, _) = ws1(r).ok()?;
    (!rest.is_empty() && rest.chars().all(is_plain_name_char)).then_some(rest)
}

/// `unset\s+(NAME+)\[(F F+)\]$`: the flag has at least two characters.
fn unset_flag(line: &str) -> Option<(&str, &str)> {
    let r = line.strip_prefix("unset")?;
    let (r, _) = ws1(r).ok()?;
    let (r, name) = take_while1::<_, _, ()>(is_plain_name_char).parse(r).ok()?;
    let (r, _) = char::<_, ()>('[').parse(r).ok()?;
    let (r, flag) = recognize((
        satisfy::<_, _, ()>(is_flag_first),
        take_while1(is_unset_flag_rest),
    ))
    .parse(r)
    .ok()?;
    (r == "]").then_some((name, flag))
}

/// `KW(\s+(.+)){N}` with every group greedy, as Python's backtracking matcher resolves
/// it: each group ends at the rightmost whitespace that still lets the remaining groups
/// match, and each whitespace run is as long as it can be while leaving the next group
/// non-empty.
fn greedy_groups<'a, const N: usize>(line: &'a str, kw: &str) -> Option<[&'a str; N]> {
    let t = line.strip_prefix(kw)?;
    // Character positions (byte offset, is whitespace).
    let chars: Vec<(usize, bool)> = t.char_indices().map(|(i, c)| (i, is_py_space(c))).collect();
    let n = chars.len();
    let is_ws = |p: usize| chars.get(p).is_some_and(|&(_, w)| w);
    let byte = |p: usize| chars.get(p).map_or(t.len(), |&(b, _)| b);
    if N == 0 || !is_ws(0) {
        return None;
    }
    // seps[j]: start of the (j+1)-th separator, for j in 1..N (seps[0] = 0, the first).
    let mut seps = [0usize; N];
    let mut limit = n.checked_sub(2)?; // the last separator needs a character after it
    for j in (1..N).rev() {
        let mut p = limit;
        loop {
            if is_ws(p) {
                break;
            }
            p = p.checked_sub(1)?;
        }
        seps[j] = p;
        limit = p.checked_sub(2)?;
    }
    if N > 1 && seps[1] < 2 {
        return None;
    }
    let mut out = [""; N];
    for j in 0..N {
        let sep = seps[j];
        // The group must start before the next separator (or before the end).
        let cap = if j + 1 < N { seps[j + 1] - 1 } else { n - 1 };
        let mut start = sep + 1;
        while start < cap && is_ws(start) {
            start += 1;
        }
        if start > cap {
            return None;
        }
        let end = if j + 1 < N { seps[j + 1] } else { n };
        out[j] = t.get(byte(start)..byte(end))?;
    }
    Some(out)
}

/// `def\s+(\w+).*:`: the name of a `def` block.
fn def_start(line: &str) -> Option<&str> {
    let r = line.strip_prefix("def")?;
    let (r, _) = ws1(r).ok()?;
    let (rest, name) = take_while1::<_, _, ()>(is_py_word).parse(r).ok()?;
    rest.contains(':').then_some(name)
}

/// The opening line of a function:
/// `((python(?=\s|\()|fakeroot(?=\s))\s*)* NAME? \s* ( \s* ) \s* { $`.
fn func_start(line: &str) -> Option<(Option<&str>, bool, bool)> {
    if !line.ends_with('{') {
        return None;
    }
    // Greedy keyword iterations, remembered so that fewer can be tried on failure.
    let mut steps: Vec<(usize, bool)> = Vec::new();
    let mut pos = 0;
    loop {
        let rest = line.get(pos..).unwrap_or("");
        let (kw_len, py) = if let Some(after) = rest.strip_prefix("python") {
            if after.starts_with('(') || starts_with_space(after) {
                (6, true)
            } else {
                break;
            }
        } else if let Some(after) = rest.strip_prefix("fakeroot") {
            if starts_with_space(after) {
                (8, false)
            } else {
                break;
            }
        } else {
            break;
        };
        let after_kw = rest.get(kw_len..).unwrap_or("");
        let ws = after_kw.len() - after_kw.trim_start_matches(is_py_space).len();
        pos += kw_len + ws;
        steps.push((pos, py));
    }
    for count in (0..=steps.len()).rev() {
        let start = if count == 0 {
            0
        } else {
            steps.get(count - 1).map_or(0, |s| s.0)
        };
        if let Some(name) = func_tail(line.get(start..).unwrap_or("")) {
            let used = steps.get(..count).unwrap_or(&[]);
            let python = used.iter().any(|s| s.1);
            let fakeroot = used.iter().any(|s| !s.1);
            let name = if name.is_empty() || name == "__anonymous" {
                None
            } else {
                Some(name)
            };
            return Some((name, python, fakeroot));
        }
    }
    None
}

/// `NAME? \s* ( \s* ) \s* { $` after the keywords.
fn func_tail(t: &str) -> Option<&str> {
    let (r, name) = take_while::<_, _, ()>(is_func_char).parse(t).ok()?;
    let (r, _) = (ws0, char('('), ws0, char(')'), ws0, char('{'))
        .parse(r)
        .ok()?;
    r.is_empty().then_some(name)
}

/// Matches the forms of BitBake's configuration reader, in its order. `pylib` allows
/// `addpylib` (the configuration reader; the recipe reader never accepts it).
pub(crate) fn match_conf(line: &str, pylib: bool) -> Option<Form<'_>> {
    if let Some(a) = assignment(line) {
        return Some(Form::Assign(a));
    }
    if let Some(args) = keyword_rest(line, "include") {
        return Some(Form::Include {
            kind: IncludeKind::Include,
            args,
        });
    }
    if let Some(args) = keyword_rest(line, "require") {
        return Some(Form::Include {
            kind: IncludeKind::Require,
            args,
        });
    }
    if let Some(args) = keyword_rest(line, "include_all") {
        return Some(Form::Include {
            kind: IncludeKind::IncludeAll,
            args,
        });
    }
    if let Some(name) = keyword_name(line, "export") {
        return Some(Form::Export { name });
    }
    if let Some(name) = keyword_name(line, "unset") {
        return Some(Form::Unset { name, flag: None });
    }
    if let Some((name, flag)) = unset_flag(line) {
        return Some(Form::Unset {
            name,
            flag: Some(flag),
        });
    }
    if pylib && let Some([dir, namespace]) = greedy_groups::<2>(line, "addpylib") {
        return Some(Form::AddPylib { dir, namespace });
    }
    if let Some(parts) = greedy_groups::<4>(line, "addfragments") {
        return Some(Form::AddFragments { parts });
    }
    None
}

/// Matches the forms of BitBake's recipe reader: the recipe-only forms first, then the
/// configuration forms (without `addpylib`).
pub(crate) fn match_recipe(line: &str) -> Option<Form<'_>> {
    if let Some((name, python, fakeroot)) = func_start(line) {
        return Some(Form::FuncStart {
            name,
            python,
            fakeroot,
        });
    }
    if let Some(name) = def_start(line) {
        return Some(Form::Def { name });
    }
    if let Some(args) = keyword_rest(line, "EXPORT_FUNCTIONS") {
        return Some(Form::ExportFunctions { args });
    }
    if let Some(args) = task_args(line, "addtask") {
        return Some(Form::AddTask { args });
    }
    if let Some(args) = task_args(line, "deltask") {
        return Some(Form::DelTask { args });
    }
    if let Some(args) = keyword_rest(line, "addhandler") {
        return Some(Form::AddHandler { args });
    }
    if let Some(args) = keyword_rest(line, "inherit") {
        return Some(Form::Inherit { defer: false, args });
    }
    if let Some(args) = keyword_rest(line, "inherit_defer") {
        return Some(Form::Inherit { defer: true, args });
    }
    match_conf(line, false)
}

/// Python's `str.split()`: words separated by runs of whitespace.
pub(crate) fn py_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|w| !w.is_empty())
}

/// The `addtask` argument split the way BitBake does it: task names, then the `after`
/// and `before` texts. Several `after` (or `before`) parts are concatenated with no
/// separator, exactly as BitBake's string concatenation does.
pub(crate) fn split_addtask(args: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let head = args.split(" before ").next().unwrap_or("");
    let tasks = head.split(" after ").next().unwrap_or("");
    let mut after = String::new();
    for part in args.split(" before ") {
        let mut pieces = part.split(" after ");
        pieces.next();
        let mut first = true;
        for p in pieces {
            if !first {
                after.push(' ');
            }
            after.push_str(p);
            first = false;
        }
    }
    let mut before = String::new();
    for part in args.split(" after ") {
        let mut pieces = part.split(" before ");
        pieces.next();
        let mut first = true;
        for p in pieces {
            if !first {
                before.push(' ');
            }
            before.push_str(p);
            first = false;
        }
    }
    let words = |s: &str| py_words(s).map(str::to_owned).collect::<Vec<_>>();
    (words(tasks), words(&after), words(&before))
}

/// Recipe-only keywords, for explaining why a configuration line was not understood.
const RECIPE_KEYWORDS: [&str; 9] = [
    "inherit",
    "inherit_defer",
    "addtask",
    "deltask",
    "addhandler",
    "EXPORT_FUNCTIONS",
    "def",
    "python",
    "fakeroot",
];

/// Explains why a logical line matched no form: the byte offset of the offending part
/// and a lowercase message saying what was expected.
pub(crate) fn explain(line: &str, recipe: bool) -> (usize, String) {
    let trimmed = line.trim_start_matches(is_py_space);
    let lead = line.len() - trimmed.len();
    if lead > 0 {
        if trimmed.starts_with('#') {
            return (
                lead,
                "unparsed line: a comment must start with `#` in column 1".into(),
            );
        }
        return (
            0,
            "unparsed line: a statement must start in column 1, without leading whitespace".into(),
        );
    }
    let first_word: &str = line
        .split(|c: char| is_py_space(c) || c == '(')
        .next()
        .unwrap_or("");
    if !recipe {
        if RECIPE_KEYWORDS.contains(&first_word) || func_start(line).is_some() {
            let what = if func_start(line).is_some() {
                "a function definition".to_owned()
            } else {
                format!("`{first_word}`")
            };
            return (
                0,
                format!(
                    "unparsed line: {what} is only allowed in recipes and classes, not in a configuration file"
                ),
            );
        }
    } else if first_word == "addpylib" {
        return (
            0,
            "unparsed line: `addpylib` is only allowed in configuration files".into(),
        );
    }
    if line.ends_with('{') && line.contains('(') && recipe {
        return (
            0,
            "unparsed line: expected a function definition `NAME() {` (name characters are letters, digits and `_.-+{}$:`)"
                .into(),
        );
    }
    for (kw, what) in [
        ("include_all", "a file name"),
        ("include", "a file name"),
        ("require", "a file name"),
        ("inherit_defer", "class names"),
        ("inherit", "class names"),
        ("addhandler", "handler names"),
        ("EXPORT_FUNCTIONS", "function names"),
        ("addtask", "task names"),
        ("deltask", "task names"),
    ] {
        if first_word == kw {
            return (0, format!("unparsed line: expected {what} after `{kw}`"));
        }
    }
    if first_word == "unset" {
        return (
            0,
            "unparsed line: expected `unset NAME` or `unset NAME[FLAG]` (a single name; a flag of at least two characters)"
                .into(),
        );
    }
    if first_word == "addpylib" {
        return (0, "unparsed line: expected `addpylib DIR NAMESPACE`".into());
    }
    if first_word == "addfragments" {
        return (
            0,
            "unparsed line: expected `addfragments PREFIX LISTVAR METAVARS BUILTINVAR`".into(),
        );
    }
    if let Some(found) = explain_assignment(line) {
        return found;
    }
    if first_word == "export" {
        return (
            0,
            "unparsed line: expected `export NAME` (one name of the characters `A-Za-z0-9-_+.${}/~`) or `export NAME = \"VALUE\"`"
                .into(),
        );
    }
    let expected = if recipe {
        "unparsed line: expected an assignment `NAME = \"VALUE\"`, a function, `inherit`, `include`, `require`, `addtask`, `export` or `unset`"
    } else {
        "unparsed line: expected an assignment `NAME = \"VALUE\"`, `include`, `require`, `export` or `unset`"
    };
    (0, expected.into())
}

/// Explains a line that looks like an assignment (has an operator after a name-like
/// prefix) but does not match.
fn explain_assignment(line: &str) -> Option<(usize, String)> {
    let eq = line.find('=')?;
    let head = line.get(..eq)?;
    // Widen to the whole operator: `:=`, `??=`, `?=`, `+=`, `.=` before; `=+`, `=.` after.
    let (op_start, op_end) = {
        let mut s = eq;
        let mut e = eq + 1;
        if head.ends_with("??") {
            s = eq - 2;
        } else if head.ends_with(['?', ':', '+', '.']) {
            s = eq - 1;
        } else if line
            .get(eq + 1..)
            .is_some_and(|r| r.starts_with(['+', '.']))
        {
            e = eq + 2;
        }
        (s, e)
    };
    let op = line.get(op_start..op_end)?;
    let name_part = line.get(..op_start)?.trim_end_matches(is_py_space);
    let name_part = name_part
        .strip_prefix("export")
        .filter(|r| starts_with_space(r))
        .map_or(name_part, |r| r.trim_start_matches(is_py_space));
    // A name containing whitespace means this is not an assignment shape at all.
    if name_part.contains(is_py_space) {
        return None;
    }
    let after = line.get(op_end..)?;
    let value = after.trim_start_matches(is_py_space);
    let value_at = line.len() - value.len();
    if name_part.is_empty() {
        return Some((0, "empty variable name in assignment".into()));
    }
    let (name, flag) = match name_part.split_once('[') {
        Some((n, f)) => (n, Some(f)),
        None => (name_part, None),
    };
    if let Some(bad) = name.chars().find(|&c| !is_var_char(c)) {
        let at = line.find(bad).unwrap_or(0);
        return Some((
            at,
            format!(
                "invalid character `{bad}` in variable name `{name}`: expected `A-Za-z0-9-_+.${{}}/~:`"
            ),
        ));
    }
    if let Some(f) = flag {
        let inner = f.strip_suffix(']');
        let ok = inner.is_some_and(|i| {
            let mut cs = i.chars();
            cs.next().is_some_and(is_flag_first) && cs.all(is_flag_rest)
        });
        if !ok {
            return Some((
                name.len(),
                format!(
                    "invalid flag `[{f}`: expected `[FLAG]` starting with one of `A-Za-z0-9-_+.`, then also `@` and `/`"
                ),
            ));
        }
    }
    let q = match value.as_bytes().first() {
        Some(&q) if q == b'"' || q == b'\'' => q,
        Some(_) => {
            return Some((
                value_at,
                format!("expected a quoted value after `{op}`: `\"...\"` or `'...'`"),
            ));
        }
        None => return Some((value_at, format!("expected a quoted value after `{op}`"))),
    };
    let qc = char::from(q);
    if is_three_quotes(value, q) {
        return Some((
            value_at,
            format!(
                "quoted value with exactly three `{qc}` characters is rejected by bitbake: use the other quote kind outside, or a different number of `{qc}`"
            ),
        ));
    }
    Some((
        value_at,
        format!("unterminated quoted value: the closing `{qc}` must end the line"),
    ))
}

#[cfg(test)]
mod greedy_tests {
    use super::greedy_groups;

    #[test]
    fn greedy_groups_follow_python_backtracking() {
        assert_eq!(
            greedy_groups::<2>("addpylib a  b", "addpylib"),
            Some(["a ", "b"])
        );
        assert_eq!(
            greedy_groups::<2>("addpylib ${LAYERDIR}/lib oe", "addpylib"),
            Some(["${LAYERDIR}/lib", "oe"])
        );
        assert_eq!(
            greedy_groups::<4>("addfragments  a b  c  d", "addfragments"),
            Some(["a", "b ", "c ", "d"])
        );
        assert_eq!(greedy_groups::<2>("addpylib ab", "addpylib"), None);
        assert_eq!(greedy_groups::<2>("addpylib  a", "addpylib"), None);
        assert_eq!(greedy_groups::<2>("addpylib", "addpylib"), None);
        assert_eq!(greedy_groups::<1>("x   ", "x"), Some([" "]));
    }
}
