//! Image files from a root filesystem, as oe-core's image types make them: `tar`,
//! `tar.gz`, `tar.bz2`, `tar.zst` (the host `zstd`), `cpio`, `cpio.gz` (newc, an
//! initramfs), `ext2`/`ext3`/`ext4` (`mkfs.<type> -d`, then `debugfs` to set every
//! inode's times) and `jffs2` (`mkfs.jffs2` of mtd-utils with oe-core's options, owners
//! and device nodes from a device table), named `${IMAGE_NAME}.<type>` in the deploy directory with a link
//! `${IMAGE_LINK_NAME}.<type>` to each, and the manifest beside them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::archive;
use crate::error::{Error, Result};
use crate::fsx::{symlink_force, write_atomic};
use crate::owners::OwnerRecord;

/// What the image writers need.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// IMAGE_ROOTFS.
    pub rootfs: PathBuf,
    /// The owners (and device nodes) of the root filesystem.
    pub owners: OwnerRecord,
    /// IMAGE_FSTYPES.
    pub fstypes: Vec<String>,
    /// DEPLOY_DIR_IMAGE.
    pub deploy_dir: PathBuf,
    /// IMAGE_NAME (`core-image-tiny-host.rootfs-20260101000000`).
    pub image_name: String,
    /// IMAGE_LINK_NAME (`core-image-tiny-host.rootfs`), empty for no links.
    pub link_name: String,
    /// SOURCE_DATE_EPOCH: every time in the image.
    pub source_date_epoch: u64,
    /// IMAGE_ROOTFS_EXTRA_SPACE in KiB (ext2/3/4).
    pub extra_space_kb: u64,
    /// IMAGE_OVERHEAD_FACTOR (ext2/3/4).
    pub overhead_factor: f64,
    /// The manifest text (`name arch version` lines).
    pub manifest: String,
}

/// The image types this module writes.
pub const FSTYPES: &[&str] = &[
    "tar", "tar.gz", "tar.bz2", "tar.zst", "cpio", "cpio.gz", "ext2", "ext3", "ext4", "jffs2",
];

/// Runs `argv` (no shell, a fixed PATH); its failure names the command and its output.
fn run(argv: &[String]) -> Result<()> {
    let o = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .map_err(|e| Error::Command {
            command: argv.join(" "),
            output: e.to_string(),
        })?;
    if !o.status.success() {
        return Err(Error::Command {
            command: argv.join(" "),
            output: format!("{}: {}", o.status, String::from_utf8_lossy(&o.stderr)),
        });
    }
    Ok(())
}

/// A jffs2 file system of the root filesystem as oe-core's `IMAGE_CMD:jffs2` makes it
/// (`--pad --little-endian --eraseblock=0x40000 --no-cleanmarkers`, times 0 with
/// `--faketime`), everything owned by root but what the owner record says, whose
/// owners and device nodes go in a device table (`-D`).
fn jffs2(cfg: &ImageConfig, out: &Path) -> Result<()> {
    let mut table = String::new();
    let mut made = std::collections::BTreeSet::new();
    for e in archive::entries(&cfg.rootfs, &cfg.owners, true)? {
        let o = cfg.owners.get(e.path());
        let line = match &e {
            archive::Entry::Device {
                path,
                char,
                major,
                minor,
                mode,
            } => {
                // a device's directories missing from the tree are made, root's
                let mut parent = Path::new(path).parent();
                let mut missing = Vec::new();
                while let Some(d) = parent.filter(|d| *d != Path::new("/")) {
                    let rel = d.strip_prefix("/").unwrap_or(d);
                    if !cfg.rootfs.join(rel).is_dir() && made.insert(d.to_path_buf()) {
                        missing.push(d.display().to_string());
                    }
                    parent = d.parent();
                }
                for d in missing.iter().rev() {
                    table.push_str(&format!("{d} d 755 0 0 - - - - -\n"));
                }
                format!(
                    "{path} {} {mode:o} {} {} {major} {minor} - - -",
                    if *char { 'c' } else { 'b' },
                    o.uid,
                    o.gid
                )
            }
            archive::Entry::Dir { path, mode } if o.uid != 0 || o.gid != 0 => {
                format!("{path} d {mode:o} {} {} - - - - -", o.uid, o.gid)
            }
            archive::Entry::File { path, mode, .. } if o.uid != 0 || o.gid != 0 => {
                format!("{path} f {mode:o} {} {} - - - - -", o.uid, o.gid)
            }
            _ => continue,
        };
        if line
            .split(' ')
            .next()
            .is_some_and(|p| p.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(Error::Invalid(format!(
                "jffs2: `{}` cannot be named in mkfs.jffs2's device table (white space)",
                e.path()
            )));
        }
        table.push_str(&line);
        table.push('\n');
    }
    let tmp = crate::fsx::tmp_name(out);
    let devtable = crate::fsx::tmp_name(&out.with_extension("devtable"));
    fs_err::write(&devtable, table)?;
    let r = run(&[
        "mkfs.jffs2".to_owned(),
        format!("--root={}", cfg.rootfs.display()),
        "--faketime".into(),
        "--squash-uids".into(),
        format!("--devtable={}", devtable.display()),
        format!("--output={}", tmp.display()),
        "--pad".into(),
        "--little-endian".into(),
        "--eraseblock=0x40000".into(),
        "--no-cleanmarkers".into(),
    ]);
    let _ = std::fs::remove_file(&devtable);
    r?;
    fs_err::rename(&tmp, out)?;
    Ok(())
}

