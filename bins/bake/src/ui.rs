//! Knotty, BitBake's console UI, for every bake binary: parse progress (a bar with
//! counts on a terminal, plain lines otherwise or when NO_COLOR / BAKE_NO_PROGRESS is
//! set), log records with BitBake's level prefixes and closing summary, the build's
//! event stream drawn as knotty draws it ([`print_events`]), and [`Console`], the
//! [`bb_session::Observer`] that prints a session's messages.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bb_data::DataStore;
use bb_events::{BuildEvent, SkipReason};
use bb_session::{Level, Observer};

/// Parse progress for `Parsing recipes`.
pub struct ParseProgress {
    fancy: bool,
    last: Mutex<Option<Instant>>,
}

impl ParseProgress {
    /// Starts the progress display.
    pub fn start() -> ParseProgress {
        let fancy = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none()
            && std::env::var_os("BAKE_NO_PROGRESS").is_none();
        ParseProgress {
            fancy,
            last: Mutex::new(None),
        }
    }

    /// `done` of `total` files are parsed.
    pub fn update(&self, done: usize, total: usize) {
        if !self.fancy {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if done != total && last.is_some_and(|t| now.duration_since(t) < Duration::from_millis(80))
        {
            return;
        }
        *last = Some(now);
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let width = 40;
        let filled = pct * width / 100;
        let bar: String = "#".repeat(filled) + &" ".repeat(width - filled);
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\rParsing recipes: {pct:3}% |{bar}| {done}/{total}");
        let _ = e.flush();
    }

    /// Parsing is over.
    pub fn finish(&self) {
        if self.fancy {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e);
        } else {
            out("Parsing recipes...done.");
        }
    }
}

/// `LEVEL: ` before the first line of `msg`, the other lines as they are.
fn print_level(level: &str, msg: &str) {
    for (i, line) in msg.lines().enumerate() {
        if i == 0 {
            report(&format!("{level}: {line}"));
        } else {
            report(line);
        }
    }
    // A record that ends with a newline leaves an empty line, as in BitBake's output.
    if msg.ends_with('\n') {
        report("");
    }
}

/// A line on stdout (results and BitBake's own status lines).
/// A closed pipe (`bake ... | head`) is not an error: the rest is dropped.
pub fn out(msg: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{msg}");
}

/// A message on stderr (errors, warnings).
#[expect(clippy::print_stderr, reason = "the UI reports problems on stderr")]
pub fn report(msg: &str) {
    eprintln!("{msg}");
}

static WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// Where warnings and errors go for Toaster: the recorder of the build once it runs;
/// before that, a backlog it receives when it starts (Toaster's own recorder keeps
/// such a backlog for command-line builds).
struct RecordSink {
    logger: Option<bb_toaster::Logger>,
    backlog: Vec<(
        bb_toaster::model::LogLevel,
        String,
        Option<bb_events::TaskRef>,
    )>,
}

static RECORD: std::sync::Mutex<RecordSink> = std::sync::Mutex::new(RecordSink {
    logger: None,
    backlog: Vec::new(),
});

