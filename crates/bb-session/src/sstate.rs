//! Shared state in a build: the run queue's [`SetsceneHooks`] (the hash check over
//! SSTATE_DIR and SSTATE_MIRRORS, in parallel; BB_SETSCENE_DEPVALID's rules) and the
//! native functions of the default layer's `sstate.bbclass` (`sstate_task_prefunc`,
//! `sstate_task_postfunc`, the `do_<task>_setscene` functions, `do_clean`), over
//! bb-sstate.
//!
//! BB_HASHCHECK_FUNCTION and BB_SETSCENE_DEPVALID are answered natively only when the
//! function they name is defined in bake's default layer (a file that
//! BBFILE_PATTERN_bakecore matches): those are bake's own functions, and the native
//! answers are theirs. Any other layer's function (openembedded-core's
//! `sstate_checkhashes`, `setscene_depvalid`) is called in embedded CPython with
//! BitBake's arguments on the configuration's datastore (`PyHooks`).
//!
//! In a task worker, the `hashserv` and `siginfo` services back `bb.parse.siggen`'s
//! `report_unihash`/`get_unihash` and `bb.siggen.dump_this_task` (`register_services`).

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::sync::Mutex;

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
/// server.
pub struct SstateHooks {
    /// Per recipe target: its layout and mirrors (or why it has none).
    layouts: HashMap<String, Result<(bb_sstate::Layout, bb_sstate::Mirrors), String>>,
    hashserv: Option<HashServ>,
    /// The metadata's own Python hooks (the functions of BB_HASHCHECK_FUNCTION and
    /// BB_SETSCENE_DEPVALID that are not bake's).
    python: PyHooks,
}

