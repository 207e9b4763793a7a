//! Text formatting: `%` formatting of strings, `str.format`, the format-spec mini-language
//! (`format()`, f-strings) and `ascii()`, with CPython's output and error messages.
//!
//! It must not evaluate expressions; it only turns values into text. Locale-dependent
//! presentation (`n`) and float forms whose CPython rules we do not reproduce yield
//! `NeedsPython`.

use std::fmt::Write as _;

use crate::builtins::float_to_int;
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::ops;
use crate::value::{Value, as_index, float_repr, py_repr, py_str};

/// Widths and precisions above this are refused rather than allocated.
const MAX_WIDTH: usize = 1 << 20;

/// Escapes the non-ASCII characters of a `repr()` as `ascii()` does.
pub(crate) fn ascii(repr: &str) -> String {
    let mut out = String::with_capacity(repr.len());
    for c in repr.chars() {
        let u = u32::from(c);
        let _ = if u < 0x80 {
            out.write_char(c)
        } else if u <= 0xff {
            write!(out, "\\x{u:02x}")
        } else if u <= 0xffff {
            write!(out, "\\u{u:04x}")
        } else {
            write!(out, "\\U{u:08x}")
        };
    }
    out
}

/// The digits of `n` in `radix`.
pub(crate) fn radix_digits(n: u64, radix: u32, upper: bool) -> String {
    match radix {
        2 => format!("{n:b}"),
        8 => format!("{n:o}"),
        16 if upper => format!("{n:X}"),
        16 => format!("{n:x}"),
        _ => n.to_string(),
    }
}

fn check_width(n: usize) -> Result<usize> {
    if n > MAX_WIDTH {
        return Err(EvalError::needs("format width or precision too large"));
    }
    Ok(n)
}

/// Digits after the point beyond which the exact decimal expansion of any `f64` has only
/// zeros (the smallest subnormal, 2**-1074, has 1074), and significant digits beyond which
/// the same holds (at most 767). Rust's formatter refuses precisions above `u16::MAX`, so
/// longer forms are written with these and padded with zeros, which is what CPython prints.
const EXACT_FIXED_DIGITS: usize = 1100;
const EXACT_SIG_DIGITS: usize = 800;

/// `%f` of a non-negative finite float.
fn fixed(x: f64, prec: usize) -> String {
    if prec <= EXACT_FIXED_DIGITS {
        return format!("{x:.prec$}");
    }
    let mut s = format!("{x:.EXACT_FIXED_DIGITS$}");
    s.extend(std::iter::repeat_n('0', prec - EXACT_FIXED_DIGITS));
    s
}

/// `{x:.prec$e}` for any precision (see [`EXACT_SIG_DIGITS`]).
fn rust_exp(x: f64, prec: usize) -> String {
    if prec <= EXACT_SIG_DIGITS {
        return format!("{x:.prec$e}");
    }
    let s = format!("{x:.EXACT_SIG_DIGITS$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mut out = String::with_capacity(prec + 8);
    out.push_str(mant);
    out.extend(std::iter::repeat_n('0', prec - EXACT_SIG_DIGITS));
    out.push('e');
    out.push_str(exp);
    out
}

/// `%e` of a non-negative finite float: mantissa, `e`, sign and at least two exponent digits.
fn exponent(x: f64, prec: usize, upper: bool) -> String {
    let s = rust_exp(x, prec);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}{e}{sign}{:02}", exp.abs())
}

