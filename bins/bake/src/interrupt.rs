//! Ctrl-C and SIGTERM outside the run queue, as knotty handles them while BitBake
//! parses: the first stops the parse (no further recipe file is started, the parse
//! cache is left as it was) and bake closes down with BitBake's lines; a second ends
//! bake at once. After the parse the signals have their default effect again, until a
//! build takes them over ([`take_over`]) to cancel its run queue.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

/// The actions registered now, unregistered by the next change of owner.
static ACTIONS: Mutex<Vec<SigId>> = Mutex::new(Vec::new());

fn replace(new: Vec<SigId>) {
    let mut actions = ACTIONS.lock().unwrap_or_else(|e| e.into_inner());
    for id in actions.drain(..) {
        signal_hook::low_level::unregister(id);
    }
    *actions = new;
}

/// While a parse runs: SIGINT/SIGTERM set `flag` (the cooker's
/// [`bb_cooker::Cooker::interrupt_flag`]); one arriving when it is already set ends
/// the process as the signal's default action would.
pub fn during_parse(flag: &Arc<AtomicBool>) {
    let mut ids = Vec::new();
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as it was before this signal set it.
        if let Ok(id) = signal_hook::flag::register_conditional_default(sig, Arc::clone(flag)) {
            ids.push(id);
        }
        if let Ok(id) = signal_hook::flag::register(sig, Arc::clone(flag)) {
            ids.push(id);
        }
    }
    replace(ids);
}

/// After the parse: the signals end the process, as if bake had never handled them.
pub fn after_parse() {
    let always = Arc::new(AtomicBool::new(true));
    let ids = [SIGINT, SIGTERM]
        .into_iter()
        .filter_map(|sig| {
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&always)).ok()
        })
        .collect();
    replace(ids);
}

/// A build takes the signals over (it registers its own cancellation): nothing of
/// this module's stays registered.
pub fn take_over() {
    replace(Vec::new());
}

/// Whether a parse or a build was stopped by a signal (knotty's last line).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Notes that a parse or build was stopped by a signal, for [`closing_line`].
pub fn note_interrupted() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// knotty's last line after an interruption (printed after the message summary), when
/// there was one.
pub fn closing_line() -> Option<&'static str> {
    INTERRUPTED
        .load(std::sync::atomic::Ordering::Relaxed)
        .then_some("Execution was interrupted, returning a non-zero exit code.")
}
