//! A writable datastore for running functions: variables, flags, internal lists, Python
//! functions and a log, behind `RefCell`s. Its semantics are those of the fake datastore of
//! `testdata/bb-pyexpr/gen_functions.py` (appends concatenate at once; no overrides).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use bb_pyexpr::{Context, EvalError, PyFunction, PyFunctionKind};

/// The flags of one variable, in insertion order (`None`: set to Python `None`).
type Flags = Vec<(String, Option<String>)>;

#[derive(Debug, Default)]
pub(crate) struct StoreCtx {
    pub(crate) vars: RefCell<BTreeMap<String, Option<String>>>,
    pub(crate) flags: RefCell<BTreeMap<String, Flags>>,
    pub(crate) lists: HashMap<(String, Option<String>), Vec<String>>,
    pub(crate) funcs: HashMap<String, PyFunction>,
    pub(crate) log: RefCell<Vec<(String, String)>>,
}

impl StoreCtx {
    pub(crate) fn with(vars: &[(&str, &str)]) -> Self {
        let s = Self::default();
        for (k, v) in vars {
            s.vars
                .borrow_mut()
                .insert((*k).to_owned(), Some((*v).to_owned()));
        }
        s
    }

    pub(crate) fn var(&self, name: &str) -> Option<String> {
        self.vars.borrow().get(name).cloned().flatten()
    }

    /// Adds the `def` functions of a block of metadata text, split with BitBake's rule: a
    /// `def` line and the following lines that start with whitespace, are empty or start with
    /// `#`.
    pub(crate) fn add_defs(&mut self, text: &str) {
        let mut cur: Option<(String, Vec<&str>)> = None;
        let mut done = Vec::new();
        for line in text.split('\n') {
            if let Some((_, lines)) = &mut cur
                && (line.is_empty() || line.starts_with([' ', '\t', '#']))
            {
                lines.push(line);
                continue;
            }
            done.extend(cur.take());
            if let Some(rest) = line.strip_prefix("def ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                cur = Some((name, vec![line]));
            }
        }
        done.extend(cur);
        for (name, lines) in done {
            self.funcs.insert(
                name,
                PyFunction {
                    source: lines.join("\n"),
                    kind: PyFunctionKind::Def,
                },
            );
        }
    }

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

    fn expand_once(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_+./~:".contains(c)))
                .unwrap_or(after.len());
            if n > 0 && after[n..].starts_with('}') {
                match self.var(&after[..n]) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[i..i + 3 + n]),
                }
                rest = &after[n + 1..];
            } else {
                out.push_str("${");
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    fn flag(&self, name: &str, flag: &str) -> Option<String> {
        self.flags
            .borrow()
            .get(name)
            .and_then(|fs| fs.iter().find(|(f, _)| f == flag))
            .and_then(|(_, v)| v.clone())
    }

    fn put_flag(&self, name: &str, flag: &str, value: Option<String>) {
        let mut flags = self.flags.borrow_mut();
        let fs = flags.entry(name.to_owned()).or_default();
        match fs.iter_mut().find(|(f, _)| f == flag) {
            Some(slot) => slot.1 = value,
            None => fs.push((flag.to_owned(), value)),
        }
    }

    /// The datastore and log in the shape of `functions.expected`.
    pub(crate) fn dump(&self) -> Vec<String> {
        let show = |v: &Option<String>| v.as_deref().map_or("<None>".to_owned(), escape);
        let mut out = Vec::new();
        for (k, v) in self.vars.borrow().iter() {
            out.push(format!("var\t{k}\t{}", show(v)));
        }
        for (k, fs) in self.flags.borrow().iter() {
            let mut fs = fs.clone();
            fs.sort();
            for (f, v) in fs {
                out.push(format!("flag\t{k}[{f}]\t{}", show(&v)));
            }
        }
        for (level, msg) in self.log.borrow().iter() {
            out.push(format!("log\t{level}\t{}", escape(msg)));
        }
        out
    }
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

impl Context for StoreCtx {
    fn create_copy(&self) -> Result<Box<dyn Context>, EvalError> {
        Ok(Box::new(StoreCtx {
            vars: RefCell::new(self.vars.borrow().clone()),
            flags: RefCell::new(self.flags.borrow().clone()),
            lists: self.lists.clone(),
            funcs: self.funcs.clone(),
            log: RefCell::default(),
        }))
    }
    fn get_var(&self, name: &str, expand: bool) -> Result<Option<String>, EvalError> {
        Ok(self
            .var(name)
            .map(|v| if expand { self.expand_str(&v) } else { v }))
    }

    fn get_var_flag(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Ok(self
            .flag(name, flag)
            .map(|v| if expand { self.expand_str(&v) } else { v }))
    }

    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(self.expand_str(text))
    }

    fn get_var_flags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, EvalError> {
        let flags = self.flags.borrow();
        let fs: Vec<(String, String)> = flags
            .get(name)
            .map(|fs| {
                fs.iter()
                    .filter_map(|(f, v)| v.clone().map(|v| (f.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        Ok((!fs.is_empty()).then_some(fs))
    }

    fn keys(&self) -> Result<Vec<String>, EvalError> {
        Ok(self
            .vars
            .borrow()
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn internal_list(&self, name: &str, flag: Option<&str>) -> Option<Vec<String>> {
        self.lists
            .get(&(name.to_owned(), flag.map(str::to_owned)))
            .cloned()
    }

    fn python_function(&self, name: &str) -> Option<PyFunction> {
        self.funcs.get(name).cloned()
    }

    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
        self.vars
            .borrow_mut()
            .insert(name.to_owned(), value.map(str::to_owned));
        Ok(())
    }

    fn append_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let old = self.var(name).unwrap_or_default();
        self.set_var(name, Some(&(old + value)))
    }

    fn prepend_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        let old = self.var(name).unwrap_or_default();
        self.set_var(name, Some(&(value.to_owned() + &old)))
    }

    fn del_var(&self, name: &str) -> Result<(), EvalError> {
        self.vars.borrow_mut().remove(name);
        self.flags.borrow_mut().remove(name);
        Ok(())
    }

    fn rename_var(&self, from: &str, to: &str) -> Result<(), EvalError> {
        let v = self.vars.borrow_mut().remove(from);
        if let Some(v) = v {
            self.vars.borrow_mut().insert(to.to_owned(), v);
        }
        let f = self.flags.borrow_mut().remove(from);
        if let Some(f) = f {
            self.flags.borrow_mut().insert(to.to_owned(), f);
        }
        Ok(())
    }

    fn set_var_flag(&self, name: &str, flag: &str, value: Option<&str>) -> Result<(), EvalError> {
        self.put_flag(name, flag, value.map(str::to_owned));
        Ok(())
    }

    fn append_var_flag(&self, name: &str, flag: &str, value: &str) -> Result<(), EvalError> {
        let old = self.flag(name, flag).unwrap_or_default();
        self.put_flag(name, flag, Some(old + value));
        Ok(())
    }

    fn prepend_var_flag(&self, name: &str, flag: &str, value: &str) -> Result<(), EvalError> {
        let old = self.flag(name, flag).unwrap_or_default();
        self.put_flag(name, flag, Some(value.to_owned() + &old));
        Ok(())
    }

    fn del_var_flag(&self, name: &str, flag: &str) -> Result<(), EvalError> {
        if let Some(fs) = self.flags.borrow_mut().get_mut(name) {
            fs.retain(|(f, _)| f != flag);
        }
        Ok(())
    }

    fn log(&self, level: &str, message: &str) {
        self.log
            .borrow_mut()
            .push((level.to_owned(), message.to_owned()));
    }
}
