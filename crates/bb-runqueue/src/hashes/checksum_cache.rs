//! The persistent cache of local files' md5 checksums (the `[file-checksums]` of tasks
//! and the `file://` sources of `do_fetch`), as BitBake's `FileChecksumCache` keeps
//! them in `local_file_checksum_cache.dat`: a file is read again only when it changed.
//!
//! BitBake keys an entry by mtime (seconds); this cache keys it by what `stat` says
//! (device, inode, size, mtime and ctime to the nanosecond: the parse cache's
//! [`FileStat`]) and keeps an entry only for a file that last changed
//! [`SETTLE`](bb_cooker::cache::SETTLE) or more before it was read (git's racily clean
//! rule: a later write within the same timestamp tick could leave `stat` unchanged).
//!
//! On disk (`bake-file-checksums` in PERSISTENT_DIR, else CACHE): one line
//! `bake-file-checksums 1 <blake3 of the body>` and a postcard body. A file whose
//! checksum or body is wrong is reported and replaced, never trusted. It is written to a
//! temporary name and renamed into place, only when an entry changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bb_cooker::cache::FileStat;
use bb_data::DataStore;

const MAGIC: &str = "bake-file-checksums 1";

/// The file name of the cache in PERSISTENT_DIR (or CACHE).
const FILE_NAME: &str = "bake-file-checksums";

/// md5 checksums of files, reused while a file's `stat` is unchanged.
#[derive(Debug)]
pub struct ChecksumCache {
    /// Where it is saved (`None`: this run only).
    path: Option<PathBuf>,
    /// Path -> (its `stat` when it vouches for the content, md5).
    entries: HashMap<String, (Option<FileStat>, String)>,
    settle: Duration,
    changed: bool,
    hashed: usize,
    warning: Option<String>,
}

impl Default for ChecksumCache {
    /// A cache for this run only.
    fn default() -> ChecksumCache {
        ChecksumCache::with_settle(None, bb_cooker::cache::SETTLE)
    }
}

/// Where bake keeps what outlives a build in the build directory `d` configures:
/// PERSISTENT_DIR, else CACHE (`None`: neither is set).
pub fn persistent_dir(d: &DataStore) -> Option<PathBuf> {
    ["PERSISTENT_DIR", "CACHE"]
        .iter()
        .find_map(|v| d.get_var(v).ok().flatten().filter(|s| !s.trim().is_empty()))
        .map(|d| PathBuf::from(d.trim()))
}

impl ChecksumCache {
    /// The cache of the build directory `d` configures: `${PERSISTENT_DIR}` (else
    /// `${CACHE}`) `/bake-file-checksums`; a cache for this run only when neither is set.
    pub fn for_config(d: &DataStore) -> ChecksumCache {
        ChecksumCache::open(persistent_dir(d).map(|d| d.join(FILE_NAME)))
    }

    /// The cache stored at `path` (empty when there is none, or when it is damaged: see
    /// [`ChecksumCache::warning`]).
    pub fn open(path: Option<PathBuf>) -> ChecksumCache {
        ChecksumCache::with_settle(path, bb_cooker::cache::SETTLE)
    }

    /// [`ChecksumCache::open`] trusting the `stat` of files last changed `settle` or more
    /// before they were read (tests shorten it).
    pub fn with_settle(path: Option<PathBuf>, settle: Duration) -> ChecksumCache {
        let mut c = ChecksumCache {
            path,
            entries: HashMap::new(),
            settle,
            changed: false,
            hashed: 0,
            warning: None,
        };
        if let Some(p) = c.path.clone() {
            match load(&p) {
                Ok(entries) => {
                    c.entries = entries
                        .into_iter()
                        .map(|(f, st, md5)| (f, (Some(st), md5)))
                        .collect();
                }
                Err(why) => {
                    c.warning = Some(format!(
                        "file checksum cache {} is damaged ({why}); rebuilding it",
                        p.display()
                    ));
                    c.changed = true;
                }
            }
        }
        c
    }

    /// Why the stored cache was not used, if it was damaged.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// How many files were read and hashed (not answered from the cache).
    pub fn files_hashed(&self) -> usize {
        self.hashed
    }

    /// The md5 of `p`'s content (hex), from the cache while its `stat` is unchanged;
    /// `None` when it cannot be read.
    pub fn md5(&mut self, p: &Path) -> Option<String> {
        let key = p.to_string_lossy();
        // The `stat` is taken before the read: a write in between makes it differ from
        // the file's next `stat`, so the content is read again then.
        let read_at = SystemTime::now();
        let meta = std::fs::metadata(p).ok()?;
        let stat = FileStat::of(&meta);
        if let Some((known, md5)) = self.entries.get(key.as_ref())
            && (known.is_none() || *known == Some(stat))
        {
            // Without a `stat` it was read this run (too recently changed to keep).
            return Some(md5.clone());
        }
        let md5 = md5_of(p)?;
        self.hashed += 1;
        let keep = stat.settled(read_at, self.settle).then_some(stat);
        let old = self.entries.insert(key.into_owned(), (keep, md5.clone()));
        // A stored entry that no longer holds is dropped from the file too.
        if keep.is_some() || old.is_some_and(|(st, _)| st.is_some()) {
            self.changed = true;
        }
        Some(md5)
    }

