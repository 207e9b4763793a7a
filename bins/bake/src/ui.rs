//! Drawing progress and messages for `bake`: a bar with counts on a terminal, plain
//! lines otherwise (or when NO_COLOR / BAKE_NO_PROGRESS is set), as BitBake's knotty UI.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Parse progress for `Parsing recipes`.
pub(crate) struct ParseProgress {
    fancy: bool,
    last: Mutex<Option<Instant>>,
}

impl ParseProgress {
    /// Starts the progress display.
    pub(crate) fn start() -> ParseProgress {
        let fancy = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none()
            && std::env::var_os("BAKE_NO_PROGRESS").is_none();
        ParseProgress {
            fancy,
            last: Mutex::new(None),
        }
    }

    /// `done` of `total` files are parsed.
    pub(crate) fn update(&self, done: usize, total: usize) {
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
    pub(crate) fn finish(&self) {
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
pub(crate) fn out(msg: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{msg}");
}

/// A message on stderr (errors, warnings).
#[expect(clippy::print_stderr, reason = "the UI reports problems on stderr")]
pub(crate) fn report(msg: &str) {
    eprintln!("{msg}");
}

static WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// Where warnings and errors go for Toaster: the recorder of the build once it runs;
/// before that, a backlog it receives when it starts (Toaster's own recorder keeps
/// such a backlog for command-line builds).
struct RecordSink {
    logger: Option<bb_toaster::Logger>,
    backlog: Vec<(bb_toaster::model::LogLevel, String)>,
}

static RECORD: std::sync::Mutex<RecordSink> = std::sync::Mutex::new(RecordSink {
    logger: None,
    backlog: Vec::new(),
});

/// Sends warnings and errors to `logger` from now on, those reported before first;
/// `None` stops recording them.
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn record_to(logger: Option<bb_toaster::Logger>) {
    let mut sink = RECORD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(l) = &logger {
        for (level, msg) in sink.backlog.drain(..) {
            l.log(level, &msg, "", None);
        }
    }
    sink.logger = logger;
}
static ERRORS: AtomicUsize = AtomicUsize::new(0);

/// BitBake's closing line: `Summary: There was 1 WARNING message.` and the like, when
/// any warning or error was printed (`failed`: the exit code is non-zero).
pub(crate) fn summary(failed: bool) {
    let plural = |n: usize, what: &str| {
        if n == 1 {
            format!("There was 1 {what} message.")
        } else {
            format!("There were {n} {what} messages.")
        }
    };
    let w = WARNINGS.load(Ordering::Relaxed);
    let e = ERRORS.load(Ordering::Relaxed);
    if w > 0 {
        out(&format!("\nSummary: {}", plural(w, "WARNING")));
    }
    if e > 0 {
        let lead = if w > 0 { "" } else { "\n" };
        let tail = if failed {
            ", returning a non-zero exit code."
        } else {
            "."
        };
        let msg = plural(e, "ERROR");
        let msg = msg.strip_suffix('.').unwrap_or(&msg);
        out(&format!("{lead}Summary: {msg}{tail}"));
    }
}

/// Prints a possibly multi-line message with a level prefix on every line, as BitBake
/// does for each log record line.
pub(crate) fn report_level(level: &str, msg: &str) {
    report_as(level, msg, Some(msg));
}

/// Prints a message that BitBake's UI makes of an event (a failed command): counted in
/// the summary, not recorded for Toaster (its recorder never gets a log record).
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn report_ui(level: &str, msg: &str) {
    report_as(level, msg, None);
}

/// Prints a message that BitBake's UI logs on its own (knotty's "Logfile of failure
/// stored in", "Task (...) failed"): neither counted in the summary nor recorded.
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn report_local(level: &str, msg: &str) {
    print_level(level, msg);
}

/// Prints `msg` with a level prefix and records `recorded` for Toaster: a task's
/// message is printed as knotty shows it (`PF do_task: message`) and recorded as the
/// log record BitBake's server sends (the message alone).
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn report_as(level: &str, msg: &str, recorded: Option<&str>) {
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
            Some(l) => l.log(level, text, "", None),
            None => sink.backlog.push((level, text.to_owned())),
        }
    }
    print_level(level, msg);
}

/// Parses every recipe with BitBake's status lines (`Loading cache...done.`, the
/// progress, warnings), printing each recipe that failed as BitBake logs it.
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn parse_with_status(cooker: &bb_cooker::Cooker) -> bb_cooker::ParseResult {
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
#[allow(dead_code, reason = "shared by the three binaries through #[path]")]
pub(crate) fn report_failure(f: &bb_cooker::ParseFailure) {
    report_level("ERROR", &f.message);
    if let Some(detail) = &f.detail {
        report_level("ERROR", detail);
    }
}
