use std::collections::HashMap;

use super::writer::{description, pathflags};
use super::*;

#[test]
fn pathflags_are_the_sorted_prefixes() {
    assert_eq!(pathflags("/l/x.bb"), "");
    assert_eq!(pathflags("virtual:native:/l/x.bb"), "native:virtual");
    assert_eq!(
        pathflags("virtual:multilib:lib32:/l/x.bb"),
        "lib32:multilib:virtual"
    );
}

#[test]
fn toaster_names_meta_openembedded_core() {
    assert_eq!(
        LayerInfo::toaster_name("/src/oe-core/meta"),
        "openembedded-core"
    );
    assert_eq!(LayerInfo::toaster_name("/src/meta-hello/"), "meta-hello");
}

#[test]
fn descriptions_fall_back_to_the_root_variable() {
    let v = |name: &str, doc: Option<&str>| VariableRow {
        name: name.into(),
        doc: doc.map(str::to_owned),
        ..VariableRow::default()
    };
    let cflags = v("CFLAGS", Some("Flags for C"));
    let docs: HashMap<&str, &str> = [("CFLAGS", "Flags for C")].into_iter().collect();
    assert_eq!(description(&cflags, &docs), Some("Flags for C"));
    assert_eq!(
        description(&v("CFLAGS_native", None), &docs),
        Some("Flags for C")
    );
    assert_eq!(description(&v("LDFLAGS", None), &docs), None);
    assert_eq!(description(&v("CFLAGS", None), &docs), None);
}
