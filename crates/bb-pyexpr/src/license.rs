//! OE-Core's parse-time license checks (`oe.license.check_license_format`,
//! `oe.license.check_license_flags`), run natively for the cases that end without a message
//! that needs the full SPDX expression printer: expressions already in SPDX syntax made of
//! known license and exception identifiers and `LicenseRef-` names whose license text is
//! found. Anything else (legacy `&`/`|`, unknown names, `+`, `NOT`, parse errors, missing
//! license files) needs Python.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::builtins::bind_py;
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::value::Value;

/// The SPDX license and exception lists of one OE-Core tree: lower-cased identifier ->
/// (canonical identifier, deprecated).
#[derive(Debug, Default)]
struct Db {
    licenses: HashMap<String, (String, bool)>,
    exceptions: HashMap<String, (String, bool)>,
}

static DBS: Mutex<Vec<(String, Arc<Db>)>> = Mutex::new(Vec::new());

/// A JSON value, as far as the SPDX lists need.
#[derive(Debug)]
enum Json {
    Str(String),
    Bool(bool),
    Other,
    List(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct JsonReader<'s> {
    s: &'s [u8],
    i: usize,
}

impl JsonReader<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Option<String> {
        // At the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)
                                .unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        None
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > 64 {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'"' => self.string().map(Json::Str),
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                loop {
                    self.ws();
                    match *self.s.get(self.i)? {
                        b'}' => {
                            self.i += 1;
                            return Some(Json::Obj(fields));
                        }
                        b',' => self.i += 1,
                        b'"' => {
                            let k = self.string()?;
                            self.ws();
                            if *self.s.get(self.i)? != b':' {
                                return None;
                            }
                            self.i += 1;
                            let v = self.value(depth + 1)?;
                            fields.push((k, v));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    match *self.s.get(self.i)? {
                        b']' => {
                            self.i += 1;
                            return Some(Json::List(items));
                        }
                        b',' => self.i += 1,
                        _ => items.push(self.value(depth + 1)?),
                    }
                }
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b",]} \t\r\n".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"true" => Some(Json::Bool(true)),
                    b"false" => Some(Json::Bool(false)),
                    b"" => None,
                    _ => Some(Json::Other),
                }
            }
        }
    }
}

fn field<'j>(fields: &'j [(String, Json)], name: &str) -> Option<&'j Json> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// `{lower id: (id, deprecated)}` of list `list` whose identifier field is `id_field`.
fn read_list(text: &str, list: &str, id_field: &str) -> Option<HashMap<String, (String, bool)>> {
    let mut r = JsonReader {
        s: text.as_bytes(),
        i: 0,
    };
    let Json::Obj(top) = r.value(0)? else {
        return None;
    };
    let Json::List(items) = field(&top, list)? else {
        return None;
    };
    let mut out = HashMap::new();
    for item in items {
        let Json::Obj(f) = item else {
            return None;
        };
        let Json::Str(id) = field(f, id_field)? else {
            return None;
        };
        let deprecated = matches!(field(f, "isDeprecatedLicenseId"), Some(Json::Bool(true)));
        out.insert(id.to_lowercase(), (id.clone(), deprecated));
    }
    Some(out)
}

fn db(it: &Interp<'_>) -> Result<Arc<Db>> {
    let corebase = it
        .ctx
        .get_var("COREBASE", true)?
        .ok_or_else(|| EvalError::needs("oe.spdx_license without COREBASE"))?;
    let dir = format!("{corebase}/meta/files");
    if let Some((_, d)) = DBS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(k, _)| *k == dir)
    {
        return Ok(d.clone());
    }
    let host = it
        .ctx
        .host()
        .ok_or_else(|| EvalError::needs("oe.spdx_license (the SPDX license lists)"))?;
    let read = |name: &str| {
        host.read_to_string(&format!("{dir}/{name}"))
            .ok_or_else(|| EvalError::needs(format!("reading {dir}/{name}")))
    };
    let licenses = read_list(&read("spdx-licenses.json")?, "licenses", "licenseId")
        .ok_or_else(|| EvalError::needs("spdx-licenses.json in an unexpected form"))?;
    let exceptions = read_list(
        &read("spdx-exceptions.json")?,
        "exceptions",
        "licenseExceptionId",
    )
    .ok_or_else(|| EvalError::needs("spdx-exceptions.json in an unexpected form"))?;
    let d = Arc::new(Db {
        licenses,
        exceptions,
    });
    DBS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((dir, d.clone()));
    Ok(d)
}

