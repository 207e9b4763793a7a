//! Property tests: laws the datastore must obey for any input.

use proptest::prelude::*;

use crate::eval;

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,4}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The override that comes last in OVERRIDES wins, whatever the assignment order.
    #[test]
    fn last_override_wins(names in proptest::collection::hash_set(word(), 1..5), rev in any::<bool>()) {
        let names: Vec<String> = names.into_iter().collect();
        let mut conf = format!("OVERRIDES = \"{}\"\nX = \"base\"\n", names.join(":"));
        let mut order = names.clone();
        if rev { order.reverse(); }
        for n in &order {
            conf.push_str(&format!("X:{n} = \"{n}\"\n"));
        }
        let d = eval(&conf);
        prop_assert_eq!(d.get_var("X").expect("ok"), names.last().cloned());
    }

    /// Expanding an expanded value changes nothing (when it holds no `$`).
    #[test]
    fn expand_is_idempotent(a in "[a-z ]{0,8}", b in "[a-z ]{0,8}") {
        let conf = format!("A = \"{a}\"\nB = \"${{A}}-{b}\"\n");
        let d = eval(&conf);
        let once = d.get_var("B").expect("ok").unwrap_or_default();
        let twice = d.expand(&once).expect("ok");
        prop_assert_eq!(once, twice);
    }

    /// A remove of words absent from the value leaves it byte for byte.
    #[test]
    fn remove_of_absent_word_is_identity(v in "[a-c ]{0,12}") {
        let conf = format!("A = \"{v}\"\nA:remove = \"zzz\"\n");
        let d = eval(&conf);
        prop_assert_eq!(d.get_var("A").expect("ok"), Some(v));
    }
}
