//! The persistent parse cache: per recipe file, the [`RecipeInfo`] of each target and
//! the state of every file the parse read (recipe, appends, includes, classes,
//! configuration, and the paths tried that did not exist). An entry is reused only
//! when all of them still have the same content and the configuration hash matches.
//!
//! A file's content is known by its blake3 hash. To spare a no-op run reading every
//! file again, the cache also keeps what `stat` said of each file (device, inode,
//! size, mtime and ctime to the nanosecond) when that can vouch for the content: a
//! file whose `stat` is unchanged is taken as unchanged, any other is hashed again
//! (BitBake compares mtimes alone). As git does with racily clean index entries, a
//! `stat` is kept only for a file that last changed [`SETTLE`] or more before it was
//! read: a later write within the same timestamp tick could otherwise leave `stat`
//! unchanged over new content. Such a file is hashed on the next run, and its `stat`
//! is stored then.
//!
//! On disk: one line `bake-parse-cache 7 <blake3 of the body>` and a postcard (binary
//! serde) body. Every path (files read, inherited classes) and task table is stored
//! once in a table and referred to by index. A file whose checksum or body is wrong is
//! reported and ignored, never trusted. The file is written to a temporary name and
//! renamed into place. A run that reuses every entry keeps the loaded cache as it is
//! (no copy) and writes it only when something in it changed.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::recipe::{BuildInfo, RecipeInfo};

const MAGIC: &str = "bake-parse-cache 7";

/// How long before it is read a file must have last changed for its `stat` to vouch
/// for its content on later runs: more than a filesystem timestamp tick plus the
/// coarsest timestamp resolution in common use (1 s; FAT's is 2 s).
pub const SETTLE: Duration = Duration::from_secs(3);

/// What `stat` says of a file, compared on later runs before its content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStat {
    dev: u64,
    ino: u64,
    size: u64,
    /// Seconds and nanoseconds.
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStat {
    /// The `stat` fields of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> FileStat {
        FileStat {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the file last changed (content or inode) `settle` or more before
    /// `read_at`.
    pub fn settled(&self, read_at: SystemTime, settle: Duration) -> bool {
        let Some(limit) = read_at
            .checked_sub(settle)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        else {
            return false;
        };
        let limit = (
            i64::try_from(limit.as_secs()).unwrap_or(i64::MAX),
            i64::from(limit.subsec_nanos()),
        );
        self.mtime < limit && self.ctime < limit
    }
}

/// A file as a parse found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// The path as the parse named it.
    pub path: String,
    /// The blake3 hash of its content, `None` when it could not be read (missing).
    pub hash: Option<String>,
    /// Its `stat` when that can vouch for the content (see the module docs).
    pub stat: Option<FileStat>,
}

/// The cached result of parsing one recipe file.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The appends applied, in order.
    pub appends: Vec<String>,
    /// Every file read, with its state.
    pub deps: Vec<FileState>,
    /// The targets the file produced.
    pub infos: Vec<RecipeInfo>,
}

impl CacheEntry {
    /// An entry for `files`, hashed now (or as they were first hashed this run).
    pub fn new(
        appends: Vec<String>,
        files: &[String],
        hasher: &FileHasher,
        infos: Vec<RecipeInfo>,
    ) -> CacheEntry {
        CacheEntry {
            appends,
            deps: files.iter().map(|f| hasher.state(f)).collect(),
            infos,
        }
    }
}

/// What a run found of a file: content hash, and `stat` when it vouches for it.
#[derive(Debug, Clone)]
struct Known {
    hash: Option<String>,
    stat: Option<FileStat>,
}

/// Hashes file contents, each file once per run (see the module docs for `stat`).
#[derive(Debug)]
pub struct FileHasher {
    memo: Mutex<FxHashMap<String, Known>>,
    settle: Duration,
}

impl Default for FileHasher {
    fn default() -> FileHasher {
        FileHasher::with_settle(SETTLE)
    }
}

