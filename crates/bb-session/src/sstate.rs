//! Shared state in a build: the run queue's [`SetsceneHooks`] (the hash check over
//! SSTATE_DIR and SSTATE_MIRRORS, in parallel; BB_SETSCENE_DEPVALID's rules) and the
//! native functions of the default layer's `sstate.bbclass` (`sstate_task_prefunc`,
//! `sstate_task_postfunc`, the `do_<task>_setscene` functions, `do_clean`), over
//! bb-sstate.

use std::collections::HashMap;
use std::io::Write as _;

use bb_data::DataStore;
use bb_runqueue::{SetsceneHooks, SetsceneQuery, SstateFound, TaskContext, TaskError};

/// The setscene functions of the default layer's `sstate.bbclass` (BitBake's
/// `SSTATETASKS` of openembedded-core, as far as the layer has them).
pub const SETSCENE_FUNCS: &[&str] = &[
    "do_populate_sysroot_setscene",
    "do_package_setscene",
    "do_packagedata_setscene",
    "do_package_write_deb_setscene",
    "do_package_write_ipk_setscene",
    "do_package_write_rpm_setscene",
    "do_deploy_setscene",
    "do_populate_lic_setscene",
];

/// Packaging tasks whose shared output directory is a variable of bb-package's: when
/// the task is in SSTATETASKS, bb-package is given the task's `sstate-inputdirs`
/// (in WORKDIR) as that variable, and the sstate install puts the result in place
/// with a manifest (openembedded-core's tasks write to WORKDIR themselves).
pub const REDIRECTED: &[(&str, &str)] = &[
    ("do_packagedata", "PKGDATA_DIR"),
    ("do_package_write_deb", "DEPLOY_DIR_DEB"),
    ("do_package_write_ipk", "DEPLOY_DIR_IPK"),
    ("do_package_write_rpm", "DEPLOY_DIR_RPM"),
];

/// A [`REDIRECTED`] packaging function through bb-package's adapter.
pub fn redirected_package(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let var = REDIRECTED
        .iter()
        .find(|(f, _)| *f == ctx.func)
        .map(|(_, v)| *v);
    let mut d = ctx.d.clone();
    if let Some(var) = var
        && ctx.func == ctx.task
        && in_sstatetasks(ctx)?
    {
        let t = bb_sstate::SstateTask::from_datastore(ctx.d, ctx.task)
            .map_err(|e| TaskError::msg(e.to_string()))?;
        if let Some(dir) = t.dirs.first() {
            d.set_var(var, &dir.input.to_string_lossy());
        }
    }
    bb_package::natives::run(ctx.func, &d, ctx.log)
        .unwrap_or_else(|| Err(format!("`{}` is not a packaging function", ctx.func)))
        .map_err(TaskError::msg)
}

/// A hash equivalence server in use (BB_HASHSERVE): one connection, shared.
pub struct HashServ {
    client: std::sync::Mutex<bb_sstate::hashserv::Client>,
    /// SSTATE_HASHEQUIV_METHOD (`oe.sstatesig.OEOuthashBasic`).
    method: String,
}

impl HashServ {
    /// The server BB_HASHSERVE names (`auto`: the one the caller started, at `auto`),
    /// connected; `None` when BB_HASHSERVE is empty.
    pub fn from_config(config: &DataStore, auto: Option<&str>) -> crate::Result<Option<HashServ>> {
        let var = |n: &str| config.get_var(n).ok().flatten().unwrap_or_default();
        let addr = match var("BB_HASHSERVE").trim() {
            "" => return Ok(None),
            "auto" => match auto {
                Some(a) => a.to_owned(),
                None => return Err(crate::Error::NoLocalHashServer),
            },
            a => a.to_owned(),
        };
        let client = bb_sstate::hashserv::Client::connect(&addr)?;
        let method = match var("SSTATE_HASHEQUIV_METHOD") {
            m if m.is_empty() => "oe.sstatesig.OEOuthashBasic".to_owned(),
            m => m,
        };
        Ok(Some(HashServ {
            client: std::sync::Mutex::new(client),
            method,
        }))
    }

    /// The unihash the server maps `taskhash` to, if any.
    pub fn unihash(&self, _fn: &str, _task: &str, taskhash: &str) -> Option<String> {
        let mut c = self.client.lock().ok()?;
        c.get_unihashes(&[(self.method.as_str(), taskhash)])
            .ok()?
            .pop()
            .flatten()
    }
}

/// The hash check and dependency rules of a build: each recipe's sstate layout and
/// mirrors, read once from its finalized datastore; with hash equivalence, the
/// server, and what each sstate task's output is made of.
pub struct SstateHooks {
    /// Per recipe target: its layout and mirrors (or why it has none).
    layouts: HashMap<String, Result<(bb_sstate::Layout, bb_sstate::Mirrors), String>>,
    /// Per (recipe target, task) of SSTATETASKS: what its output is.
    tasks: HashMap<(String, String), bb_sstate::SstateTask>,
    hashserv: Option<HashServ>,
}

