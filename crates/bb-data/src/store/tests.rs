//! Unit tests of the datastore read pipeline.
