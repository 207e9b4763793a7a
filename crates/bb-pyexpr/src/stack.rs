//! A stack budget shared by the parser and the evaluator of one thread, so that deeply nested
//! input or runaway recursion ends in an error instead of overflowing the stack.
//!
//! The logical depth limits of `parser.rs` and `eval.rs` bound recursion in release builds;
//! this budget also holds in unoptimised builds, whose frames are many times larger. It
//! measures the distance between the outermost entry into the crate on this thread and the
//! current frame (nested evaluations started by a [`crate::Context`] share the budget). It
//! must not be used for anything but that check. The crate needs at least 2 MiB of stack,
//! Rust's default for spawned threads.

use std::cell::Cell;

/// Stack the crate may use below its outermost entry point on a thread.
const BUDGET: usize = 1 << 20;

thread_local! {
    static BASE: Cell<usize> = const { Cell::new(0) };
}

/// The approximate current stack position: the address of a local of a non-inlined frame.
#[inline(never)]
fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Marks the outermost entry into the crate on this thread while alive.
pub(crate) struct Guard {
    owner: bool,
}

impl Guard {
    pub(crate) fn new() -> Self {
        let pos = here();
        let owner = BASE.with(|b| {
            if b.get() == 0 {
                b.set(pos);
                true
            } else {
                false
            }
        });
        Self { owner }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.owner {
            BASE.with(|b| b.set(0));
        }
    }
}

/// Whether the stack used since the outermost [`Guard`] exceeds the budget.
pub(crate) fn exhausted() -> bool {
    let base = BASE.with(Cell::get);
    base != 0 && base.abs_diff(here()) > BUDGET
}