/// One classified token of a license expression.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    With,
    /// A license (canonical id, deprecated).
    License(String, bool),
    /// An exception (canonical id, deprecated).
    Exception(String, bool),
    /// `LicenseRef-NAME` (ident, name).
    Ref(String, String),
    /// The legacy `Unknown`.
    Unknown,
}

fn is_ref_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// `LicenseRef-NAME` or `DocumentRef-X:LicenseRef-NAME`: NAME.
fn license_ref_name(t: &str) -> Option<&str> {
    let rest = match t.strip_prefix("DocumentRef-") {
        Some(r) => {
            let (doc, rest) = r.split_once(':')?;
            if doc.is_empty() || !doc.chars().all(is_ref_char) {
                return None;
            }
            rest
        }
        None => t,
    };
    let name = rest.strip_prefix("LicenseRef-")?;
    (!name.is_empty() && name.chars().all(is_ref_char)).then_some(name)
}

fn tokens(db: &Db, s: &str, d_map: &dyn Fn(&str) -> Result<bool>) -> Result<Vec<Tok>> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if matches!(c, '(' | ')' | '+') {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            words.push(c.to_string());
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out = Vec::new();
    for w in words {
        let t = match w.as_str() {
            "(" => Tok::Open,
            ")" => Tok::Close,
            "AND" => Tok::And,
            "OR" => Tok::Or,
            "WITH" => Tok::With,
            "+" | "NOT" => {
                return Err(EvalError::needs(format!("a license expression with `{w}`")));
            }
            _ => {
                let lower = w.to_lowercase();
                if let Some((id, dep)) = db.licenses.get(&lower) {
                    Tok::License(id.clone(), *dep)
                } else if let Some((id, dep)) = db.exceptions.get(&lower) {
                    Tok::Exception(id.clone(), *dep)
                } else if let Some(name) = license_ref_name(&w) {
                    Tok::Ref(w.clone(), name.to_owned())
                } else if d_map(&w)? {
                    return Err(EvalError::needs(format!(
                        "a license mapped by SPDXLICENSEMAP[{w}]"
                    )));
                } else if w == "Unknown" {
                    Tok::Unknown
                } else {
                    return Err(EvalError::needs(format!(
                        "a license expression with the unknown name `{w}` (old syntax)"
                    )));
                }
            }
        };
        out.push(t);
    }
    Ok(out)
}

/// Recursive-descent check of `expr := and (OR and)*`, `and := term (AND term)*`,
/// `term := simple [WITH exception] | ( expr )`.
struct Check<'t> {
    t: &'t [Tok],
    i: usize,
}

impl Check<'_> {
    fn expr(&mut self) -> bool {
        if !self.and() {
            return false;
        }
        while self.t.get(self.i) == Some(&Tok::Or) {
            self.i += 1;
            if !self.and() {
                return false;
            }
        }
        true
    }

    fn and(&mut self) -> bool {
        if !self.term() {
            return false;
        }
        while self.t.get(self.i) == Some(&Tok::And) {
            self.i += 1;
            if !self.term() {
                return false;
            }
        }
        true
    }

    fn term(&mut self) -> bool {
        match self.t.get(self.i) {
            Some(Tok::Open) => {
                self.i += 1;
                if !self.expr() || self.t.get(self.i) != Some(&Tok::Close) {
                    return false;
                }
                self.i += 1;
                true
            }
            Some(Tok::License(..) | Tok::Ref(..) | Tok::Unknown) => {
                self.i += 1;
                if self.t.get(self.i) == Some(&Tok::With) {
                    self.i += 1;
                    if !matches!(self.t.get(self.i), Some(Tok::Exception(..))) {
                        return false;
                    }
                    self.i += 1;
                }
                true
            }
            _ => false,
        }
    }
}

