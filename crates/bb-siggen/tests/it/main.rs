//! Integration tests: recipes evaluated by the real parser and evaluator, then signed.
//! `bitbake.rs` compares our dependency sets with real BitBake's on the layer in
//! `tests/data/layer` (BitBake's `bitbake-dumpsig` output is in `tests/data/bitbake`).

mod bitbake;
mod sigs;

use std::collections::HashMap;
use std::path::Path;

use bb_data::{DataStore, Evaluator, FileSource};

/// Files held in memory.
pub(crate) struct Mem(pub(crate) HashMap<String, String>);

impl FileSource for Mem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path.to_str().unwrap_or(""))
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
    fn exists(&self, path: &Path) -> bool {
        let p = path.to_str().unwrap_or("");
        self.0.contains_key(p) || self.0.keys().any(|k| k.starts_with(&format!("{p}/")))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.0.contains_key(path.to_str().unwrap_or(""))
    }
}

/// Parses and finalizes `recipe` (as `/l/r.bb`) over `conf` (as `/l/conf/bitbake.conf`),
/// with `base` as `/l/classes/base.bbclass`, starting from `env`.
pub(crate) fn recipe_with(conf: &str, base: &str, recipe: &str, env: &[(&str, &str)]) -> DataStore {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert("/l/conf/bitbake.conf".into(), conf.into());
    files.insert("/l/classes/base.bbclass".into(), base.into());
    files.insert("/l/r.bb".into(), recipe.into());
    let mem = Mem(files);
    let ev = Evaluator::new(&mem);
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut d = bb_data::base_datastore(&env);
    d.set_var("BBPATH", "/l");
    d.set_var("TOPDIR", "/l");
    ev.parse_base_config(&mut d).expect("config parses");
    ev.parse_recipe(&d, "/l/r.bb", &[]).expect("recipe parses")
}

/// A recipe over a small fixed configuration.
pub(crate) fn recipe(text: &str) -> DataStore {
    let conf = "BB_BASEHASH_IGNORE_VARS = \"IGNORED\"\n\
                BB_SIGNATURE_EXCLUDE_FLAGS = \"task func python deps depends vardeps vardepsexclude vardepvalue lineno filename\"\n";
    recipe_with(conf, "", text, &[])
}