impl SstateHooks {
    /// Hooks over `recipes` (recipe target -> finalized datastore): the recipes whose
    /// tasks may be restored or run; `hashserv`: hash equivalence; `config`: the
    /// configuration, which names BB_HASHCHECK_FUNCTION and BB_SETSCENE_DEPVALID.
    pub fn new(
        config: &DataStore,
        recipes: &HashMap<String, DataStore>,
        hashserv: Option<HashServ>,
    ) -> SstateHooks {
        let layouts = recipes
            .iter()
            .map(|(f, d)| (f.clone(), layout_of(d).map_err(|e| e.to_string())))
            .collect();
        let python = PyHooks::new(config, recipes);
        SstateHooks {
            layouts,
            hashserv,
            python,
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

impl SstateHooks {
    /// The failure of the metadata's hook functions while the setscene phase was
    /// planned, if any (BitBake stops the build on it).
    pub fn failure(&self) -> Option<crate::Error> {
        let f = self.python.failure.lock().ok()?.take()?;
        let reason = f.2.trim_end().lines().last().unwrap_or_default().to_owned();
        Some(crate::Error::Hook {
            var: f.0,
            func: f.1,
            reason,
        })
    }
}

impl SetsceneHooks for SstateHooks {
    /// Every object looked for at once, on up to eight threads (mirror look-ups wait
    /// on the network, not the CPU); or the metadata's BB_HASHCHECK_FUNCTION.
    fn check(&self, tasks: &[SetsceneQuery<'_>], current: usize) -> Vec<SstateFound> {
        match &self.python.hashcheck {
            Hook::Native => {}
            Hook::Python(f) => return self.python.check(self, f, tasks, current),
            // BitBake: without a hash check, no object is valid.
            Hook::Unset => return vec![SstateFound::Missed; tasks.len()],
        }
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

    /// openembedded-core's `setscene_depvalid` rules, for the tasks bake's layer has;
    /// or the metadata's BB_SETSCENE_DEPVALID.
    fn dep_valid(&self, task: &SetsceneQuery<'_>, dependees: &[SetsceneQuery<'_>]) -> bool {
        match &self.python.depvalid {
            Hook::Native => dep_valid(task, dependees),
            Hook::Python(f) => self.python.dep_valid(f, task, dependees),
            // BitBake: without the hook, every dependency is needed.
            Hook::Unset => false,
        }
    }

    fn printed(&self) -> Option<String> {
        let lines = self.python.printed.lock().ok()?.clone()?;
        Some(lines.join("\n"))
    }

    /// The unihash the server gives an sstate task that ran: the task reported its
    /// output hash itself before naming its object (`sstate_task_postfunc` here,
    /// `bb.parse.siggen.report_unihash` from oe-core's class), so the server is asked.
    fn report(&self, q: &SetsceneQuery<'_>) -> Option<String> {
        let hs = self.hashserv.as_ref()?;
        hs.unihash(q.fn_name, q.task, q.taskhash)
    }

    fn unihash(&self, fn_name: &str, task: &str, taskhash: &str) -> Option<String> {
        self.hashserv.as_ref()?.unihash(fn_name, task, taskhash)
    }
}

/// Who answers one of the two hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hook {
    /// The variable is empty: BitBake's behaviour without the hook.
    Unset,
    /// The function named is bake's own (default layer): bake's native answer.
    Native,
    /// The metadata's Python function of that name.
    Python(String),
}

impl Hook {
    /// The hook variable `var` of `config`: whose function it names.
    fn of(config: &DataStore, var: &str) -> Hook {
        let name = config
            .get_var(var)
            .ok()
            .flatten()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if name.is_empty() {
            return Hook::Unset;
        }
        // A name defined nowhere goes to Python too, which says so (NameError).
        let file = config.get_raw_flag(&name, "filename").unwrap_or_default();
        if config.python_function(&name).is_some() && in_default_layer(config, &file) {
            Hook::Native
        } else {
            Hook::Python(name)
        }
    }
}

/// Whether `file` belongs to bake's default layer (BBFILE_PATTERN_bakecore).
fn in_default_layer(config: &DataStore, file: &str) -> bool {
    let pattern = config
        .get_var("BBFILE_PATTERN_bakecore")
        .ok()
        .flatten()
        .unwrap_or_default();
    !pattern.is_empty()
        && !file.is_empty()
        && regex::Regex::new(&pattern).is_ok_and(|re| re.is_match(file))
}

/// The metadata's BB_HASHCHECK_FUNCTION and BB_SETSCENE_DEPVALID called in embedded
/// CPython, as BitBake's run queue calls them: `FUNC(sq_data, d, siginfo=False,
/// currentcount=N, summary=True)` with `sq_data` = {`hash`, `hashfn`, `unihash`} per
/// tid (`fn:do_task`), and `FUNC(task, taskdata, notneeded, d)` with `taskdata` =
/// tid -> `[PN, taskname, fn]`. `d` is the configuration's datastore (a copy).
struct PyHooks {
    hashcheck: Hook,
    depvalid: Hook,
    /// The configuration, with the arguments of the call under way in `__BAKE_HOOK_ARGS`.
    config: Mutex<DataStore>,
    /// Per recipe target: its BB_HASHFILENAME.
    hashfn: HashMap<String, String>,
    /// The setscene tasks the dependency hook found not needed so far.
    notneeded: Mutex<HashSet<String>>,
    /// What the hash check printed with `bb.plain`.
    printed: Mutex<Option<Vec<String>>>,
    /// The first failure of a hook: (variable, function, reason).
    failure: Mutex<Option<(String, String, String)>>,
}

/// The variable the arguments of a hook call travel in (JSON).
const ARGS_VAR: &str = "__BAKE_HOOK_ARGS";

impl PyHooks {
    fn new(config: &DataStore, recipes: &HashMap<String, DataStore>) -> PyHooks {
        let hashcheck = Hook::of(config, "BB_HASHCHECK_FUNCTION");
        let depvalid = Hook::of(config, "BB_SETSCENE_DEPVALID");
        let python = matches!(hashcheck, Hook::Python(_)) || matches!(depvalid, Hook::Python(_));
        let hashfn = if python {
            recipes
                .iter()
                .map(|(f, d)| {
                    let v = d
                        .get_var("BB_HASHFILENAME")
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    (f.clone(), v)
                })
                .collect()
        } else {
            HashMap::new()
        };
        PyHooks {
            hashcheck,
            depvalid,
            config: Mutex::new(if python {
                config.clone()
            } else {
                DataStore::default()
            }),
            hashfn,
            notneeded: Mutex::new(HashSet::new()),
            printed: Mutex::new(None),
            failure: Mutex::new(None),
        }
    }

    /// Keeps the first failure (the caller of the setscene plan stops the build with
    /// it); the Python side logged each with its traceback (`bb.error`).
    fn failed(&self, var: &str, func: &str, reason: String) {
        if let Ok(mut f) = self.failure.lock()
            && f.is_none()
        {
            *f = Some((var.to_owned(), func.to_owned(), reason));
        }
    }

    /// Calls `bb.siggen.<helper>(d, func, ...)` with `args` (JSON) in the copy of the
    /// configuration; its answer is JSON.
    fn call(
        &self,
        helper: &str,
        func: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let host = bb_data::python::python_host()
            .ok_or_else(|| format!("{func} is a Python function and this bake has no Python"))?;
        let mut d = self.config.lock().map_err(|e| e.to_string())?;
        d.set_var(ARGS_VAR, &args.to_string());
        let code = format!("bb.siggen.{helper}(d, {func:?})");
        let out = host.eval_expr(&d, &code, None).map_err(|f| f.to_string())?;
        serde_json::from_str(&out).map_err(|e| format!("{func} answered `{out}`: {e}"))
    }

    /// BB_HASHCHECK_FUNCTION: the tasks it returns are found (local when the object is
    /// in SSTATE_DIR, else on a mirror), the others missed. A failure of the function
    /// is kept for [`SstateHooks::failure`] (the build stops, as in BitBake).
    fn check(
        &self,
        hooks: &SstateHooks,
        func: &str,
        tasks: &[SetsceneQuery<'_>],
        current: usize,
    ) -> Vec<SstateFound> {
        let tid = |q: &SetsceneQuery<'_>| format!("{}:{}", q.fn_name, q.task);
        let mut hash = serde_json::Map::new();
        let mut hashfn = serde_json::Map::new();
        let mut unihash = serde_json::Map::new();
        for q in tasks {
            let t = tid(q);
            hash.insert(t.clone(), q.taskhash.into());
            hashfn.insert(
                t.clone(),
                self.hashfn
                    .get(q.fn_name)
                    .cloned()
                    .unwrap_or_default()
                    .into(),
            );
            unihash.insert(t, q.hash.into());
        }
        let args = serde_json::json!({
            "sq_data": {"hash": hash, "hashfn": hashfn, "unihash": unihash},
            "currentcount": current,
            "summary": true,
        });
        let (found, printed) = match self.call("_bake_hashcheck", func, &args) {
            Ok(v) => {
                let found: HashSet<String> = strings(&v["found"]).collect();
                let printed: Vec<String> = strings(&v["plain"]).collect();
                (found, printed)
            }
            Err(e) => {
                self.failed("BB_HASHCHECK_FUNCTION", func, e);
                (HashSet::new(), Vec::new())
            }
        };
        if let Ok(mut p) = self.printed.lock() {
            *p = Some(printed);
        }
        tasks
            .iter()
            .map(|q| {
                if !found.contains(&tid(q)) {
                    return SstateFound::Missed;
                }
                let local = hooks.layouts.get(q.fn_name).is_some_and(|l| {
                    l.as_ref().is_ok_and(|(layout, _)| {
                        matches!(
                            bb_sstate::locate(
                                layout,
                                q.task,
                                q.hash,
                                &bb_sstate::Mirrors::default()
                            ),
                            Ok(Some(bb_sstate::Found::Local(_)))
                        )
                    })
                });
                if local {
                    SstateFound::Local
                } else {
                    SstateFound::Mirror
                }
            })
            .collect()
    }

    /// BB_SETSCENE_DEPVALID for `task` and the restored tasks above it; `true`: not
    /// needed. A failure of the function is kept for [`SstateHooks::failure`] and the
    /// task is needed.
    fn dep_valid(
        &self,
        func: &str,
        task: &SetsceneQuery<'_>,
        dependees: &[SetsceneQuery<'_>],
    ) -> bool {
        let tid = |q: &SetsceneQuery<'_>| format!("{}:{}", q.fn_name, q.task);
        let mut taskdata = serde_json::Map::new();
        for q in dependees.iter().chain(std::iter::once(task)) {
            taskdata.insert(tid(q), serde_json::json!([q.pn, q.task, q.fn_name]));
        }
        let notneeded: Vec<String> = self
            .notneeded
            .lock()
            .map(|n| n.iter().cloned().collect())
            .unwrap_or_default();
        let args = serde_json::json!({
            "task": tid(task),
            "taskdata": taskdata,
            "notneeded": notneeded,
        });
        match self.call("_bake_depvalid", func, &args) {
            Ok(v) => {
                let valid = v.as_bool().unwrap_or(false);
                if valid && let Ok(mut n) = self.notneeded.lock() {
                    n.insert(tid(task));
                }
                valid
            }
            Err(e) => {
                self.failed("BB_SETSCENE_DEPVALID", func, e);
                false
            }
        }
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
    let unihash = match report_output(ctx, &t, &layout) {
        Ok(Some(u)) => u,
        Ok(None) => unihash_of(ctx),
        Err(e) => {
            let _ = writeln!(ctx.log, "WARNING: {e}");
            unihash_of(ctx)
        }
    };
    let (path, installed) =
        bb_sstate::save(&t, &layout, &unihash, None).map_err(|e| TaskError::msg(e.to_string()))?;
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

/// oe-core's `sstate_report_unihash` for the default layer's class: with a hash
/// equivalence server (BB_HASHSERVE), the output hash of the task's output is reported
/// before the object is written, and the unihash the server answers (an earlier task
/// hash's, when its output was the same) names the object, as `SSTATE_PKG` is expanded
/// after the report in oe-core. `None` without a server.
fn report_output(
    ctx: &TaskContext<'_>,
    t: &bb_sstate::SstateTask,
    layout: &bb_sstate::Layout,
) -> Result<Option<String>, String> {
    let server = ctx.var("BB_HASHSERVE").map_err(|e| e.to_string())?;
    let auto = match server.trim() {
        "" => return Ok(None),
        // bake's automatic server listens on this socket (see bins/bake's build.rs).
        "auto" => {
            let sock = std::path::Path::new(&ctx.var("TOPDIR").map_err(|e| e.to_string())?)
                .join("hashserve.sock");
            if sock.as_os_str().len() >= 100 {
                return Err(format!(
                    "BB_HASHSERVE = \"auto\": the server listens on a TCP port because {} \
                     is too long for a socket, which a task cannot reach; the output of {} \
                     is reported after the task",
                    sock.display(),
                    ctx.task
                ));
            }
            Some(format!("unix://{}", sock.display()))
        }
        _ => None,
    };
    let hs = HashServ::from_config(ctx.d, auto.as_deref())
        .map_err(|e| format!("hash equivalence server `{}`: {e}", server.trim()))?;
    let Some(hs) = hs else { return Ok(None) };
    let opts = bb_sstate::OuthashOptions {
        include_root: true,
        pkgspec: layout.pkgspec.clone(),
        task: ctx.task.to_owned(),
        ..Default::default()
    };
    let outhash = bb_sstate::outhash(&bb_sstate::members(t, layout), &opts, None)
        .map_err(|e| format!("output hash of {}: {e}", ctx.task))?;
    let mut c = hs
        .client
        .lock()
        .map_err(|_| "hash server connection poisoned".to_owned())?;
    c.report(
        ctx.taskhash,
        &hs.method,
        &outhash,
        &unihash_of(ctx),
        &[("PN", ctx.pn), ("task", ctx.task)],
    )
    .map(Some)
    .map_err(|e| format!("reporting {} to {}: {e}", ctx.task, server.trim()))
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

/// Registers the task worker's services behind `bb.parse.siggen` and `bb.siggen`:
/// `hashserv` and `siginfo`.
pub(crate) fn register_services() {
    bb_data::python::register_service("hashserv", hashserv_service);
    bb_data::python::register_service("siginfo", siginfo_service);
}

/// `hashserv report ADDR TASKHASH METHOD OUTHASH UNIHASH EXTRA_JSON`: the output hash
/// reported to the server at ADDR, answered with the unihash it gives the task hash;
/// `hashserv get ADDR METHOD TASKHASH`: the unihash the server knows ("" if none).
fn hashserv_service(_d: &mut DataStore, args: &[String]) -> Result<String, String> {
    match args {
        [op, addr, taskhash, method, outhash, unihash, extra] if op == "report" => {
            let extra: serde_json::Map<String, serde_json::Value> = serde_json::from_str(extra)
                .map_err(|e| format!("hashserv report: extra data `{extra}`: {e}"))?;
            let pairs: Vec<(String, String)> = extra
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect();
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let mut c = bb_sstate::hashserv::Client::connect(addr).map_err(|e| e.to_string())?;
            c.report(taskhash, method, outhash, unihash, &pairs)
                .map_err(|e| e.to_string())
        }
        [op, addr, method, taskhash] if op == "get" => {
            let mut c = bb_sstate::hashserv::Client::connect(addr).map_err(|e| e.to_string())?;
            let mut u = c
                .get_unihashes(&[(method.as_str(), taskhash.as_str())])
                .map_err(|e| e.to_string())?;
            Ok(u.pop().flatten().unwrap_or_default())
        }
        _ => Err(format!("hashserv: unknown request {args:?}")),
    }
}

/// `siginfo OUTFILE TASK TASKHASH`: the signature data of TASK of the recipe (its
/// hashed variables, their dependencies, the base hash, and the task hash) written to
/// OUTFILE, as `bb.siggen.dump_this_task` writes the `.siginfo` beside an object.
/// The task's recipe datastore as its signature was computed (a worker sets it before
/// it adds FAKEROOTENV/FAKEROOTNOENV, BB_UNIHASH and the build's variables, which are
/// not part of the signature; the forked task child inherits it).
static SIG_BASE: std::sync::Mutex<Option<DataStore>> = std::sync::Mutex::new(None);

/// Sets the datastore the `.siginfo` of the next task is computed from (see `SIG_BASE`).
pub(crate) fn set_sig_base(d: &DataStore) {
    if let Ok(mut g) = SIG_BASE.lock() {
        *g = Some(d.clone());
    }
}

/// The variable a worker's task gets the run-time part of its sig data in
/// (`bb_runqueue::depdata::SigRuntime` as JSON).
pub(crate) const SIG_RUNTIME_VAR: &str = "__BAKE_SIG_RUNTIME";

fn siginfo_service(d: &mut DataStore, args: &[String]) -> Result<String, String> {
    let [outfile, task, taskhash] = args else {
        return Err("siginfo: expected OUTFILE TASK TASKHASH".to_owned());
    };
    let base = SIG_BASE.lock().ok().and_then(|g| g.clone());
    let mut sig = siginfo(base.as_ref().unwrap_or(d), task)
        .ok_or_else(|| format!("siginfo: no signature data for {task} of this recipe"))?;
    if !taskhash.is_empty() {
        sig.taskhash = Some(taskhash.clone());
    }
    // The dependencies' unihashes, file checksums and taint the run queue hashed, as
    // BitBake's siginfo has them (given to a task run in a worker).
    if let Some(text) = d
        .get_var(SIG_RUNTIME_VAR)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
    {
        let rt: bb_runqueue::depdata::SigRuntime = serde_json::from_str(&text)
            .map_err(|e| format!("siginfo: {SIG_RUNTIME_VAR} is not bake's JSON: {e}"))?;
        let pairs: Vec<(&str, &str)> = rt
            .deps
            .iter()
            .map(|(t, h)| (t.as_str(), h.as_str()))
            .collect();
        sig.set_runtime(&pairs, &rt.file_checksums, rt.taint.as_deref());
        sig.unihash = Some(rt.unihash);
    }
    let out = std::path::Path::new(outfile);
    if let Some(dir) = out.parent() {
        fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    bb_siggen::write_sigdata(out, &sig).map_err(|e| e.to_string())?;
    Ok(String::new())
}

/// The strings of a JSON array (nothing for anything else).
fn strings(v: &serde_json::Value) -> impl Iterator<Item = String> + '_ {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
}