impl FileHasher {
    /// A hasher that trusts the `stat` of files last changed `settle` or more before
    /// they were read (tests shorten [`SETTLE`]).
    pub fn with_settle(settle: Duration) -> FileHasher {
        FileHasher {
            memo: Mutex::default(),
            settle,
        }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, FxHashMap<String, Known>> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The blake3 hash of a file's content, `None` when it can't be read.
    pub fn hash(&self, path: &str) -> Option<String> {
        self.known(path).hash
    }

    /// The state of `path` (read and hashed the first time this run).
    pub fn state(&self, path: &str) -> FileState {
        let Known { hash, stat } = self.known(path);
        FileState {
            path: path.to_owned(),
            hash,
            stat,
        }
    }

    fn known(&self, path: &str) -> Known {
        if let Some(k) = self.memo().get(path) {
            return k.clone();
        }
        // The `stat` is taken before the read: a write in between makes it differ
        // from the file's next `stat`, so the content is hashed again then.
        let read_at = SystemTime::now();
        let known = match std::fs::metadata(path) {
            Err(_) => Known {
                hash: None,
                stat: None,
            },
            Ok(meta) => {
                let hash = fs_err::read(path)
                    .ok()
                    .map(|b| blake3::hash(&b).to_hex().to_string());
                let stat = FileStat::of(&meta);
                let stat = (hash.is_some() && stat.settled(read_at, self.settle)).then_some(stat);
                Known { hash, stat }
            }
        };
        self.memo().insert(path.to_owned(), known.clone());
        known
    }

    /// Whether `state`'s file still has the content it had: without reading it when
    /// its `stat` is the one stored.
    pub fn unchanged(&self, state: &FileState) -> bool {
        if let Some(k) = self.memo().get(&state.path) {
            return k.hash == state.hash;
        }
        if let (Some(stat), Some(_)) = (&state.stat, &state.hash)
            && std::fs::metadata(&state.path).is_ok_and(|m| FileStat::of(&m) == *stat)
        {
            self.memo().insert(
                state.path.clone(),
                Known {
                    hash: state.hash.clone(),
                    stat: Some(*stat),
                },
            );
            return true;
        }
        self.known(&state.path).hash == state.hash
    }

    /// The `stat` this run found for `path` with content `hash`, if it looked.
    fn stat_of(&self, path: &str, hash: &Option<String>) -> Option<Option<FileStat>> {
        self.memo()
            .get(path)
            .filter(|k| k.hash == *hash)
            .map(|k| k.stat)
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
    tasks: Vec<u32>,
    /// What builds worked out for targets of this file (by target name).
    build: BTreeMap<String, BuildInfo>,
}

/// A table of file states, task tables and other repeated strings, each stored once.
///
/// The reverse indexes are built on the first insertion, not on load: a loaded cache
/// is only looked up, and building them would cost a no-op rebuild a hash of every
/// path and task table.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Table {
    files: Vec<FileState>,
    /// Path → its newest row in `files`.
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
    /// Builds the reverse indexes that are missing (each name and task table is
    /// unique, so those indexes are complete when as long as their tables; a path may
    /// have several rows, the newest indexed).
    fn index_all(&mut self) {
        if self.index.is_empty() && !self.files.is_empty() {
            self.index = self
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.clone(), table_id(i)))
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

    /// The row of `state`: the path's row when it holds the same content (its `stat`
    /// brought up to date), else a new row. An older row of the path stays for the
    /// entries that still refer to it.
    fn intern(&mut self, state: &FileState) -> u32 {
        if let Some(&i) = self.index.get(&state.path)
            && let Some(row) = self.files.get_mut(i as usize)
            && row.hash == state.hash
        {
            row.stat = state.stat;
            return i;
        }
        let i = table_id(self.files.len());
        self.files.push(state.clone());
        self.index.insert(state.path.clone(), i);
        i
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.name_index.get(name) {
            return i;
        }
        let i = table_id(self.names.len());
        self.names.push(name.to_owned());
        self.name_index.insert(name.to_owned(), i);
        i
    }

    fn task_id(&mut self, t: bb_data::TaskDeps) -> u32 {
        if let Some(&i) = self.task_index.get(&t) {
            return i;
        }
        let i = table_id(self.task_tables.len());
        self.task_tables.push(t.clone());
        self.task_index.insert(t, i);
        i
    }

    fn name(&self, i: u32) -> Option<&str> {
        self.names.get(i as usize).map(String::as_str)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Body {
    config: String,
    table: Table,
    entries: FxHashMap<String, Stored>,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    config: &'a str,
    table: &'a Table,
    entries: &'a FxHashMap<String, Stored>,
}

/// The parse cache of a build directory.
#[derive(Debug, Default)]
pub struct ParseCache {
    table: Table,
    entries: FxHashMap<String, Stored>,
    /// Per table row: whether the file still has the stored content (worked out once).
    valid: Vec<OnceLock<bool>>,
    /// Changed since it was loaded: [`ParseCache::changed`].
    changed: bool,
    /// Entries were dropped or replaced, so rows of the table may be unused: the
    /// table is compacted when saved.
    garbage: bool,
}

/// The new position of old row `i`, once it has one.
fn remap(map: &[Option<u32>], i: u32) -> Option<u32> {
    map.get(i as usize).copied().flatten()
}

/// Row `i` of table `old` in table `new`: where it was already copied (`map`), or
/// copied now. `None` for an index `old` does not have.
fn carry<T: Clone>(map: &mut [Option<u32>], old: &[T], new: &mut Vec<T>, i: u32) -> Option<u32> {
    if let Some(n) = remap(map, i) {
        return Some(n);
    }
    let row = old.get(i as usize)?;
    let n = table_id(new.len());
    new.push(row.clone());
    *map.get_mut(i as usize)? = Some(n);
    Some(n)
}

impl ParseCache {
    /// Loads the cache for configuration hash `config`. A missing file or one made for
    /// another configuration (or another format) gives an empty cache; a damaged file
    /// gives an error message (the caller warns and starts empty).
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
        let body: Body = postcard::from_bytes(body).map_err(|e| bad(&e.to_string()))?;
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
            changed: false,
            garbage: false,
        })
    }

