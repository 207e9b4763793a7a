//! The persistent parse cache: per recipe file, the [`RecipeInfo`] of each target and
//! the content hash of every file the parse read (recipe, appends, includes, classes,
//! configuration, and the paths tried that did not exist). An entry is reused only
//! when all of them still hash the same and the configuration hash matches.
//!
//! On disk: one line `bake-parse-cache 5 <blake3 of the body>` and a JSON body. Every
//! path (files read, inherited classes) is stored once in a table and referred to by
//! index, which keeps the file small (oe-core: ~2 MB instead of 22 MB) and quick to
//! write and read. A file whose checksum or JSON is wrong is reported and ignored,
//! never trusted. The file is written to a temporary name and renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::recipe::{BuildInfo, RecipeInfo};

const MAGIC: &str = "bake-parse-cache 5";

/// The cached result of parsing one recipe file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The appends applied, in order.
    pub appends: Vec<String>,
    /// Every file read, with its content hash (`None`: did not exist).
    pub deps: Vec<(String, Option<String>)>,
    /// The targets the file produced.
    pub infos: Vec<RecipeInfo>,
}

impl CacheEntry {
    /// An entry for `files`, hashed now.
    pub fn new(
        appends: Vec<String>,
        files: &[String],
        hasher: &FileHasher,
        infos: Vec<RecipeInfo>,
    ) -> CacheEntry {
        CacheEntry {
            appends,
            deps: files.iter().map(|f| (f.clone(), hasher.hash(f))).collect(),
            infos,
        }
    }
}

/// Hashes file contents, each file once per run.
#[derive(Debug, Default)]
pub struct FileHasher {
    memo: Mutex<HashMap<PathBuf, Option<String>>>,
}

impl FileHasher {
    /// The blake3 hash of a file's content, `None` when it can't be read.
    pub fn hash(&self, path: &str) -> Option<String> {
        let key = PathBuf::from(path);
        if let Some(h) = self
            .memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return h.clone();
        }
        let h = fs_err::read(&key)
            .ok()
            .map(|b| blake3::hash(&b).to_hex().to_string());
        self.memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, h.clone());
        h
    }
}

/// One cached recipe file, paths as indices into the cache's table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    appends: Vec<String>,
    /// Indices of the files read.
    deps: Vec<u32>,
    /// The targets, with `inherits` moved out to `inherits`.
    infos: Vec<RecipeInfo>,
    /// Per target, indices of the inherited classes.
    inherits: Vec<Vec<u32>>,
    /// Per target, the index of its task table.
    #[serde(default)]
    tasks: Vec<u32>,
    /// What builds worked out for targets of this file (by target name).
    #[serde(default)]
    build: BTreeMap<String, BuildInfo>,
}

/// A table of paths, each stored once, with the content hash it had when the cache
/// was made (`None`: the path did not exist).
///
/// The reverse indexes are built on the first insertion, not on load: a loaded cache
/// is only looked up (a parse fills a new one), and building them cost a no-op
/// rebuild a hash of every path and task table.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Table {
    files: Vec<(String, Option<String>)>,
    #[serde(skip)]
    index: FxHashMap<String, u32>,
    /// Other repeated strings (inherited class paths), each once.
    names: Vec<String>,
    #[serde(skip)]
    name_index: FxHashMap<String, u32>,
    /// Task tables, each once (recipes built the same way share one).
    task_tables: Vec<bb_data::TaskDeps>,
    #[serde(skip)]
    task_index: FxHashMap<bb_data::TaskDeps, u32>,
}

