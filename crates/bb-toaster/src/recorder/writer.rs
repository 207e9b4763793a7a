//! The writer thread: Toaster's event handlers as SQL, batched into transactions.

use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::time::SystemTime;

use bb_events::{BuildEvent, Outcome, SkipReason};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{BuildStart, DepTree, SstateNames, VariableRow};
use super::{Msg, layer_id, layer_version, now, unidentified_layer};
use crate::error::{Result, db};
use crate::model::{BuildOutcome, LogLevel, ScriptType, SstateResult, TaskOutcome};

mod packages;

/// `virtual:native:/p/x.bb` → `native:virtual`: Toaster's pathflags, the sorted
/// prefixes of a recipe target.
pub(super) fn pathflags(fn_name: &str) -> String {
    let mut parts: Vec<&str> = fn_name.split(':').collect();
    parts.pop();
    parts.sort_unstable();
    parts.join(":")
}

/// A variable's help text: its `[doc]`, else that of its "root" variable (the
/// upper-case words of its name: `FOO_bar` → `FOO`) when that is documented.
pub(super) fn description<'a>(
    v: &'a VariableRow,
    docs: &HashMap<&str, &'a str>,
) -> Option<&'a str> {
    if let Some(d) = v.doc.as_deref() {
        return Some(d);
    }
    let root: Vec<&str> = v
        .name
        .split('_')
        .filter(|w| {
            !w.is_empty()
                && w.chars().all(|c| !c.is_lowercase())
                && w.chars().any(char::is_uppercase)
        })
        .collect();
    let root = root.join("_");
    if root.is_empty() || root == v.name {
        return None;
    }
    docs.get(root.as_str()).copied()
}

/// Seconds as Toaster stores them (`DecimalField(max_digits=8, decimal_places=2)`).
fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// How long the writer gathers messages into one transaction.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

/// A task of the dependency tree: its row, and what its events do not carry.
struct TreeTask {
    id: i64,
    fn_name: String,
    task: String,
    python: bool,
    /// Recorded (`sstate_checksum`) when the task starts or is skipped, as Toaster
    /// takes it from those events: a task never reached has none.
    hash: String,
}

/// The writer thread's state.
pub(super) struct Writer {
    build: i64,
    project: i64,
    /// The build's layer versions: (directory, id), longest directory first.
    layers: Vec<(String, i64)>,
    /// The build's recipes by target name (`/path/x.bb`, `virtual:native:/path/x.bb`).
    recipes: HashMap<String, i64>,
    /// PF by target name.
    pf: HashMap<String, String>,
    /// Task rows by the dependency tree's index.
    by_index: Vec<TreeTask>,
    /// Task rows not in the tree, by (recipe, task name).
    tasks: HashMap<(i64, String), i64>,
    unidentified: Option<i64>,
    /// Toaster's execution order: counts started and skipped tasks.
    order: i64,
    errors: usize,
    failed_tasks: usize,
    /// Tasks (by graph index) whose setscene task succeeded this build.
    restored: std::collections::HashSet<usize>,
    /// How shared state objects are named (see [`SstateNames`]).
    sstate_names: Option<SstateNames>,
    finished: bool,
}

impl Writer {
    /// The writer of build `build` of project `project`.
    pub(super) fn new(build: i64, project: i64) -> Writer {
        Writer {
            build,
            project,
            layers: Vec::new(),
            recipes: HashMap::new(),
            pf: HashMap::new(),
            by_index: Vec::new(),
            tasks: HashMap::new(),
            unidentified: None,
            order: 0,
            errors: 0,
            failed_tasks: 0,
            restored: std::collections::HashSet::new(),
            sstate_names: None,
            finished: false,
        }
    }

