//! The datastore: variables with values, flags, queued override-style operations and
//! conditional variants, read with BitBake's override and expansion rules.
//!
//! Copies are cheap: the variables of a frozen configuration are shared by every copy
//! (see `varmap`), and the other maps are persistent (structurally shared), so the
//! configuration datastore can be shared by thousands of recipe datastores. This module
//! owns storage and the read pipeline; it never reads files (see `eval`).

use rustc_hash::FxHashSet as HashSet;
use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::history::{HistoryEvent, IncludeTree, Origin};
use crate::typed::TypedValue;

/// The persistent maps of a datastore: imbl's HAMT with a fast non-cryptographic hash
/// (variable names come from metadata files, not from an adversary).
pub(crate) type Map<K, V> =
    imbl::GenericHashMap<K, V, rustc_hash::FxBuildHasher, imbl::shared_ptr::DefaultSharedPtr>;

/// A queued `:append`, `:prepend` or `:remove`, with the overrides it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueuedOp {
    pub(crate) value: String,
    /// Colon-separated overrides that must all be active (empty: unconditional).
    pub(crate) cond: String,
}

/// Which queued operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `:append`
    Append,
    /// `:prepend`
    Prepend,
    /// `:remove`
    Remove,
}

impl OpKind {
    fn keyword(self) -> &'static str {
        match self {
            OpKind::Append => ":append",
            OpKind::Prepend => ":prepend",
            OpKind::Remove => ":remove",
        }
    }
}

/// Everything stored under one variable name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Var {
    /// Shared strings (here and in the flags): the copy of a variable made by its
    /// first write after a copy of the datastore copies no text.
    pub(crate) value: Option<Arc<str>>,
    pub(crate) weak: Option<Arc<str>>,
    /// Real flags, in insertion order.
    pub(crate) flags: Vec<(Arc<str>, Arc<str>)>,
    /// Weak flag defaults (`A[f] ??= v`).
    pub(crate) weak_flags: Vec<(Arc<str>, Arc<str>)>,
    pub(crate) appends: Vec<QueuedOp>,
    pub(crate) prepends: Vec<QueuedOp>,
    pub(crate) removes: Vec<QueuedOp>,
    /// Set to Python's `None` (listed by `keys()`, but without a value).
    pub(crate) none: bool,
    /// The object Python code stored as the value, when it was not a string; current
    /// only while `value` is still its text (see [`DataStore::typed_var`]).
    pub(crate) typed: Option<TypedValue>,
    /// The same for flags.
    pub(crate) typed_flags: Vec<(String, TypedValue)>,
}

impl Var {
    pub(crate) fn is_empty(&self) -> bool {
        !self.none
            && self.value.is_none()
            && self.weak.is_none()
            && self.flags.is_empty()
            && self.weak_flags.is_empty()
            && self.appends.is_empty()
            && self.prepends.is_empty()
            && self.removes.is_empty()
    }

    pub(crate) fn flag(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(k, _)| &**k == flag)
            .map(|(_, v)| &**v)
    }

    /// The flag as `getVarFlags` lists it: the real value, else the weak default.
    pub(crate) fn flag_or_weak(&self, flag: &str) -> Option<&str> {
        self.flag(flag).or_else(|| self.weak_flag(flag))
    }

    fn weak_flag(&self, flag: &str) -> Option<&str> {
        self.weak_flags
            .iter()
            .find(|(k, _)| &**k == flag)
            .map(|(_, v)| &**v)
    }

    fn ops(&self, kind: OpKind) -> &Vec<QueuedOp> {
        match kind {
            OpKind::Append => &self.appends,
            OpKind::Prepend => &self.prepends,
            OpKind::Remove => &self.removes,
        }
    }

    fn ops_mut(&mut self, kind: OpKind) -> &mut Vec<QueuedOp> {
        match kind {
            OpKind::Append => &mut self.appends,
            OpKind::Prepend => &mut self.prepends,
            OpKind::Remove => &mut self.removes,
        }
    }
}

/// The active overrides, lowest priority first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) list: Vec<String>,
    pub(crate) set: HashSet<String>,
    /// Only on the provisional (empty) overrides of a first reading of OVERRIDES: the
    /// override names asked about (see [`DataStore::compute_overrides`]).
    consulted: Option<Arc<std::sync::Mutex<Vec<String>>>>,
}

/// What one cached expansion read: the base names of the variables (and flags) it
/// looked at, or "anything" when it looked at the datastore as a whole.
#[derive(Debug, Default, Clone)]
struct Reads {
    /// Base names read, possibly repeated (made unique when the entry is stored).
    names: Vec<Arc<str>>,
    everything: bool,
}

impl Reads {
    fn merge(&mut self, other: &Reads) {
        self.everything |= other.everything;
        self.names.extend(other.names.iter().cloned());
    }
}

/// Memoised reads, never shared between copies. A write drops only the expansions
/// that read the written variable (or read the datastore as a whole); a write that
/// can change the active overrides drops them all.
#[derive(Debug, Default)]
struct Cache {
    /// Each cached expansion (by the name read) with what computing it read. Keys are
    /// shared with `readers` and `wide_readers` (one allocation per entry).
    expanded: rustc_hash::FxHashMap<Arc<str>, (Option<String>, Arc<Reads>)>,
    /// Base name -> cached expansions that read it.
    readers: rustc_hash::FxHashMap<Arc<str>, Vec<Arc<str>>>,
    /// Cached expansions that read the datastore as a whole.
    wide_readers: Vec<Arc<str>>,
    /// The reads of the expansions under way, innermost last.
    frames: Vec<Reads>,
    overrides: Option<Arc<Overrides>>,
    computing_overrides: bool,
    /// Base names read while OVERRIDES was computed; a write to one drops `overrides`.
    override_deps: rustc_hash::FxHashSet<String>,
    recording: Option<rustc_hash::FxHashSet<String>>,

    /// Variables whose expansion is under way (cycle detection).
    expanding: Vec<String>,
    /// A datastore error raised inside inline Python, kept to be re-raised whole.
    pending: Option<Error>,
    /// Writes made to the datastore owning this cache (to tell whether a lent cache
    /// may go back unchanged).
    writes: u64,
    /// The expansions set aside by a write to a variable the overrides are computed
    /// from, with the overrides they were made under: when the overrides come out the
    /// same again they are taken back (less what later writes invalidated), instead
    /// of every expansion starting cold.
    parked: Option<(Arc<Overrides>, Box<Cache>)>,
}

impl Cache {
    /// What a plain copy keeps: the active overrides and what they were computed
    /// from (cheap to share), not the expansions.
    fn for_copy(&self) -> Cache {
        Cache {
            overrides: self.overrides.clone(),
            override_deps: if self.overrides.is_some() {
                self.override_deps.clone()
            } else {
                rustc_hash::FxHashSet::default()
            },
            ..Cache::default()
        }
    }

    fn clear_expanded(&mut self) {
        self.expanded.clear();
        self.readers.clear();
        self.wide_readers.clear();
    }

    /// Drops every memoised expansion, the parked ones too.
    fn forget(&mut self) {
        self.clear_expanded();
        self.parked = None;
    }

    /// Sets the memoised expansions aside with the overrides they were made under
    /// (see `parked`), when nothing is being expanded and none are parked already.
    fn park(&mut self, overrides: Arc<Overrides>) {
        if self.parked.is_some() || !self.frames.is_empty() || !self.expanding.is_empty() {
            return;
        }
        let live = Cache {
            expanded: std::mem::take(&mut self.expanded),
            readers: std::mem::take(&mut self.readers),
            wide_readers: std::mem::take(&mut self.wide_readers),
            ..Cache::default()
        };
        self.parked = Some((overrides, Box::new(live)));
    }