    /// Writes the cache back when an entry changed (entries whose `stat` cannot vouch
    /// for their content are left out).
    pub fn save(&mut self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.changed {
            return Ok(());
        }
        let mut rows: Vec<(&str, FileStat, &str)> = self
            .entries
            .iter()
            .filter_map(|(f, (st, md5))| Some((f.as_str(), (*st)?, md5.as_str())))
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let body = postcard::to_stdvec(&rows).map_err(|e| e.to_string())?;
        let mut out = format!("{MAGIC} {}\n", blake3::hash(&body).to_hex()).into_bytes();
        out.extend_from_slice(&body);
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        bb_util::fs::atomic_write(path, &out).map_err(|e| e.to_string())?;
        self.changed = false;
        Ok(())
    }
}

/// The stored rows of the cache at `path` (none when the file is missing or of another
/// version); `Err` says why a file is damaged.
fn load(path: &Path) -> Result<Vec<(String, FileStat, String)>, String> {
    let Ok(bytes) = fs_err::read(path) else {
        return Ok(Vec::new());
    };
    let nl = bytes.iter().position(|b| *b == b'\n').ok_or("no header")?;
    let header = std::str::from_utf8(&bytes[..nl]).map_err(|_| "bad header")?;
    let (magic, sum) = header.rsplit_once(' ').ok_or("bad header")?;
    if magic != MAGIC {
        return Ok(Vec::new());
    }
    let body = &bytes[nl + 1..];
    if blake3::hash(body).to_hex().as_str() != sum {
        return Err("checksum mismatch".to_owned());
    }
    postcard::from_bytes(body).map_err(|e| e.to_string())
}

/// The md5 of a file's content in hex, `None` when it cannot be read.
fn md5_of(p: &Path) -> Option<String> {
    use md5::Digest as _;
    let mut f = fs_err::File::open(p).ok()?;
    let mut h = md5::Md5::new();
    std::io::copy(&mut f, &mut h).ok()?;
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, s: &str) {
        bb_util::fs::atomic_write(p, s.as_bytes()).unwrap();
    }

    #[test]
    fn a_changed_file_is_hashed_again_and_an_unchanged_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("cache").join(FILE_NAME);
        let f = dir.path().join("a.patch");
        write(&f, "one\n");
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        let first = c.md5(&f).unwrap();
        assert_eq!(first, "5bbf5a52328e7439ae6e719dfe712200");
        assert_eq!(c.md5(&f).unwrap(), first);
        assert_eq!(c.files_hashed(), 1);
        c.save().unwrap();

        // A new run: answered from the file on disk without reading the file.
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        assert_eq!(c.warning(), None);
        assert_eq!(c.md5(&f).unwrap(), first);
        assert_eq!(c.files_hashed(), 0);

        // Same size, new content: `stat` differs (new inode from the rename), re-hashed.
        write(&f, "two\n");
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        assert_eq!(c.md5(&f).unwrap(), "c193497a1a06b2c72230e6146ff47080");
        assert_eq!(c.files_hashed(), 1);
        c.save().unwrap();
        let mut c = ChecksumCache::with_settle(Some(store), Duration::ZERO);
        assert_eq!(c.md5(&f).unwrap(), "c193497a1a06b2c72230e6146ff47080");
        assert_eq!(c.files_hashed(), 0);
    }

    #[test]
    fn a_file_changed_in_place_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join(FILE_NAME);
        let f = dir.path().join("b.cfg");
        write(&f, "aaaa");
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        c.md5(&f).unwrap();
        c.save().unwrap();
        // Rewritten in place, same size, mtime set back: the ctime still moves.
        let mtime = fs_err::metadata(&f).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        fs_err::OpenOptions::new()
            .write(true)
            .open(&f)
            .and_then(|mut h| std::io::Write::write_all(&mut h, b"bbbb"))
            .unwrap();
        fs_err::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let mut c = ChecksumCache::with_settle(Some(store), Duration::ZERO);
        assert_eq!(c.md5(&f).unwrap(), "65ba841e01d6db7733e90a5b7f9e6f80");
        assert_eq!(c.files_hashed(), 1);
    }

    #[test]
    fn a_recent_file_is_not_kept_and_a_damaged_cache_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join(FILE_NAME);
        let f = dir.path().join("c");
        write(&f, "x");
        // Changed just now: its `stat` cannot vouch for it on a later run.
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::from_secs(3600));
        c.md5(&f).unwrap();
        c.save().unwrap();
        assert!(!store.exists());
        let mut c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        c.md5(&f).unwrap();
        c.save().unwrap();
        let mut bytes = fs_err::read(&store).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        bb_util::fs::atomic_write(&store, &bytes).unwrap();
        let c = ChecksumCache::with_settle(Some(store.clone()), Duration::ZERO);
        let w = c.warning().unwrap();
        assert!(
            w.contains("checksum mismatch") && w.contains(FILE_NAME),
            "{w}"
        );
    }
}