/// `%g` of a non-negative finite float.
fn general(x: f64, prec: usize, alt: bool, upper: bool) -> String {
    let p = prec.max(1);
    let exp = if x == 0.0 {
        0
    } else {
        let s = rust_exp(x, p.min(EXACT_SIG_DIGITS) - 1);
        s.split_once('e')
            .and_then(|(_, e)| e.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    let mut s = if -4 <= exp && exp < p_i {
        fixed(x, usize::try_from(p_i - 1 - exp).unwrap_or(0))
    } else {
        exponent(x, p - 1, upper)
    };
    if !alt {
        let (mant, rest) = match s.find(['e', 'E']) {
            Some(i) => (s[..i].to_owned(), s[i..].to_owned()),
            None => (s.clone(), String::new()),
        };
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            mant
        };
        s = mant + &rest;
    } else if !s.contains('.') {
        match s.find(['e', 'E']) {
            Some(i) => s.insert(i, '.'),
            None => s.push('.'),
        }
    }
    s
}

/// Formats a float's magnitude for a presentation type (`e f g %` and upper-case forms).
fn float_body(x: f64, ty: char, prec: usize, alt: bool) -> String {
    let upper = ty.is_ascii_uppercase();
    if x.is_nan() {
        return if upper { "NAN".into() } else { "nan".into() };
    }
    if x.is_infinite() {
        return if upper { "INF".into() } else { "inf".into() };
    }
    let mut s = match ty {
        'e' | 'E' => exponent(x, prec, upper),
        'f' | 'F' => fixed(x, prec),
        '%' => fixed(x * 100.0, prec) + "%",
        _ => general(x, prec, alt, upper),
    };
    if alt && matches!(ty, 'e' | 'E' | 'f' | 'F') && !s.contains('.') {
        match s.find(['e', 'E']) {
            Some(i) => s.insert(i, '.'),
            None => s.push('.'),
        }
    }
    s
}

/// Pads `sign + body` to `width` the way `%` formatting does.
fn pad_percent(sign: &str, body: &str, width: usize, left: bool, zero: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    if len >= width {
        return format!("{sign}{body}");
    }
    let fill = width - len;
    if left {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if zero {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// The `%` operator on a format string.
pub(crate) fn percent(fmt: &str, args: &Value) -> Result<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let (items, single): (Vec<Value>, bool) = match args {
        Value::Tuple(items) => (items.to_vec(), false),
        other => (vec![other.clone()], true),
    };
    let is_mapping = matches!(args, Value::Dict(_) | Value::List(_) | Value::Range(..));
    let mut next = 0usize;
    let mut out = String::with_capacity(fmt.len());
    let mut i = 0;
    let take = |next: &mut usize| -> Result<Value> {
        let v = items.get(*next).cloned();
        *next += 1;
        v.ok_or_else(|| EvalError::type_err("not enough arguments for format string"))
    };
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let incomplete = || EvalError::value_err("incomplete format");
        // `%%` is a literal `%`; a `%` conversion after a key, flags, width or precision
        // takes an argument and is then an unsupported format character, as in CPython.
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        // Mapping key.
        let mut keyed: Option<Value> = None;
        if chars.get(i) == Some(&'(') {
            if !is_mapping {
                return Err(EvalError::type_err("format requires a mapping"));
            }
            let mut depth = 1;
            let start = i + 1;
            i += 1;
            while depth > 0 {
                match chars.get(i) {
                    None => return Err(EvalError::value_err("incomplete format key")),
                    Some('(') => depth += 1,
                    Some(')') => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            let key: String = chars[start..i - 1].iter().collect();
            let Value::Dict(d) = args else {
                return Err(EvalError::type_err(format!(
                    "{} indices must be integers or slices, not str",
                    args.type_name()
                )));
            };
            let kv = Value::str(key);
            match d.get().get(&kv) {
                Some(v) => keyed = Some(v.clone()),
                None => return Err(EvalError::exc("KeyError", py_repr(&kv)?)),
            }
        }
        let (mut left, mut plus, mut space, mut alt, mut zero) =
            (false, false, false, false, false);
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => left = true,
                '+' => plus = true,
                ' ' => space = true,
                '#' => alt = true,
                '0' => zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        if chars.get(i) == Some(&'*') {
            i += 1;
            let w = take(&mut next)?;
            let w = as_index(&w).ok_or_else(|| EvalError::type_err("* wants int"))?;
            if w < 0 {
                left = true;
            }
            width = check_width(usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX))?;
        } else {
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                width = check_width(width * 10 + d as usize)?;
                i += 1;
            }
        }
        let mut prec: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                i += 1;
                let p = take(&mut next)?;
                let p = as_index(&p).ok_or_else(|| EvalError::type_err("* wants int"))?;
                prec = Some(check_width(usize::try_from(p.max(0)).unwrap_or(0))?);
            } else {
                let mut p = 0usize;
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    p = check_width(p * 10 + d as usize)?;
                    i += 1;
                }
                prec = Some(p);
            }
        }
        // One length modifier is skipped (a second one is the conversion character).
        if matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err(incomplete());
        };
        let conv_index = i;
        i += 1;
        let arg = match keyed {
            Some(v) => v,
            None => take(&mut next)?,
        };
        let sign_of = |neg: bool| -> &'static str {
            if neg {
                "-"
            } else if plus {
                "+"
            } else if space {
                " "
            } else {
                ""
            }
        };
        let piece = match conv {
            's' | 'r' | 'a' => {
                let s = match conv {
                    's' => py_str(&arg)?,
                    'r' => py_repr(&arg)?,
                    _ => ascii(&py_repr(&arg)?),
                };
                let s: String = match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                pad_percent("", &s, width, left, false)
            }
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                let n = match &arg {
                    Value::Int(_) | Value::Bool(_) | Value::ReFlag(_) => {
                        as_index(&arg).unwrap_or(0)
                    }
                    Value::Float(f) if matches!(conv, 'd' | 'i' | 'u') => float_to_int(*f)?,
                    other => {
                        let what = if matches!(conv, 'd' | 'i' | 'u') {
                            "a real number"
                        } else {
                            "an integer"
                        };
                        return Err(EvalError::type_err(format!(
                            "%{conv} format: {what} is required, not {}",
                            other.type_name()
                        )));
                    }
                };
                let (radix, prefix) = match conv {
                    'o' => (8, "0o"),
                    'x' => (16, "0x"),
                    'X' => (16, "0X"),
                    _ => (10, ""),
                };
                let mut digits = radix_digits(n.unsigned_abs(), radix, conv == 'X');
                if let Some(p) = prec
                    && digits.len() < p
                {
                    digits = "0".repeat(p - digits.len()) + &digits;
                }
                let sign = format!("{}{}", sign_of(n < 0), if alt { prefix } else { "" });
                pad_percent(&sign, &digits, width, left, zero)
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let x = match &arg {
                    Value::Float(f) => *f,
                    Value::Int(_) | Value::Bool(_) | Value::ReFlag(_) => {
                        as_index(&arg).unwrap_or(0) as f64
                    }
                    other => {
                        return Err(EvalError::type_err(format!(
                            "must be real number, not {}",
                            other.type_name()
                        )));
                    }
                };
                let body = float_body(x.abs(), conv, prec.unwrap_or(6), alt);
                let neg = x.is_sign_negative() && !x.is_nan();
                pad_percent(sign_of(neg), &body, width, left, zero && x.is_finite())
            }
            'c' => {
                let c = match &arg {
                    Value::Int(_) | Value::Bool(_) | Value::ReFlag(_) => {
                        let n = as_index(&arg).unwrap_or(-1);
                        let c = u32::try_from(n).ok().filter(|u| *u < 0x110000);
                        let Some(c) = c else {
                            return Err(EvalError::exc(
                                "OverflowError",
                                "%c arg not in range(0x110000)",
                            ));
                        };
                        char::from_u32(c).ok_or_else(|| EvalError::needs("%c of a surrogate"))?
                    }
                    Value::Str(s) if s.chars().count() == 1 => s.chars().next().unwrap_or(' '),
                    _ => return Err(EvalError::type_err("%c requires int or char")),
                };
                pad_percent("", &c.to_string(), width, left, false)
            }
            other => {
                // CPython prints a character outside printable ASCII as `?`.
                let shown = if (' '..='~').contains(&other) {
                    other
                } else {
                    '?'
                };
                return Err(EvalError::value_err(format!(
                    "unsupported format character '{shown}' (0x{:x}) at index {conv_index}",
                    u32::from(other)
                )));
            }
        };
        out.push_str(&piece);
    }
    let consumed_all = if single {
        next >= 1
    } else {
        next >= items.len()
    };
    if !consumed_all && !is_mapping {
        return Err(EvalError::type_err(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

/// A parsed format spec (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`).
#[derive(Debug, Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    z: bool,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn invalid_spec(spec: &str, v: &Value) -> EvalError {
    EvalError::value_err(format!(
        "Invalid format specifier '{spec}' for object of type '{}'",
        v.type_name()
    ))
}

/// Parses a format spec for a value of `v`'s type (named in the errors).
fn parse_spec(spec: &str, v: &Value) -> Result<Spec> {
    let c: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |ch: Option<&char>| matches!(ch, Some('<' | '>' | '=' | '^'));
    if c.len() >= 2 && is_align(c.get(1)) {
        s.fill = c.first().copied();
        s.align = c.get(1).copied();
        i = 2;
    } else if is_align(c.first()) {
        s.align = c.first().copied();
        i = 1;
    }
    if let Some(&sg) = c.get(i).filter(|ch| matches!(ch, '+' | '-' | ' ')) {
        s.sign = Some(sg);
        i += 1;
    }
    if c.get(i) == Some(&'z') {
        s.z = true;
        i += 1;
    }
    if c.get(i) == Some(&'#') {
        s.alt = true;
        i += 1;
    }
    if c.get(i) == Some(&'0') {
        s.zero = true;
        i += 1;
    }
    while let Some(d) = c.get(i).and_then(|ch| ch.to_digit(10)) {
        s.width = check_width(s.width * 10 + d as usize)?;
        i += 1;
    }
    if let Some(&g) = c.get(i).filter(|ch| matches!(ch, ',' | '_')) {
        s.grouping = Some(g);
        i += 1;
    }
    if c.get(i) == Some(&'.') {
        i += 1;
        let mut p = 0usize;
        let start = i;
        while let Some(d) = c.get(i).and_then(|ch| ch.to_digit(10)) {
            p = check_width(p * 10 + d as usize)?;
            i += 1;
        }
        if i == start {
            return Err(EvalError::value_err("Format specifier missing precision"));
        }
        s.precision = Some(p);
    }
    if let Some(&t) = c.get(i) {
        s.ty = Some(t);
        i += 1;
    }
    if i != c.len() {
        return Err(invalid_spec(spec, v));
    }
    Ok(s)
}

/// Pads per a format spec; `prefix` (sign and base prefix) goes before `=` padding.
fn pad_spec(s: &Spec, prefix: &str, body: &str, default_align: char) -> String {
    let (fill, align) = match (s.align, s.zero) {
        (Some(a), _) => (
            s.fill
                .unwrap_or(if s.zero && s.fill.is_none() { '0' } else { ' ' }),
            a,
        ),
        (None, true) if default_align == '>' => ('0', '='),
        (None, _) => (s.fill.unwrap_or(' '), default_align),
    };
    let len = prefix.chars().count() + body.chars().count();
    if len >= s.width {
        return format!("{prefix}{body}");
    }
    let n = s.width - len;
    let f = |k: usize| fill.to_string().repeat(k);
    match align {
        '<' => format!("{prefix}{body}{}", f(n)),
        '^' => format!("{}{prefix}{body}{}", f(n / 2), f(n - n / 2)),
        '=' => format!("{prefix}{}{body}", f(n)),
        _ => format!("{}{prefix}{body}", f(n)),
    }
}

/// Inserts a grouping separator every `every` digits of an integer part.
fn group(digits: &str, sep: char, every: usize) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / every);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

fn sign_text(s: &Spec, neg: bool) -> &'static str {
    if neg {
        "-"
    } else {
        match s.sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    }
}