    pub(super) fn run(mut self, mut conn: Connection, rx: &Receiver<Msg>) -> Result<()> {
        let mut done = false;
        while !done {
            // Block for one message, then take whatever else is queued: one transaction.
            let first = match rx.recv() {
                Ok(m) => m,
                // The recorder vanished without a word: treat it as a finish.
                Err(_) => Msg::Finish,
            };
            // Then whatever arrives within BATCH_WINDOW: one transaction for each tenth
            // of a second of a build rather than one per event (Toaster commits every
            // third task update for its progress bar; a tenth of a second is as live).
            let deadline = std::time::Instant::now() + BATCH_WINDOW;
            let mut last_is_finish = matches!(first, Msg::Finish);
            let mut batch = vec![first];
            while batch.len() < 4096 && !last_is_finish {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(m) => {
                        last_is_finish = matches!(m, Msg::Finish);
                        batch.push(m);
                    }
                    Err(_) => break,
                }
            }
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db("begin batch"))?;
            for m in batch {
                match m {
                    Msg::Finish => {
                        done = true;
                        if !self.finished {
                            self.outcome(&tx, BuildOutcome::Failed, SystemTime::now())?;
                        }
                    }
                    Msg::Config(s) => self.config(&tx, &s)?,
                    Msg::Tree(t) => self.tree(&tx, &t)?,
                    Msg::SstateNames(n) => self.sstate_names = Some(n),
                    Msg::Log {
                        level,
                        message,
                        pathname,
                        lineno,
                        task,
                    } => {
                        if matches!(
                            level,
                            LogLevel::Error | LogLevel::Critical | LogLevel::Exception
                        ) {
                            self.errors += 1;
                        }
                        let task_id = match &task {
                            Some(t) => Some(self.task_row(&tx, t)?.0),
                            None => None,
                        };
                        exec_cached(
                            &tx,
                            "INSERT INTO orm_logmessage (build_id, task_id, level, message, pathname, lineno) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![self.build, task_id, level as i64, message, pathname, lineno],
                        )
                        .map_err(db("insert log message"))?;
                    }
                    Msg::Event(ev, at) => self.record(&tx, &ev, at)?,
                    Msg::Packages(p) => self.packages(&tx, &p)?,
                    Msg::Image(i) => self.image(&tx, &i)?,
                    Msg::Parse { done, total } => {
                        // Toaster keeps the count only while it is within the total; the
                        // parser's threads may report out of order: it never goes back.
                        exec_cached(
                            &tx,
                            "UPDATE orm_build SET recipes_parsed = CASE WHEN recipes_to_parse = ?2 THEN max(recipes_parsed, ?3) ELSE ?3 END, recipes_to_parse = ?2 WHERE id = ?1 AND ?3 <= ?2",
                            params![self.build, total, done],
                        )
                        .map_err(db("record the parse progress"))?;
                    }
                }
            }
            tx.commit().map_err(db("commit batch"))?;
        }
        Ok(())
    }

    /// The layers (snapshots for this build), the variables with their history (file
    /// names relative to their layer, keeping the layer's directory name, as Toaster
    /// stores them; `documentation.conf` entries left out) and the help texts.
    fn config(&mut self, tx: &Connection, s: &BuildStart) -> Result<()> {
        for l in &s.layers {
            let layer = layer_id(tx, l)?;
            let lv = layer_version(tx, self.build, layer, l, Some(self.project))?;
            let raw = l.path.trim_end_matches('/').to_owned();
            // BBLAYERS may say `${TOPDIR}/../meta`: recipe files are found under the
            // normalised directory.
            let clean = bb_util::normpath(&raw);
            if clean != raw {
                self.layers.push((clean, lv));
            }
            self.layers.push((raw, lv));
        }
        self.layers
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let docs: HashMap<&str, &str> = s
            .variables
            .iter()
            .filter_map(|v| Some((v.name.as_str(), v.doc.as_deref()?)))
            .collect();
        let mut var = tx
            .prepare("INSERT INTO orm_variable (build_id, variable_name, variable_value, description) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db("prepare variable"))?;
        let mut hist = tx
            .prepare("INSERT INTO orm_variablehistory (variable_id, value, file_name, line_number, operation) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(db("prepare history"))?;
        let mut help = tx
            .prepare("INSERT INTO orm_helptext (build_id, area, key, text) VALUES (?1, 0, ?2, ?3)")
            .map_err(db("prepare help text"))?;
        for v in &s.variables {
            let desc = description(v, &docs).unwrap_or("");
            if !desc.is_empty() {
                help.execute(params![self.build, v.name, desc])
                    .map_err(db(format!("insert help text of `{}`", v.name)))?;
            }
            if v.func {
                continue;
            }
            var.execute(params![self.build, v.name, v.value, desc])
                .map_err(db(format!("insert variable `{}`", v.name)))?;
            let id = tx.last_insert_rowid();
            for h in &v.history {
                if h.file_name.contains("documentation.conf") {
                    continue;
                }
                hist.execute(params![
                    id,
                    h.value,
                    self.relative(&h.file_name),
                    h.line_number,
                    h.operation
                ])
                .map_err(db(format!("insert history of `{}`", v.name)))?;
            }
        }
        Ok(())
    }

    /// `file` relative to the longest layer directory holding it, keeping that
    /// directory's own name (`/src/poky/meta/conf/x.conf` → `meta/conf/x.conf`).
    fn relative<'a>(&self, file: &'a str) -> &'a str {
        for (dir, _) in &self.layers {
            if let Some(rest) = file.strip_prefix(dir.as_str())
                && rest.starts_with('/')
            {
                let cut = dir.rfind('/').map_or(0, |i| i + 1);
                return &file[cut..];
            }
        }
        file
    }

    /// The layer version holding `file` (longest directory first), else the build's
    /// "Unidentified layer".
    fn layer_of(&mut self, tx: &Connection, file: &str) -> Result<(i64, String)> {
        for (dir, lv) in &self.layers {
            if let Some(rest) = file.strip_prefix(dir.as_str())
                && (rest.starts_with('/') || dir.is_empty())
            {
                return Ok((*lv, rest.trim_start_matches('/').to_owned()));
            }
        }
        let lv = match self.unidentified {
            Some(lv) => lv,
            None => {
                let lv = unidentified_layer(tx, self.build, Some(self.project))?;
                self.unidentified = Some(lv);
                lv
            }
        };
        Ok((lv, file.trim_start_matches('/').to_owned()))
    }

    /// BitBake's `DepTreeGenerated` as Toaster stores it: recipes, recipe dependencies
    /// (through Provides when the name is not the recipe's), tasks and task dependencies.
    fn tree(&mut self, tx: &Connection, t: &DepTree) -> Result<()> {
        let now = now();
        let mut pn_of: HashMap<&str, &str> = HashMap::new();
        {
            let mut ins = tx
                .prepare("INSERT INTO orm_recipe (name, version, layer_version_id, summary, description, section, license, homepage, bugtracker, file_path, pathflags, is_image, up_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                .map_err(db("prepare recipe"))?;
            for r in &t.recipes {
                let file = r.fn_name.rsplit(':').next().unwrap_or(&r.fn_name);
                let (lv, rel) = self.layer_of(tx, file)?;
                let is_image = r.inherits.iter().any(|c| c.ends_with("/image.bbclass"));
                ins.execute(params![
                    r.name,
                    r.version.strip_prefix(':').unwrap_or(&r.version),
                    lv,
                    r.summary,
                    r.description,
                    r.section,
                    r.license,
                    r.homepage,
                    r.bugtracker,
                    rel,
                    pathflags(&r.fn_name),
                    is_image,
                    now
                ])
                .map_err(db(format!("insert recipe `{}` ({})", r.name, r.fn_name)))?;
                self.recipes
                    .insert(r.fn_name.clone(), tx.last_insert_rowid());
                self.pf.insert(r.fn_name.clone(), r.pf.clone());
                pn_of.insert(r.fn_name.as_str(), r.name.as_str());
                if is_image {
                    tx.execute(
                        "UPDATE orm_target SET is_image = 1 WHERE build_id = ?1 AND target = ?2",
                        params![self.build, r.name],
                    )
                    .map_err(db(format!("mark target `{}` an image", r.name)))?;
                }
            }
        }
        {
            let mut provides: HashMap<(String, i64), i64> = HashMap::new();
            let mut dep = tx
                .prepare("INSERT INTO orm_recipe_dependency (recipe_id, depends_on_id, via_id, dep_type) VALUES (?1, ?2, ?3, 0)")
                .map_err(db("prepare recipe dependency"))?;
            for r in &t.recipes {
                let Some(&from) = self.recipes.get(&r.fn_name) else {
                    continue;
                };
                for (name, provider) in &r.depends {
                    let Some(&to) = self.recipes.get(provider) else {
                        continue;
                    };
                    let via = if pn_of.get(provider.as_str()) == Some(&name.as_str()) {
                        None
                    } else if let Some(&p) = provides.get(&(name.clone(), to)) {
                        Some(p)
                    } else {
                        tx.execute(
                            "INSERT INTO orm_provides (name, recipe_id) VALUES (?1, ?2)",
                            params![name, to],
                        )
                        .map_err(db(format!("insert provides `{name}`")))?;
                        let p = tx.last_insert_rowid();
                        provides.insert((name.clone(), to), p);
                        Some(p)
                    };
                    dep.execute(params![from, to, via])
                        .map_err(db(format!("insert dependency `{}` -> `{name}`", r.name)))?;
                }
            }
        }
        let mut ins = tx
            .prepare("INSERT INTO orm_task (build_id, recipe_id, task_name) VALUES (?1, ?2, ?3)")
            .map_err(db("prepare task"))?;
        self.by_index.clear();
        for task in &t.tasks {
            let recipe = self.recipe_for(tx, &task.fn_name, "")?;
            ins.execute(params![self.build, recipe, task.task])
                .map_err(db(format!("insert task `{}:{}`", task.fn_name, task.task)))?;
            self.by_index.push(TreeTask {
                id: tx.last_insert_rowid(),
                fn_name: task.fn_name.clone(),
                task: task.task.clone(),
                python: task.python,
                hash: task.hash.clone(),
            });
        }
        let mut dep = tx
            .prepare("INSERT INTO orm_task_dependency (task_id, depends_on_id) VALUES (?1, ?2)")
            .map_err(db("prepare task dependency"))?;
        for (i, ds) in t.deps.iter().enumerate() {
            let Some(from) = self.by_index.get(i).map(|t| t.id) else {
                continue;
            };
            for &d in ds {
                if let Some(to) = self.by_index.get(d).map(|t| t.id) {
                    dep.execute(params![from, to])
                        .map_err(db("insert task dependency"))?;
                }
            }
        }
        Ok(())
    }

    fn outcome(&mut self, tx: &Connection, o: BuildOutcome, at: SystemTime) -> Result<()> {
        self.finished = true;
        exec_cached(
            tx,
            "UPDATE orm_build SET outcome = ?2, completed_on = ?3 WHERE id = ?1",
            params![self.build, o as i64, crate::model::timestamp(at)],
        )
        .map_err(db("record the build's outcome"))?;
        Ok(())
    }

    fn recipe_for(&mut self, tx: &Connection, fn_name: &str, pn: &str) -> Result<i64> {
        if let Some(&id) = self.recipes.get(fn_name) {
            return Ok(id);
        }
        // A recipe the tree did not list: recorded bare.
        let file = fn_name.rsplit(':').next().unwrap_or(fn_name);
        let (lv, rel) = self.layer_of(tx, file)?;
        tx.execute(
            "INSERT INTO orm_recipe (name, file_path, pathflags, layer_version_id, up_date) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![pn, rel, pathflags(fn_name), lv, now()],
        )
        .map_err(db(format!("insert recipe `{pn}` ({fn_name})")))?;
        let id = tx.last_insert_rowid();
        self.recipes.insert(fn_name.to_owned(), id);
        Ok(id)
    }

    /// The task row of an event's task, whether it is a Python task, and its hash.
    fn task_row(&mut self, tx: &Connection, t: &bb_events::TaskRef) -> Result<(i64, bool, String)> {
        if let Some(tt) = self.by_index.get(t.index)
            && tt.fn_name == t.fn_name
            && tt.task == t.task
        {
            return Ok((tt.id, tt.python, tt.hash.clone()));
        }
        let recipe = self.recipe_for(tx, &t.fn_name, &t.pn)?;
        if let Some(&id) = self.tasks.get(&(recipe, t.task.clone())) {
            return Ok((id, false, String::new()));
        }
        let what = || format!("task `{}:{}`", t.pn, t.task);
        let found = tx
            .prepare_cached(
                "SELECT id FROM orm_task WHERE build_id = ?1 AND recipe_id = ?2 AND task_name = ?3",
            )
            .and_then(|mut st| {
                st.query_row(params![self.build, recipe, t.task], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map_err(db(format!("find {}", what())))?;
        let id = match found {
            Some(id) => id,
            None => {
                exec_cached(
                    tx,
                    "INSERT INTO orm_task (build_id, recipe_id, task_name) VALUES (?1, ?2, ?3)",
                    params![self.build, recipe, t.task],
                )
                .map_err(db(format!("insert {}", what())))?;
                tx.last_insert_rowid()
            }
        };
        self.tasks.insert((recipe, t.task.clone()), id);
        Ok((id, false, String::new()))
    }

    /// Toaster's task message: `recipe PF: task do_x: Succeeded`.
    fn message(&self, t: &bb_events::TaskRef, what: &str) -> String {
        let pf = self
            .pf
            .get(&t.fn_name)
            .map_or(t.pn.as_str(), String::as_str);
        format!("recipe {pf}: task {}: {what}", t.task)
    }

    /// The row of the setscene task of the real task `t`, and the real task's hash
    /// (the setscene task's `sstate_checksum`, as BitBake's events give it).
    fn setscene_row(&mut self, tx: &Connection, t: &bb_events::TaskRef) -> Result<(i64, String)> {
        let hash = self
            .by_index
            .get(t.index)
            .filter(|tt| tt.fn_name == t.fn_name && tt.task == t.task)
            .map(|tt| tt.hash.clone())
            .unwrap_or_default();
        let (id, ..) = self.task_row(tx, &setscene_ref(t))?;
        Ok((id, hash))
    }

    /// A task (or setscene task) ended: outcome, end time, resources, message.
    fn ended(
        &mut self,
        tx: &Connection,
        id: i64,
        task: &bb_events::TaskRef,
        outcome: TaskOutcome,
        usage: &bb_events::Usage,
        at_s: &str,
    ) -> Result<()> {
        let what = if outcome == TaskOutcome::Failed {
            "Failed"
        } else {
            "Succeeded"
        };
        exec_cached(
            tx,
            "UPDATE orm_task SET outcome = ?2, task_executed = 1, ended = ?3, elapsed_time = ?4, cpu_time_user = ?5, cpu_time_system = ?6, disk_io_read = ?7, disk_io_write = ?8, disk_io = ?9, message = ?10 WHERE id = ?1",
            params![
                id,
                outcome as i64,
                at_s,
                hundredths(usage.elapsed),
                hundredths(usage.cpu_user),
                hundredths(usage.cpu_system),
                usage.disk_read as i64,
                usage.disk_write as i64,
                (usage.disk_read + usage.disk_write) as i64,
                self.message(task, what)
            ],
        )
        .map_err(db(format!("task `{}:{}` {what}", task.pn, task.task)))?;
        Ok(())
    }

    /// Which shared state objects the run queue found, as openembedded-core's
    /// `MissedSstate` event tells Toaster: each object's name (`path_to_sstate_obj`,
    /// relative to SSTATE_DIR); a missed one also gets the sstate result Miss and the
    /// hash it was looked up by. Nothing without [`SstateNames`].
    fn sstate_checked(
        &mut self,
        tx: &Connection,
        checked: &[(bb_events::TaskRef, String, bb_events::SstateFound)],
    ) -> Result<()> {
        let Some(names) = self.sstate_names.as_ref() else {
            return Ok(());
        };
        let rows: Vec<_> = checked
            .iter()
            .filter_map(|(t, hash, found)| Some((t, hash, *found, names(t.index, hash)?)))
            .collect();
        for (t, hash, found, name) in rows {
            let (id, ..) = self.task_row(tx, t)?;
            if found == bb_events::SstateFound::Missed {
                exec_cached(
                    tx,
                    "UPDATE orm_task SET sstate_result = ?2, sstate_checksum = ?3, path_to_sstate_obj = ?4 WHERE id = ?1",
                    params![id, SstateResult::Miss as i64, hash, name],
                )
            } else {
                exec_cached(
                    tx,
                    "UPDATE orm_task SET path_to_sstate_obj = ?2 WHERE id = ?1",
                    params![id, name],
                )
            }
            .map_err(db(format!("sstate object of `{}:{}`", t.pn, t.task)))?;
        }
        Ok(())
    }

    fn record(&mut self, tx: &Connection, ev: &BuildEvent, at: SystemTime) -> Result<()> {
        let at_s = crate::model::timestamp(at);
        match ev {
            // Toaster stores no task progress (its recorder does not listen to
            // TaskProgress); messages reach it as log records (`Logger`).
            BuildEvent::BuildStarted { .. }
            | BuildEvent::LogLine { .. }
            | BuildEvent::TaskProgress { .. } => {}
            BuildEvent::SetsceneChecked { checked, .. } => self.sstate_checked(tx, checked)?,
            // A setscene task gets a row of its own (`do_x_setscene`), as Toaster makes
            // one from sceneQueueTaskStarted: executed, Python, with no order number.
            BuildEvent::SetsceneStarted { task, log, .. } => {
                let (id, hash) = self.setscene_row(tx, task)?;
                let scene = setscene_ref(task);
                exec_cached(
                    tx,
                    "UPDATE orm_task SET started = ?2, logfile = ?3, script_type = ?4, task_executed = 1, message = ?5, sstate_checksum = ?6 WHERE id = ?1",
                    params![id, at_s, log, ScriptType::Python as i64, self.message(&scene, "Started"), hash],
                )
                .map_err(db(format!("task `{}:{}` started", scene.pn, scene.task)))?;
            }
            BuildEvent::SetsceneSucceeded { task, usage } => {
                self.restored.insert(task.index);
                let (id, _) = self.setscene_row(tx, task)?;
                self.ended(
                    tx,
                    id,
                    &setscene_ref(task),
                    TaskOutcome::Succeeded,
                    usage,
                    &at_s,
                )?;
            }
            BuildEvent::SetsceneFailed { task, usage, .. } => {
                let (id, _) = self.setscene_row(tx, task)?;
                self.ended(
                    tx,
                    id,
                    &setscene_ref(task),
                    TaskOutcome::Failed,
                    usage,
                    &at_s,
                )?;
            }
            BuildEvent::TaskStarted {
                task, log, noexec, ..
            } => {
                let (id, python, hash) = self.task_row(tx, task)?;
                self.order += 1;
                if *noexec {
                    exec_cached(
                        tx,
                        "UPDATE orm_task SET \"order\" = ?2, outcome = ?3, task_executed = 0, script_type = ?4, sstate_checksum = ?5 WHERE id = ?1",
                        params![id, self.order, TaskOutcome::Empty as i64, ScriptType::NotApplicable as i64, hash],
                    )
                } else {
                    let script = if python {
                        ScriptType::Python
                    } else {
                        ScriptType::Shell
                    };
                    exec_cached(
                        tx,
                        "UPDATE orm_task SET \"order\" = ?2, started = ?3, logfile = ?4, script_type = ?5, task_executed = 1, message = ?6, sstate_checksum = ?7 WHERE id = ?1",
                        params![id, self.order, at_s, log, script as i64, self.message(task, "Started"), hash],
                    )
                }
                .map_err(db(format!("task `{}:{}` started", task.pn, task.task)))?;
            }
            BuildEvent::TaskSucceeded { task, usage }
            | BuildEvent::TaskFailed { task, usage, .. } => {
                let (id, ..) = self.task_row(tx, task)?;
                let outcome = if matches!(ev, BuildEvent::TaskFailed { .. }) {
                    self.failed_tasks += 1;
                    TaskOutcome::Failed
                } else {
                    TaskOutcome::Succeeded
                };
                self.ended(tx, id, task, outcome, usage, &at_s)?;
            }
            BuildEvent::TaskSkipped { task, reason } => {
                // Toaster's words: a stamp for the current hash is a task reused from a
                // previous build (PREBUILT, counted in the order); a noexec task (its
                // TaskStarted already counted) has no executable content (EMPTY); tasks
                // never started keep Not Available.
                match reason {
                    SkipReason::UpToDate => {
                        let (id, _, hash) = self.task_row(tx, task)?;
                        self.order += 1;
                        exec_cached(
                            tx,
                            "UPDATE orm_task SET \"order\" = ?2, outcome = ?3, task_executed = 0, script_type = ?4, sstate_checksum = ?5 WHERE id = ?1",
                            params![id, self.order, TaskOutcome::Prebuilt as i64, ScriptType::NotApplicable as i64, hash],
                        )
                        .map_err(db(format!("task `{}:{}` skipped", task.pn, task.task)))?;
                    }
                    SkipReason::NoExec => {
                        let (id, ..) = self.task_row(tx, task)?;
                        exec_cached(
                            tx,
                            "UPDATE orm_task SET outcome = ?2, task_executed = 0, script_type = ?3 WHERE id = ?1",
                            params![id, TaskOutcome::Empty as i64, ScriptType::NotApplicable as i64],
                        )
                        .map_err(db(format!("task `{}:{}` skipped", task.pn, task.task)))?;
                    }
                    // Covered by shared state; restored by its own setscene task this
                    // build: Cached, with the sstate result.
                    SkipReason::Covered => {
                        let (id, _, hash) = self.task_row(tx, task)?;
                        self.order += 1;
                        let (outcome, sstate) = if self.restored.contains(&task.index) {
                            (TaskOutcome::Cached, SstateResult::Restored)
                        } else {
                            (TaskOutcome::Covered, SstateResult::NotApplicable)
                        };
                        exec_cached(
                            tx,
                            "UPDATE orm_task SET \"order\" = ?2, outcome = ?3, task_executed = 0, script_type = ?4, sstate_checksum = ?5, sstate_result = CASE WHEN ?6 = 0 THEN sstate_result ELSE ?6 END WHERE id = ?1",
                            params![id, self.order, outcome as i64, ScriptType::NotApplicable as i64, hash, sstate as i64],
                        )
                        .map_err(db(format!("task `{}:{}` covered", task.pn, task.task)))?;
                    }
                    SkipReason::DependencyFailed => {}
                }
            }
            BuildEvent::BuildFinished { outcome, .. } => {
                // Toaster: failed when any error was logged or any task failed.
                let o = match outcome {
                    Outcome::Cancelled => BuildOutcome::Cancelled,
                    Outcome::Failed => BuildOutcome::Failed,
                    Outcome::Succeeded if self.errors > 0 || self.failed_tasks > 0 => {
                        BuildOutcome::Failed
                    }
                    Outcome::Succeeded => BuildOutcome::Succeeded,
                };
                self.outcome(tx, o, at)?;
            }
        }
        Ok(())
    }
}

/// The setscene task of the real task `t`: `do_x_setscene` (not in the tree).
fn setscene_ref(t: &bb_events::TaskRef) -> bb_events::TaskRef {
    bb_events::TaskRef {
        index: usize::MAX,
        pn: t.pn.clone(),
        fn_name: t.fn_name.clone(),
        task: format!("{}_setscene", t.task),
    }
}

/// `execute` through the connection's statement cache (the recorder runs the same few
/// statements thousands of times).
fn exec_cached(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(p)
}
