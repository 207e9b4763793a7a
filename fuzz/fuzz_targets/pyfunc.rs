//! Fuzz target `pyfunc`: arbitrary bytes (lossy UTF-8) as the body of an anonymous Python
//! function, run by `bb_pyexpr::run_function` against a datastore that accepts writes.
//!
//! Checks that running never panics or overflows the stack, whatever the input.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use bb_pyexpr::{Context, EvalError};
use libfuzzer_sys::fuzz_target;

/// A small writable datastore.
struct Store(RefCell<HashMap<String, String>>);

impl Context for Store {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        Ok(self.0.borrow().get(name).cloned())
    }
    fn get_var_flag(&self, _: &str, _: &str, _: bool) -> Result<Option<String>, EvalError> {
        Ok(None)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(text.to_owned())
    }
    fn keys(&self) -> Result<Vec<String>, EvalError> {
        Ok(self.0.borrow().keys().cloned().collect())
    }
    fn set_var(&self, name: &str, value: Option<&str>) -> Result<(), EvalError> {
        let mut m = self.0.borrow_mut();
        match value {
            Some(v) => m.insert(name.to_owned(), v.to_owned()),
            None => m.remove(name),
        };
        Ok(())
    }
    fn append_var(&self, name: &str, value: &str) -> Result<(), EvalError> {
        self.0.borrow_mut().entry(name.to_owned()).or_default().push_str(value);
        Ok(())
    }
    fn del_var(&self, name: &str) -> Result<(), EvalError> {
        self.0.borrow_mut().remove(name);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let src = format!("def __anon_fuzz(d):\n{body}");
    let mut vars = HashMap::new();
    vars.insert("PN".to_owned(), "foo".to_owned());
    vars.insert("DISTRO_FEATURES".to_owned(), "systemd x11".to_owned());
    let store = Store(RefCell::new(vars));
    let _ = bb_pyexpr::run_function(&src, &store);
});