fn words_of(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `oe.license.check_license_format(d)`.
pub(crate) fn check_license_format(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("check_license_format", &["d"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "check_license_format() with a `d` that is not the datastore",
        ));
    }
    let ctx = it.ctx;
    let pn = ctx
        .get_var("PN", true)?
        .unwrap_or_else(|| "None".to_owned());
    let Some(packages) = ctx.get_var("PACKAGES", true)? else {
        return Err(EvalError::exc(
            "AttributeError",
            "'NoneType' object has no attribute 'split'",
        ));
    };
    let mut vars = vec!["LICENSE".to_owned()];
    vars.extend(packages.split_whitespace().map(|p| format!("LICENSE:{p}")));
    let mut db_cache: Option<Arc<Db>> = None;
    for v in vars {
        let Some(licenses) = ctx.get_var(&v, true)? else {
            continue;
        };
        if licenses == "INVALID" || licenses.is_empty() {
            continue;
        }
        if licenses == "CLOSED" {
            ctx.log(
                "warn",
                &format!(
                    "{pn}: {v} is using \"CLOSED\", which is deprecated. Convert to using a license ref pointing to an actual license file, e.g.\n{v} = \"LicenseRef-{pn}-CLOSED\""
                ),
            );
            continue;
        }
        if licenses.contains(['&', '|']) {
            return Err(EvalError::needs(format!(
                "{v} in the old license syntax (`&`/`|`)"
            )));
        }
        let db = match &db_cache {
            Some(d) => d.clone(),
            None => {
                let d = db(it)?;
                db_cache = Some(d.clone());
                d
            }
        };
        let mapped = |w: &str| -> Result<bool> {
            Ok(ctx
                .get_var_flag("SPDXLICENSEMAP", w, true)?
                .is_some_and(|m| !m.is_empty()))
        };
        let toks = tokens(&db, &licenses, &mapped)?;
        let mut c = Check { t: &toks, i: 0 };
        if toks.is_empty() || !c.expr() || c.i != toks.len() {
            return Err(EvalError::needs(format!(
                "{v} that is not a valid license expression"
            )));
        }
        let mut deprecated: Vec<String> = Vec::new();
        for t in &toks {
            match t {
                Tok::License(id, true) | Tok::Exception(id, true) if !deprecated.contains(id) => {
                    deprecated.push(id.clone());
                }
                Tok::Ref(ident, name) if !license_ref_found(it, ident, name)? => {
                    return Err(EvalError::needs(format!(
                        "{v}: a license reference without a license file (QA message)"
                    )));
                }
                _ => {}
            }
        }
        if !deprecated.is_empty() {
            deprecated.sort();
            ctx.log(
                "warn",
                &format!(
                    "{pn}: {v} contains deprecated licenses {}",
                    deprecated.join(", ")
                ),
            );
        }
    }
    Ok(Value::None)
}

