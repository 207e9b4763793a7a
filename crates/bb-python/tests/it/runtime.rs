//! Expressions, functions and handlers run by CPython on a real datastore.

use bb_data::DataStore;

fn host() {
    bb_python::install();
}

#[test]
fn inline_expression_reads_the_datastore() {
    host();
    let mut d = DataStore::new();
    d.set_var("A", "x y");
    d.set_var(
        "B",
        "${@ ' '.join(sorted(__import__('json').loads('[\"b\", \"a\"]'))) + d.getVar('A')}",
    );
    assert_eq!(d.get_var("B").unwrap().as_deref(), Some("a bx y"));
}
