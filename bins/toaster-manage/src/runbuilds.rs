//! `runbuilds`: runs the builds queued from the web interface, one at a time per build
//! environment. For each request it claims (`bb_toaster::bldcontrol::claim_next`, safe
//! with several `runbuilds` processes on one database): checks out the layers (local
//! directories used in place, git layers cloned under the environment's source
//! directory at the requested revision), writes the project's build directory
//! (`conf/toaster-bblayers.conf`, `conf/toaster.conf`, included from `bblayers.conf` and
//! `local.conf`; a merged project's settings between Toaster's PROLOG/EPILOG lines of
//! those two files), runs `bake` there with recording on (`TOASTER_BRBE` links the build to
//! the request), interrupts it (SIGINT, as Ctrl-C: running tasks finish, the build is
//! recorded Cancelled) when the request is cancelled, and closes the request. A failure
//! before the build starts is recorded as a build request error. No value reaches a
//! shell: every program is run with an argument vector.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bb_toaster::bldcontrol::{self, Claimed, RequestState};
use bb_toaster::projects::{check_git_url, check_revision, check_subdir};

/// Options of `runbuilds`.
pub(crate) struct Options {
    /// The database.
    pub(crate) database: PathBuf,
    /// The `bake` to run.
    pub(crate) bake: PathBuf,
    /// Stop when nothing is queued (else wait for requests until interrupted).
    pub(crate) once: bool,
    /// How often the queue and the running build's request are looked at.
    pub(crate) poll: Duration,
}

/// The `bake` beside this program, else `bake` on PATH.
pub(crate) fn default_bake() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.join("bake")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("bake"))
}

/// Runs queued builds until interrupted (or, with `once`, until the queue is empty).
/// Returns how many requests it took.
pub(crate) fn run(o: &Options, say: &dyn Fn(&str)) -> anyhow::Result<usize> {
    // bake records into $TOASTER_DIR/toaster.sqlite: the database must have that name.
    if o.database.file_name().and_then(|n| n.to_str()) != Some(bb_toaster::db::DB_FILE) {
        bail!(
            "{}: runbuilds needs the database to be called {} (bake records builds into $TOASTER_DIR/{})",
            o.database.display(),
            bb_toaster::db::DB_FILE,
            bb_toaster::db::DB_FILE
        );
    }
    let database = std::path::absolute(&o.database).context("the database's path")?;
    let toaster_dir = database
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, std::sync::Arc::clone(&interrupted))
            .context("install the signal handlers")?;
    }
    // Requests left in progress by a runbuilds process that is gone fail first (their
    // environments are unlocked), as checksettings does.
    for id in bldcontrol::fail_stale_requests(&bb_toaster::db::open(&database)?)? {
        say(&format!(
            "build request {id} was in progress with no runbuilds: marked failed"
        ));
    }
    let mut taken = 0;
    loop {
        if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(taken);
        }
        let conn = bb_toaster::db::open(&database)?;
        match bldcontrol::claim_next(&conn, std::process::id())? {
            Some(c) => {
                taken += 1;
                say(&format!(
                    "build request {} (project {}): {}",
                    c.request,
                    c.project,
                    c.targets
                        .iter()
                        .map(|(t, k)| if k.is_empty() {
                            t.clone()
                        } else {
                            format!("{t}:{k}")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                let end = run_one(o, &conn, &c, &toaster_dir, &interrupted)?;
                say(&format!("build request {}: {end:?}", c.request));
            }
            None if o.once => return Ok(taken),
            None => std::thread::sleep(o.poll),
        }
    }
}

/// The project's build directory.
fn builddir(c: &Claimed) -> PathBuf {
    if c.project_builddir.is_empty() {
        PathBuf::from(format!("{}-toaster-{}", c.env_builddir, c.project))
    } else {
        PathBuf::from(&c.project_builddir)
    }
}

/// A path that can be written into a configuration file as a word of BBLAYERS.
fn conf_path(p: &Path) -> anyhow::Result<String> {
    let s = p
        .to_str()
        .with_context(|| format!("{}: not UTF-8", p.display()))?;
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | '$'))
    {
        bail!("`{s}`: a layer path cannot hold spaces, quotes, backslashes or `$`");
    }
    Ok(s.to_owned())
}