/// Sends warnings and errors to `logger` from now on, those reported before first;
/// `None` stops recording them.
pub fn record_to(logger: Option<bb_toaster::Logger>) {
    let mut sink = RECORD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(l) = &logger {
        for (level, msg, task) in sink.backlog.drain(..) {
            l.log_task(level, &msg, "", None, task.as_ref());
        }
    }
    sink.logger = logger;
}
static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// BitBake's closing lines: the failed tasks (`Summary: 1 task failed:`, each task and
/// `log: PATH` under it), then `Summary: There was 1 WARNING message.` and the like
/// when any warning or error was printed (`failed`: the exit code is non-zero). The
/// first line follows an empty line, as knotty prints them. Returns whether the exit
/// code is non-zero: `failed`, or an error was printed (knotty returns 1 then too).
pub fn summary(failed: bool) -> bool {
    let plural = |n: usize, what: &str| {
        if n == 1 {
            format!("There was 1 {what} message.")
        } else {
            format!("There were {n} {what} messages.")
        }
    };
    let w = WARNINGS.load(Ordering::Relaxed);
    let e = ERRORS.load(Ordering::Relaxed);
    let failed = failed || e > 0;
    let mut lines = Vec::new();
    let tasks = std::mem::take(
        &mut *FAILED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if !tasks.is_empty() {
        let n = tasks.len();
        let word = if n == 1 { "task" } else { "tasks" };
        lines.push(format!("Summary: {n} {word} failed:"));
        for t in tasks {
            lines.push(format!("  {}", t.task));
            if !t.log.is_empty() {
                lines.push(format!("    log: {}", t.log));
            }
        }
    }
    if w > 0 {
        lines.push(format!("Summary: {}", plural(w, "WARNING")));
    }
    if e > 0 {
        let tail = if failed {
            ", returning a non-zero exit code."
        } else {
            "."
        };
        let msg = plural(e, "ERROR");
        let msg = msg.strip_suffix('.').unwrap_or(&msg);
        lines.push(format!("Summary: {msg}{tail}"));
    }
    if !lines.is_empty() {
        out(&format!("\n{}", lines.join("\n")));
    }
    failed
}

/// Prints a possibly multi-line message with a level prefix on every line, as BitBake
/// does for each log record line.
pub fn report_level(level: &str, msg: &str) {
    report_as(level, msg, Some(msg));
}

/// Prints a message that BitBake's UI makes of an event (a failed command): counted in
/// the summary, not recorded for Toaster (its recorder never gets a log record).
pub fn report_ui(level: &str, msg: &str) {
    report_as(level, msg, None);
}

/// Prints a message that BitBake's UI logs on its own (knotty's "Logfile of failure
/// stored in", "Task (...) failed"): neither counted in the summary nor recorded.
pub fn report_local(level: &str, msg: &str) {
    print_level(level, msg);
}

/// Prints `msg` with a level prefix and records `recorded` for Toaster: a task's
/// message is printed as knotty shows it (`PF do_task: message`) and recorded as the
/// log record BitBake's server sends (the message alone).
pub fn report_as(level: &str, msg: &str, recorded: Option<&str>) {
    report_task_as(level, msg, recorded, None);
}

/// As [`report_as`], the recorded message linked to the task it is about (Toaster's
/// `LogMessage.task`).
pub fn report_task_as(
    level: &str,
    msg: &str,
    recorded: Option<&str>,
    task: Option<&bb_events::TaskRef>,
) {
    match level {
        "WARNING" => WARNINGS.fetch_add(1, Ordering::Relaxed),
        "ERROR" => ERRORS.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    let to_record = match level {
        "WARNING" => Some(bb_toaster::model::LogLevel::Warn),
        "ERROR" => Some(bb_toaster::model::LogLevel::Error),
        "CRITICAL" => Some(bb_toaster::model::LogLevel::Critical),
        _ => None,
    };
    if let (Some(level), Some(text)) = (to_record, recorded) {
        let mut sink = RECORD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &sink.logger {
            Some(l) => l.log_task(level, text, "", None, task),
            None => sink.backlog.push((level, text.to_owned(), task.cloned())),
        }
    }
    print_level(level, msg);
}

/// Parses every recipe with BitBake's status lines (`Loading cache...done.`, the
/// progress, warnings), printing each recipe that failed as BitBake logs it.
pub fn parse_with_status(cooker: &bb_cooker::Cooker) -> bb_cooker::ParseResult {
    let loaded = cooker.load_cache(cooker.cache_file().as_deref());
    out("Loading cache...done.");
    out(&format!(
        "Loaded {} entries from dependency cache.",
        loaded.targets()
    ));
    let progress = ParseProgress::start();
    let res = cooker.parse_all_from(loaded, &|done, total| progress.update(done, total));
    progress.finish();
    for w in &res.warnings {
        report_level("WARNING", w);
    }
    for f in &res.failures {
        report_failure(f);
    }
    for e in &res.dropped_python {
        report_level("ERROR", e);
    }
    res
}

/// One recipe that failed to parse, as BitBake logs it: a `ParseError` record, or
/// `Unable to parse FILE` followed by the reason as its own record.
pub fn report_failure(f: &bb_cooker::ParseFailure) {
    report_level("ERROR", &f.message);
    if let Some(detail) = &f.detail {
        report_level("ERROR", detail);
    }
}

/// A session's messages on the console, as knotty prints them.
pub struct Console {
    progress: ParseProgress,
}

impl Console {
    /// A console whose parse progress starts drawing at the first update.
    pub fn new() -> Console {
        Console {
            progress: ParseProgress::start(),
        }
    }

    /// Parsing is over: ends the progress bar.
    pub fn parse_done(&self) {
        self.progress.finish();
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}

impl Observer for Console {
    fn status(&self, line: &str) {
        out(line);
    }

    fn log(&self, level: Level, text: &str) {
        let level = match level {
            Level::Note => "NOTE",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Debug | Level::Verbose => return,
        };
        report_level(level, text);
    }

    fn parse_progress(&self, done: usize, total: usize) {
        self.progress.update(done, total);
    }
}

/// Parses every recipe of `session` with BitBake's status lines (`Loading cache...done.`,
/// the progress, warnings, the summary line), printing each recipe that failed as
/// BitBake logs it. True when every recipe parsed.
pub fn parse_session(session: &mut bb_session::Session) -> Result<bool, bb_session::Error> {
    parse_session_to(session, None)
}

/// As [`parse_session`], the progress also told to `recorder` (Toaster's parse progress).
pub fn parse_session_to(
    session: &mut bb_session::Session,
    recorder: Option<&bb_toaster::Recorder>,
) -> Result<bool, bb_session::Error> {
    /// The console, and the recorder for the progress.
    struct Tee<'a> {
        console: Console,
        recorder: Option<&'a bb_toaster::Recorder>,
    }
    impl Observer for Tee<'_> {
        fn status(&self, line: &str) {
            self.console.status(line);
        }
        fn log(&self, level: Level, text: &str) {
            self.console.log(level, text);
        }
        fn parse_progress(&self, done: usize, total: usize) {
            self.console.parse_progress(done, total);
            if let Some(r) = self.recorder {
                r.parse_progress(done, total);
            }
        }
    }
    let tee = Tee {
        console: Console::new(),
        recorder,
    };
    let flag = std::sync::Arc::clone(session.cooker().interrupt_flag());
    crate::interrupt::during_parse(&flag);
    let res = session.parse(&tee);
    crate::interrupt::after_parse();
    let res = res?;
    tee.console.parse_done();
    if res.interrupted {
        crate::interrupt::note_interrupted();
        // As knotty: its line when the signal came, then the cooker's error.
        out("\nKeyboard Interrupt, closing down...\n");
        report_level(
            "ERROR",
            "Parsing halted due to errors, see error messages above",
        );
        return Ok(false);
    }
    for w in &res.warnings {
        report_level("WARNING", w);
    }
    for f in &res.failures {
        report_failure(f);
    }
    for e in &res.dropped_python {
        report_level("ERROR", e);
    }
    out(&res.summary_line());
    Ok(res.errors() == 0)
}

/// Whether a failed task's log is printed (BBINCLUDELOGS set), and its last how many
/// lines (BBINCLUDELOGS_LINES; all when unset), as knotty reads them.
pub struct IncludeLogs {
    include: bool,
    lines: Option<usize>,
}

impl IncludeLogs {
    pub fn from(config: &DataStore) -> IncludeLogs {
        let get = |v: &str| config.get_var(v).ok().flatten().filter(|s| !s.is_empty());
        IncludeLogs {
            include: get("BBINCLUDELOGS").is_some(),
            lines: get("BBINCLUDELOGS_LINES").and_then(|n| n.trim().parse().ok()),
        }
    }
}

/// Knotty's "Log data follows:" block: every line of the log as `| line`, or with
/// BBINCLUDELOGS_LINES the last N as ` | line`.
fn log_data(log: &str, lines: Option<usize>) -> String {
    let text = fs_err::read(log)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let all: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut out = vec!["Log data follows:".to_owned()];
    match lines {
        Some(n) => {
            let from = all.len().saturating_sub(n);
            out.extend(all[from..].iter().map(|l| format!(" | {l}")));
        }
        _ => out.extend(all.iter().map(|l| format!("| {l}"))),
    }
    out.join("\n")
}

/// A task running now, as the footer shows it.
struct Running {
    /// Its index (setscene tasks: `usize::MAX - index`).
    key: usize,
    since: std::time::Instant,
    /// `PF do_task`.
    label: String,
    /// Its last TaskProgress: percent (negative: unknown) and rate.
    progress: Option<(f64, Option<String>)>,
}

/// A footer line of a running task, as knotty draws it: `N: PF do_task - 5s`, then
/// with progress its percentage and bar (a bouncing marker when the amount is
/// unknown) and the rate.
fn running_line(n: usize, r: &Running) -> String {
    let head = format!(
        "{n}: {} - {}",
        r.label,
        elapsed(r.since.elapsed().as_secs())
    );
    let Some((p, rate)) = &r.progress else {
        return head;
    };
    let width = 20;
    let rate = rate
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(' ') {
                s.to_owned()
            } else {
                format!(" {s}")
            }
        })
        .unwrap_or_default();
    if *p < 0.0 {
        // Progress without an amount: a marker moving once a second.
        let at = usize::try_from(r.since.elapsed().as_secs()).unwrap_or(0) % width;
        let bar: String = (0..width)
            .map(|i| if i == at { '#' } else { ' ' })
            .collect();
        return format!("{head} |{bar}|{rate}");
    }
    let pct = p.clamp(0.0, 100.0);
    // invariant: 0 <= pct <= 100, so the casts cannot lose anything but the fraction.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=100 above"
    )]
    let (whole, filled) = (pct as usize, (pct * width as f64 / 100.0) as usize);
    let bar = "#".repeat(filled) + &" ".repeat(width - filled);
    format!("{head} {whole:3}% |{bar}|{rate}")
}