fn unknown_code(ty: char, v: &Value) -> EvalError {
    EvalError::value_err(format!(
        "Unknown format code '{ty}' for object of type '{}'",
        v.type_name()
    ))
}

/// Python `format(value, spec)`.
pub(crate) fn format_value(v: &Value, spec: &str) -> Result<String> {
    if spec.is_empty() {
        return py_str(v);
    }
    match v {
        Value::Str(text) => {
            let s = parse_spec(spec, v)?;
            if let Some(t) = s.ty.filter(|t| *t != 's') {
                return Err(unknown_code(t, v));
            }
            if s.sign.is_some() {
                return Err(EvalError::value_err(
                    "Sign not allowed in string format specifier",
                ));
            }
            if s.alt {
                return Err(EvalError::value_err(
                    "Alternate form (#) not allowed in string format specifier",
                ));
            }
            if s.align == Some('=') {
                return Err(EvalError::value_err(
                    "'=' alignment not allowed in string format specifier",
                ));
            }
            if let Some(g) = s.grouping {
                return Err(EvalError::value_err(format!(
                    "Cannot specify '{g}' with 's'."
                )));
            }
            let body: String = match s.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text.to_string(),
            };
            Ok(pad_spec(&s, "", &body, '<'))
        }
        Value::Int(_) | Value::Bool(_) => {
            let s = parse_spec(spec, v)?;
            let n = as_index(v).unwrap_or(0);
            match s.ty {
                Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => {
                    return format_float(n as f64, &s, v);
                }
                Some('n') => return Err(EvalError::needs("locale-dependent format `n`")),
                _ => {}
            }
            let (radix, prefix, upper) = match s.ty {
                None | Some('d') => (10, "", false),
                Some('b') => (2, "0b", false),
                Some('o') => (8, "0o", false),
                Some('x') => (16, "0x", false),
                Some('X') => (16, "0X", true),
                Some('c') => {
                    let c = u32::try_from(n)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| {
                            EvalError::exc("OverflowError", "%c arg not in range(0x110000)")
                        })?;
                    return Ok(pad_spec(&s, "", &c.to_string(), '<'));
                }
                Some(t) => return Err(unknown_code(t, v)),
            };
            if s.precision.is_some() {
                return Err(EvalError::value_err(
                    "Precision not allowed in integer format specifier",
                ));
            }
            let mut digits = radix_digits(n.unsigned_abs(), radix, upper);
            if let Some(g) = s.grouping {
                if g == ',' && radix != 10 {
                    return Err(EvalError::value_err(format!(
                        "Cannot specify ',' with '{}'.",
                        s.ty.unwrap_or('d')
                    )));
                }
                if s.zero || s.fill == Some('0') {
                    return Err(EvalError::needs("zero padding with digit grouping"));
                }
                digits = group(&digits, g, if radix == 10 { 3 } else { 4 });
            }
            let pre = format!(
                "{}{}",
                sign_text(&s, n < 0),
                if s.alt { prefix } else { "" }
            );
            Ok(pad_spec(&s, &pre, &digits, '>'))
        }
        Value::Float(f) => {
            let s = parse_spec(spec, v)?;
            format_float(*f, &s, v)
        }
        Value::None
        | Value::List(_)
        | Value::Tuple(_)
        | Value::Dict(_)
        | Value::Set(..)
        | Value::Range(..)
        | Value::View(..) => Err(EvalError::type_err(format!(
            "unsupported format string passed to {}.__format__",
            v.type_name()
        ))),
        _ => Err(EvalError::needs(format!(
            "format() of a `{}` object",
            v.type_name()
        ))),
    }
}