fn git(dir: Option<&Path>, args: &[&str]) -> anyhow::Result<()> {
    let mut cmd = Command::new("git");
    cmd.args([
        "-c",
        "protocol.ext.allow=never",
        "-c",
        "advice.detachedHead=false",
    ]);
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    let out = cmd
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .context("run git")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The directory of each layer of the request, checked out where needed.
fn layer_dirs(
    conn: &rusqlite::Connection,
    c: &Claimed,
    builddir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let clones = PathBuf::from(&c.env_sourcedir).join("_toaster_clones");
    let total = c.layers.iter().filter(|l| l.giturl.is_some()).count();
    let mut custom = None;
    let mut cloned = 0;
    let mut out = Vec::new();
    for l in &c.layers {
        let (root, dir) = if l.local_source_dir.as_deref()
            == Some(bb_toaster::customimages::CUSTOM_LAYER_DIR)
        {
            // The project's custom images: a layer generated from the database once the
            // other layers are known (below).
            let dest = builddir.join(bb_toaster::customimages::CUSTOM_LAYER);
            fs_err::create_dir_all(dest.join("conf"))?;
            custom = Some(out.len());
            out.push(dest);
            continue;
        } else if let Some(local) = &l.local_source_dir {
            let root = PathBuf::from(local);
            if !root.is_absolute() {
                bail!("layer `{}`: `{local}` is not an absolute path", l.name);
            }
            (root.clone(), root)
        } else if let Some(url) = &l.giturl {
            check_git_url(url).with_context(|| format!("layer `{}`", l.name))?;
            let rev = l.commit.as_deref().unwrap_or("HEAD");
            check_revision(rev).with_context(|| format!("layer `{}`", l.name))?;
            bldcontrol::clone_progress(conn, c.build, cloned, total, &l.name)?;
            let key = blake3::hash(url.as_bytes()).to_hex();
            let safe: String = l
                .name
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
            let dest = clones.join(format!("{safe}-{}", &key[..12]));
            if dest.join(".git").is_dir() {
                git(Some(&dest), &["fetch", "--quiet", "--tags", "origin"])
                    .with_context(|| format!("layer `{}`: update {url}", l.name))?;
            } else {
                fs_err::create_dir_all(&clones)?;
                let d = conf_path(&dest)?;
                git(None, &["clone", "--quiet", "--no-checkout", "--", url, &d])
                    .with_context(|| format!("layer `{}`: clone {url}", l.name))?;
            }
            let remote = format!("origin/{rev}");
            if git(Some(&dest), &["checkout", "--quiet", "--detach", &remote]).is_err() {
                git(Some(&dest), &["checkout", "--quiet", "--detach", rev])
                    .with_context(|| format!("layer `{}`: revision `{rev}` of {url}", l.name))?;
            }
            cloned += 1;
            bldcontrol::clone_progress(conn, c.build, cloned, total, &l.name)?;
            (dest.clone(), dest)
        } else {
            bail!(
                "layer `{}` cannot be found: it has neither a git URL nor a local directory",
                l.name
            );
        };
        let dir = match &l.dirpath {
            Some(sub) => {
                check_subdir(sub).with_context(|| format!("layer `{}`", l.name))?;
                dir.join(sub)
            }
            None => dir,
        };
        let real = fs_err::canonicalize(&dir).map_err(|_| {
            anyhow::anyhow!(
                "layer `{}` cannot be found: {} does not exist",
                l.name,
                dir.display()
            )
        })?;
        let real_root = fs_err::canonicalize(&root)?;
        // A symbolic link in the checkout cannot lead the build elsewhere.
        if !real.starts_with(&real_root) {
            bail!(
                "layer `{}`: {} leads outside {}",
                l.name,
                dir.display(),
                root.display()
            );
        }
        if !real.join("conf/layer.conf").is_file() {
            bail!(
                "layer `{}`: {} is not a layer (no conf/layer.conf)",
                l.name,
                real.display()
            );
        }
        out.push(real);
    }
    if out.is_empty() {
        bail!("the project has no layers");
    }
    if let Some(i) = custom {
        // The core layer's release names, for the generated layer's LAYERSERIES_COMPAT.
        let series: Vec<String> = out
            .iter()
            .filter_map(|d| fs_err::read_to_string(d.join("conf/layer.conf")).ok())
            .filter_map(|t| {
                t.lines().find_map(|l| {
                    let v = l.trim().strip_prefix("LAYERSERIES_CORENAMES")?.trim_start();
                    let v = v.strip_prefix("=").or_else(|| v.strip_prefix("?="))?.trim();
                    Some(v.trim_matches('"').to_owned())
                })
            })
            .collect();
        for (rel, text) in
            bb_toaster::customimages::layer_files(conn, c.project, &series.join(" "))?
        {
            let f = out[i].join(&rel);
            if let Some(parent) = f.parent() {
                fs_err::create_dir_all(parent)?;
            }
            bb_util::fs::atomic_write(&f, text.as_bytes())?;
        }
    }
    Ok(out)
}

/// Where Toaster's block of settings starts and ends in a merged project's
/// `local.conf`/`bblayers.conf` (the lines between are rewritten on every build).
const PROLOG: &str = "#=== TOASTER_CONFIG_PROLOG ===";
const EPILOG: &str = "#=== TOASTER_CONFIG_EPILOG ===";

/// What a configuration file starts as when the build directory has none.
fn fresh(file: &str) -> &'static str {
    if file == "bblayers.conf" {
        "BBPATH = \"${TOPDIR}\"\nBBFILES ?= \"\"\n"
    } else {
        ""
    }
}

