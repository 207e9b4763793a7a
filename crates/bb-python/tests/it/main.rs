//! Integration tests of the embedded interpreter: metadata Python run on bake's
//! datastore through `bb-data`'s hook.

mod runtime;
