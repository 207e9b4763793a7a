//! Counters of where metadata Python runs, for measuring CPython's share of a parse: how
//! often and how long the native evaluator's entry points run, what each handover to the
//! embedded interpreter was and why it happened, and the datastore calls Python makes.
//!
//! Off unless [`enable`] was called (bb-python does it when `BAKE_PYSTATS` is set); while
//! off, [`on`] is one relaxed atomic load and nothing else is touched. Only counts and
//! times are kept; nothing here changes what is evaluated. [`report`] renders the tables.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static ON: AtomicBool = AtomicBool::new(false);

/// Starts counting (for the rest of the process).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Whether counting is on.
#[inline]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// One row: how many calls, their total time, and the first reason noted for it.
#[derive(Default, Clone)]
struct Row {
    calls: u64,
    time: Duration,
    /// A second time column (the wait for the interpreter lock of a handover).
    wait: Duration,
    /// The part of `time` spent in calls back into the datastore (of a handover).
    inner: Duration,
    reason: Option<String>,
}

type Table = HashMap<(&'static str, String), Row>;

fn table() -> &'static Mutex<Table> {
    static T: OnceLock<Mutex<Table>> = OnceLock::new();
    T.get_or_init(Mutex::default)
}

thread_local! {
    /// Why the last native entry point of this thread gave up (NeedsPython, a syntax the
    /// parser does not know, an unknown name): the cause of the handover that follows.
    static LAST_REASON: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Nesting of timed native entry points on this thread (only the outermost is timed).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The time this thread spent in datastore calls made by Python so far.
    static INNER: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// Adds `time` spent in a datastore call made by Python on this thread.
pub fn add_inner(time: Duration) {
    INNER.with(|i| i.set(i.get() + time));
}

/// The time this thread spent in datastore calls made by Python so far (the difference
/// of two readings is the part of a handover spent in the datastore).
pub fn inner_total() -> Duration {
    INNER.with(Cell::get)
}

/// Adds one call of `key` in `section` that took `time` (and waited `wait` first), with
/// the reason it happened when one is known.
pub fn record(section: &'static str, key: String, time: Duration, reason: Option<String>) {
    record_handover(section, key, time, Duration::ZERO, Duration::ZERO, reason);
}

/// [`record`] of a handover: `wait` for the interpreter lock first, `inner` of `time`
/// spent in datastore calls.
pub fn record_handover(
    section: &'static str,
    key: String,
    time: Duration,
    wait: Duration,
    inner: Duration,
    reason: Option<String>,
) {
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    let row = t.entry((section, key)).or_default();
    row.calls += 1;
    row.time += time;
    row.wait += wait;
    row.inner += inner;
    if row.reason.is_none() {
        row.reason = reason;
    }
}

/// Takes the reason the last native entry point of this thread gave up, if any.
pub fn take_reason() -> Option<String> {
    LAST_REASON.with(|r| r.borrow_mut().take())
}

/// Times one native entry point (`section` "native ...", key its outcome); nested entry
/// points count in their outermost one.
pub(crate) struct Native {
    start: Option<Instant>,
}

impl Native {
    pub(crate) fn start() -> Native {
        if !on() {
            return Native { start: None };
        }
        let outer = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get() == 1
        });
        Native {
            start: outer.then(Instant::now),
        }
    }

    /// Ends the timing with the entry point's result.
    pub(crate) fn end<T>(self, section: &'static str, r: &crate::Result<T>) {
        if !on() {
            return;
        }
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        let reason = match r {
            Ok(_) => None,
            Err(crate::EvalError::NeedsPython { reason, .. }) => Some(reason.clone()),
            Err(crate::EvalError::Syntax { message, .. }) => {
                Some(format!("syntax error: {message}"))
            }
            Err(crate::EvalError::Exception { kind, message }) => {
                Some(format!("{kind}: {message}"))
            }
            Err(crate::EvalError::Data(m)) => Some(format!("datastore: {m}")),
        };
        if let Some(reason) = reason {
            LAST_REASON.with(|l| *l.borrow_mut() = Some(reason));
        }
        if self.start.is_none() {
            return;
        }
        let outcome = match r {
            Ok(_) => "ok",
            Err(crate::EvalError::NeedsPython { .. } | crate::EvalError::Syntax { .. }) => {
                "needs Python"
            }
            Err(_) => "error",
        };
        let time = self.start.map(|s| s.elapsed()).unwrap_or_default();
        record(section, outcome.to_owned(), time, None);
    }
}

/// The tables as text: one block per section, rows by total time, longest first; at most
/// `limit` rows per section. Columns: calls, total time, the wait for the interpreter
/// lock before it, the part spent in datastore calls from Python, the key, the reason.
pub fn report(limit: usize) -> String {
    let t = table().lock().unwrap_or_else(|e| e.into_inner());
    let mut sections: Vec<&'static str> = t.keys().map(|(s, _)| *s).collect();
    sections.sort_unstable();
    sections.dedup();
    let mut out = String::new();
    for s in sections {
        let mut rows: Vec<(&String, &Row)> = t
            .iter()
            .filter(|((sec, _), _)| *sec == s)
            .map(|((_, k), r)| (k, r))
            .collect();
        rows.sort_by(|a, b| b.1.time.cmp(&a.1.time).then_with(|| a.0.cmp(b.0)));
        let calls: u64 = rows.iter().map(|(_, r)| r.calls).sum();
        let time: Duration = rows.iter().map(|(_, r)| r.time).sum();
        let wait: Duration = rows.iter().map(|(_, r)| r.wait).sum();
        let inner: Duration = rows.iter().map(|(_, r)| r.inner).sum();
        let _ = writeln!(
            out,
            "== {s}: {calls} calls, {:.3} s, lock wait {:.3} s, in d calls {:.3} s, {} keys",
            time.as_secs_f64(),
            wait.as_secs_f64(),
            inner.as_secs_f64(),
            rows.len()
        );
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        for (k, r) in rows.into_iter().take(limit) {
            let _ = write!(
                out,
                "{:>8} {:>9.3}ms {:>8.3}ms {:>9.3}ms  {k}",
                r.calls,
                ms(r.time),
                ms(r.wait),
                ms(r.inner)
            );
            if let Some(reason) = &r.reason {
                let _ = write!(out, "  [{reason}]");
            }
            out.push('\n');
        }
    }
    out
}