/// `conf/<file>`'s text, or what a fresh one starts as.
fn read_conf(conf: &Path, file: &str) -> anyhow::Result<String> {
    match fs_err::read_to_string(conf.join(file)) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(fresh(file).to_owned()),
        Err(e) => Err(e.into()),
    }
}

/// `text` with its Toaster block (PROLOG..EPILOG) replaced by `block`, as Toaster's
/// merged projects have it: a first block is appended after a blank line.
fn merge_block(text: &str, block: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    let mut had = false;
    for line in text.split_inclusive('\n') {
        if line.contains("TOASTER_CONFIG_PROLOG") {
            inside = true;
            had = true;
        } else if line.contains("TOASTER_CONFIG_EPILOG") {
            inside = false;
        } else if !inside {
            out.push_str(line);
        }
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !had {
        out.push('\n');
    }
    out.push_str(PROLOG);
    out.push('\n');
    out.push_str(block);
    out.push_str(EPILOG);
    out.push('\n');
    out
}

/// Writes the build directory's configuration. A project without `merged_attr`:
/// `conf/toaster-bblayers.conf` and `conf/toaster.conf` (Toaster's names), included
/// from `bblayers.conf` and `local.conf` (created when missing, else the include line
/// is added once). A merged project (an imported build directory): the layers and
/// variables go between Toaster's PROLOG/EPILOG lines in `bblayers.conf` and
/// `local.conf` themselves, the earlier block replaced, the files kept first as
/// `*.conf.save` (as Toaster's build controller does).
fn write_conf(
    dir: &Path,
    layers: &[PathBuf],
    vars: &[(String, String)],
    merged: bool,
) -> anyhow::Result<()> {
    let conf = dir.join("conf");
    fs_err::create_dir_all(&conf)?;
    // Toaster's merged block writes `BBLAYERS = "\` and `NAME="value"`; its
    // toaster*.conf files, `BBLAYERS = " \` and `NAME = "value"`.
    let mut bbl = String::from(if merged {
        "BBLAYERS = \"\\\n"
    } else {
        "BBLAYERS = \" \\\n"
    });
    for l in layers {
        bbl.push_str(&format!("  {} \\\n", conf_path(l)?));
    }
    bbl.push_str("  \"\n");
    let mut t = String::new();
    for (name, value) in vars {
        // Toaster leaves its internal variables out of a merged local.conf.
        if merged && (name.starts_with("INTERNAL_") || name == "BBLAYERS") {
            continue;
        }
        // What the pages would refuse stops the build, whoever wrote the database.
        bb_toaster::projects::check_variable(name, value)
            .with_context(|| format!("project variable {name}"))?;
        if merged {
            t.push_str(&format!("{name}=\"{value}\"\n"));
        } else {
            t.push_str(&format!("{name} = \"{value}\"\n"));
        }
    }
    // bake records when the configuration inherits `toaster` (Toaster's UI records
    // instead, so its merged block does not have this line).
    t.push_str("INHERIT += \"toaster\"\n");
    if merged {
        for (file, block) in [("bblayers.conf", bbl), ("local.conf", t)] {
            let p = conf.join(file);
            let text = read_conf(&conf, file)?;
            if p.exists() {
                bb_util::fs::atomic_write(&conf.join(format!("{file}.save")), text.as_bytes())?;
            }
            bb_util::fs::atomic_write(&p, merge_block(&text, &block).as_bytes())?;
        }
        return Ok(());
    }
    bb_util::fs::atomic_write(
        &conf.join("toaster-bblayers.conf"),
        format!("# Written by toaster-manage runbuilds: the project's layers.\n{bbl}").as_bytes(),
    )?;
    bb_util::fs::atomic_write(
        &conf.join("toaster.conf"),
        format!("# Written by toaster-manage runbuilds: the project's variables.\n{t}").as_bytes(),
    )?;
    for (file, line) in [
        ("bblayers.conf", "include conf/toaster-bblayers.conf"),
        ("local.conf", "include conf/toaster.conf"),
    ] {
        let text = read_conf(&conf, file)?;
        if !text.lines().any(|l| l.trim() == line) {
            let mut new = text;
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            new.push_str(line);
            new.push('\n');
            bb_util::fs::atomic_write(&conf.join(file), new.as_bytes())?;
        }
    }
    Ok(())
}

/// The last lines of a log written from byte `from` on, for an error message.
fn tail(p: &Path, from: u64, lines: usize) -> String {
    let b = fs_err::read(p).unwrap_or_default();
    let start = usize::try_from(from).unwrap_or(0).min(b.len());
    let t = String::from_utf8_lossy(&b[start..]);
    let v: Vec<&str> = t.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

fn run_one(
    o: &Options,
    conn: &rusqlite::Connection,
    c: &Claimed,
    toaster_dir: &Path,
    interrupted: &std::sync::atomic::AtomicBool,
) -> anyhow::Result<RequestState> {
    let dir = builddir(c);
    let prepared = layer_dirs(conn, c, &dir)
        .and_then(|layers| write_conf(&dir, &layers, &c.variables, c.merged_attr));
    if let Err(e) = prepared {
        bldcontrol::request_error(conn, c.request, "prepare", &format!("{e:#}"), "")?;
        return Ok(RequestState::Failed);
    }
    let log_path = dir.join("toaster_ui.log");
    let log_start = fs_err::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
    let log = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let err = log.try_clone()?;
    let mut cmd = Command::new(&o.bake);
    for (t, k) in &c.targets {
        if k.is_empty() {
            cmd.arg(t);
        } else {
            cmd.arg(format!("{t}:do_{k}"));
        }
    }
    cmd.current_dir(&dir)
        .env("PWD", &dir)
        .env(
            bldcontrol::BRBE_VAR,
            format!("{}:{}", c.request, c.environment),
        )
        .env("TOASTER_DIR", toaster_dir)
        .env("BAKE_NO_PROGRESS", "1")
        .env_remove("BBPATH")
        .stdin(Stdio::null())
        .stdout(log.into_file())
        .stderr(err.into_file());
    // Its own process group: an interrupt reaches bake and its workers, not us.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(ch) => ch,
        Err(e) => {
            bldcontrol::request_error(
                conn,
                c.request,
                "start",
                &format!("cannot run {}: {e}", o.bake.display()),
                "",
            )?;
            return Ok(RequestState::Failed);
        }
    };
    bldcontrol::set_build_pid(conn, c.request, child.id())?;
    let mut signalled = false;
    let status = loop {
        if let Some(s) = child.try_wait().context("wait for bake")? {
            break s;
        }
        let cancel = bldcontrol::state(conn, c.request)? == Some(RequestState::Cancelling)
            || interrupted.load(std::sync::atomic::Ordering::Relaxed);
        if cancel && !signalled {
            if interrupted.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = bldcontrol::cancel(conn, c.project, c.request);
            }
            // SIGINT to the group, as Ctrl-C in a terminal.
            let _ = Command::new("kill")
                .args(["-INT", "--", &format!("-{}", child.id())])
                .status();
            signalled = true;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let note = if status.success() {
        String::new()
    } else {
        format!(
            "bake ended ({status}) without recording an outcome; the end of its log ({}):\n{}",
            log_path.display(),
            tail(&log_path, log_start, 20)
        )
    };
    Ok(bldcontrol::finish(
        conn,
        c.request,
        status.success(),
        &note,
    )?)
}