impl SstateHooks {
    /// Hooks over `recipes` (recipe target -> finalized datastore): the recipes whose
    /// tasks may be restored or run; `hashserv`: hash equivalence.
    pub fn new(recipes: &HashMap<String, DataStore>, hashserv: Option<HashServ>) -> SstateHooks {
        let layouts = recipes
            .iter()
            .map(|(f, d)| (f.clone(), layout_of(d).map_err(|e| e.to_string())))
            .collect();
        let mut tasks = HashMap::new();
        if hashserv.is_some() {
            for (f, d) in recipes {
                let list = d.get_var("SSTATETASKS").ok().flatten().unwrap_or_default();
                for t in list.split_whitespace() {
                    if let Ok(st) = bb_sstate::SstateTask::from_datastore(d, t) {
                        tasks.insert((f.clone(), bb_sstate::real_task(t)), st);
                    }
                }
            }
        }
        SstateHooks {
            layouts,
            tasks,
            hashserv,
        }
    }

    fn check_one(&self, q: &SetsceneQuery<'_>) -> SstateFound {
        let Some(Ok((layout, mirrors))) = self.layouts.get(q.fn_name) else {
            return SstateFound::Missed;
        };
        match bb_sstate::locate(layout, q.task, q.hash, mirrors) {
            Ok(Some(bb_sstate::Found::Local(_))) => SstateFound::Local,
            Ok(Some(bb_sstate::Found::Mirror(_))) => SstateFound::Mirror,
            Ok(None) | Err(_) => SstateFound::Missed,
        }
    }
}

fn layout_of(d: &DataStore) -> Result<(bb_sstate::Layout, bb_sstate::Mirrors), TaskError> {
    let layout = bb_sstate::Layout::from_datastore(d).map_err(|e| TaskError::msg(e.to_string()))?;
    let var = |n: &str| d.get_var(n).ok().flatten().unwrap_or_default();
    let no_network = bb_util::to_boolean(Some(&var("BB_NO_NETWORK")), false).unwrap_or(false)
        && !bb_util::to_boolean(Some(&var("SSTATE_MIRROR_ALLOW_NETWORK")), false).unwrap_or(false);
    let mirrors = bb_sstate::Mirrors::parse(&var("SSTATE_MIRRORS"), no_network);
    Ok((layout, mirrors))
}