    /// How many targets the cache holds.
    pub fn targets(&self) -> usize {
        self.entries.values().map(|e| e.infos.len()).sum()
    }

    /// Whether anything changed since the cache was loaded (entries added, dropped or
    /// replaced, build information or file `stat`s brought up to date): then it is
    /// worth saving.
    pub fn changed(&self) -> bool {
        self.changed
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
        let compacted;
        let (table, entries) = if self.garbage {
            compacted = self.compacted();
            (&compacted.0, &compacted.1)
        } else {
            (&self.table, &self.entries)
        };
        let mut out = postcard::to_extend(
            &BodyRef {
                config,
                table,
                entries,
            },
            out,
        )
        .map_err(|e| e.to_string())?;
        let sum = blake3::hash(&out[body_at..]).to_hex();
        out[sum_at..sum_at + 64].copy_from_slice(sum.as_bytes());
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        bb_util::fs::atomic_write(path, &out).map_err(|e| e.to_string())
    }

    /// The table with only the rows the entries use, and the entries renumbered.
    fn compacted(&self) -> (Table, FxHashMap<String, Stored>) {
        let mut table = Table::default();
        let mut files = vec![None; self.table.files.len()];
        let mut names = vec![None; self.table.names.len()];
        let mut tasks = vec![None; self.table.task_tables.len()];
        let mut entries = FxHashMap::default();
        for (file, e) in &self.entries {
            let mut e = e.clone();
            e.deps = e
                .deps
                .iter()
                .filter_map(|&i| carry(&mut files, &self.table.files, &mut table.files, i))
                .collect();
            for inh in &mut e.inherits {
                *inh = inh
                    .iter()
                    .filter_map(|&i| carry(&mut names, &self.table.names, &mut table.names, i))
                    .collect();
            }
            e.tasks = e
                .tasks
                .iter()
                .filter_map(|&i| {
                    carry(
                        &mut tasks,
                        &self.table.task_tables,
                        &mut table.task_tables,
                        i,
                    )
                })
                .collect();
            entries.insert(file.clone(), e);
        }
        (table, entries)
    }

