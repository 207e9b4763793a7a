//! Unit tests of the datastore read pipeline.

use super::*;

/// Everything a read can see of `d`, for comparing two states.
fn snapshot(d: &DataStore) -> Vec<String> {
    let mut out = Vec::new();
    for k in d.keys() {
        out.push(format!("{k}={:?}", d.get_var(&k).ok().flatten()));
        out.push(format!("{k} flags={:?}", d.get_var_flags(&k)));
        out.push(format!("{k} variants={:?}", d.variants(&k)));
        out.push(format!("{k} history={}", d.history(&k).len()));
    }
    out.extend(d.recorded_errors().cloned());
    out.push(format!("needs_python={:?}", d.needs_python()));
    out
}

fn base() -> DataStore {
    let mut d = DataStore::new();
    d.set_tracking(true);
    let o = Origin::internal("t.conf", 1, "");
    d.set_var_with("OVERRIDES", "a:b", SetOpts::file("set", "a:b", &o));
    d.set_var_with("A", "1 ${B}", SetOpts::file("set", "1 ${B}", &o));
    d.set_var_with("B", "two", SetOpts::file("set", "two", &o));
    d.set_var_with("A:a", "variant", SetOpts::file("set", "variant", &o));
    d.set_var_with("C:append", " c", SetOpts::file("append", " c", &o));
    d.set_var_flag("A", "doc", "about A");
    d
}

/// Every kind of write, as anonymous Python makes them.
fn write_everything(d: &mut DataStore) {
    let o = Origin::internal("anon", 7, "f");
    d.set_var("A", "new");
    d.set_var("B", "changed");
    d.set_var_with("NEW:b", "x", SetOpts::api(&o));
    d.set_var_flag("A", "doc", "other");
    d.append_var("C", " more", Some(&o));
    d.rename_var("A:a", "A:b", Some(&o));
    d.del_var("B", Some(&o));
    d.set_var("OVERRIDES", "a");
    d.set_var("BB_HASHBASE_WHITELIST", "old name");
    d.note_needs_python("something".to_owned());
}

#[test]
fn rollback_undoes_every_write() {
    let mut d = base();
    let before = snapshot(&d);
    // Warm the expansion cache so that a stale entry would show.
    assert_eq!(d.get_var("A").ok().flatten().as_deref(), Some("variant"));
    d.begin();
    write_everything(&mut d);
    assert_ne!(snapshot(&d), before);
    d.rollback();
    assert_eq!(snapshot(&d), before);
}

#[test]
fn commit_keeps_writes_and_nested_rollback_sees_them_once() {
    let mut plain = base();
    write_everything(&mut plain);
    let after = snapshot(&plain);

    let mut d = base();
    d.begin();
    write_everything(&mut d);
    d.commit();
    assert_eq!(snapshot(&d), after);

    // An inner transaction kept, then the outer one undone: back to the start.
    let mut d = base();
    let before = snapshot(&d);
    d.begin();
    d.set_var("B", "outer");
    d.begin();
    write_everything(&mut d);
    d.commit();
    d.rollback();
    assert_eq!(snapshot(&d), before);
}

/// Expansions set aside by a write to a variable OVERRIDES reads come back only
/// while they still hold.
#[test]
fn expansions_survive_override_inputs_that_change_nothing() {
    let mut d = DataStore::new();
    d.set_var("MACH", "m1");
    d.set_var("OVERRIDES", "${MACH}:x");
    d.set_var("V", "plain");
    d.set_var("V:m2", "on-m2");
    d.set_var("W", "${V} ${U}");
    d.set_var("U", "u1");
    assert_eq!(d.get_var("W").ok().flatten().as_deref(), Some("plain u1"));
    // Same overrides again: the value is right (and the cache is reused).
    d.set_var("MACH", "m1");
    assert_eq!(d.get_var("W").ok().flatten().as_deref(), Some("plain u1"));
    // A write made while the expansions are parked invalidates them too.
    d.set_var("MACH", "m1");
    d.set_var("U", "u2");
    assert_eq!(d.get_var("W").ok().flatten().as_deref(), Some("plain u2"));
    // Overrides that change: nothing stale comes back.
    d.set_var("MACH", "m2");
    assert_eq!(d.get_var("W").ok().flatten().as_deref(), Some("on-m2 u2"));
    d.set_var("MACH", "m1");
    assert_eq!(d.get_var("W").ok().flatten().as_deref(), Some("plain u2"));
}

/// The overrides are reused while what they were computed from holds, and computed
/// again when any of it changes: the value, a conditional variant of an input, or a
/// queued operation on it.
#[test]
fn overrides_memo_follows_every_input() {
    let mut d = DataStore::new();
    d.set_var("MACH", "m1");
    d.set_var("OVERRIDES", "${MACH}:${DISTROOVERRIDES}");
    d.set_var("DISTROOVERRIDES", "d1");
    d.set_var("V", "plain");
    d.set_var("V:m2", "on-m2");
    d.set_var("V:d2", "on-d2");
    d.set_var("V:x", "on-x");
    let v = |d: &DataStore| d.get_var("V").ok().flatten().unwrap_or_default();
    assert_eq!(v(&d), "plain");
    // The same value written again: same overrides.
    d.set_var("MACH", "m1");
    assert_eq!(v(&d), "plain");
    // A new conditional variant of an input that is active.
    d.set_var_with(
        "DISTROOVERRIDES:m1",
        "d2",
        SetOpts {
            parsing: true,
            ..SetOpts::API
        },
    );
    assert_eq!(v(&d), "on-d2");
    // That variant's value changed (the variant list itself stays the same).
    d.set_var_with(
        "DISTROOVERRIDES:m1",
        "d3",
        SetOpts {
            parsing: true,
            ..SetOpts::API
        },
    );
    assert_eq!(v(&d), "plain");
    // A queued append on an input.
    d.set_var_with(
        "DISTROOVERRIDES:append",
        ":x",
        SetOpts {
            parsing: true,
            ..SetOpts::API
        },
    );
    assert_eq!(v(&d), "on-x");
    // A copy carries the memo and still sees its own writes.
    let mut c = d.clone();
    c.set_var("MACH", "m2");
    assert_eq!(v(&c), "on-x");
    c.set_var("V:x", "on-x2");
    assert_eq!(v(&c), "on-x2");
    assert_eq!(v(&d), "on-x");
}

/// OVERRIDES read from a variable with a conditional variant that OVERRIDES itself
/// activates: the first reading (no override active) is not the answer, and the
/// reading is repeated until it settles, as BitBake's `need_overrides` does.
#[test]
fn overrides_that_activate_their_own_inputs_settle() {
    let mut d = DataStore::new();
    d.set_var("OVERRIDES", "${A}");
    d.set_var("A", "x");
    d.set_var_with(
        "A:x",
        "x:y",
        SetOpts {
            parsing: true,
            ..SetOpts::API
        },
    );
    d.set_var("V", "plain");
    d.set_var("V:y", "on-y");
    assert_eq!(d.get_var("V").ok().flatten().as_deref(), Some("on-y"));
    // An input no override reaches: read once.
    d.set_var("A", "z");
    assert_eq!(d.get_var("V").ok().flatten().as_deref(), Some("plain"));
}