impl SetsceneHooks for SstateHooks {
    /// Every object looked for at once, on up to eight threads (mirror look-ups wait
    /// on the network, not the CPU).
    fn check(&self, tasks: &[SetsceneQuery<'_>]) -> Vec<SstateFound> {
        let threads = 8.min(tasks.len().max(1));
        let chunk = tasks.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = tasks
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || part.iter().map(|q| self.check_one(q)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    /// openembedded-core's `setscene_depvalid` rules, for the tasks bake's layer has.
    fn dep_valid(&self, task: &SetsceneQuery<'_>, dependees: &[SetsceneQuery<'_>]) -> bool {
        dep_valid(task, dependees)
    }

    /// The output hash of an sstate task that ran, reported.
    fn report(&self, q: &SetsceneQuery<'_>) -> Option<String> {
        let hs = self.hashserv.as_ref()?;
        let task = self.tasks.get(&(q.fn_name.to_owned(), q.task.to_owned()))?;
        let Some(Ok((layout, _))) = self.layouts.get(q.fn_name) else {
            return None;
        };
        let opts = bb_sstate::OuthashOptions {
            include_root: true,
            pkgspec: layout.pkgspec.clone(),
            task: q.task.to_owned(),
            ..Default::default()
        };
        let outhash = bb_sstate::outhash(&bb_sstate::members(task, layout), &opts, None).ok()?;
        let mut c = hs.client.lock().ok()?;
        c.report(
            q.taskhash,
            &hs.method,
            &outhash,
            q.hash,
            &[("PN", q.pn), ("task", q.task)],
        )
        .ok()
    }

    fn unihash(&self, fn_name: &str, task: &str, taskhash: &str) -> Option<String> {
        self.hashserv.as_ref()?.unihash(fn_name, task, taskhash)
    }
}

fn is_native(pn: &str) -> bool {
    pn.ends_with("-native") || pn.contains("-cross-") || pn.ends_with("-cross")
}

/// Whether setscene task `task` can be left out for `dependees` (`true`: not needed).
pub fn dep_valid(task: &SetsceneQuery<'_>, dependees: &[SetsceneQuery<'_>]) -> bool {
    const WRITE: &[&str] = &[
        "do_package_write_deb",
        "do_package_write_ipk",
        "do_package_write_rpm",
    ];
    match task.task {
        // Licences and packagedata are only needed by direct dependants.
        "do_populate_lic" => return true,
        "do_packagedata" if dependees.iter().any(|d| d.task != "do_packagedata") => {
            return true;
        }
        _ => {}
    }
    for dep in dependees {
        if dep.index == task.index {
            continue;
        }
        if task.task == "do_package"
            && (dep.task == "do_package"
                || dep.task == "do_packagedata"
                || WRITE.contains(&dep.task))
        {
            continue;
        }
        if task.task == "do_populate_sysroot" {
            // Packages need what their postinstalls run; packaging and deploy do not.
            if WRITE.contains(&dep.task) {
                return false;
            }
            if matches!(dep.task, "do_package" | "do_packagedata" | "do_deploy") {
                continue;
            }
            if dep.task == "do_populate_sysroot" {
                // Native tools a target sysroot was built with are not needed.
                if is_native(task.pn) && !is_native(dep.pn) {
                    continue;
                }
                return false;
            }
        }
        if is_native(dep.pn)
            && (dep.task == "do_package"
                || dep.task == "do_packagedata"
                || WRITE.contains(&dep.task))
        {
            continue;
        }
        return false;
    }
    true
}

/// The sstate description and layout of the task a native function runs for.
fn task_of(
    ctx: &TaskContext<'_>,
) -> Result<(bb_sstate::SstateTask, bb_sstate::Layout, bb_sstate::Mirrors), TaskError> {
    let t = bb_sstate::SstateTask::from_datastore(ctx.d, ctx.task)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    let (layout, mirrors) = layout_of(ctx.d)?;
    Ok((t, layout, mirrors))
}

/// The hash objects are named by: BB_UNIHASH (set by the run queue), else the task hash.
fn unihash_of(ctx: &TaskContext<'_>) -> String {
    match ctx.var("BB_UNIHASH") {
        Ok(u) if !u.is_empty() => u,
        _ => ctx.taskhash.to_owned(),
    }
}

fn in_sstatetasks(ctx: &TaskContext<'_>) -> Result<bool, TaskError> {
    bb_sstate::is_sstate_task(ctx.d, ctx.task).map_err(|e| TaskError::msg(e.to_string()))
}

/// `sstate_task_prefunc`: what the task installed last time is removed first.
pub fn task_prefunc(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    if !in_sstatetasks(ctx)? {
        return Ok(());
    }
    let (t, layout, _) = task_of(ctx)?;
    bb_sstate::clean(&t.task, &layout).map_err(|e| TaskError::msg(e.to_string()))?;
    Ok(())
}

/// `sstate_task_postfunc`: the task's output saved as an object (with its siginfo)
/// and installed into the shared areas with a manifest.
pub fn task_postfunc(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    if !in_sstatetasks(ctx)? {
        return Ok(());
    }
    let (t, layout, _) = task_of(ctx)?;
    let (path, installed) = bb_sstate::save(&t, &layout, &unihash_of(ctx), None)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    let sig_path = std::path::PathBuf::from(format!("{}.siginfo", path.display()));
    if !sig_path.exists()
        && let Some(sig) = siginfo(ctx.d, ctx.task)
        && let Err(e) = bb_siggen::write_sigdata(&sig_path, &sig)
    {
        let _ = writeln!(ctx.log, "WARNING: {e}");
    }
    ctx.note(&format!(
        "Wrote sstate object {} ({} files installed)",
        path.display(),
        installed.files
    ));
    Ok(())
}

/// The task's signature data (what `.siginfo` holds), without its dependencies'
/// hashes; `None` when it cannot be worked out (the object is written anyway).
fn siginfo(d: &DataStore, task: &str) -> Option<bb_siggen::SigData> {
    let sigs = bb_siggen::task_basehashes(d, &[task]).ok()?;
    Some(bb_siggen::SigData::from_task(sigs.get(task)?))
}

/// `do_<task>_setscene`: the object restored (from SSTATE_DIR or a mirror) and
/// installed; a damaged or missing object fails the task, and its real task runs.
pub fn setscene(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let (t, layout, mirrors) = task_of(ctx)?;
    let (found, installed) = bb_sstate::restore(&t, &layout, &unihash_of(ctx), &mirrors)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    let from = match found {
        bb_sstate::Found::Local(p) => p.display().to_string(),
        bb_sstate::Found::Mirror(u) => u,
    };
    ctx.note(&format!(
        "Restored {} from {from} ({} files installed)",
        t.task, installed.files
    ));
    Ok(())
}

/// `sstate_clean_all` (a prefunc of `do_clean`): what every sstate task of the recipe
/// installed, by its manifest.
pub fn clean_all(ctx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let (layout, _) = layout_of(ctx.d)?;
    let tasks = ctx.var("SSTATETASKS")?;
    for task in tasks.split_whitespace() {
        let n = bb_sstate::clean(task.trim_start_matches("do_"), &layout)
            .map_err(|e| TaskError::msg(e.to_string()))?;
        if n > 0 {
            ctx.note(&format!("Removed {n} files installed by {task}"));
        }
    }
    Ok(())
}