    /// Takes the parked expansions back when the overrides computed anew are the ones
    /// they were made under; drops them otherwise.
    fn unpark(&mut self, now: &Overrides) {
        if let Some((before, live)) = self.parked.take()
            && before.list == now.list
        {
            let live = *live;
            self.expanded = live.expanded;
            self.readers = live.readers;
            self.wide_readers = live.wide_readers;
        }
    }

    /// Notes a read of base name `base` by the expansion under way.
    fn note_read(&mut self, base: &str, shared: impl FnOnce() -> Arc<str>) {
        if let Some(f) = self.frames.last_mut()
            && f.names.last().is_none_or(|l| &**l != base)
        {
            f.names.push(shared());
        }
    }

    /// Caches `value` for `key`, with what computing it read.
    fn store(&mut self, key: &str, value: Option<String>, mut reads: Reads) {
        // Repeated reads of a name are mostly of the same shared string: made unique by
        // address (no string compared); the few equal names in distinct strings that
        // stay only register this entry twice with the same reader list.
        reads
            .names
            .sort_unstable_by_key(|n| Arc::as_ptr(n).cast::<u8>() as usize);
        reads.names.dedup_by(|a, b| Arc::ptr_eq(a, b));
        let key: Arc<str> = Arc::from(key);
        if reads.everything {
            self.wide_readers.push(key.clone());
        }
        for n in &reads.names {
            self.readers.entry(n.clone()).or_default().push(key.clone());
        }
        self.expanded.insert(key, (value, Arc::new(reads)));
    }

    /// A cached value, with its reads passed on to the expansion under way.
    fn hit(&mut self, key: &str) -> Option<Option<String>> {
        let (v, r) = self.expanded.get(key)?;
        if let Some(f) = self.frames.last_mut() {
            f.merge(r);
        }
        // The overrides under computation depend on what the cached value read.
        if let Some(rec) = self.recording.as_mut() {
            rec.extend(r.names.iter().map(|n| n.to_string()));
        }
        Some(v.clone())
    }

    /// Drops what depends on base name `base`.
    fn invalidate(&mut self, base: &str) {
        for k in std::mem::take(&mut self.wide_readers) {
            self.expanded.remove(&k);
        }
        if let Some(list) = self.readers.remove(base) {
            for k in list {
                self.expanded.remove(&k);
            }
        }
    }
}

/// Options for a write, mirroring how BitBake distinguishes file statements from the
/// Python API.
#[derive(Debug, Clone, Copy)]
pub struct SetOpts<'a> {
    /// File semantics (`A = v` in a file keeps queued operations and variants); `false`
    /// is `d.setVar` (drops them).
    pub parsing: bool,
    /// History operation name (`set`, `set?`, `immediate`, `append`, ...).
    pub op: &'a str,
    /// History detail (the operand as written); defaults to the value.
    pub detail: Option<&'a str>,
    /// Where; `None` records no history.
    pub origin: Option<&'a Origin>,
}

impl<'a> SetOpts<'a> {
    /// Python-API semantics, no history.
    pub const API: SetOpts<'static> = SetOpts {
        parsing: false,
        op: "set",
        detail: None,
        origin: None,
    };

    /// File semantics with history.
    pub fn file(op: &'a str, detail: &'a str, origin: &'a Origin) -> SetOpts<'a> {
        SetOpts {
            parsing: true,
            op,
            detail: Some(detail),
            origin: Some(origin),
        }
    }

    /// Python-API semantics recorded at `origin`.
    pub fn api(origin: &'a Origin) -> SetOpts<'a> {
        SetOpts {
            parsing: false,
            op: "set",
            detail: None,
            origin: Some(origin),
        }
    }
}

/// Variables renamed by BitBake, with their replacement (a text with a space is a
/// message instead of a name).
const RENAMED_VARS: &[(&str, &str)] = &[
    ("BB_ENV_WHITELIST", "BB_ENV_PASSTHROUGH"),
    ("BB_ENV_EXTRAWHITE", "BB_ENV_PASSTHROUGH_ADDITIONS"),
    ("BB_HASHBASE_WHITELIST", "BB_BASEHASH_IGNORE_VARS"),
    ("BB_HASHCONFIG_WHITELIST", "BB_HASHCONFIG_IGNORE_VARS"),
    ("BB_HASHTASK_WHITELIST", "BB_TASKHASH_IGNORE_TASKS"),
    (
        "BB_SETSCENE_ENFORCE_WHITELIST",
        "BB_SETSCENE_ENFORCE_IGNORE_TASKS",
    ),
    ("MULTI_PROVIDER_WHITELIST", "BB_MULTI_PROVIDER_ALLOWED"),
    (
        "BB_STAMP_WHITELIST",
        "is a deprecated variable and support has been removed",
    ),
    (
        "BB_STAMP_POLICY",
        "is a deprecated variable and support has been removed",
    ),
];

/// The conditional variants of a base name: (variant name, override suffix), in
/// creation order.
pub(crate) type Variants = Arc<Vec<(Arc<str>, Arc<str>)>>;

/// A BitBake datastore (`d`).
#[derive(Debug)]
pub struct DataStore {
    /// Keys are shared strings: copying a variable's entry (a copy of the datastore,
    /// or the first write to a variable of the frozen base) is then a count increment
    /// instead of an allocation.
    pub(crate) vars: crate::varmap::VarMap,
    /// Base name -> (conditional variant name, override suffix), in creation order.
    pub(crate) overridedata: Map<Arc<str>, Variants>,
    /// Every name ever stored (in `vars` or `overridedata`) that contains `${`: the
    /// candidates of key expansion, so that it need not scan every variable.
    ref_keys: imbl::OrdSet<String>,
    history: Map<String, Arc<Vec<HistoryEvent>>>,
    tracking: bool,
    include_tree: Arc<IncludeTree>,
    renames: Map<String, String>,
    /// Errors recorded by writes (renamed variables), reported at finalization.
    pub(crate) errors: imbl::Vector<String>,
    /// `os.uname()` of the host, given by the caller (this crate does no I/O).
    host_uname: Option<Arc<[String; 5]>>,
    /// Python code that was not run because it needs CPython (see [`DataStore::needs_python`]).
    needs_python: Arc<Vec<String>>,
    /// The task table made at finalization (`bb.build.add_tasks`), structured.
    task_deps: Option<Arc<crate::TaskDeps>>,
    /// Event handlers registered so far (BitBake's `bb.event` handler table for this
    /// datastore), in registration order.
    pub(crate) handlers: Arc<Vec<Handler>>,
    /// `d.setVarFilter`: base variable name -> filter expression applied to expanded reads.
    filters: Map<String, String>,
    cache: RefCell<Cache>,
    /// The undo logs of the open transactions, innermost last (see
    /// [`DataStore::begin`]); never copied.
    undo: Vec<Undo>,
}

/// What the writes of an open transaction replaced: the first prior entry of each
/// variable and variant list written (`None`: there was none), and O(1) copies of the
/// small or rarely written parts. Rolling back puts them back; the variables never
/// written stay untouched, so no map node is copied for them (a [`Clone`] taken as a
/// snapshot makes every later write copy the nodes on its path, and dropping one of
/// the two versions walks them again).
#[derive(Debug)]
struct Undo {
    vars: Vec<(Arc<str>, Option<Arc<Var>>)>,
    vars_seen: rustc_hash::FxHashSet<Arc<str>>,
    overridedata: Vec<(Arc<str>, Option<Variants>)>,
    overridedata_seen: rustc_hash::FxHashSet<Arc<str>>,
    ref_keys: imbl::OrdSet<String>,
    history: Map<String, Arc<Vec<HistoryEvent>>>,
    include_tree: Arc<IncludeTree>,
    renames: Map<String, String>,
    errors: imbl::Vector<String>,
    needs_python: Arc<Vec<String>>,
    task_deps: Option<Arc<crate::TaskDeps>>,
    handlers: Arc<Vec<Handler>>,
    filters: Map<String, String>,
    writes: u64,
}

/// A registered event handler: its name, the `def NAME(e, d):` source it was compiled
/// from when registered, and the event classes it listens to (`None`: every event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handler {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) mask: Option<Vec<String>>,
}