/// `oe.license.get_license_path(d, node)` is not `None` for a `LicenseRef`.
fn license_ref_found(it: &Interp<'_>, ident: &str, name: &str) -> Result<bool> {
    if it
        .ctx
        .get_var_flag("NO_GENERIC_LICENSE", name, true)?
        .is_some_and(|f| !f.is_empty())
    {
        return Ok(true);
    }
    let Some(common) = it.ctx.get_var("COMMON_LICENSE_DIR", true)? else {
        return Err(EvalError::needs("COMMON_LICENSE_DIR unset"));
    };
    let host = it
        .ctx
        .host()
        .ok_or_else(|| EvalError::needs("looking for license files (the host's file system)"))?;
    let mut dirs = vec![common];
    dirs.extend(words_of(it.ctx.get_var("LICENSE_PATH", true)?));
    for dir in dirs {
        for n in [name, ident] {
            let p = if n.starts_with('/') {
                n.to_owned()
            } else if dir.is_empty() || dir.ends_with('/') {
                format!("{dir}{n}")
            } else {
                format!("{dir}/{n}")
            };
            if host.path_info(&p).is_file {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `oe.license.check_license_flags(d)`: the LICENSE_FLAGS not accepted by
/// LICENSE_FLAGS_ACCEPTED, or `None`.
pub(crate) fn check_license_flags(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py("check_license_flags", &["d"], &[], args)?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "check_license_flags() with a `d` that is not the datastore",
        ));
    }
    let flags = it.ctx.get_var("LICENSE_FLAGS", true)?.unwrap_or_default();
    if flags.is_empty() {
        return Ok(Value::None);
    }
    let strs = |v: Vec<String>| Value::list(v.into_iter().map(Value::str).collect());
    let accepted = it
        .ctx
        .get_var("LICENSE_FLAGS_ACCEPTED", true)?
        .unwrap_or_default();
    if accepted.is_empty() {
        return Ok(strs(words_of(Some(flags))));
    }
    let pn = it
        .ctx
        .get_var("PN", true)?
        .unwrap_or_else(|| "None".to_owned());
    let accept: Vec<&str> = accepted.split_whitespace().collect();
    let matches = |flag: &str| -> bool {
        let flag_pn = format!("{flag}_{pn}");
        if accept.contains(&flag_pn.as_str()) {
            return true;
        }
        let parts: Vec<&str> = flag_pn.split('_').collect();
        let mut cur = String::new();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !cur.is_empty() {
                cur.push('_');
            }
            cur.push_str(part);
            if accept.contains(&cur.as_str()) {
                return true;
            }
        }
        false
    };
    let unmatched: Vec<String> = flags
        .split_whitespace()
        .filter(|f| !matches(f))
        .map(str::to_owned)
        .collect();
    if unmatched.is_empty() {
        Ok(Value::None)
    } else {
        Ok(strs(unmatched))
    }
}

/// `oe.license.skip_incompatible_package_licenses(d, pkgs)` when nothing is to be checked
/// (no INCOMPATIBLE_LICENSE, or a recipe whose licenses are not checked): `{}`.
pub(crate) fn skip_incompatible_package_licenses(it: &Interp<'_>, args: Args) -> Result<Value> {
    let a = bind_py(
        "skip_incompatible_package_licenses",
        &["d", "pkgs"],
        &[],
        args,
    )?;
    if !matches!(a[0], Value::Datastore) {
        return Err(EvalError::needs(
            "skip_incompatible_package_licenses() with a `d` that is not the datastore",
        ));
    }
    let empty = || Value::dict(crate::value::Dict::default());
    if !a[1].truthy() {
        return Ok(empty());
    }
    let Some(pn) = it.ctx.get_var("PN", true)? else {
        return Err(EvalError::exc(
            "AttributeError",
            "'NoneType' object has no attribute 'startswith'",
        ));
    };
    let mut check = !pn.starts_with("nativesdk-");
    for t in [
        "-native",
        "-cross-${TARGET_ARCH}",
        "-cross-initial-${TARGET_ARCH}",
        "-crosssdk-${SDK_SYS}",
        "-crosssdk-initial-${SDK_SYS}",
        "-cross-canadian-${TRANSLATED_TARGET_ARCH}",
    ] {
        if pn.ends_with(&it.ctx.expand(t)?) {
            check = false;
        }
    }
    if pn.starts_with("gcc-source-") {
        check = false;
    }
    let bad = words_of(it.ctx.get_var("INCOMPATIBLE_LICENSE", true)?);
    if !check || bad.is_empty() {
        return Ok(empty());
    }
    Err(EvalError::needs(
        "skip_incompatible_package_licenses() with INCOMPATIBLE_LICENSE set",
    ))
}