fn format_float(x: f64, s: &Spec, v: &Value) -> Result<String> {
    let ty = match s.ty {
        None if s.precision.is_none() => {
            let text = float_repr(x.abs());
            let body = if let Some(g) = s.grouping {
                let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
                if int.bytes().all(|b| b.is_ascii_digit()) {
                    format!("{}.{frac}", group(int, g, 3))
                } else {
                    text.clone()
                }
            } else {
                text
            };
            let neg = x.is_sign_negative() && !x.is_nan() && !(s.z && x == 0.0);
            return Ok(pad_spec(s, sign_text(s, neg), &body, '>'));
        }
        None => {
            return Err(EvalError::needs(
                "float format with a precision and no type",
            ));
        }
        Some('n') => return Err(EvalError::needs("locale-dependent format `n`")),
        Some(t @ ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%')) => t,
        Some(t) => return Err(unknown_code(t, v)),
    };
    let mut body = float_body(x.abs(), ty, s.precision.unwrap_or(6), s.alt);
    if let Some(g) = s.grouping {
        if s.zero || s.fill == Some('0') {
            return Err(EvalError::needs("zero padding with digit grouping"));
        }
        let end = body
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len());
        body = format!("{}{}", group(&body[..end], g, 3), &body[end..]);
    }
    let mut neg = x.is_sign_negative() && !x.is_nan();
    if s.z && neg && body.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        neg = false;
    }
    Ok(pad_spec(s, sign_text(s, neg), &body, '>'))
}