    /// Whether table row `i` still has the stored content.
    fn still_valid(&self, i: u32, hasher: &FileHasher) -> bool {
        let Some(cell) = self.valid.get(i as usize) else {
            return false;
        };
        *cell.get_or_init(|| {
            self.table
                .files
                .get(i as usize)
                .is_some_and(|f| hasher.unchanged(f))
        })
    }

    /// The targets of `file` if its entry is still valid: same appends, and every
    /// file it read has the same content as before.
    pub fn lookup(
        &self,
        file: &str,
        appends: &[String],
        hasher: &FileHasher,
    ) -> Option<Vec<RecipeInfo>> {
        let e = self.entries.get(file)?;
        if e.appends != appends {
            return None;
        }
        if !e.deps.iter().all(|&i| self.still_valid(i, hasher)) {
            return None;
        }
        Some(
            e.infos
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
                .collect(),
        )
    }

    /// After the lookups of a parse: drops the entries of the files `reused` does not
    /// name (gone, failed or parsed again), and stores the `stat`s this run found for
    /// files it had to hash although their content had not changed.
    pub fn refresh(&mut self, hasher: &FileHasher, reused: impl Fn(&str) -> bool) {
        let before = self.entries.len();
        self.entries.retain(|f, _| reused(f));
        if self.entries.len() != before {
            self.changed = true;
            self.garbage = true;
        }
        for (row, valid) in self.table.files.iter_mut().zip(&self.valid) {
            if valid.get() == Some(&true)
                && let Some(stat) = hasher.stat_of(&row.path, &row.hash)
                && stat != row.stat
            {
                row.stat = stat;
                self.changed = true;
            }
        }
    }

    /// Adds or replaces the entry of a file.
    pub fn insert(&mut self, file: String, entry: CacheEntry) {
        let CacheEntry {
            appends,
            deps,
            infos,
        } = entry;
        self.table.index_all();
        let deps = deps.iter().map(|f| self.table.intern(f)).collect();
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
        let old = self.entries.insert(
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
        self.changed = true;
        self.garbage |= old.is_some();
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
                self.changed = true;
                true
            }
            None => false,
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

    /// A scratch directory removed at the end of the test.
    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().expect("invariant: temp dir")
    }

    fn path_of(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    /// A cache of one recipe `x.bb` that read `files`, saved at `at` and loaded back.
    fn saved(at: &Path, files: &[String], hasher: &FileHasher) -> ParseCache {
        let mut c = ParseCache::default();
        c.insert(
            "x.bb".into(),
            CacheEntry::new(vec![], files, hasher, vec![info(&[])]),
        );
        c.save(at, "cfg").expect("invariant: save");
        ParseCache::load(at, "cfg").expect("loads")
    }

    fn set_mtime(path: &str, t: SystemTime) {
        fs_err::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.file().set_modified(t))
            .expect("invariant: set mtime");
    }

    fn mtime(path: &str) -> SystemTime {
        fs_err::metadata(path)
            .and_then(|m| m.modified())
            .expect("invariant: mtime")
    }

    #[test]
    fn paths_are_stored_once_and_come_back_whole() {
        let dir = scratch();
        let f1 = dir.path().join("one.inc");
        fs_err::write(&f1, "A = 1\n").expect("invariant: write");
        let f1 = path_of(&f1);
        let missing = path_of(&dir.path().join("nope.inc"));
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
        let path = dir.path().join("cache");
        c.save(&path, "cfg").expect("invariant: save");
        let back = ParseCache::load(&path, "cfg").expect("loads");
        assert!(!back.changed());
        assert_eq!(back.table.files[0], hasher.state(&f1));
        assert_eq!(back.table.files[1].hash, None);
        let infos = back.lookup("y.bb", &[], &hasher).expect("still valid");
        assert_eq!(infos[0].inherits, vec!["/c/base.bbclass".to_owned()]);
        // Other appends: not reused.
        assert!(
            back.lookup("y.bb", &["a.bbappend".into()], &hasher)
                .is_none()
        );
        // Another configuration: nothing is reused.
        assert!(ParseCache::load(&path, "other").expect("loads").is_empty());
        // A changed file invalidates, seen by the next run (validity is worked out
        // once per load, like file hashes once per run).
        fs_err::write(&f1, "A = 2\n").expect("invariant: write");
        let next = ParseCache::load(&path, "cfg").expect("loads");
        assert!(next.lookup("x.bb", &[], &FileHasher::default()).is_none());
        // So does a file that was missing and now exists.
        let c = saved(
            &path,
            std::slice::from_ref(&missing),
            &FileHasher::default(),
        );
        fs_err::write(&missing, "").expect("invariant: write");
        assert!(c.lookup("x.bb", &[], &FileHasher::default()).is_none());
    }

