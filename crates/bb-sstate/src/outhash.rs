//! The output hash of a task (hash equivalence): sha256 over a line per file of the
//! task's output (the tree its object is made of: each input directory under its
//! name, each plain directory), in name order, directories before their contents.
//! Each line is laid out as openembedded-core's `OEOuthashBasic` lays it out: the
//! file type and permission letters (group/other permissions and owner names only
//! when owners count), the mtime clamped to SOURCE_DATE_EPOCH when timestamps count,
//! device numbers, the size and sha256 of regular files, the path (`./name/...`) and a
//! link's target. Two outputs with the same files, modes, owners and link targets
//! have the same hash, whatever the task hash that made them.

use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::Result;

/// What goes into the hash besides contents, modes and names.
#[derive(Debug, Clone, Default)]
pub struct OuthashOptions {
    /// Group/other permissions and owner names (oe-core: under pseudo).
    pub include_owners: bool,
    /// Modification times, clamped to this SOURCE_DATE_EPOCH (oe-core: do_package).
    pub timestamps: Option<i64>,
    /// The root directory's own line (oe-core leaves it out for do_package).
    pub include_root: bool,
    /// SSTATE_PKGSPEC, part of the hash (objects are named by it).
    pub pkgspec: String,
    /// The task (`do_populate_sysroot`).
    pub task: String,
}

/// The output hash of the tree made of `members` (name in the tree, directory on
/// disk); see the module documentation. `sigfile`, when given, receives the hashed
/// text (oe-core's outhash siginfo).
pub fn outhash(
    members: &[(PathBuf, PathBuf)],
    opts: &OuthashOptions,
    mut sigfile: Option<&mut Vec<u8>>,
) -> Result<String> {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update(s.as_bytes());
        if let Some(out) = sigfile.as_deref_mut() {
            out.extend_from_slice(s.as_bytes());
        }
    };
    put("OEOuthashBasic\n");
    put(&format!("SSTATE_PKGSPEC={}\n", opts.pkgspec));
    put(&format!("task={}\n", opts.task));
    let names = Names::load(opts.include_owners);
    if opts.include_root {
        // The root of the tree is the directory the members sit in.
        if let Some((_, first)) = members.first()
            && let Some(parent) = first.parent()
        {
            put(&line(parent, ".", opts, &names)?);
        }
    }
    let mut sorted: Vec<&(PathBuf, PathBuf)> = members.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, dir) in sorted {
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by(|a, b| {
                // Files of a directory before its subdirectories' contents, as
                // os.walk with sorted lists visits them.
                let ad = a.file_type().is_dir();
                let bd = b.file_type().is_dir();
                ad.cmp(&bd).then_with(|| a.file_name().cmp(b.file_name()))
            })
        {
            let entry = entry.map_err(std::io::Error::other)?;
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let shown = if rel.as_os_str().is_empty() {
                format!("./{}", name.display())
            } else {
                format!("./{}/{}", name.display(), rel.display())
            };
            put(&line(entry.path(), &shown, opts, &names)?);
        }
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// User and group names by id (from `/etc/passwd` and `/etc/group`), when owners
/// count.
struct Names {
    users: std::collections::HashMap<u32, String>,
    groups: std::collections::HashMap<u32, String>,
}

impl Names {
    fn load(wanted: bool) -> Names {
        let read = |path: &str| {
            if !wanted {
                return std::collections::HashMap::new();
            }
            fs_err::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    Some((f.get(2)?.parse::<u32>().ok()?, (*f.first()?).to_owned()))
                })
                .collect()
        };
        Names {
            users: read("/etc/passwd"),
            groups: read("/etc/group"),
        }
    }
}

fn line(path: &Path, shown: &str, opts: &OuthashOptions, names: &Names) -> Result<String> {
    let m = fs_err::symlink_metadata(path)?;
    let ft = m.file_type();
    let mode = m.mode();
    let mut s = String::new();
    s.push(if ft.is_dir() {
        'd'
    } else if ft.is_char_device() {
        'c'
    } else if ft.is_block_device() {
        'b'
    } else if ft.is_socket() {
        's'
    } else if ft.is_symlink() {
        'l'
    } else if ft.is_fifo() {
        'p'
    } else {
        '-'
    });
    let bit = |mask: u32, on: char| if mode & mask != 0 { on } else { '-' };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(match (mode & 0o4000 != 0, mode & 0o100 != 0) {
        (true, true) => 's',
        (true, false) => 'S',
        (false, true) => 'x',
        (false, false) => '-',
    });
    if opts.include_owners {
        s.push(bit(0o040, 'r'));
        s.push(bit(0o020, 'w'));
        s.push(match (mode & 0o2000 != 0, mode & 0o010 != 0) {
            (true, true) => 's',
            (true, false) => 'S',
            (false, true) => 'x',
            (false, false) => '-',
        });
        s.push(bit(0o004, 'r'));
        s.push(bit(0o002, 'w'));
        s.push(if mode & 0o1000 != 0 {
            't'
        } else {
            bit(0o001, 'x')
        });
        let user = names
            .users
            .get(&m.uid())
            .cloned()
            .unwrap_or_else(|| m.uid().to_string());
        let group = names
            .groups
            .get(&m.gid())
            .cloned()
            .unwrap_or_else(|| m.gid().to_string());
        s.push_str(&format!(" {user:>10} {group:>10}"));
    }
    if let Some(epoch) = opts.timestamps {
        s.push_str(&format!(" {:>10}", m.mtime().min(epoch)));
    }
    s.push(' ');
    if ft.is_block_device() || ft.is_char_device() {
        let dev = m.rdev();
        let (major, minor) = ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00));
        s.push_str(&format!("{:>9}", format!("{major}.{minor}")));
    } else {
        s.push_str(&" ".repeat(9));
    }
    s.push(' ');
    if ft.is_file() {
        s.push_str(&format!("{:>10}", m.len()));
    } else {
        s.push_str(&" ".repeat(10));
    }
    s.push(' ');
    if ft.is_file() {
        let mut f = fs_err::File::open(path)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        s.push_str(&hex(&h.finalize()));
    } else {
        s.push_str(&" ".repeat(64));
    }
    s.push(' ');
    s.push_str(shown);
    if ft.is_symlink() {
        s.push_str(&format!(" -> {}", fs_err::read_link(path)?.display()));
    }
    s.push('\n');
    Ok(s)
}
