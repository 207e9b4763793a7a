//! The variable table of a datastore: a frozen, shared base (the configuration every
//! recipe starts from) under a small map of what was written since.
//!
//! A recipe's datastore starts as a copy of the configuration. With one persistent map
//! for everything, the recipe's first writes copied, node by node, most of the
//! configuration's map (a few thousand writes spread over every node), and dropping the
//! recipe walked those copies again. Here the configuration's table is frozen into a
//! plain hash map that is never written, and the recipe's writes go to a plain hash map
//! of their own (about a thousand entries for an oe-core recipe): a copy costs what the
//! copy's own writes hold, never the configuration, and reads, writes and drops are
//! single hash-table operations.

use std::sync::Arc;

use crate::store::Var;

/// Names to variables: `local` (written since the last [`VarMap::freeze`]) over `base`.
#[derive(Debug, Clone, Default)]
pub(crate) struct VarMap {
    base: Arc<rustc_hash::FxHashMap<Arc<str>, Arc<Var>>>,
    /// The names of the base's non-empty variables, sorted (made by `freeze`).
    base_names: Arc<Vec<Arc<str>>>,
    /// `None`: deleted, though `base` has it.
    local: rustc_hash::FxHashMap<Arc<str>, Option<Arc<Var>>>,
}

impl VarMap {
    /// The variable stored under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Var>> {
        match self.local.get(name) {
            Some(v) => v.as_ref(),
            None => self.base.get(name),
        }
    }

    /// The stored key (a shared string) and variable of `name`.
    pub(crate) fn get_key_value(&self, name: &str) -> Option<(&Arc<str>, &Arc<Var>)> {
        match self.local.get_key_value(name) {
            Some((k, Some(v))) => Some((k, v)),
            Some((_, None)) => None,
            None => self.base.get_key_value(name),
        }
    }

    /// Stores `var` under `name`.
    pub(crate) fn insert(&mut self, name: Arc<str>, var: Arc<Var>) {
        self.local.insert(name, Some(var));
    }

    /// Deletes `name`.
    pub(crate) fn remove(&mut self, name: &str) {
        match self.base.get_key_value(name) {
            Some((k, _)) => {
                self.local.insert(k.clone(), None);
            }
            None => {
                self.local.remove(name);
            }
        }
    }

    /// The variable under `name` to write to, made empty when there is none; a variable
    /// of the base is copied here first (its text stays shared).
    pub(crate) fn entry_mut(&mut self, name: &str) -> &mut Var {
        let (key, init) = match self.local.get_key_value(name) {
            Some((k, _)) => (k.clone(), None),
            None => match self.base.get_key_value(name) {
                Some((k, v)) => (k.clone(), Some(v.clone())),
                None => (Arc::from(name), None),
            },
        };
        let slot = self
            .local
            .entry(key)
            .or_insert_with(|| Some(init.unwrap_or_default()));
        Arc::make_mut(slot.get_or_insert_with(|| Arc::new(Var::default())))
    }

    /// Every stored (name, variable), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<Var>)> {
        let local = &self.local;
        self.local
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
            .chain(
                self.base
                    .iter()
                    .filter(move |(k, _)| !local.contains_key(&***k)),
            )
    }

    /// The names of the non-empty variables, sorted: the base's (sorted once, when
    /// frozen) merged with what was written since, so only the latter is sorted here.
    pub(crate) fn sorted_names(&self) -> Vec<Arc<str>> {
        let mut local: Vec<(&Arc<str>, bool)> = self
            .local
            .iter()
            .map(|(k, v)| (k, v.as_ref().is_some_and(|v| !v.is_empty())))
            .collect();
        local.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::with_capacity(self.base_names.len() + local.len());
        let mut base = self.base_names.iter().peekable();
        for (k, present) in local {
            while let Some(b) = base.next_if(|b| ***b < **k) {
                out.push(b.clone());
            }
            // A base name written since: what was written decides.
            base.next_if(|b| ***b == **k);
            if present {
                out.push(k.clone());
            }
        }
        out.extend(base.cloned());
        out
    }

    /// Folds what was written into a new shared base, so that copies made from here on
    /// start with an empty local map. O(size of the table): meant for a datastore that
    /// many copies will start from (the configuration before recipes are parsed).
    pub(crate) fn freeze(&mut self) {
        if self.local.is_empty() {
            return;
        }
        let mut base: rustc_hash::FxHashMap<Arc<str>, Arc<Var>> = rustc_hash::FxHashMap::default();
        base.reserve(self.base.len() + self.local.len());
        for (k, v) in self.iter() {
            base.insert(k.clone(), v.clone());
        }
        let mut names: Vec<Arc<str>> = base
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        names.sort_unstable();
        self.base = Arc::new(base);
        self.base_names = Arc::new(names);
        self.local = rustc_hash::FxHashMap::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(v: &str) -> Arc<Var> {
        Arc::new(Var {
            value: Some(Arc::from(v)),
            ..Var::default()
        })
    }

    fn value(m: &VarMap, name: &str) -> Option<String> {
        m.get(name)
            .and_then(|v| v.value.as_deref().map(str::to_owned))
    }

    #[test]
    fn local_writes_shadow_the_frozen_base_and_copies_do_not_see_each_other() {
        let mut m = VarMap::default();
        m.insert(Arc::from("A"), var("1"));
        m.insert(Arc::from("B"), var("2"));
        m.freeze();
        let mut copy = m.clone();
        copy.entry_mut("A").value = Some(Arc::from("changed"));
        copy.remove("B");
        copy.entry_mut("C").value = Some(Arc::from("new"));
        assert_eq!(value(&copy, "A").as_deref(), Some("changed"));
        assert_eq!(value(&copy, "B"), None);
        assert_eq!(value(&copy, "C").as_deref(), Some("new"));
        assert_eq!(value(&m, "A").as_deref(), Some("1"));
        assert_eq!(value(&m, "B").as_deref(), Some("2"));
        assert_eq!(value(&m, "C"), None);
        let mut names: Vec<&str> = copy.iter().map(|(k, _)| &**k).collect();
        names.sort_unstable();
        assert_eq!(names, ["A", "C"]);
        // Written again after a delete: a fresh variable, not the base's.
        assert!(copy.entry_mut("B").value.is_none());
        // Freezing the copy keeps what it reads.
        copy.remove("C");
        copy.freeze();
        let mut names: Vec<&str> = copy.iter().map(|(k, _)| &**k).collect();
        names.sort_unstable();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(value(&copy, "A").as_deref(), Some("changed"));
    }

    /// Random writes, deletes and freezes against a plain sorted map as the model.
    #[test]
    fn reads_names_and_sorted_names_follow_a_plain_map() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let mut m = VarMap::default();
        let mut model: std::collections::BTreeMap<String, Option<String>> = Default::default();
        for step in 0..4000 {
            let name = format!("V{}", next(300));
            match next(10) {
                0..=4 => {
                    let v = format!("{step}");
                    m.entry_mut(&name).value = Some(Arc::from(v.as_str()));
                    model.insert(name, Some(v));
                }
                5 => {
                    // Written but empty: stored, yet not listed.
                    let v = m.entry_mut(&name);
                    v.value = None;
                    model.insert(name, None);
                }
                6..=7 => {
                    m.remove(&name);
                    model.remove(&name);
                }
                8 => {
                    if next(20) == 0 {
                        m.freeze();
                    }
                }
                _ => {
                    let copy = m.clone();
                    m = copy;
                }
            }
            if step % 97 == 0 {
                let listed: Vec<String> = m.sorted_names().iter().map(|k| k.to_string()).collect();
                let want: Vec<String> = model
                    .iter()
                    .filter(|(_, v)| v.is_some())
                    .map(|(k, _)| k.clone())
                    .collect();
                assert_eq!(listed, want, "step {step}");
                for (k, v) in &model {
                    assert_eq!(value(&m, k), *v, "{k} at step {step}");
                }
            }
        }
    }

    #[test]
    fn the_key_of_a_base_variable_is_shared_by_its_local_copy() {
        let mut m = VarMap::default();
        m.insert(Arc::from("NAME"), var("x"));
        m.freeze();
        let base_key = m.get_key_value("NAME").map(|(k, _)| k.clone());
        m.entry_mut("NAME").value = Some(Arc::from("y"));
        let local_key = m.get_key_value("NAME").map(|(k, _)| k.clone());
        assert!(matches!((base_key, local_key), (Some(a), Some(b)) if Arc::ptr_eq(&a, &b)));
    }
}