    #[test]
    fn out_of_range_index_is_damage() {
        let dir = scratch();
        let mut entries = FxHashMap::default();
        entries.insert(
            "x.bb".to_owned(),
            Stored {
                deps: vec![7],
                ..Stored::default()
            },
        );
        let body = postcard::to_stdvec(&BodyRef {
            config: "c",
            table: &Table::default(),
            entries: &entries,
        })
        .expect("invariant: encodes");
        let mut text = format!("{MAGIC} {}\n", blake3::hash(&body).to_hex()).into_bytes();
        text.extend_from_slice(&body);
        let path = dir.path().join("cache");
        fs_err::write(&path, &text).expect("invariant: write");
        let err = ParseCache::load(&path, "c").expect_err("damaged");
        assert!(err.contains("index out of range"), "{err}");
        // A damaged body (checksum right, content not postcard) is reported too.
        let body = b"\xff\xff\xff";
        let mut text = format!("{MAGIC} {}\n", blake3::hash(body).to_hex()).into_bytes();
        text.extend_from_slice(body);
        fs_err::write(&path, &text).expect("invariant: write");
        let err = ParseCache::load(&path, "c").expect_err("damaged");
        assert!(err.contains("damaged"), "{err}");
        // So is a wrong checksum; an older format is ignored.
        text[MAGIC.len() + 1] ^= 1;
        fs_err::write(&path, &text).expect("invariant: write");
        let err = ParseCache::load(&path, "c").expect_err("damaged");
        assert!(err.contains("checksum mismatch"), "{err}");
        fs_err::write(&path, "bake-parse-cache 4 0\n{}").expect("invariant: write");
        assert!(ParseCache::load(&path, "c").expect("ignored").is_empty());
    }

    #[test]
    fn content_change_keeping_size_and_mtime_is_seen() {
        let dir = scratch();
        let f = path_of(&dir.path().join("a.bb"));
        fs_err::write(&f, "A = 1\n").expect("invariant: write");
        let old = mtime(&f);
        // Every stat trusted, however recent (the settling time is what the next test
        // is about).
        let at = dir.path().join("cache");
        let c = saved(
            &at,
            std::slice::from_ref(&f),
            &FileHasher::with_settle(Duration::ZERO),
        );
        assert!(c.table.files[0].stat.is_some(), "the stat is stored");
        assert!(c.lookup("x.bb", &[], &FileHasher::default()).is_some());
        // Past the filesystem's timestamp tick: the write changes the ctime.
        std::thread::sleep(Duration::from_millis(50));
        fs_err::write(&f, "A = 2\n").expect("invariant: write");
        set_mtime(&f, old);
        assert_eq!(mtime(&f), old);
        let c = ParseCache::load(&at, "cfg").expect("loads");
        assert!(c.lookup("x.bb", &[], &FileHasher::default()).is_none());
    }

    #[test]
    fn a_file_changed_just_before_its_read_is_hashed_next_time() {
        let dir = scratch();
        let f = path_of(&dir.path().join("a.bb"));
        fs_err::write(&f, "A = 1\n").expect("invariant: write");
        let old = mtime(&f);
        let c = saved(
            &dir.path().join("cache"),
            std::slice::from_ref(&f),
            &FileHasher::default(),
        );
        // Written less than SETTLE before it was read: no stat kept.
        assert_eq!(c.table.files[0].stat, None);
        // A write in the same tick, same size and mtime (ctime possibly equal too).
        fs_err::write(&f, "A = 2\n").expect("invariant: write");
        set_mtime(&f, old);
        assert!(c.lookup("x.bb", &[], &FileHasher::default()).is_none());
    }