/// Tracks `{}` auto-numbering versus `{0}` manual numbering of `str.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbering {
    Unset,
    Auto(usize),
    Manual,
}

/// Python `fmt.format(*args, **kwargs)`.
pub(crate) fn str_format(it: &Interp<'_>, fmt: &str, args: &Args) -> Result<String> {
    let mut numbering = Numbering::Unset;
    format_inner(it, fmt, args, &mut numbering, 2)
}

fn format_inner(
    it: &Interp<'_>,
    fmt: &str,
    args: &Args,
    numbering: &mut Numbering,
    depth: u8,
) -> Result<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '{' if chars.get(i) == Some(&'{') => {
                out.push('{');
                i += 1;
            }
            '}' if chars.get(i) == Some(&'}') => {
                out.push('}');
                i += 1;
            }
            '}' => {
                return Err(EvalError::value_err(
                    "Single '}' encountered in format string",
                ));
            }
            '{' => {
                if i >= chars.len() {
                    return Err(EvalError::value_err(
                        "Single '{' encountered in format string",
                    ));
                }
                let field = parse_field(&chars, &mut i)?;
                if depth == 0 {
                    return Err(EvalError::value_err("Max string recursion exceeded"));
                }
                out.push_str(&format_field(it, &field, args, numbering, depth)?);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// One replacement field of a format string: `{name!conv:spec}`.
struct Field {
    name: String,
    conv: Option<char>,
    spec: String,
}

/// Reads a replacement field that starts at `chars[*i]` (just after its `{`) and moves `*i`
/// past its `}`, with CPython's rules (`parse_field` in `unicode_format.h`): the name runs to
/// `}`, `:` or `!`, and skips over `[...]`; one character after `!` is the conversion; the
/// spec runs to the `}` that balances it.
fn parse_field(chars: &[char], i: &mut usize) -> Result<Field> {
    let start = *i;
    let mut stop = None;
    while let Some(&c) = chars.get(*i) {
        *i += 1;
        match c {
            '{' => return Err(EvalError::value_err("unexpected '{' in field name")),
            '[' => {
                while chars.get(*i).is_some_and(|&c| c != ']') {
                    *i += 1;
                }
            }
            '}' | ':' | '!' => {
                stop = Some(c);
                break;
            }
            _ => {}
        }
    }
    let Some(stop) = stop else {
        return Err(EvalError::value_err("expected '}' before end of string"));
    };
    let name: String = chars[start..*i - 1].iter().collect();
    let mut field = Field {
        name,
        conv: None,
        spec: String::new(),
    };
    if stop == '}' {
        return Ok(field);
    }
    if stop == '!' {
        let Some(&c) = chars.get(*i) else {
            return Err(EvalError::value_err(
                "end of string while looking for conversion specifier",
            ));
        };
        *i += 1;
        field.conv = Some(c);
        if let Some(&c) = chars.get(*i) {
            *i += 1;
            if c == '}' {
                return Ok(field);
            }
            if c != ':' {
                return Err(EvalError::value_err(
                    "expected ':' after conversion specifier",
                ));
            }
        }
    }
    let spec_start = *i;
    let mut count = 1;
    while let Some(&c) = chars.get(*i) {
        *i += 1;
        match c {
            '{' => count += 1,
            '}' => {
                count -= 1;
                if count == 0 {
                    field.spec = chars[spec_start..*i - 1].iter().collect();
                    return Ok(field);
                }
            }
            _ => {}
        }
    }
    Err(EvalError::value_err("unmatched '{' in format spec"))
}

fn format_field(
    it: &Interp<'_>,
    field: &Field,
    args: &Args,
    numbering: &mut Numbering,
    depth: u8,
) -> Result<String> {
    let name = field.name.as_str();
    let conv = field.conv;
    let spec_src = field.spec.as_str();
    // The first part of the name: an index, a keyword or nothing (auto-numbering).
    let first_end = name.find(['.', '[']).unwrap_or(name.len());
    let first = &name[..first_end];
    let mut value = if first.is_empty() {
        let n = match *numbering {
            Numbering::Manual => {
                return Err(EvalError::value_err(
                    "cannot switch from manual field specification to automatic field numbering",
                ));
            }
            Numbering::Unset => 0,
            Numbering::Auto(n) => n,
        };
        *numbering = Numbering::Auto(n + 1);
        positional(args, n)?
    } else if first.bytes().all(|b| b.is_ascii_digit()) {
        if let Numbering::Auto(_) = numbering {
            return Err(EvalError::value_err(
                "cannot switch from automatic field numbering to manual field specification",
            ));
        }
        *numbering = Numbering::Manual;
        let n = first
            .parse::<usize>()
            .map_err(|_| EvalError::value_err("Too many decimal digits in format string"))?;
        positional(args, n)?
    } else {
        match args.kw.iter().find(|(k, _)| &**k == first) {
            Some((_, v)) => v.clone(),
            None => return Err(EvalError::exc("KeyError", py_repr(&Value::str(first))?)),
        }
    };
    let mut rest = &name[first_end..];
    while !rest.is_empty() {
        if rest.starts_with('.') {
            return Err(EvalError::needs("attribute access in a format field"));
        }
        let Some(close) = rest.find(']') else {
            return Err(EvalError::value_err("Missing ']' in format string"));
        };
        let key = &rest[1..close];
        if key.is_empty() {
            return Err(EvalError::value_err("Empty attribute in format string"));
        }
        let key = if key.bytes().all(|b| b.is_ascii_digit()) {
            Value::Int(
                key.parse::<i64>()
                    .map_err(|_| EvalError::needs("huge index in a format field"))?,
            )
        } else {
            Value::str(key)
        };
        value = ops::getitem(it, &value, &key)?;
        rest = &rest[close + 1..];
        if !rest.is_empty() && !rest.starts_with(['.', '[']) {
            return Err(EvalError::value_err(
                "Only '.' or '[' may follow ']' in format field specifier",
            ));
        }
    }
    // CPython converts before it expands the spec's own fields.
    let value = match conv {
        None => value,
        Some('s') => Value::str(py_str(&value)?),
        Some('r') => Value::str(py_repr(&value)?),
        Some('a') => Value::str(ascii(&py_repr(&value)?)),
        Some(c) => {
            let u = u32::from(c);
            return Err(EvalError::value_err(if (33..127).contains(&u) {
                format!("Unknown conversion specifier {c}")
            } else {
                format!("Unknown conversion specifier \\x{u:x}")
            }));
        }
    };
    let spec = if spec_src.contains('{') {
        format_inner(it, spec_src, args, numbering, depth - 1)?
    } else {
        spec_src.to_owned()
    };
    format_value(&value, &spec)
}

fn positional(args: &Args, n: usize) -> Result<Value> {
    args.pos.get(n).cloned().ok_or_else(|| {
        EvalError::exc(
            "IndexError",
            format!("Replacement index {n} out of range for positional args tuple"),
        )
    })
}

#[cfg(test)]
mod tests;
