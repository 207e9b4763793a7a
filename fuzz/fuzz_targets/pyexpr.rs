//! Fuzz target `pyexpr`: arbitrary bytes (lossy UTF-8) as an inline Python expression.
//!
//! Checks that compiling and evaluating never panic or overflow the stack, that compiling is
//! deterministic, and that `NeedsPython` names the whole expression. Crashes found here are
//! kept in `testdata/bb-pyexpr/fuzz-regressions/` and replayed by bb-pyexpr's integration
//! tests.
#![no_main]

use bb_pyexpr::{Context, EvalError};
use libfuzzer_sys::fuzz_target;

/// A datastore with a few variables; `expand` returns its input.
struct Vars;

impl Context for Vars {
    fn get_var(&self, name: &str, _expand: bool) -> Result<Option<String>, EvalError> {
        Ok(match name {
            "PN" => Some("foo".to_owned()),
            "DISTRO_FEATURES" => Some("systemd x11 pam".to_owned()),
            "BB_GLOBAL_PYMODULES" => Some("os sys time".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }
    fn get_var_flag(
        &self,
        _name: &str,
        _flag: &str,
        _expand: bool,
    ) -> Result<Option<String>, EvalError> {
        Ok(None)
    }
    fn expand(&self, text: &str) -> Result<String, EvalError> {
        Ok(text.to_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let first = bb_pyexpr::compile(&src).map(|e| e.eval(&Vars));
    let second = bb_pyexpr::compile(&src).map(|e| e.eval(&Vars));
    assert_eq!(first, second, "compile or eval is not deterministic");
    if let Ok(Err(EvalError::NeedsPython { expr, .. })) | Err(EvalError::NeedsPython { expr, .. }) =
        &first
    {
        assert_eq!(expr, &*src, "NeedsPython must name the whole expression");
    }
});