    #[test]
    fn mtime_change_keeping_content_reuses_and_stores_the_new_stat() {
        let dir = scratch();
        let f = path_of(&dir.path().join("a.bb"));
        fs_err::write(&f, "A = 1\n").expect("invariant: write");
        let at = dir.path().join("cache");
        let hasher = FileHasher::with_settle(Duration::ZERO);
        let c = saved(&at, std::slice::from_ref(&f), &hasher);
        let stored = c.table.files[0].stat;
        set_mtime(&f, mtime(&f) - Duration::from_secs(3600));
        let hasher = FileHasher::with_settle(Duration::ZERO);
        let mut c = ParseCache::load(&at, "cfg").expect("loads");
        assert!(c.lookup("x.bb", &[], &hasher).is_some(), "same content");
        c.refresh(&hasher, |_| true);
        assert!(c.changed(), "the new stat is worth saving");
        assert_ne!(c.table.files[0].stat, stored);
        assert_eq!(c.table.files[0].stat, hasher.state(&f).stat);
        c.save(&at, "cfg").expect("invariant: save");
        // The next run finds nothing to change.
        let hasher = FileHasher::with_settle(Duration::ZERO);
        let mut c = ParseCache::load(&at, "cfg").expect("loads");
        assert!(c.lookup("x.bb", &[], &hasher).is_some());
        c.refresh(&hasher, |_| true);
        assert!(!c.changed());
    }

    #[test]
    fn dropped_and_replaced_entries_leave_no_rows_behind() {
        let dir = scratch();
        let a = path_of(&dir.path().join("a.inc"));
        let b = path_of(&dir.path().join("b.inc"));
        fs_err::write(&a, "A = 1\n").expect("invariant: write");
        fs_err::write(&b, "B = 1\n").expect("invariant: write");
        let at = dir.path().join("cache");
        let hasher = FileHasher::default();
        let mut c = ParseCache::default();
        c.insert(
            "x.bb".into(),
            CacheEntry::new(
                vec![],
                std::slice::from_ref(&a),
                &hasher,
                vec![info(&["/x"])],
            ),
        );
        c.insert(
            "y.bb".into(),
            CacheEntry::new(
                vec![],
                &[a.clone(), b.clone()],
                &hasher,
                vec![info(&["/y"])],
            ),
        );
        c.set_build_info("y.bb", "y.bb", BuildInfo::default());
        c.save(&at, "cfg").expect("invariant: save");
        // b.inc changed: y.bb is parsed again (a new row for b.inc), x.bb is gone.
        fs_err::write(&b, "B = 22\n").expect("invariant: write");
        let hasher = FileHasher::default();
        let mut c = ParseCache::load(&at, "cfg").expect("loads");
        assert!(c.lookup("y.bb", &[], &hasher).is_none());
        c.refresh(&hasher, |_| false);
        assert!(c.changed() && c.is_empty());
        c.insert(
            "y.bb".into(),
            CacheEntry::new(
                vec![],
                &[a.clone(), b.clone()],
                &hasher,
                vec![info(&["/y"])],
            ),
        );
        assert_eq!(
            c.build_info("y.bb", "y.bb"),
            None,
            "a new parse, no build info"
        );
        c.save(&at, "cfg").expect("invariant: save");
        let c = ParseCache::load(&at, "cfg").expect("loads");
        let rows: Vec<&str> = c.table.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(rows, [a.as_str(), b.as_str()]);
        assert_eq!(c.table.names, ["/y"]);
        assert_eq!(c.table.task_tables.len(), 1);
        let infos = c
            .lookup("y.bb", &[], &FileHasher::default())
            .expect("valid");
        assert_eq!(infos[0].inherits, ["/y"]);
    }
}
