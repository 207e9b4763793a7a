//! A task's CPU and I/O priority, as BitBake's `exec_task` sets them on the task's
//! process: `BB_TASK_NICE_LEVEL` (the nice level the task runs at) and
//! `BB_TASK_IONICE_LEVEL` (`CLASS.PRIORITY` for `ioprio_set(2)`), both read with the
//! task's `task-NAME` override (`BB_TASK_IONICE_LEVEL:task-rm_work = "3.0"`). BitBake
//! has no `[nice]`/`[ionice]` task flags: the override is how one task gets its own.
//!
//! This file reads the values and applies them to a process (the task child of a
//! worker, or a task's shell between fork and exec); it does not decide which process.

use bb_data::DataStore;

use crate::error::TaskError;

/// `ioprio_set(2)`'s shift of the class above the priority.
const IOPRIO_CLASS_SHIFT: u32 = 13;
/// `ioprio_set(2)`'s "who" for one process.
const IOPRIO_WHO_PROCESS: libc::c_long = 1;

/// The priority a task runs at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskPriority {
    /// BB_TASK_NICE_LEVEL: the nice level (absolute, as BitBake renices by the
    /// difference from the current one).
    pub nice: Option<i32>,
    /// BB_TASK_IONICE_LEVEL: `(class, priority)`.
    pub ionice: Option<(u32, u32)>,
    /// A BB_TASK_IONICE_LEVEL that is not `CLASS.PRIORITY` (BitBake warns
    /// `Invalid ionice level X` and runs the task as it is).
    pub invalid_ionice: Option<String>,
}

impl TaskPriority {
    /// Makes `cmd`'s process take these levels between fork and exec (nothing for the
    /// default levels; an ionice the kernel refuses is ignored, as for tasks).
    #[expect(
        unsafe_code,
        reason = "pre_exec: the task's priority set on its shell between fork and exec"
    )]
    pub fn set_on(&self, cmd: &mut std::process::Command) {
        if self.is_default() {
            return;
        }
        let prio = self.clone();
        // SAFETY: the closure only makes async-signal-safe system calls.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(cmd, move || {
                prio.apply_nice()?;
                let _ = prio.apply_ionice();
                Ok(())
            });
        }
    }

    /// Nothing to change.
    pub fn is_default(&self) -> bool {
        self.nice.is_none() && self.ionice.is_none()
    }

    /// Sets the nice level on the calling process (async-signal-safe: it can run
    /// between fork and exec). A level below the current one needs privileges, as in
    /// BitBake, where the task then fails.
    #[expect(unsafe_code, reason = "setpriority(2) on this process")]
    pub fn apply_nice(&self) -> std::io::Result<()> {
        if let Some(level) = self.nice {
            // SAFETY: changes only the calling process's nice value.
            if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, level) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Sets the I/O priority on the calling process (async-signal-safe). BitBake
    /// reports a failure as `Invalid ionice level X` and goes on.
    #[expect(unsafe_code, reason = "the ioprio_set(2) system call on this process")]
    pub fn apply_ionice(&self) -> std::io::Result<()> {
        if let Some((class, prio)) = self.ionice {
            let value = libc::c_long::from((class << IOPRIO_CLASS_SHIFT) | prio);
            // SAFETY: ioprio_set on the calling process (who = 0); no memory is passed.
            let r = unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) };
            if r != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Applies both to the calling process as BitBake's `exec_task` does: a nice level
    /// that cannot be set is an error; an I/O priority that cannot be set (or was not
    /// `CLASS.PRIORITY`) gives the warning returned, to be logged.
    pub fn apply_to_task(&self) -> Result<Option<String>, TaskError> {
        self.apply_nice().map_err(|e| {
            TaskError::Failed(format!(
                "cannot set the task's nice level to {}: {e}",
                self.nice.unwrap_or_default()
            ))
        })?;
        Ok(self.ionice_warning(self.apply_ionice().is_err()))
    }

    /// `Invalid ionice level X` when BB_TASK_IONICE_LEVEL was not `CLASS.PRIORITY` or
    /// (`failed`) could not be set.
    pub fn ionice_warning(&self, failed: bool) -> Option<String> {
        let text = match (&self.invalid_ionice, self.ionice) {
            (Some(t), _) => t.clone(),
            (None, Some((c, p))) if failed => format!("{c}.{p}"),
            _ => return None,
        };
        Some(format!("Invalid ionice level {text}"))
    }
}

/// The priority of `task` of the recipe `d`: BB_TASK_NICE_LEVEL and
/// BB_TASK_IONICE_LEVEL with the `task-NAME` override active. A nice level that is not
/// an integer fails the task (BitBake's `int()` raises); an I/O level that is not
/// `CLASS.PRIORITY` is only reported in [`TaskPriority::invalid_ionice`].
pub fn task_priority(d: &DataStore, task: &str) -> Result<TaskPriority, TaskError> {
    const NICE: &str = "BB_TASK_NICE_LEVEL";
    const IONICE: &str = "BB_TASK_IONICE_LEVEL";
    let set = |v: &str| d.contains(v) || !d.variants(v).is_empty();
    if !set(NICE) && !set(IONICE) {
        return Ok(TaskPriority::default());
    }
    let mut local = d.clone();
    let overrides = d
        .get_var_opts("OVERRIDES", false, false)
        .map_err(TaskError::expand("OVERRIDES"))?
        .unwrap_or_default();
    let name = task.strip_prefix("do_").unwrap_or(task).replace('_', "-");
    local.set_var("OVERRIDES", &format!("task-{name}:{overrides}"));
    let get = |v: &str| -> Result<Option<String>, TaskError> {
        Ok(local
            .get_var(v)
            .map_err(TaskError::expand(v))?
            .filter(|s| !s.is_empty()))
    };
    let mut out = TaskPriority::default();
    if let Some(n) = get(NICE)? {
        out.nice = Some(n.trim().parse().map_err(|_| {
            TaskError::Failed(format!(
                "invalid literal for int() with base 10: '{n}' ({NICE})"
            ))
        })?);
    }
    if let Some(io) = get(IONICE)? {
        let parsed = io
            .split_once('.')
            .and_then(|(c, p)| Some((c.trim().parse().ok()?, p.trim().parse().ok()?)));
        match parsed {
            Some(v) => out.ionice = Some(v),
            None => out.invalid_ionice = Some(io),
        }
    }
    Ok(out)
}