/// Position `i` of a table as stored.
fn table_id(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Table {
    /// Builds the reverse indexes that are missing (each entry of a table is unique,
    /// so an index is complete when it has as many entries as its table).
    fn index_all(&mut self) {
        if self.index.len() != self.files.len() {
            self.index = self
                .files
                .iter()
                .enumerate()
                .map(|(i, (p, _))| (p.clone(), table_id(i)))
                .collect();
        }
        if self.name_index.len() != self.names.len() {
            self.name_index = self
                .names
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), table_id(i)))
                .collect();
        }
        if self.task_index.len() != self.task_tables.len() {
            self.task_index = self
                .task_tables
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), table_id(i)))
                .collect();
        }
    }

    fn intern(&mut self, path: &str, hash: Option<&str>) -> u32 {
        if let Some(&i) = self.index.get(path) {
            return i;
        }
        let i = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push((path.to_owned(), hash.map(str::to_owned)));
        self.index.insert(path.to_owned(), i);
        i
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.name_index.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.name_index.insert(name.to_owned(), i);
        i
    }

    fn task_id(&mut self, t: bb_data::TaskDeps) -> u32 {
        if let Some(&i) = self.task_index.get(&t) {
            return i;
        }
        let i = u32::try_from(self.task_tables.len()).unwrap_or(u32::MAX);
        self.task_tables.push(t.clone());
        self.task_index.insert(t, i);
        i
    }

    fn name(&self, i: u32) -> Option<&str> {
        self.names.get(i as usize).map(String::as_str)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Body {
    config: String,
    table: Table,
    entries: HashMap<String, Stored>,
}

/// The parse cache of a build directory.
#[derive(Debug, Default)]
pub struct ParseCache {
    table: Table,
    entries: HashMap<String, Stored>,
    /// Per table index: whether the path still hashes as stored (worked out once).
    valid: Vec<OnceLock<bool>>,
}

impl ParseCache {
    /// Loads the cache for configuration hash `config`. A missing file or one made for
    /// another configuration gives an empty cache; a damaged file gives an error
    /// message (the caller warns and starts empty).
    pub fn load(path: &Path, config: &str) -> Result<ParseCache, String> {
        let bytes = match fs_err::read(path) {
            Ok(b) => b,
            Err(_) => return Ok(ParseCache::default()),
        };
        let bad = |why: &str| {
            format!(
                "parse cache {} is damaged ({why}); rebuilding it",
                path.display()
            )
        };
        let nl = bytes
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad("no header"))?;
        let header = std::str::from_utf8(&bytes[..nl]).map_err(|_| bad("bad header"))?;
        let body = &bytes[nl + 1..];
        let (magic, sum) = header.rsplit_once(' ').ok_or_else(|| bad("bad header"))?;
        if magic != MAGIC {
            return Ok(ParseCache::default());
        }
        if blake3::hash(body).to_hex().as_str() != sum {
            return Err(bad("checksum mismatch"));
        }
        let body: Body = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
        if body.config != config {
            return Ok(ParseCache::default());
        }
        let n = body.table.files.len();
        let names = body.table.names.len();
        let tables = body.table.task_tables.len();
        let in_range = |v: &[u32], n: usize| v.iter().all(|&i| (i as usize) < n);
        if !body.entries.values().all(|e| {
            in_range(&e.deps, n)
                && e.inherits.len() == e.infos.len()
                && e.inherits.iter().all(|v| in_range(v, names))
                && e.tasks.len() == e.infos.len()
                && in_range(&e.tasks, tables)
        }) {
            return Err(bad("index out of range"));
        }
        Ok(ParseCache {
            valid: (0..n).map(|_| OnceLock::new()).collect(),
            table: body.table,
            entries: body.entries,
        })
    }

    /// How many targets the cache holds.
    pub fn targets(&self) -> usize {
        self.entries.values().map(|e| e.infos.len()).sum()
    }

    /// Writes the cache atomically (temporary file, then rename).
    pub fn save(&self, path: &Path, config: &str) -> Result<(), String> {
        let mut out = Vec::with_capacity(4 << 20);
        out.extend_from_slice(MAGIC.as_bytes());
        // The checksum is filled in once the body is written: 64 hex digits.
        out.push(b' ');
        let sum_at = out.len();
        out.extend_from_slice(&[b'0'; 64]);
        out.push(b'\n');
        let body_at = out.len();
        serde_json::to_writer(
            &mut out,
            &BodyRef {
                config,
                table: &self.table,
                entries: &self.entries,
            },
        )
        .map_err(|e| e.to_string())?;
        let sum = blake3::hash(&out[body_at..]).to_hex();
        out[sum_at..sum_at + 64].copy_from_slice(sum.as_bytes());
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        bb_util::fs::atomic_write(path, &out).map_err(|e| e.to_string())
    }

    /// Whether table entry `i` still hashes as stored.
    fn still_valid(&self, i: u32, hasher: &FileHasher) -> bool {
        let Some(cell) = self.valid.get(i as usize) else {
            return false;
        };
        *cell.get_or_init(|| {
            self.table
                .files
                .get(i as usize)
                .is_some_and(|(p, h)| hasher.hash(p) == *h)
        })
    }

    /// The entry for `file` if it is still valid: same appends, and every file it
    /// read hashes as before.
    pub fn lookup(
        &self,
        file: &str,
        appends: &[String],
        hasher: &FileHasher,
    ) -> Option<CacheEntry> {
        let e = self.entries.get(file)?;
        if e.appends != appends {
            return None;
        }
        if !e.deps.iter().all(|&i| self.still_valid(i, hasher)) {
            return None;
        }
        let deps = e
            .deps
            .iter()
            .filter_map(|&i| self.table.files.get(i as usize).cloned())
            .collect();
        let infos = e
            .infos
            .iter()
            .zip(&e.inherits)
            .zip(&e.tasks)
            .map(|((info, inh), &t)| {
                let mut info = info.clone();
                if let Some(t) = self.table.task_tables.get(t as usize) {
                    info.task_deps = t.clone();
                }
                info.inherits = inh
                    .iter()
                    .filter_map(|&i| self.table.name(i).map(str::to_owned))
                    .collect();
                info
            })
            .collect();
        Some(CacheEntry {
            appends: e.appends.clone(),
            deps,
            infos,
        })
    }

    /// Adds or replaces the entry of a file.
    pub fn insert(&mut self, file: String, entry: CacheEntry) {
        let CacheEntry {
            appends,
            deps,
            infos,
        } = entry;
        self.table.index_all();
        let deps = deps
            .iter()
            .map(|(p, h)| self.table.intern(p, h.as_deref()))
            .collect();
        let mut inherits = Vec::with_capacity(infos.len());
        let mut tasks = Vec::with_capacity(infos.len());
        let infos = infos
            .into_iter()
            .map(|mut info| {
                tasks.push(self.table.task_id(std::mem::take(&mut info.task_deps)));
                let inh = std::mem::take(&mut info.inherits);
                inherits.push(
                    inh.iter()
                        .map(|p| self.table.name_id(p))
                        .collect::<Vec<u32>>(),
                );
                info
            })
            .collect();
        self.entries.insert(
            file,
            Stored {
                appends,
                deps,
                infos,
                inherits,
                tasks,
                build: BTreeMap::new(),
            },
        );
    }

    /// The build information kept for target `fn_name` of recipe file `file`.
    pub fn build_info(&self, file: &str, fn_name: &str) -> Option<&BuildInfo> {
        self.entries.get(file)?.build.get(fn_name)
    }

    /// Keeps build information for target `fn_name` of `file` (a file without an entry
    /// keeps nothing). Returns whether it was stored.
    pub fn set_build_info(&mut self, file: &str, fn_name: &str, info: BuildInfo) -> bool {
        match self.entries.get_mut(file) {
            Some(e) => {
                e.build.insert(fn_name.to_owned(), info);
                true
            }
            None => false,
        }
    }

    /// Carries the build information of `file`'s entry in `old` over to this cache's
    /// entry for it (used when an entry is reused unchanged).
    pub fn carry_build_info(&mut self, old: &ParseCache, file: &str) {
        if let (Some(from), Some(to)) = (old.entries.get(file), self.entries.get_mut(file)) {
            to.build = from.build.clone();
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Serialize)]
struct BodyRef<'a> {
    config: &'a str,
    table: &'a Table,
    entries: &'a HashMap<String, Stored>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(inherits: &[&str]) -> RecipeInfo {
        RecipeInfo {
            pn: "a".into(),
            inherits: inherits.iter().map(|s| (*s).to_owned()).collect(),
            ..RecipeInfo::default()
        }
    }

    #[test]
    fn paths_are_stored_once_and_come_back_whole() {
        let dir = std::env::temp_dir().join(format!("bake-cache-test-{}", std::process::id()));
        fs_err::create_dir_all(&dir).expect("invariant: temp dir");
        let f1 = dir.join("one.inc");
        fs_err::write(&f1, "A = 1\n").expect("invariant: write");
        let f1 = f1.to_string_lossy().into_owned();
        let missing = dir.join("nope.inc").to_string_lossy().into_owned();
        let hasher = FileHasher::default();
        let mut c = ParseCache::default();
        for name in ["x.bb", "y.bb"] {
            let files = vec![f1.clone(), missing.clone()];
            c.insert(
                name.into(),
                CacheEntry::new(vec![], &files, &hasher, vec![info(&["/c/base.bbclass"])]),
            );
        }
        assert_eq!(c.table.files.len(), 2);
        assert_eq!(c.table.names.len(), 1);
        let path = dir.join("cache");
        c.save(&path, "cfg").expect("invariant: save");
        let back = ParseCache::load(&path, "cfg").expect("loads");
        let e = back.lookup("y.bb", &[], &hasher).expect("still valid");
        assert_eq!(e.deps[0], (f1.clone(), hasher.hash(&f1)));
        assert_eq!(e.deps[1], (missing.clone(), None));
        assert_eq!(e.infos[0].inherits, vec!["/c/base.bbclass".to_owned()]);
        // Another configuration: nothing is reused.
        assert!(ParseCache::load(&path, "other").expect("loads").is_empty());
        // A changed file invalidates, seen by the next run (validity is worked out
        // once per load, like file hashes once per run).
        fs_err::write(&f1, "A = 2\n").expect("invariant: write");
        let next = ParseCache::load(&path, "cfg").expect("loads");
        assert!(next.lookup("x.bb", &[], &FileHasher::default()).is_none());
        let _ = fs_err::remove_dir_all(&dir);
    }

    #[test]
    fn out_of_range_index_is_damage() {
        let dir = std::env::temp_dir().join(format!("bake-cache-idx-{}", std::process::id()));
        fs_err::create_dir_all(&dir).expect("invariant: temp dir");
        let body = r#"{"config":"c","table":{"files":[],"names":[],"task_tables":[]},"entries":{"x.bb":{"appends":[],"deps":[7],"infos":[],"inherits":[],"tasks":[]}}}"#;
        let text = format!("{MAGIC} {}\n{body}", blake3::hash(body.as_bytes()).to_hex());
        let path = dir.join("cache");
        fs_err::write(&path, text).expect("invariant: write");
        let err = ParseCache::load(&path, "c").expect_err("damaged");
        assert!(err.contains("index out of range"), "{err}");
        let _ = fs_err::remove_dir_all(&dir);
    }
}