fn pipe(argv: &[&str], input: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Command {
            command: argv.join(" "),
            output: e.to_string(),
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Invalid("no stdin".into()))?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(Error::Command {
            command: argv.join(" "),
            output: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
        });
    }
    Ok(out.stdout)
}

fn du(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for e in fs_err::read_dir(dir)? {
        let e = e?;
        let m = fs_err::symlink_metadata(e.path())?;
        total += m.len().div_ceil(4096) * 4096;
        if m.is_dir() {
            total += du(&e.path())?;
        }
    }
    Ok(total)
}

/// Sets every file and directory time below `dir` to `t` (symbolic links keep theirs).
fn clamp_times(dir: &Path, t: std::time::SystemTime) -> Result<()> {
    for e in fs_err::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        let m = fs_err::symlink_metadata(&p)?;
        if m.file_type().is_symlink() {
            continue;
        }
        if m.is_dir() {
            clamp_times(&p, t)?;
        }
        let f = std::fs::File::open(&p)?;
        f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))?;
    }
    let f = std::fs::File::open(dir)?;
    f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))?;
    Ok(())
}

/// An ext2, ext3 or ext4 (`fstype`) file system of the root filesystem, as oe-core's
/// `oe_mkext234fs` makes it (`mkfs.<type> -d`), with reproducible bytes.
fn ext(cfg: &ImageConfig, out: &Path, fstype: &str) -> Result<()> {
    let used = du(&cfg.rootfs)? / 1024;
    let size_kb = ((used as f64) * cfg.overhead_factor) as u64 + cfg.extra_space_kb + 1024;
    let tmp = crate::fsx::tmp_name(out);
    let _ = std::fs::remove_file(&tmp);
    clamp_times(
        &cfg.rootfs,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(cfg.source_date_epoch),
    )?;
    // a UUID and hash seed from the image name: the same image gives the same bytes
    let h = blake3::hash(cfg.image_name.as_bytes());
    let b = h.as_bytes();
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        crate::debpkg::hex(&b[0..4]),
        crate::debpkg::hex(&b[4..6]),
        crate::debpkg::hex(&b[6..8]),
        crate::debpkg::hex(&b[8..10]),
        crate::debpkg::hex(&b[10..16])
    );
    let argv = [
        format!("mkfs.{fstype}"),
        "-F".into(),
        "-q".into(),
        "-t".into(),
        fstype.into(),
        "-U".into(),
        uuid.clone(),
        "-E".into(),
        format!("hash_seed={uuid},root_owner=0:0,nodiscard"),
        "-d".into(),
        cfg.rootfs.display().to_string(),
        tmp.display().to_string(),
        format!("{size_kb}k"),
    ];
    let o = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("E2FSPROGS_FAKE_TIME", cfg.source_date_epoch.to_string())
        .output()
        .map_err(|e| Error::Command {
            command: argv.join(" "),
            output: e.to_string(),
        })?;
    if !o.status.success() {
        return Err(Error::Command {
            command: argv.join(" "),
            output: format!("{}: {}", o.status, String::from_utf8_lossy(&o.stderr)),
        });
    }
    // mkfs -d copies each file's ctime (which cannot be set): set every inode's
    // times to SOURCE_DATE_EPOCH with debugfs
    let mut cmds = String::new();
    let mut paths = vec!["/".to_owned(), "/lost+found".to_owned()];
    for e in archive::entries(&cfg.rootfs, &OwnerRecord::new(), false)? {
        if e.path() != "/" {
            paths.push(e.path().to_owned());
        }
    }
    for p in &paths {
        for field in ["atime", "ctime", "mtime", "crtime"] {
            cmds.push_str(&format!("sif \"{p}\" {field} @{}\n", cfg.source_date_epoch));
        }
    }
    let cmdfile = crate::fsx::tmp_name(&out.with_extension("debugfs"));
    fs_err::write(&cmdfile, cmds)?;
    let argv = [
        "debugfs".to_owned(),
        "-w".into(),
        "-f".into(),
        cmdfile.display().to_string(),
        tmp.display().to_string(),
    ];
    let o = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("E2FSPROGS_FAKE_TIME", cfg.source_date_epoch.to_string())
        .output();
    let _ = std::fs::remove_file(&cmdfile);
    let o = o.map_err(|e| Error::Command {
        command: argv.join(" "),
        output: e.to_string(),
    })?;
    let errors = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() || errors.lines().any(|l| !l.starts_with("debugfs ")) {
        return Err(Error::Command {
            command: argv.join(" "),
            output: format!("{}: {errors}", o.status),
        });
    }
    fs_err::rename(&tmp, out)?;
    Ok(())
}

