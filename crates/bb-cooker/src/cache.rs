//! The persistent parse cache: per recipe file, the [`RecipeInfo`] of each target and
//! the content hash of every file the parse read (recipe, appends, includes, classes,
//! configuration, and the paths tried that did not exist). An entry is reused only
//! when all of them still hash the same and the configuration hash matches.
//!
//! On disk: one line `bake-parse-cache 1 <blake3 of the body>` and a JSON body. A
//! file whose checksum or JSON is wrong is reported and ignored, never trusted. The
//! file is written to a temporary name and renamed into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::recipe::RecipeInfo;

const MAGIC: &str = "bake-parse-cache 1";

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

#[derive(Debug, Default, Serialize, Deserialize)]
struct Body {
    config: String,
    entries: HashMap<String, CacheEntry>,
}

/// The parse cache of a build directory.
#[derive(Debug, Default)]
pub struct ParseCache {
    entries: HashMap<String, CacheEntry>,
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
        Ok(ParseCache {
            entries: body.entries,
        })
    }

    /// How many targets the cache holds.
    pub fn targets(&self) -> usize {
        self.entries.values().map(|e| e.infos.len()).sum()
    }

    /// Writes the cache atomically (temporary file, then rename).
    pub fn save(&self, path: &Path, config: &str) -> Result<(), String> {
        let body = serde_json::to_vec(&BodyRef {
            config,
            entries: &self.entries,
        })
        .map_err(|e| e.to_string())?;
        let mut out = format!("{MAGIC} {}\n", blake3::hash(&body).to_hex()).into_bytes();
        out.extend_from_slice(&body);
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        fs_err::write(&tmp, &out).map_err(|e| e.to_string())?;
        fs_err::rename(&tmp, path).map_err(|e| e.to_string())
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
        for (f, h) in &e.deps {
            if hasher.hash(f) != *h {
                return None;
            }
        }
        Some(e.clone())
    }

    /// Adds or replaces the entry of a file.
    pub fn insert(&mut self, file: String, entry: CacheEntry) {
        self.entries.insert(file, entry);
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
    entries: &'a HashMap<String, CacheEntry>,
}
