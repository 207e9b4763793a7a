//! Integration tests of bb-pyexpr through its public API only: a HashMap-backed [`Context`],
//! the differential tests against CPython's committed results (expressions and function
//! bodies), API behaviour and properties.

mod api;
#[path = "../support/diff_table.rs"]
#[expect(
    dead_code,
    reason = "`escape` is for the example, which writes the table"
)]
mod diff_table;
mod differential;
mod events;
mod functions;
mod fuzz_differential;
mod props;
mod run;
mod store;

use std::collections::HashMap;

use bb_pyexpr::{Context, EvalError};

/// A datastore of plain variables and flags; `expand` substitutes `${NAME}` references
/// repeatedly and leaves unset ones alone (the same rules as `gen_expected.py`).
#[derive(Debug, Default, Clone)]
pub(crate) struct MapCtx {
    pub(crate) vars: HashMap<String, String>,
    pub(crate) flags: HashMap<(String, String), String>,
}

impl MapCtx {
    pub(crate) fn with(vars: &[(&str, &str)]) -> Self {
        Self {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            flags: HashMap::new(),
        }
    }

    fn expand_once(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_+./~:".contains(c)))
                .unwrap_or(after.len());
            if name_len > 0 && after[name_len..].starts_with('}') {
                let name = &after[..name_len];
                match self.vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 3 + name_len]),
                }
                rest = &after[name_len + 1..];
            } else {
                out.push_str("${");
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }
}

impl Context for MapCtx {
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError> {
        Ok(self.vars.get(name).map(|v| {
            if expand {
                self.expand_str(v)
            } else {
                v.clone()
            }
        }))
    }

    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Ok(self
            .flags
            .get(&(name.to_owned(), flag.to_owned()))
            .map(|v| {
                if expand {
                    self.expand_str(v)
                } else {
                    v.clone()
                }
            }))
    }

    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(self.expand_str(text))
    }
}

impl MapCtx {
    fn expand_str(&self, s: &str) -> String {
        let mut s = s.to_owned();
        for _ in 0..20 {
            let new = self.expand_once(&s);
            if new == s {
                break;
            }
            s = new;
        }
        s
    }
}
