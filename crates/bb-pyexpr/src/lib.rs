//! Evaluates BitBake inline Python (`${@ ... }`) natively, without CPython.
//!
//! Entry points: [`eval`] and the [`Context`] trait through which an expression reads
//! the datastore (`d.getVar`, bare variable names, ...).
//! What this crate cannot evaluate is reported as [`EvalError::NeedsPython`], never
//! guessed.