/// Knotty's elapsed time: `5s`, `2m5s`, `1h2m5s`.
fn elapsed(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{}m{}s", s / 3600, s % 3600 / 60, s % 60),
        s if s >= 60 => format!("{}m{}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// A failed task, as knotty's closing summary lists it: `fn:do_task` and its log.
pub struct FailedTask {
    /// `fn:do_task`.
    pub task: String,
    /// Its log file (empty when it had none).
    pub log: String,
}

/// The failed tasks of the build, for the closing summary.
static FAILED: Mutex<Vec<FailedTask>> = Mutex::new(Vec::new());

/// Keeps the build's failed tasks for [`summary`], which lists them first.
pub fn set_failed_tasks(failed: Vec<FailedTask>) {
    *FAILED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = failed;
}

/// Prints events as knotty does: on a terminal, a footer with the tasks running now,
/// their elapsed time and progress under the messages; otherwise plain lines for each
/// task start and end. A task's warnings, errors and `bb.plain` lines are printed as
/// they arrive. Returns the failed tasks.
pub fn print_events(
    rx: &std::sync::mpsc::Receiver<BuildEvent>,
    versions: &HashMap<String, String>,
    recorder: Option<&bb_toaster::Recorder>,
    logs: &IncludeLogs,
) -> Vec<FailedTask> {
    use std::io::{IsTerminal as _, Write as _};
    let fancy = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("BAKE_NO_PROGRESS").is_none();
    let mut failed = Vec::new();
    let name = |f: &str| versions.get(f).cloned().unwrap_or_else(|| f.to_owned());
    // Running tasks, in start order.
    let mut running: Vec<Running> = Vec::new();
    // The errors each running task logged (printed as they came): its failure's
    // message is not printed again when it is one of them.
    let mut task_errors: HashMap<usize, Vec<String>> = HashMap::new();
    let mut done = 0usize;
    let mut total = 0usize;
    // knotty's "Setscene tasks: N of M": setscene tasks dealt with, of those the graph has.
    let mut sq_done = 0usize;
    let mut sq_total = 0usize;
    let mut footer_lines = 0usize;
    let clear = |lines: &mut usize| {
        if *lines > 0 {
            let mut o = std::io::stdout().lock();
            let _ = write!(o, "\x1b[{}A\x1b[J", *lines);
            let _ = o.flush();
            *lines = 0;
        }
    };
    // Events come in bursts (a no-op build sends one per task within milliseconds):
    // while they do, the queue is read again after a short sleep instead of parking on
    // it, so that each event does not cost the sender a wake-up and both threads a
    // context switch.
    let mut polling = false;
    loop {
        let ev = match rx.try_recv() {
            Ok(ev) => Some(ev),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
            Err(std::sync::mpsc::TryRecvError::Empty) if polling => {
                polling = false;
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                match rx.recv_timeout(std::time::Duration::from_millis(250)) {
                    Ok(ev) => Some(ev),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        };
        polling = ev.is_some();
        if fancy {
            clear(&mut footer_lines);
        }
        if let (Some(r), Some(e)) = (recorder, &ev) {
            r.event(e);
        }
        match ev {
            Some(BuildEvent::BuildStarted { total: t, .. }) => total = t,
            Some(BuildEvent::TaskStarted {
                task,
                number,
                total,
                noexec: true,
                ..
            }) => {
                if !fancy {
                    out(&format!(
                        "NOTE: Running noexec task {number} of {total} ({}:{})",
                        task.fn_name, task.task
                    ));
                }
            }
            Some(BuildEvent::TaskStarted {
                task,
                number,
                total,
                ..
            }) => {
                let label = format!("{} {}", name(&task.fn_name), task.task);
                running.push(Running {
                    key: task.index,
                    since: std::time::Instant::now(),
                    label,
                    progress: None,
                });
                if !fancy {
                    out(&format!(
                        "NOTE: Running task {number} of {total} ({}:{})",
                        task.fn_name, task.task
                    ));
                    out(&format!(
                        "NOTE: recipe {}: task {}: Started",
                        name(&task.fn_name),
                        task.task
                    ));
                }
            }
            Some(BuildEvent::TaskSucceeded { task, .. }) => {
                running.retain(|r| r.key != task.index);
                task_errors.remove(&task.index);
                done += 1;
                if !fancy {
                    out(&format!(
                        "NOTE: recipe {}: task {}: Succeeded",
                        name(&task.fn_name),
                        task.task
                    ));
                }
            }
            Some(BuildEvent::TaskFailed {
                task, log, message, ..
            }) => {
                running.retain(|r| r.key != task.index);
                done += 1;
                let who = name(&task.fn_name);
                let logged = task_errors
                    .remove(&task.index)
                    .is_some_and(|e| e.contains(&message));
                if !logged {
                    report_task_as(
                        "ERROR",
                        &format!("{who} {}: {message}", task.task),
                        Some(&message),
                        Some(&task),
                    );
                }
                if !log.is_empty() && std::path::Path::new(&log).exists() {
                    report_local("ERROR", &format!("Logfile of failure stored in: {log}"));
                    if logs.include {
                        out(&log_data(&log, logs.lines));
                    }
                }
                out(&format!("NOTE: recipe {who}: task {}: Failed", task.task));
                report_local(
                    "ERROR",
                    &format!(
                        "Task ({}:{}) failed with exit code '1'",
                        task.fn_name, task.task
                    ),
                );
                failed.push(FailedTask {
                    task: format!("{}:{}", task.fn_name, task.task),
                    log: if std::path::Path::new(&log).exists() {
                        log
                    } else {
                        String::new()
                    },
                });
            }
            Some(BuildEvent::TaskSkipped { reason, .. }) => {
                sq_done = sq_total;
                if reason != SkipReason::DependencyFailed {
                    done += 1;
                }
            }
            Some(BuildEvent::SetsceneChecked { current, total, .. }) => {
                sq_total = total;
                sq_done = current;
            }
            Some(BuildEvent::SetsceneStarted {
                task,
                number,
                total,
                ..
            }) => {
                let sq = format!("{}_setscene", task.task);
                let label = format!("{} {sq}", name(&task.fn_name));
                running.push(Running {
                    key: usize::MAX - task.index,
                    since: std::time::Instant::now(),
                    label,
                    progress: None,
                });
                if !fancy {
                    out(&format!(
                        "NOTE: Running setscene task {number} of {total} ({}:{sq})",
                        task.fn_name
                    ));
                    out(&format!(
                        "NOTE: recipe {}: task {sq}: Started",
                        name(&task.fn_name)
                    ));
                }
            }
            Some(BuildEvent::SetsceneSucceeded { task, .. }) => {
                running.retain(|r| r.key != usize::MAX - task.index);
                sq_done += 1;
                if !fancy {
                    out(&format!(
                        "NOTE: recipe {}: task {}_setscene: Succeeded",
                        name(&task.fn_name),
                        task.task
                    ));
                }
            }
            Some(BuildEvent::SetsceneFailed { task, message, .. }) => {
                running.retain(|r| r.key != usize::MAX - task.index);
                sq_done += 1;
                let who = name(&task.fn_name);
                report_ui(
                    "WARNING",
                    &format!("{who} {}_setscene: {message}", task.task),
                );
                report_ui(
                    "WARNING",
                    &format!(
                        "Setscene task ({}:{}_setscene) failed with exit code '1' - real task will be run instead",
                        task.fn_name, task.task
                    ),
                );
            }
            Some(BuildEvent::LogLine { task, line }) => {
                // As knotty shows a task's log records: warnings and errors with the
                // task's name, `bb.plain` text alone, notes not at all.
                let who = format!("{} {}", name(&task.fn_name), task.task);
                if let Some(w) = line.strip_prefix("WARNING: ") {
                    report_task_as("WARNING", &format!("{who}: {w}"), Some(w), Some(&task));
                } else if let Some(e) = line.strip_prefix("ERROR: ") {
                    report_task_as("ERROR", &format!("{who}: {e}"), Some(e), Some(&task));
                    task_errors
                        .entry(task.index)
                        .or_default()
                        .push(e.to_owned());
                } else if !line.starts_with("NOTE: ") && !line.starts_with("DEBUG: ") {
                    out(&line);
                }
            }
            Some(BuildEvent::TaskProgress {
                task,
                progress,
                rate,
            }) => {
                if let Some(r) = running.iter_mut().find(|r| r.key == task.index) {
                    r.progress = Some((progress, rate));
                }
            }
            Some(BuildEvent::BuildFinished { .. }) | None => {}
        }
        if fancy && total > 0 {
            let pct = done * 100 / total;
            let width = 30;
            let filled = pct * width / 100;
            let bar: String = "#".repeat(filled) + &" ".repeat(width - filled);
            let mut lines = Vec::new();
            if sq_total > 0 {
                lines.push(format!("Setscene tasks: {sq_done} of {sq_total}"));
            }
            lines.push(format!(
                "Currently {} running tasks ({done} of {total})  {pct:3}% |{bar}|",
                running.len()
            ));
            for (n, r) in running.iter().enumerate() {
                lines.push(running_line(n, r));
            }
            let mut o = std::io::stdout().lock();
            for l in &lines {
                let _ = writeln!(o, "{l}");
            }
            let _ = o.flush();
            footer_lines = lines.len();
        }
    }
    if fancy {
        clear(&mut footer_lines);
    }
    failed
}

#[cfg(test)]
mod tests;