impl Default for DataStore {
    fn default() -> Self {
        DataStore::new()
    }
}

impl Clone for DataStore {
    /// A copy: the frozen base and the persistent maps are shared; what was written
    /// since the base was frozen is copied (entries are shared strings and variables).
    fn clone(&self) -> Self {
        DataStore {
            vars: self.vars.clone(),
            overridedata: self.overridedata.clone(),
            ref_keys: self.ref_keys.clone(),
            history: self.history.clone(),
            tracking: self.tracking,
            include_tree: self.include_tree.clone(),
            renames: self.renames.clone(),
            errors: self.errors.clone(),
            host_uname: self.host_uname.clone(),
            needs_python: self.needs_python.clone(),
            task_deps: self.task_deps.clone(),
            handlers: self.handlers.clone(),
            filters: self.filters.clone(),
            cache: RefCell::new(self.cache.borrow().for_copy()),
            undo: Vec::new(),
        }
    }
}

impl DataStore {
    /// A copy for Python code run in the middle of an expansion of this datastore
    /// (`${@...}` handed to an embedded interpreter): as cheap as [`Clone`], and it takes
    /// this datastore's memoised expansions and the record of what is being expanded
    /// (so a cycle through Python is still reported as one). Give them back with
    /// [`DataStore::end_nested`], which the caller must call before this datastore is
    /// read again.
    pub fn nested_copy(&self) -> DataStore {
        let copy = self.clone();
        *copy.cache.borrow_mut() = std::mem::take(&mut *self.cache.borrow_mut());
        copy
    }

    /// Takes back what [`DataStore::nested_copy`] lent to `copy`. Expansions memoised
    /// after a write to the copy are dropped (they need not hold here); the record of
    /// the expansions under way always comes back.
    pub fn end_nested(&self, copy: DataStore, writes_before: u64) {
        let mut cache = std::mem::take(&mut *copy.cache.borrow_mut());
        if cache.writes != writes_before {
            cache.overrides = None;
            cache.override_deps.clear();
            cache.forget();
            cache.writes = writes_before;
        }
        *self.cache.borrow_mut() = cache;
    }

    /// The number of writes made so far (for [`DataStore::end_nested`]).
    pub fn write_count(&self) -> u64 {
        self.cache.borrow().writes
    }

    /// Makes the variables stored so far the shared base of every copy made from here
    /// on: their own writes then go to a small table of their own, instead of copying
    /// parts of this one (see the `varmap` module). O(number of variables); reads are
    /// unchanged. Meant for the configuration before recipes are parsed on copies of it.
    pub fn freeze(&mut self) {
        self.vars.freeze();
    }
}

impl DataStore {
    /// Opens a transaction: the writes from here on can be undone whole with
    /// [`DataStore::rollback`], or kept with [`DataStore::commit`]. Cheaper than working
    /// on an O(1) copy that replaces this datastore on success: only what is
    /// written is saved. Transactions nest; each `begin` needs its `commit` or
    /// `rollback`.
    pub(crate) fn begin(&mut self) {
        let writes = self.cache.get_mut().writes;
        self.undo.push(Undo {
            vars: Vec::new(),
            vars_seen: rustc_hash::FxHashSet::default(),
            overridedata: Vec::new(),
            overridedata_seen: rustc_hash::FxHashSet::default(),
            ref_keys: self.ref_keys.clone(),
            history: self.history.clone(),
            include_tree: self.include_tree.clone(),
            renames: self.renames.clone(),
            errors: self.errors.clone(),
            needs_python: self.needs_python.clone(),
            task_deps: self.task_deps.clone(),
            handlers: self.handlers.clone(),
            filters: self.filters.clone(),
            writes,
        });
    }

    /// Closes the innermost open transaction, keeping its writes (an enclosing one can
    /// still undo them).
    pub(crate) fn commit(&mut self) {
        let Some(inner) = self.undo.pop() else { return };
        if let Some(outer) = self.undo.last_mut() {
            for (k, old) in inner.vars {
                if outer.vars_seen.insert(k.clone()) {
                    outer.vars.push((k, old));
                }
            }
            for (k, old) in inner.overridedata {
                if outer.overridedata_seen.insert(k.clone()) {
                    outer.overridedata.push((k, old));
                }
            }
        }
    }

    /// Closes the innermost open transaction, undoing its writes: the datastore reads
    /// as it did when [`DataStore::begin`] opened it. Memoised expansions are dropped
    /// when anything was written.
    pub(crate) fn rollback(&mut self) {
        let Some(u) = self.undo.pop() else { return };
        for (k, old) in u.vars {
            match old {
                Some(v) => {
                    self.vars.insert(k, v);
                }
                None => {
                    self.vars.remove(&k);
                }
            }
        }
        for (k, old) in u.overridedata {
            match old {
                Some(v) => {
                    self.overridedata.insert(k, v);
                }
                None => {
                    self.overridedata.remove(&k);
                }
            }
        }
        self.ref_keys = u.ref_keys;
        self.history = u.history;
        self.include_tree = u.include_tree;
        self.renames = u.renames;
        self.errors = u.errors;
        self.needs_python = u.needs_python;
        self.task_deps = u.task_deps;
        self.handlers = u.handlers;
        self.filters = u.filters;
        let cache = self.cache.get_mut();
        if cache.writes != u.writes {
            cache.overrides = None;
            cache.override_deps.clear();
            cache.forget();
        }
    }

    /// Saves `name`'s variable before its first write in the innermost transaction.
    fn log_var(&mut self, name: &str) {
        if let Some(u) = self.undo.last_mut()
            && !u.vars_seen.contains(name)
        {
            let k: Arc<str> = Arc::from(name);
            u.vars_seen.insert(k.clone());
            u.vars.push((k, self.vars.get(name).cloned()));
        }
    }

    /// Saves `name`'s variant list before its first write in the innermost transaction.
    fn log_overridedata(&mut self, name: &str) {
        if let Some(u) = self.undo.last_mut()
            && !u.overridedata_seen.contains(name)
        {
            let k: Arc<str> = Arc::from(name);
            u.overridedata_seen.insert(k.clone());
            u.overridedata
                .push((k, self.overridedata.get(name).cloned()));
        }
    }
}

