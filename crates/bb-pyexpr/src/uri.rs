//! `bb.fetch.URI(text)` (also `bb.fetch2.URI`) for the URIs of `SRC_URI`: `scheme`, `path`
//! and `params` of the common forms. URIs whose reading depends on the finer rules of
//! Python's `urllib.parse` (queries, fragments, `%` escapes, IPv6 hosts) need Python.

use std::rc::Rc;

use crate::builtins::bind_py;
use crate::error::{EvalError, Result};
use crate::eval::Args;
use crate::value::{Dict, Value};

/// A parsed URI.
#[derive(Debug)]
pub(crate) struct Uri {
    scheme: String,
    path: String,
    /// `params`: a dict of str to str or None, shared with the Python code that reads it.
    params: Value,
}

impl Uri {
    pub(crate) fn attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "scheme" => Value::str(self.scheme.as_str()),
            "path" => Value::str(self.path.as_str()),
            "params" => self.params.clone(),
            _ => return None,
        })
    }
}

fn needs(uri: &str, what: &str) -> EvalError {
    EvalError::needs(format!("bb.fetch.URI of `{uri}` ({what})"))
}

/// `bb.fetch.URI(uri)`.
pub(crate) fn new(args: Args) -> Result<Value> {
    let a = bind_py("URI", &["uri"], &[Value::None], args)?;
    let text = match &a[0] {
        Value::Str(s) => s.to_string(),
        v if !v.truthy() => String::new(),
        other => {
            return Err(EvalError::needs(format!(
                "bb.fetch.URI of a `{}`",
                other.type_name()
            )));
        }
    };
    let (uri, param_str) = match text.split_once(';') {
        Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
        None => (text.clone(), None),
    };
    // urllib.parse also drops tabs and newlines anywhere and strips C0 controls and spaces
    // at the start: such text needs Python too.
    if uri.contains(['?', '#', '%', '[', ']'])
        || !uri.is_ascii()
        || uri.bytes().any(|b| b <= b' ' || b == 0x7f)
    {
        return Err(needs(&text, "a form urllib.parse reads in its own way"));
    }
    // urllib.parse's scheme: letters first, then letters, digits, `+`, `-`, `.`.
    let (scheme, rest) = match uri.find(':') {
        Some(i)
            if i > 0
                && uri.as_bytes()[0].is_ascii_alphabetic()
                && uri[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (uri[..i].to_ascii_lowercase(), uri[i + 1..].to_owned())
        }
        _ => (String::new(), uri.clone()),
    };
    let mut rest = rest;
    if scheme == "file" && rest.starts_with("//") && !rest.starts_with("///") {
        rest = rest[2..].to_owned();
    }
    let path = match rest.strip_prefix("//") {
        // A network location up to the path.
        Some(r) => match r.find('/') {
            Some(i) => r[i..].to_owned(),
            None => String::new(),
        },
        None => rest.clone(),
    };
    let mut params = Dict::default();
    if let Some(p) = param_str {
        for item in p.split(';').filter(|x| !x.is_empty()) {
            let (k, v) = match item.split_once('=') {
                Some((k, v)) => (k, Value::str(v)),
                None => (item, Value::None),
            };
            // A later duplicate replaces the value in place, as in an OrderedDict.
            params.insert(Value::str(k), v)?;
        }
    }
    Ok(Value::Uri(Rc::new(Uri {
        scheme,
        path,
        params: Value::dict(params),
    })))
}
