//! Task signatures as BitBake computes them from a finalized recipe datastore: which
//! variables each task depends on (found by parsing shell and Python function bodies and
//! by expanding values with references), the base hash over that closure, the task hash
//! that adds dependency tasks, file checksums and taints, and the sig data files that
//! record all of it. Hashes are sha256 over the same text as BitBake's, so base hashes and
//! task hashes equal BitBake's on the same metadata.
//!
//! Entry points:
//! - [`task_basehashes`]: every task's [`TaskSig`] (closure, values, base hash).
//! - [`build_dependencies`] / [`Dependencies::build`]: one variable's [`VarDeps`].
//! - [`shell_execs`]: the commands a shell function runs.
//! - [`taskhash`]: the task hash from a base hash and its inputs.
//! - [`SigHandler`]: BB_SIGNATURE_HANDLER's rules for which dependency edges count.
//! - [`SigData`], [`write_sigdata`], [`read_sigdata`], [`dump`], [`compare`]: sig data files
//!   and their `bitbake-dumpsig` / `bitbake-diffsigs` readings.
//!
//! Code map: `shell.rs` (shell tokenizer and command finder), `deps.rs` (per-variable
//! dependencies), `sig.rs` (closures and hashes), `handler.rs` (BB_SIGNATURE_HANDLER's
//! edge rules), `modcode.rs` (functions of `addpylib` modules), `sigdata.rs` (files, dump, compare),
//! `error.rs`. Python bodies are read by `bb_pyexpr::python_refs`; expansion with
//! references is `bb_data::DataStore::expand_with_refs`.
//!
//! ```
//! let mut d = bb_data::DataStore::new();
//! d.set_var("OPT", "-O2");
//! d.set_var("UNRELATED", "x");
//! d.set_var("do_build", "make CFLAGS=${OPT}\n");
//! d.set_var_flag("do_build", "func", "1");
//! d.set_var("__BBTASKS", "do_build");
//! let before = bb_siggen::task_basehashes(&d, &[])?;
//! d.set_var("UNRELATED", "y");
//! assert_eq!(bb_siggen::task_basehashes(&d, &[])?, before);
//! d.set_var("OPT", "-O3");
//! let after = bb_siggen::task_basehashes(&d, &[])?;
//! let a = bb_siggen::SigData::from_task(&before["do_build"]);
//! let b = bb_siggen::SigData::from_task(&after["do_build"]);
//! let why = bb_siggen::compare(&a, &b);
//! assert!(why.contains(&"Variable OPT value changed from '-O2' to '-O3'".to_owned()));
//! # Ok::<(), bb_siggen::Error>(())
//! ```

mod deps;
mod error;
mod handler;
mod modcode;
mod shell;
mod sig;
mod sigdata;

pub use deps::{Dependencies, VarDeps, build_dependencies};
pub use error::{Error, Result};
pub use handler::{EdgeEnd, EdgeRules, KNOWN_HANDLERS, RecipeTraits, SigHandler};
pub use modcode::{
    ModFunc, ModuleCode, Visited, module_code, module_code_cache_error, set_module_code_cache,
    visit,
};
pub use shell::shell_execs;
pub use sig::{
    TaskSig, calc_basehash, clean_checksum_path, generate_dependencies, recipe_tasks, sha256_hex,
    task_basehashes, taskhash,
};
pub use sigdata::{SigData, compare, dump, read_sigdata, write_sigdata};