/// Writes every IMAGE_FSTYPES image, its link and the manifest; returns the files.
pub fn write_images(cfg: &ImageConfig) -> Result<Vec<PathBuf>> {
    fs_err::create_dir_all(&cfg.deploy_dir)?;
    let mtime = cfg.source_date_epoch;
    let mut entries = None;
    let mut written = Vec::new();
    for t in &cfg.fstypes {
        if !FSTYPES.contains(&t.as_str()) {
            return Err(Error::Invalid(format!(
                "No IMAGE_CMD defined for IMAGE_FSTYPES entry '{t}' - possibly invalid type name or missing support class"
            )));
        }
        let name = format!("{}.{t}", cfg.image_name);
        let out = cfg.deploy_dir.join(&name);
        if let Some(fstype @ ("ext2" | "ext3" | "ext4")) = Some(t.as_str()) {
            ext(cfg, &out, fstype)?;
        } else if t == "jffs2" {
            jffs2(cfg, &out)?;
        } else {
            if entries.is_none() {
                entries = Some(archive::entries(&cfg.rootfs, &cfg.owners, true)?);
            }
            let e = entries.as_deref().unwrap_or_default();
            let data = match t.as_str() {
                "tar" => archive::tar(e, &cfg.owners, mtime)?,
                "tar.gz" => archive::gzip(&archive::tar(e, &cfg.owners, mtime)?)?,
                "tar.bz2" => archive::bzip2(&archive::tar(e, &cfg.owners, mtime)?)?,
                "tar.zst" => pipe(
                    &["zstd", "-q", "-19", "-T1", "--no-progress", "-c"],
                    &archive::tar(e, &cfg.owners, mtime)?,
                )?,
                "cpio" => archive::cpio(e, &cfg.owners, mtime)?,
                _ => archive::gzip(&archive::cpio(e, &cfg.owners, mtime)?)?,
            };
            write_atomic(&out, &data)?;
        }
        if !cfg.link_name.is_empty() {
            symlink_force(
                &name,
                &cfg.deploy_dir.join(format!("{}.{t}", cfg.link_name)),
            )?;
        }
        written.push(out);
    }
    let manifest = format!("{}.manifest", cfg.image_name);
    write_atomic(&cfg.deploy_dir.join(&manifest), cfg.manifest.as_bytes())?;
    if !cfg.link_name.is_empty() {
        symlink_force(
            &manifest,
            &cfg.deploy_dir.join(format!("{}.manifest", cfg.link_name)),
        )?;
    }
    written.push(cfg.deploy_dir.join(manifest));
    Ok(written)
}
