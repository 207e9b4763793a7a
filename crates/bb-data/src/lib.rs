//! The datastore.