/// Whether `s` starts like an override name (`[a-z0-9]`).
pub(crate) fn is_override_name(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Splits `NAME:append:o1` into (`NAME`, kind, `o1`), like BitBake's keyword pattern:
/// the shortest base followed by a keyword and an optional tail without capitals.
pub(crate) fn split_keyword(name: &str) -> Option<(&str, OpKind, &str)> {
    let mut search = 0;
    while let Some(rel) = name[search..].find(':') {
        let at = search + rel;
        let rest = &name[at..];
        for kind in [OpKind::Append, OpKind::Prepend, OpKind::Remove] {
            let kw = kind.keyword();
            if let Some(after) = rest.strip_prefix(kw) {
                if after.is_empty() {
                    return Some((&name[..at], kind, ""));
                }
                if let Some(tail) = after.strip_prefix(':')
                    && !tail.bytes().any(|b| b.is_ascii_uppercase())
                {
                    return Some((&name[..at], kind, tail));
                }
            }
        }
        search = at + 1;
    }
    None
}

impl DataStore {
    /// An empty datastore.
    pub fn new() -> DataStore {
        DataStore {
            vars: crate::varmap::VarMap::default(),
            overridedata: Map::default(),
            ref_keys: imbl::OrdSet::new(),
            history: Map::default(),
            tracking: false,
            include_tree: Arc::new(IncludeTree::default()),
            renames: RENAMED_VARS
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            errors: imbl::Vector::new(),
            host_uname: None,
            needs_python: Arc::new(Vec::new()),
            task_deps: None,
            handlers: Arc::new(Vec::new()),
            filters: Map::default(),
            cache: RefCell::new(Cache::default()),
            undo: Vec::new(),
        }
    }

    /// Tells inline Python what `os.uname()` returns on this host (sysname, nodename,
    /// release, version, machine); without it `os.uname()` needs Python.
    pub fn set_host_uname(&mut self, uname: [String; 5]) {
        self.host_uname = Some(Arc::new(uname));
    }

    /// The host's `os.uname()`, when known.
    pub fn host_uname(&self) -> Option<[String; 5]> {
        self.host_uname.as_deref().cloned()
    }

    /// The Python code this datastore skipped because it needs CPython, in the order met:
    /// one entry per anonymous function, "`NAME` (FILE:LINE): REASON". Kept beside the
    /// variables (not printed by `bake -e`); copies share it until one of them adds to it.
    pub fn needs_python(&self) -> &[String] {
        &self.needs_python
    }

    /// The task table made when the recipe was finalized (`None` before, or for a
    /// configuration datastore).
    pub fn task_deps(&self) -> Option<&crate::TaskDeps> {
        self.task_deps.as_deref()
    }

    pub(crate) fn set_task_deps(&mut self, t: crate::TaskDeps) {
        self.task_deps = Some(Arc::new(t));
    }

    /// Records one entry of [`DataStore::needs_python`].
    pub(crate) fn note_needs_python(&mut self, entry: String) {
        Arc::make_mut(&mut self.needs_python).push(entry);
    }

    /// `d.setVarFilter(var, expr)`: expanded reads of `var` (and of `var:...`) with a
    /// non-empty value go through filter `expr` (see [`bb_pyexpr::apply_filter`]); `None`
    /// removes the filter.
    pub fn set_var_filter(&mut self, var: &str, expr: Option<&str>) {
        match expr {
            Some(e) => {
                self.filters.insert(var.to_owned(), e.to_owned());
            }
            None => {
                self.filters.remove(var);
            }
        }
        self.cache.borrow_mut().forget();
    }

    /// Turns variable history recording on or off.
    pub fn set_tracking(&mut self, on: bool) {
        self.tracking = on;
    }

    /// Whether history is being recorded.
    pub fn tracking(&self) -> bool {
        self.tracking
    }

    /// The include history.
    pub fn include_tree(&self) -> &IncludeTree {
        &self.include_tree
    }

    /// The include history, for the evaluator to extend.
    pub fn include_tree_mut(&mut self) -> &mut IncludeTree {
        Arc::make_mut(&mut self.include_tree)
    }

    /// Errors recorded while writing (renamed variables), in order.
    pub fn recorded_errors(&self) -> impl Iterator<Item = &String> {
        self.errors.iter()
    }

    // ---------------------------------------------------------------- history

    /// Records one history event (when tracking is on).
    pub fn record(
        &mut self,
        var: &str,
        op: &str,
        flag: Option<&str>,
        detail: &str,
        origin: Option<&Origin>,
    ) {
        if !self.tracking {
            return;
        }
        let Some(origin) = origin else { return };
        let ev = HistoryEvent {
            op: op.to_owned(),
            origin: origin.clone(),
            flag: flag.map(str::to_owned),
            detail: detail.to_owned(),
        };
        match self.history.get_mut(var) {
            Some(v) => Arc::make_mut(v).push(ev),
            None => {
                self.history.insert(var.to_owned(), Arc::new(vec![ev]));
            }
        }
    }

    /// The recorded history of a variable (its own events only).
    pub fn history(&self, var: &str) -> &[HistoryEvent] {
        self.history.get(var).map(|v| v.as_slice()).unwrap_or(&[])
    }

    // ---------------------------------------------------------------- writes

    fn touched(&mut self, name: &str) {
        let cache = self.cache.get_mut();
        cache.writes += 1;
        let base = name.split(':').next().unwrap_or(name);
        if let Some((_, parked)) = &mut cache.parked {
            parked.invalidate(base);
        }
        if cache.override_deps.contains(base) || cache.override_deps.contains(name) {
            cache.invalidate(base);
            if let Some(before) = cache.overrides.take() {
                cache.park(before);
            }
            cache.clear_expanded();
        } else {
            cache.invalidate(base);
        }
    }

    /// Notes that the expansion under way read variable `name` (its value, flags or
    /// conditional variants) other than through the read pipeline: a write to it drops
    /// that expansion.
    pub(crate) fn note_name_read(&self, name: &str) {
        let base = name.split(':').next().unwrap_or(name);
        let mut cache = self.cache.borrow_mut();
        if let Some(rec) = cache.recording.as_mut() {
            rec.insert(base.to_owned());
        }
        cache.note_read(base, || self.shared_name(base));
    }

    /// Notes that the expansion under way looked at the datastore as a whole (its
    /// keys, or Python code whose reads are not tracked): any write drops it.
    pub(crate) fn note_wide_read(&self) {
        if let Some(f) = self.cache.borrow_mut().frames.last_mut() {
            f.everything = true;
        }
    }

    fn var_mut(&mut self, name: &str) -> &mut Var {
        self.touched(name);
        self.log_var(name);
        if name.contains("${") && !self.ref_keys.contains(name) {
            self.ref_keys.insert(name.to_owned());
        }
        // A new key is made (an allocation) only for a new variable.
        self.vars.entry_mut(name)
    }

    /// `*self.var_mut(name) = Var::default()` without first copying a shared variable
    /// only to overwrite the copy.
    fn var_clear(&mut self, name: &str) {
        self.touched(name);
        self.log_var(name);
        if name.contains("${") && !self.ref_keys.contains(name) {
            self.ref_keys.insert(name.to_owned());
        }
        self.vars.insert(Arc::from(name), Arc::new(Var::default()));
    }

    pub(crate) fn var(&self, name: &str) -> Option<&Var> {
        self.vars.get(name).map(|v| &**v)
    }

    fn check_renamed(&mut self, name: &str, origin: Option<&Origin>) {
        let short = name.split(':').next().unwrap_or(name);
        let Some(new) = self.renames.get(short).cloned() else {
            return;
        };
        let mut info = String::new();
        if let Some(o) = origin {
            info = format!(" (file: {} line: {}", o.file, o.line);
            if short != name {
                info.push_str(&format!(" referenced as: {name}"));
            }
            info.push(')');
        }
        let msg = if new.contains(' ') {
            format!("Variable {short} {new}{info}")
        } else {
            format!("Variable {short} has been renamed to {new}{info}")
        };
        if !self.errors.contains(&msg) {
            self.errors.push_back(msg);
        }
    }

    /// Sets a variable (or queues `:append`/`:prepend`/`:remove` when the name carries
    /// such a keyword), recording history per `opts`.
    pub fn set_var_with(&mut self, name: &str, value: &str, opts: SetOpts<'_>) {
        self.check_renamed(name, opts.origin);
        let detail = opts.detail.unwrap_or(value);
        if let Some((base, kind, cond)) = split_keyword(name) {
            let (base, cond) = (base.to_owned(), cond.to_owned());
            self.var_mut(&base).ops_mut(kind).push(QueuedOp {
                value: value.to_owned(),
                cond: cond.clone(),
            });
            let op = if cond.is_empty() {
                kind.keyword().to_owned()
            } else {
                format!("{}[{}]", kind.keyword(), cond)
            };
            // BitBake records the stored text here, not the operand.
            self.record(&base, &op, None, value, opts.origin);
            self.update_overrides(&base);
            return;
        }
        if !opts.parsing {
            let drop_variants = self.overridedata.contains_key(name);
            let v = self.var_mut(name);
            v.appends.clear();
            v.prepends.clear();
            v.removes.clear();
            if drop_variants {
                let ovr = self.overrides();
                let variants = self.overridedata.get(name).cloned().unwrap_or_default();
                for (r, o) in variants.iter() {
                    if ovr.is_active(o) {
                        self.del_var(r, None);
                    }
                }
                self.log_overridedata(name);
                self.overridedata.remove(name);
            }
        }
        if name.contains(':') {
            self.update_overrides(name);
        }
        let v = self.var_mut(name);
        v.value = Some(Arc::from(value));
        v.none = false;
        v.typed = None;
        self.record(name, opts.op, None, detail, opts.origin);
    }

    /// `d.setVar(name, None)`: the variable exists but has no value.
    pub fn set_var_none(&mut self, name: &str, origin: Option<&Origin>) {
        let v = self.var_mut(name);
        v.value = None;
        v.none = true;
        v.typed = None;
        self.record(name, "set", None, "None", origin);
    }

    /// `d.setVar(name, value)`: Python-API semantics, no history.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.set_var_with(name, value, SetOpts::API);
    }

    /// Records `name` as a conditional variant of its shorter names.
    fn update_overrides(&mut self, var: &str) {
        let Some(pos) = var.rfind(':') else { return };
        let mut ovr = &var[pos + 1..];
        let mut short = &var[..pos];
        while !ovr.is_empty() && is_override_name(ovr) {
            if short.contains("${") && !self.ref_keys.contains(short) {
                self.ref_keys.insert(short.to_owned());
            }
            // Most writes repeat a link already there: no write (no node copied) then.
            let known = self
                .overridedata
                .get(short)
                .is_some_and(|list| list.iter().any(|(n, o)| &**n == var && &**o == ovr));
            if !known {
                let entry: (Arc<str>, Arc<str>) = (Arc::from(var), Arc::from(ovr));
                self.log_overridedata(short);
                let list = self
                    .overridedata
                    .entry(Arc::from(short))
                    .or_insert_with(|| Arc::new(Vec::new()));
                Arc::make_mut(list).push(entry);
            }
            let Some(p) = short.rfind(':') else { break };
            ovr = &var[p + 1..];
            short = &var[..p];
            if short.is_empty() {
                break;
            }
        }
        self.touched(var);
    }

    /// Sets the weak default (`??=`).
    pub fn set_weak_default(&mut self, name: &str, value: &str, origin: Option<&Origin>) {
        self.check_renamed(name, origin);
        self.record(name, "set", Some("_defaultval"), value, origin);
        self.var_mut(name).weak = Some(Arc::from(value));
        if name.contains(':') {
            self.update_overrides(name);
        }
    }

    /// Sets a flag, recording history with `op`.
    pub fn set_var_flag_with(
        &mut self,
        name: &str,
        flag: &str,
        value: &str,
        op: &str,
        detail: Option<&str>,
        origin: Option<&Origin>,
    ) {
        if name == "BB_RENAMED_VARIABLES" {
            self.renames.insert(flag.to_owned(), value.to_owned());
        }
        if self.renames.contains_key(name) {
            self.check_renamed(name, origin);
        }
        self.record(name, op, Some(flag), detail.unwrap_or(value), origin);
        let v = self.var_mut(name);
        v.typed_flags.retain(|(k, _)| k != flag);
        match v.flags.iter_mut().find(|(k, _)| &**k == flag) {
            Some(slot) => slot.1 = Arc::from(value),
            None => v.flags.push((Arc::from(flag), Arc::from(value))),
        }
    }

    /// `d.setVarFlag(name, flag, value)`.
    pub fn set_var_flag(&mut self, name: &str, flag: &str, value: &str) {
        self.set_var_flag_with(name, flag, value, "set", None, None);
    }

    /// `d.appendVarFlag`: glues `value` to the raw flag, no separator.
    pub fn append_var_flag(
        &mut self,
        name: &str,
        flag: &str,
        value: &str,
        origin: Option<&Origin>,
    ) {
        let cur = self.get_raw_flag(name, flag).unwrap_or_default();
        self.set_var_flag_with(
            name,
            flag,
            &format!("{cur}{value}"),
            "append",
            Some(value),
            origin,
        );
    }

    /// `d.prependVarFlag`: glues `value` in front of the raw flag, no separator.
    pub fn prepend_var_flag(
        &mut self,
        name: &str,
        flag: &str,
        value: &str,
        origin: Option<&Origin>,
    ) {
        let cur = self.get_raw_flag(name, flag).unwrap_or_default();
        self.set_var_flag_with(
            name,
            flag,
            &format!("{value}{cur}"),
            "prepend",
            Some(value),
            origin,
        );
    }

    /// Sets a weak flag default (`A[f] ??= v`).
    pub fn set_weak_flag(&mut self, name: &str, flag: &str, value: &str, origin: Option<&Origin>) {
        let internal = format!("_defaultval_flag_{flag}");
        self.record(name, "set", Some(&internal), value, origin);
        let v = self.var_mut(name);
        match v.weak_flags.iter_mut().find(|(k, _)| &**k == flag) {
            Some(slot) => slot.1 = Arc::from(value),
            None => v.weak_flags.push((Arc::from(flag), Arc::from(value))),
        }
    }

    /// Removes a flag (and its weak default).
    pub fn del_var_flag(&mut self, name: &str, flag: &str, origin: Option<&Origin>) {
        let Some(v) = self.var(name) else { return };
        if v.flag(flag).is_none() {
            return;
        }
        self.record(name, "delFlag", Some(flag), "", origin);
        let v = self.var_mut(name);
        v.flags.retain(|(k, _)| &**k != flag);
        v.weak_flags.retain(|(k, _)| &**k != flag);
        v.typed_flags.retain(|(k, _)| k != flag);
    }

    /// `d.delVar` / `unset NAME`: drops value, flags, queued operations and variant links.
    pub fn del_var(&mut self, name: &str, origin: Option<&Origin>) {
        self.record(name, "del", None, "", origin);
        self.var_clear(name);
        // Reads first: a write (even of nothing) copies the map nodes on its path.
        if self.overridedata.contains_key(name) {
            self.log_overridedata(name);
            self.overridedata.remove(name);
        }
        if let Some(pos) = name.rfind(':') {
            let mut ovr = &name[pos + 1..];
            let mut short = &name[..pos];
            while !ovr.is_empty() && is_override_name(ovr) {
                let found = self
                    .overridedata
                    .get(short)
                    .and_then(|list| list.iter().position(|(n, o)| &**n == name && &**o == ovr));
                if let Some(i) = found {
                    self.log_overridedata(short);
                    if let Some(list) = self.overridedata.get_mut(short) {
                        Arc::make_mut(list).remove(i);
                    }
                }
                let Some(p) = short.rfind(':') else { break };
                ovr = &name[p + 1..];
                short = &name[..p];
                if short.is_empty() {
                    break;
                }
            }
        }
    }

    /// `d.appendVar`: queues an unconditional `:append`.
    pub fn append_var(&mut self, name: &str, value: &str, origin: Option<&Origin>) {
        self.record(name, "append", None, value, origin);
        self.var_mut(name).appends.push(QueuedOp {
            value: value.to_owned(),
            cond: String::new(),
        });
    }

    /// `d.prependVar`: queues an unconditional `:prepend`.
    pub fn prepend_var(&mut self, name: &str, value: &str, origin: Option<&Origin>) {
        self.record(name, "prepend", None, value, origin);
        self.var_mut(name).prepends.push(QueuedOp {
            value: value.to_owned(),
            cond: String::new(),
        });
    }

    /// `d.renameVar`: moves value, queued operations and conditional variants.
    pub fn rename_var(&mut self, key: &str, newkey: &str, origin: Option<&Origin>) {
        if key == newkey {
            return;
        }
        let mut found = false;
        let val = self
            .var(key)
            .and_then(|v| v.value.as_deref().or(v.weak.as_deref()).map(str::to_owned));
        if let Some(val) = &val {
            if self.tracking {
                let hist: Vec<HistoryEvent> = self.history(key).to_vec();
                let entry = self
                    .history
                    .entry(newkey.to_owned())
                    .or_insert_with(|| Arc::new(Vec::new()));
                Arc::make_mut(entry).extend(hist);
            }
            self.record(newkey, &format!("rename from {key}"), None, val, origin);
            self.set_var_with(
                newkey,
                val,
                SetOpts {
                    parsing: true,
                    op: "set",
                    detail: None,
                    origin: None,
                },
            );
            found = true;
            if let Some(t) = self.typed_var(key).cloned() {
                self.var_mut(newkey).typed = Some(t);
            }
        }
        // Only the queued operations are carried over (not a copy of the whole variable).
        let queued: Vec<(OpKind, Vec<QueuedOp>)> = self
            .var(key)
            .map(|src| {
                [OpKind::Append, OpKind::Prepend, OpKind::Remove]
                    .into_iter()
                    .map(|kind| (kind, src.ops(kind).clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (kind, ops) in queued {
            if !ops.is_empty() {
                self.var_mut(newkey).ops_mut(kind).extend(ops);
                found = true;
            }
        }
        if let Some(variants) = self.overridedata.get(key).cloned() {
            found = true;
            let mut moved = Vec::new();
            for (v, o) in variants.iter() {
                let nv = v.replacen(key, newkey, usize::MAX);
                moved.push((Arc::from(nv.as_str()), o.clone()));
                self.rename_var(
                    v,
                    &nv,
                    Some(&Origin::internal("data_smart.py", 701, "renameVar")),
                );
            }
            if newkey.contains("${") && !self.ref_keys.contains(newkey) {
                self.ref_keys.insert(newkey.to_owned());
            }
            self.log_overridedata(newkey);
            self.overridedata.insert(Arc::from(newkey), Arc::new(moved));
        }
        if !found {
            return;
        }
        if newkey.contains(':') && val.is_none() {
            self.update_overrides(newkey);
        }
        self.record(key, "rename (to)", None, newkey, origin);
        self.del_var(key, None);
    }

    /// `d.setVar(name, object)` for an object that is not a string: stores its text
    /// (as [`DataStore::set_var_with`] with `opts`) and keeps the object beside it. A
    /// name with an `:append`/`:prepend`/`:remove` keyword stores only the text.
    pub fn set_var_typed(&mut self, name: &str, value: TypedValue, opts: SetOpts<'_>) {
        self.set_var_with(name, value.text(), opts);
        if split_keyword(name).is_none() {
            self.var_mut(name).typed = Some(value);
        }
    }

    /// `d.setVarFlag(name, flag, object)` for an object that is not a string.
    pub fn set_var_flag_typed(
        &mut self,
        name: &str,
        flag: &str,
        value: TypedValue,
        origin: Option<&Origin>,
    ) {
        self.set_var_flag_with(name, flag, value.text(), "set", None, origin);
        self.var_mut(name)
            .typed_flags
            .push((flag.to_owned(), value));
    }

    /// The object Python code stored as `name`'s value, while that is still what a read
    /// gives: the value was not written since, and no queued `:append`/`:prepend`/
    /// `:remove` or conditional variant changes it.
    pub fn typed_var(&self, name: &str) -> Option<&TypedValue> {
        let v = self.var(name)?;
        let t = v.typed.as_ref()?;
        let plain = v.appends.is_empty()
            && v.prepends.is_empty()
            && v.removes.is_empty()
            && !self.overridedata.contains_key(name);
        (plain && v.value.as_deref() == Some(t.text())).then_some(t)
    }

    /// The object Python code stored as flag `flag` of `name`, while the flag still holds
    /// its text.
    pub fn typed_flag(&self, name: &str, flag: &str) -> Option<&TypedValue> {
        let v = self.var(name)?;
        let (_, t) = v.typed_flags.iter().find(|(k, _)| k == flag)?;
        (v.flag(flag) == Some(t.text())).then_some(t)
    }

    /// Whether any flag of `name` holds an object stored by Python code.
    pub fn has_typed_flags(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            v.typed_flags
                .iter()
                .any(|(k, t)| v.flag(k) == Some(t.text()))
        })
    }

    // ---------------------------------------------------------------- reads

    /// Every variable name, as BitBake's `d.keys()` lists them: names with anything
    /// stored, plus names that an active conditional variant gives a value.
    pub fn keys(&self) -> Vec<String> {
        self.key_names().iter().map(|k| k.to_string()).collect()
    }

    /// [`DataStore::keys`] as the stored (shared) names: no string is copied.
    pub fn key_names(&self) -> Vec<Arc<str>> {
        let ovr = self.overrides();
        let mut linked: Vec<&Arc<str>> = self
            .overridedata
            .iter()
            .filter(|(_, list)| list.iter().any(|(_, o)| ovr.is_active(o)))
            .map(|(var, _)| var)
            .collect();
        let names = self.vars.sorted_names();
        if linked.is_empty() {
            return names;
        }
        linked.sort_unstable();
        // Both sorted: merged, each name once.
        let mut out = Vec::with_capacity(names.len() + linked.len());
        let mut linked = linked.into_iter().peekable();
        for n in names {
            while let Some(l) = linked.next_if(|l| ***l < *n) {
                out.push(l.clone());
            }
            linked.next_if(|l| ***l == *n);
            out.push(n);
        }
        out.extend(linked.cloned());
        out
    }

    /// The names [`DataStore::keys`] would list that contain `${`, sorted: what key
    /// expansion looks at, found without scanning every variable.
    pub fn keys_with_refs(&self) -> Vec<String> {
        let ovr = self.overrides();
        self.ref_keys
            .iter()
            .filter(|k| {
                self.vars.get(k.as_str()).is_some_and(|v| !v.is_empty())
                    || self
                        .overridedata
                        .get(k.as_str())
                        .is_some_and(|list| list.iter().any(|(_, o)| ovr.is_active(o)))
            })
            .cloned()
            .collect()
    }

    /// Whether anything is stored under `name` (value, flag or queued operation).
    pub fn contains(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| !v.is_empty())
    }

    /// The active overrides (computed from OVERRIDES until stable, cached).
    pub(crate) fn overrides(&self) -> Arc<Overrides> {
        self.try_overrides().unwrap_or_default()
    }

    /// The active overrides, or the error when OVERRIDES does not settle.
    pub(crate) fn try_overrides(&self) -> Result<Arc<Overrides>> {
        if let Some(o) = &self.cache.borrow().overrides {
            return Ok(o.clone());
        }
        self.compute_overrides()
    }

    /// Computes the active overrides, reporting instability.
    pub fn check_overrides(&self) -> Result<()> {
        self.compute_overrides().map(|_| ())
    }

    fn compute_overrides(&self) -> Result<Arc<Overrides>> {
        {
            let cache = self.cache.borrow();
            if let Some(o) = &cache.overrides {
                return Ok(o.clone());
            }
            if cache.computing_overrides {
                return Ok(Arc::new(Overrides::default()));
            }
        }
        // The computation is an expansion of its own, as BitBake's `need_overrides` is:
        // variables being expanded by the read that asked for the overrides are not
        // recursion here (the re-entrant read gets the provisional overrides instead).
        let outer = std::mem::take(&mut self.cache.borrow_mut().expanding);
        let r = self.compute_overrides_inner();
        let mut cache = self.cache.borrow_mut();
        cache.expanding = outer;
        cache.computing_overrides = false;
        if r.is_err() {
            cache.overrides = None;
            cache.recording = None;
            cache.forget();
        }
        r
    }

    fn compute_overrides_inner(&self) -> Result<Arc<Overrides>> {
        let read = |this: &DataStore| -> Result<Vec<String>> {
            let v = this.get_var("OVERRIDES")?.unwrap_or_default();
            Ok(v.split(':').map(str::to_owned).collect())
        };
        let mut stack = Vec::new();
        {
            let mut cache = self.cache.borrow_mut();
            cache.recording = Some(rustc_hash::FxHashSet::default());
            cache.overrides = Some(Arc::new(Overrides {
                consulted: Some(Arc::default()),
                ..Overrides::default()
            }));
        }
        let mut result = None;
        for round in 0..5 {
            let consulted = self
                .cache
                .borrow()
                .overrides
                .as_ref()
                .and_then(|o| o.consulted.clone());
            self.cache.borrow_mut().computing_overrides = true;
            let list = read(self)?;
            self.cache.borrow_mut().computing_overrides = false;
            // Formatted only for the error (most computations settle at once).
            stack.push(list.clone());
            let set: HashSet<String> = list.iter().cloned().collect();
            // The first reading ran with no override active. When none of the overrides
            // it asked about is in `list`, reading again with `list` active asks the
            // same questions, gets the same answers and gives `list` again.
            let settled = round == 0
                && consulted.is_some_and(|c| {
                    c.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                        .all(|o| o.split(':').all(|p| !set.contains(p)))
                });
            {
                let mut cache = self.cache.borrow_mut();
                cache.overrides = Some(Arc::new(Overrides {
                    list: list.clone(),
                    set,
                    consulted: None,
                }));
                cache.clear_expanded();
            }
            if settled {
                result = Some(list);
                break;
            }
            let again = read(self)?;
            if again == list {
                result = Some(list);
                break;
            }
            let set: HashSet<String> = again.iter().cloned().collect();
            self.cache.borrow_mut().overrides = Some(Arc::new(Overrides {
                list: again,
                set,
                consulted: None,
            }));
        }
        let mut cache = self.cache.borrow_mut();
        let mut deps = cache.recording.take().unwrap_or_default();
        deps.insert("OVERRIDES".to_owned());
        match result {
            Some(list) => {
                let set = list.iter().cloned().collect();
                let o = Arc::new(Overrides {
                    list,
                    set,
                    consulted: None,
                });
                cache.override_deps = deps;
                cache.overrides = Some(o.clone());
                cache.clear_expanded();
                cache.unpark(&o);
                Ok(o)
            }
            None => {
                cache.override_deps = deps;
                cache.overrides = None;
                cache.forget();
                let stack: Vec<String> = stack
                    .iter()
                    .map(|list| {
                        let items: Vec<String> = list.iter().map(|o| bb_util::py_repr(o)).collect();
                        format!("[{}]", items.join(", "))
                    })
                    .collect();
                Err(Error::OverridesUnstable(stack.join("\n")))
            }
        }
    }

    /// `d.getVar(name)`: the final value, expanded; `None` when unset.
    pub fn get_var(&self, name: &str) -> Result<Option<String>> {
        self.get_var_opts(name, true, false)
    }

    /// `d.getVar(name, expand)` with BitBake's `noweakdefault`.
    pub fn get_var_opts(
        &self,
        name: &str,
        expand: bool,
        noweakdefault: bool,
    ) -> Result<Option<String>> {
        self.read_content(name, expand, noweakdefault, false)
            .map(|(v, _)| v)
    }

    /// `base` as a shared string: the stored variable's own key when there is one (a
    /// count increment), else a new one.
    fn shared_name(&self, base: &str) -> Arc<str> {
        match self.vars.get_key_value(base) {
            Some((k, _)) => k.clone(),
            None => Arc::from(base),
        }
    }

    /// The raw stored unconditional value as file operators see it (`parsing` read:
    /// no overrides, no queued operations, no weak default).
    pub fn get_raw(&self, name: &str) -> Option<String> {
        self.var(name)
            .and_then(|v| v.value.as_deref().map(str::to_owned))
    }

    /// The read pipeline for a variable's content. Returns the value and the removes
    /// that matched (carried up when this variable was picked as an override).
    fn read_content(
        &self,
        var: &str,
        expand: bool,
        noweak: bool,
        parsing: bool,
    ) -> Result<(Option<String>, Vec<String>)> {
        let base = var.split(':').next().unwrap_or(var);
        {
            let mut cache = self.cache.borrow_mut();
            if expand
                && !noweak
                && let Some(v) = cache.hit(var)
            {
                return Ok((v, Vec::new()));
            }
            if let Some(rec) = cache.recording.as_mut() {
                rec.insert(base.to_owned());
            }
            if !expand || noweak {
                cache.note_read(base, || self.shared_name(base));
                drop(cache);
                return self.read_content_inner(var, expand, noweak, parsing);
            }
            cache.frames.push(Reads::default());
        }
        let r = self.read_content_inner(var, expand, noweak, parsing);
        let mut cache = self.cache.borrow_mut();
        let mut reads = cache.frames.pop().unwrap_or_default();
        // The parent expansion learns of this read through the merge.
        reads.names.push(self.shared_name(base));
        if let Some(parent) = cache.frames.last_mut() {
            parent.merge(&reads);
        }
        if let Ok((value, _)) = &r {
            cache.store(var, value.clone(), reads);
        }
        r
    }

    fn read_content_inner(
        &self,
        var: &str,
        expand: bool,
        noweak: bool,
        parsing: bool,
    ) -> Result<(Option<String>, Vec<String>)> {
        let local = self.var(var);
        let mut value: Option<String> = None;
        let mut removes: Vec<String> = Vec::new();
        if !parsing && let Some(variants) = self.overridedata.get(var) {
            let ovr = self.try_overrides()?;
            // Map remaining suffix -> variant, in first-seen order.
            let mut active: Vec<(String, String)> = Vec::new();
            for (r, o) in variants.iter() {
                if ovr.is_active(o) {
                    match active.iter_mut().find(|(k, _)| **k == **o) {
                        Some(slot) => slot.1 = r.to_string(),
                        None => active.push((o.to_string(), r.to_string())),
                    }
                }
            }
            let mut pick: Option<String> = None;
            // Nothing active: the loop below would only look (and allocate a suffix
            // per override) without changing anything.
            let mut changed = !active.is_empty();
            while changed {
                changed = false;
                for o in &ovr.list {
                    let suffix = format!(":{o}");
                    let keys: Vec<String> = active.iter().map(|(k, _)| k.clone()).collect();
                    for a in keys {
                        let Some(t) = active.iter().find(|(k, _)| *k == a).map(|(_, t)| t.clone())
                        else {
                            continue;
                        };
                        if a.ends_with(&suffix) {
                            active.retain(|(k, _)| *k != a);
                            let stripped = a.replacen(&suffix, "", usize::MAX);
                            match active.iter_mut().find(|(k, _)| *k == stripped) {
                                Some(slot) => slot.1 = t,
                                None => active.push((stripped, t)),
                            }
                            changed = true;
                        } else if a == *o {
                            pick = Some(t);
                            active.retain(|(k, _)| *k != a);
                        }
                    }
                }
            }
            if let Some(m) = pick {
                let (v, carried) = self.read_variant(&m)?;
                value = v;
                removes = carried;
            }
        }
        if value.is_none()
            && let Some(l) = local
        {
            if l.value.is_some() {
                value = l.value.as_deref().map(str::to_owned);
            } else if !noweak {
                value = l.weak.as_deref().map(str::to_owned);
            }
        }
        if let (Some(l), false) = (local, parsing)
            && (!l.appends.is_empty() || !l.prepends.is_empty())
        {
            let ovr = self.try_overrides()?;
            for op in &l.appends {
                if ovr.cond_holds(&op.cond) {
                    value.get_or_insert_with(String::new).push_str(&op.value);
                }
            }
            for op in &l.prepends {
                if ovr.cond_holds(&op.cond) {
                    let v = value.get_or_insert_with(String::new);
                    v.insert_str(0, &op.value);
                }
            }
        }
        if !expand {
            return Ok((value, removes));
        }
        let mut value = match value {
            Some(v) => Some(self.expand_tracked(&v, Some(var))?),
            None => None,
        };
        if let (Some(v), Some(l), false) = (&mut value, local, parsing)
            && !v.is_empty()
            && !l.removes.is_empty()
        {
            let ovr = self.try_overrides()?;
            for op in &l.removes {
                if ovr.cond_holds(&op.cond) && !removes.contains(&op.value) {
                    removes.push(op.value.clone());
                }
            }
        }
        let mut matched = Vec::new();
        if let Some(v) = &mut value
            && !v.is_empty()
            && !removes.is_empty()
        {
            let (nv, m) = self.apply_removes(v, &removes)?;
            *v = nv;
            matched = m;
        }
        if !self.filters.is_empty()
            && let Some(v) = &value
            && !v.is_empty()
            && let Some(f) = self.filters.get(var.split(':').next().unwrap_or(var))
        {
            let native = match bb_pyexpr::apply_filter(f, v) {
                Err(bb_pyexpr::EvalError::NeedsPython { .. })
                    if crate::python::python_host().is_some() =>
                {
                    self.note_wide_read();
                    crate::python::python_host()
                        .map(|h| h.apply_filter(f, v))
                        .unwrap_or(Ok(None))
                        .map_err(|e| match e {
                            crate::python::PyFailure::Data(e) => e,
                            other => Error::Fatal(format!("filter of {var}: {}", other.summary())),
                        })
                        .map(Ok)?
                }
                other => other,
            };
            value = native.map_err(|e| match e {
                bb_pyexpr::EvalError::NeedsPython { expr, reason } => Error::NeedsPython {
                    var: var.to_owned(),
                    expr,
                    reason,
                },
                other => Error::Fatal(format!("filter of {var}: {other}")),
            })?;
        }
        Ok((value, matched))
    }

    /// Reads a picked conditional variant: its raw value (with its own overrides and
    /// queued operations) and the removes that matched its expanded value.
    fn read_variant(&self, var: &str) -> Result<(Option<String>, Vec<String>)> {
        let (raw, _) = self.read_content(var, false, false, false)?;
        // Work out which of the variant's removes apply, as BitBake carries them up.
        let Some(raw_v) = &raw else {
            return Ok((None, Vec::new()));
        };
        let local = self.var(var);
        let mut removes = Vec::new();
        if let Some(l) = local
            && !l.removes.is_empty()
        {
            let ovr = self.overrides();
            for op in &l.removes {
                if ovr.cond_holds(&op.cond) && !removes.contains(&op.value) {
                    removes.push(op.value.clone());
                }
            }
        }
        if removes.is_empty() || raw_v.is_empty() {
            // Expansion errors surface here as they would upstream.
            self.expand_tracked(raw_v, Some(var))?;
            return Ok((raw, Vec::new()));
        }
        let expanded = self.expand_tracked(raw_v, Some(var))?;
        if expanded.is_empty() {
            return Ok((raw, Vec::new()));
        }
        let (_, matched) = self.apply_removes(&expanded, &removes)?;
        Ok((raw, matched))
    }

    /// Drops every whitespace-separated token equal to a word of a remove value,
    /// keeping the separators. Returns the new text and the removes that matched.
    fn apply_removes(&self, value: &str, removes: &[String]) -> Result<(String, Vec<String>)> {
        let mut words: Vec<(String, Vec<String>)> = Vec::new();
        for r in removes {
            let e = self.expand_tracked(r, None)?;
            words.push((
                r.clone(),
                bb_util::split_words(&e).map(str::to_owned).collect(),
            ));
        }
        let mut out = String::with_capacity(value.len());
        let mut matched: Vec<String> = Vec::new();
        for tok in split_keep_ws(value) {
            let mut skip = false;
            for (r, ws) in &words {
                if ws.iter().any(|w| w == tok) {
                    if !matched.contains(r) {
                        matched.push(r.clone());
                    }
                    skip = true;
                }
            }
            if !skip {
                out.push_str(tok);
            }
        }
        Ok((out, matched))
    }

    /// `d.getVarFlag(name, flag, expand)`.
    pub fn get_var_flag(&self, name: &str, flag: &str, expand: bool) -> Result<Option<String>> {
        self.get_var_flag_opts(name, flag, expand, false)
    }

    /// `d.getVarFlag` with `noweakdefault`.
    pub fn get_var_flag_opts(
        &self,
        name: &str,
        flag: &str,
        expand: bool,
        noweak: bool,
    ) -> Result<Option<String>> {
        let Some(v) = self.var(name) else {
            return Ok(None);
        };
        let raw = match v.flag(flag) {
            Some(s) => Some(s),
            None if !noweak => v.weak_flag(flag),
            None => None,
        };
        let Some(raw) = raw else { return Ok(None) };
        if !expand {
            return Ok(Some(raw.to_owned()));
        }
        let cachename = format!("{name}[{flag}]");
        let base = name.split(':').next().unwrap_or(name);
        {
            let mut cache = self.cache.borrow_mut();
            if let Some(v) = cache.hit(&cachename) {
                return Ok(v);
            }
            cache.note_read(base, || self.shared_name(base));
            cache.frames.push(Reads::default());
        }
        let raw = raw.to_owned();
        let out = self.expand_tracked(&raw, Some(&cachename));
        let mut cache = self.cache.borrow_mut();
        let mut reads = cache.frames.pop().unwrap_or_default();
        reads.names.push(self.shared_name(base));
        if let Some(parent) = cache.frames.last_mut() {
            parent.merge(&reads);
        }
        let out = out?;
        cache.store(&cachename, Some(out.clone()), reads);
        Ok(Some(out))
    }

    /// The raw stored flag, without weak defaults.
    pub fn get_raw_flag(&self, name: &str, flag: &str) -> Option<String> {
        self.var(name).and_then(|v| v.flag(flag)).map(str::to_owned)
    }

    /// `d.getVarFlags(name)`: user-visible flags (internal `_` names hidden; weak
    /// defaults shown where no real value exists), unexpanded, in insertion order.
    pub fn get_var_flags(&self, name: &str) -> Vec<(String, String)> {
        let Some(v) = self.var(name) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = v
            .flags
            .iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .map(|(k, val)| (k.to_string(), val.to_string()))
            .collect();
        for (k, val) in &v.weak_flags {
            if v.flag(k).is_none() {
                out.push((k.to_string(), val.to_string()));
            }
        }
        out
    }

    /// Conditional variants recorded for `name` (variant name, override suffix).
    pub fn variants(&self, name: &str) -> Vec<(String, String)> {
        self.overridedata
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|(n, o)| (n.to_string(), o.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    // ------------------------------------------------------------ expansion glue

    pub(crate) fn push_expanding(&self, name: &str) -> Result<()> {
        let mut cache = self.cache.borrow_mut();
        if cache.expanding.iter().any(|n| n == name) {
            // A bare exception (empty chain): the expander wraps it with the expression.
            return Err(Error::Expansion {
                msg: "maximum recursion depth exceeded while calling a Python object".to_owned(),
                chain: Vec::new(),
                kind: "RecursionError".to_owned(),
            });
        }
        cache.expanding.push(name.to_owned());
        Ok(())
    }

    pub(crate) fn pop_expanding(&self) {
        self.cache.borrow_mut().expanding.pop();
    }

    pub(crate) fn stash_error(&self, e: Error) {
        self.cache.borrow_mut().pending = Some(e);
    }

    pub(crate) fn take_stashed(&self) -> Option<Error> {
        self.cache.borrow_mut().pending.take()
    }
}

impl Overrides {
    pub(crate) fn is_active(&self, o: &str) -> bool {
        self.note_consulted(o);
        self.set.contains(o) || (o.contains(':') && o.split(':').all(|p| self.set.contains(p)))
    }

    pub(crate) fn cond_holds(&self, cond: &str) -> bool {
        if !cond.is_empty() {
            self.note_consulted(cond);
        }
        cond.is_empty() || cond.split(':').all(|p| self.list.iter().any(|o| o == p))
    }

    fn note_consulted(&self, o: &str) {
        if let Some(c) = &self.consulted {
            c.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(o.to_owned());
        }
    }
}

/// Splits like Python's `re.split(r'(\s)', s)`: non-whitespace runs and single
/// whitespace characters, with empty strings between adjacent whitespace.
fn split_keep_ws(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            out.push(&s[start..i]);
            out.push(&s[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests;
