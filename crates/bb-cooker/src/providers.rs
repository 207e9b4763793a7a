//! Provider selection, as `bb.providers` and the provider half of `bb.taskdata` do it:
//! which recipe target (fn) satisfies a build-time name (a PN, a PROVIDES word such as
//! `virtual/kernel`, a variant PN such as `foo-native`) or a runtime name (RPROVIDES,
//! PACKAGES, PACKAGES_DYNAMIC), honouring layer priorities, DEFAULT_PREFERENCE,
//! REQUIRED_VERSION / PREFERRED_VERSION, PREFERRED_PROVIDER(S) and
//! PREFERRED_RPROVIDER, with BitBake's messages.
//!
//! It reads configuration only through `get_var` on the datastore it is given, which
//! should be the base configuration after key expansion (BitBake calls `expandKeys` on
//! a copy first, so that `PREFERRED_PROVIDER_virtual/${TARGET_PREFIX}gcc` is found).
//! It prints nothing: messages go to a caller-supplied [`Message`] list, in the order
//! BitBake logs them. It does not build task graphs or remember failed recipes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use bb_data::DataStore;
use bb_pyexpr::PyRegex;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::recipe::RecipeInfo;
use crate::version::{PreferredVersion, vercmp};

/// How loud a [`Message`] is, with BitBake's logger levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `logger.debug` (shown with `-D`).
    Debug,
    /// `logger.verbose` (shown with `-v`).
    Verbose,
    /// `logger.info`, printed as `NOTE:`.
    Note,
    /// `logger.warning`, printed as `WARNING:`.
    Warning,
    /// `logger.error`, printed as `ERROR:`.
    Error,
}

/// One message BitBake would log while choosing providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its level.
    pub level: Level,
    /// Its text, without BitBake's `WARNING: ` style prefix.
    pub text: String,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn say(log: &mut Vec<Message>, level: Level, text: String) {
    log.push(Message { level, text });
}

/// What BitBake chose for one PN (`bb.providers.findBestProvider`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnChoice {
    /// The PN.
    pub pn: String,
    /// The latest version in the highest-priority group, after DEFAULT_PREFERENCE.
    pub latest: String,
    /// The chosen fn: the REQUIRED_VERSION / PREFERRED_VERSION match, else `latest`.
    /// `None` when REQUIRED_VERSION names a version that is not available.
    pub preferred: Option<String>,
    /// Whether REQUIRED_VERSION was set (even to an empty value).
    pub required: bool,
    /// The PN's other targets (every fn of the PN except `preferred`), in parse order.
    pub others: Vec<String>,
}

/// Provider indexes over the parsed recipe targets (BitBake's `CacheData` fields
/// `pkg_pn`, `providers`, `rproviders`, `packages`, `packages_dynamic`, `pn_provides`)
/// plus the skipped targets, kept for "was skipped" explanations.
#[derive(Debug, Clone, Default)]
pub struct Providers<'r> {
    /// The targets that were not skipped, in the order given.
    recipes: Vec<&'r RecipeInfo>,
    /// The targets that skipped themselves, in the order given.
    skipped: Vec<&'r RecipeInfo>,
    /// fn → index in `recipes`.
    by_fn: FxHashMap<String, usize>,
    /// PN → its targets, PNs in first-seen order.
    pkg_pn: Vec<(String, Vec<usize>)>,
    /// PN → index in `pkg_pn`.
    pn_index: FxHashMap<String, usize>,
    /// Build-time name → providers.
    providers: FxHashMap<String, Vec<usize>>,
    /// PN → every name its targets provide, first-seen order.
    pn_provides: FxHashMap<String, Vec<String>>,
    /// Runtime name → targets with it in RPROVIDES or RPROVIDES:pkg.
    rproviders: FxHashMap<String, Vec<usize>>,
    /// Package name → targets with it in PACKAGES.
    packages: FxHashMap<String, Vec<usize>>,
    /// PACKAGES_DYNAMIC pattern → targets, patterns in first-seen order.
    packages_dynamic: Vec<(String, Vec<usize>)>,
}

/// The words of PACKAGES, or PN when PACKAGES is empty (BitBake's default).
fn packages_of(r: &RecipeInfo) -> Vec<&str> {
    if r.packages.is_empty() {
        vec![r.pn.as_str()]
    } else {
        r.packages.iter().map(String::as_str).collect()
    }
}

/// A value as Python tests it for truth: set and not empty.
fn truthy(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// Python's `repr()` of a list of strings.
fn py_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| bb_util::py_repr(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// BitBake's `NoProvider` event text: "Nothing PROVIDES 'X'" (or "RPROVIDES"), the
/// dependees that asked for it, the close matches (only when there are no reasons),
/// then one reason per line.
pub fn nothing_provides_message(
    item: &str,
    runtime: bool,
    dependees: &[String],
    reasons: &[String],
    close_matches: &[String],
) -> String {
    let r = if runtime { "R" } else { "" };
    let mut extra = String::new();
    if reasons.is_empty() && !close_matches.is_empty() {
        let set: BTreeSet<&String> = close_matches.iter().collect();
        let list: Vec<&str> = set.into_iter().map(String::as_str).collect();
        extra = format!(". Close matches:\n  {}", list.join("\n  "));
    }
    let mut msg = if dependees.is_empty() {
        format!("Nothing {r}PROVIDES '{item}'{extra}")
    } else {
        format!(
            "Nothing {r}PROVIDES '{item}' (but {} {r}DEPENDS on or otherwise requires it){extra}",
            dependees.join(", ")
        )
    };
    for reason in reasons {
        msg.push('\n');
        msg.push_str(reason);
    }
    msg
}

/// BitBake's `MultipleProviders` event text (logged as a note).
pub fn multiple_providers_message(item: &str, candidates: &[String], runtime: bool) -> String {
    let (runtime_word, r) = if runtime { ("runtime ", "R") } else { ("", "") };
    format!(
        "Multiple providers are available for {runtime_word}{item} ({})\nConsider defining a PREFERRED_{r}PROVIDER entry to match {item}",
        candidates.join(", ")
    )
}

/// `bb.taskdata.re_match_strings`: whether `target` is one of `names`, where a name
/// starting with `^` or ending with `$` is a regular expression matched at the start.
fn re_match_strings(target: &str, names: &[&str]) -> bool {
    names.iter().any(|name| {
        if name.starts_with('^') || name.ends_with('$') {
            PyRegex::new(name).is_ok_and(|re| re.is_match_at_start(target))
        } else {
            *name == target
        }
    })
}

/// The entries of PREFERRED_PROVIDERS (`providee:provider` words) as BitBake's cooker
/// reads them at start-up, with its messages for malformed and conflicting entries.
pub fn preferred_providers(
    d: &DataStore,
    log: &mut Vec<Message>,
) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    let value = d.get_var("PREFERRED_PROVIDERS")?.unwrap_or_default();
    for p in value.split_whitespace() {
        let parts: Vec<&str> = p.split(':').collect();
        let [providee, provider] = parts[..] else {
            say(
                log,
                Level::Error,
                format!("Malformed option in PREFERRED_PROVIDERS variable: {p}"),
            );
            continue;
        };
        if let Some(old) = map.get(providee).filter(|old| *old != provider) {
            say(
                log,
                Level::Error,
                format!(
                    "conflicting preferences for {providee}: both {provider} and {old} specified"
                ),
            );
        }
        map.insert(providee.to_string(), provider.to_string());
    }
    Ok(map)
}

impl<'r> Providers<'r> {
    /// Indexes `recipes` (in parse order: BitBake keeps the order in which targets reach
    /// its cache, and some choices depend on it). Skipped targets are kept aside.
    pub fn new(recipes: &'r [RecipeInfo]) -> Providers<'r> {
        let mut p = Providers::default();
        for r in recipes {
            if r.skipped.is_some() {
                p.skipped.push(r);
                continue;
            }
            let i = p.recipes.len();
            p.recipes.push(r);
            p.by_fn.entry(r.fn_name.clone()).or_insert(i);
            match p.pn_index.get(&r.pn) {
                Some(&k) => p.pkg_pn[k].1.push(i),
                None => {
                    p.pn_index.insert(r.pn.clone(), p.pkg_pn.len());
                    p.pkg_pn.push((r.pn.clone(), vec![i]));
                }
            }
            let mut provides: Vec<&str> = vec![r.pn.as_str()];
            for name in &r.provides {
                if !provides.contains(&name.as_str()) {
                    provides.push(name);
                }
            }
            let pn_provides = p.pn_provides.entry(r.pn.clone()).or_default();
            for name in provides {
                p.providers.entry(name.to_string()).or_default().push(i);
                if !pn_provides.iter().any(|x| x == name) {
                    pn_provides.push(name.to_string());
                }
            }
            let mut rprovides: Vec<&str> = r.rprovides.iter().map(String::as_str).collect();
            for package in packages_of(r) {
                p.packages.entry(package.to_string()).or_default().push(i);
                if let Some(list) = r.rprovides_pkg.get(package) {
                    rprovides.extend(list.iter().map(String::as_str));
                }
            }
            for name in rprovides {
                let list = p.rproviders.entry(name.to_string()).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
            for pattern in &r.packages_dynamic {
                match p.packages_dynamic.iter_mut().find(|(k, _)| k == pattern) {
                    Some((_, list)) => list.push(i),
                    None => p.packages_dynamic.push((pattern.clone(), vec![i])),
                }
            }
        }
        p
    }

    /// `bb.providers.buildWorldTargetList`: the PNs `bitbake world` builds: every
    /// target not excluded from world (EXCLUDE_FROM_WORLD) that has `task` (when given),
    /// provides no `virtual/` name and is the only PN providing each of its names.
    /// Sorted.
    pub fn world_targets(&self, task: Option<&str>) -> Vec<String> {
        let mut out = BTreeSet::new();
        for r in &self.recipes {
            if r.exclude_from_world {
                continue;
            }
            if let Some(t) = task
                && !r.task_deps.contains(t)
            {
                continue;
            }
            let provides = self.pn_provides.get(&r.pn).cloned().unwrap_or_default();
            let terminal = provides.iter().all(|p| {
                !p.starts_with("virtual/")
                    && self
                        .providers
                        .get(p)
                        .is_none_or(|v| v.iter().all(|&i| self.recipes[i].pn == r.pn))
            });
            if terminal {
                out.insert(r.pn.clone());
            }
        }
        out.into_iter().collect()
    }

    /// The target named `fn_name`, when it was parsed and not skipped.
    pub fn recipe(&self, fn_name: &str) -> Option<&'r RecipeInfo> {
        self.by_fn.get(fn_name).map(|&i| self.recipes[i])
    }

    /// The targets that skipped themselves, in the order given.
    pub fn skipped(&self) -> &[&'r RecipeInfo] {
        &self.skipped
    }

    /// Every PN with at least one target that was not skipped, in first-seen order.
    pub fn pns(&self) -> impl Iterator<Item = &str> {
        self.pkg_pn.iter().map(|(pn, _)| pn.as_str())
    }

    /// The fns of the targets that provide the build-time name `name` (PN or PROVIDES).
    pub fn build_providers_of(&self, name: &str) -> Vec<&str> {
        self.providers
            .get(name)
            .map(|v| v.iter().map(|&i| self.fn_of(i)).collect())
            .unwrap_or_default()
    }

    fn fn_of(&self, i: usize) -> &str {
        &self.recipes[i].fn_name
    }

    fn pn_of(&self, i: usize) -> &str {
        &self.recipes[i].pn
    }

    fn fns(&self, list: &[usize]) -> Vec<String> {
        list.iter().map(|&i| self.fn_of(i).to_string()).collect()
    }

    /// `bb.providers.sortPriorities`: the files grouped by layer priority, highest
    /// first; inside a group, ordered by DEFAULT_PREFERENCE, lowest first, then as given.
    fn sort_priorities(&self, files: &[usize]) -> Vec<Vec<usize>> {
        let mut by_priority: BTreeMap<i64, BTreeMap<i64, Vec<usize>>> = BTreeMap::new();
        for &f in files {
            let r = &self.recipes[f];
            by_priority
                .entry(r.priority)
                .or_default()
                .entry(r.default_preference)
                .or_default()
                .push(f);
        }
        by_priority
            .into_values()
            .rev()
            .map(|prefs| prefs.into_values().flatten().collect())
            .collect()
    }

    /// `bb.providers.versionVariableMatch`: `KEYWORD_VERSION:pn-PN`, then
    /// `KEYWORD_VERSION_PN`, then `KEYWORD_VERSION`; an empty value falls through, and
    /// the last one read is returned even when empty.
    fn version_variable(d: &DataStore, keyword: &str, pn: &str) -> Result<Option<String>> {
        let mut ver = d.get_var(&format!("{keyword}_VERSION:pn-{pn}"))?;
        if ver.as_deref().is_none_or(str::is_empty) {
            ver = d.get_var(&format!("{keyword}_VERSION_{pn}"))?;
        }
        if ver.as_deref().is_none_or(str::is_empty) {
            ver = d.get_var(&format!("{keyword}_VERSION"))?;
        }
        Ok(ver)
    }

    /// `bb.providers.findPreferredProvider`: the first target, in priority-group order,
    /// whose version matches REQUIRED_VERSION or PREFERRED_VERSION, and whether the
    /// version was required. `item` is the name being resolved, for messages.
    fn find_preferred(
        &self,
        pn: &str,
        groups: &[Vec<usize>],
        d: &DataStore,
        item: Option<&str>,
        log: &mut Vec<Message>,
    ) -> Result<(Option<usize>, bool)> {
        let required_v = Self::version_variable(d, "REQUIRED", pn)?;
        let mut preferred_v = Self::version_variable(d, "PREFERRED", pn)?;
        let itemstr = item.map(|i| format!(" (for item {i})")).unwrap_or_default();
        let mut required = false;
        if let Some(req) = required_v {
            if preferred_v.is_some() {
                say(
                    log,
                    Level::Warning,
                    format!(
                        "REQUIRED_VERSION and PREFERRED_VERSION for package {pn}{itemstr} are both set using REQUIRED_VERSION {req}"
                    ),
                );
            } else {
                say(
                    log,
                    Level::Debug,
                    format!("REQUIRED_VERSION is set for package {pn}{itemstr}"),
                );
            }
            preferred_v = Some(req);
            required = true;
        }
        let Some(value) = truthy(preferred_v) else {
            return Ok((None, required));
        };
        let pref = PreferredVersion::parse(&value);
        let found = groups.iter().flatten().copied().find(|&f| {
            let r = &self.recipes[f];
            pref.matches(&r.pe, &r.pv)
        });
        let pv_str = pref.to_string();
        match found {
            None => {
                if !required {
                    say(
                        log,
                        Level::Warning,
                        format!("preferred version {pv_str} of {pn} not available{itemstr}"),
                    );
                }
                let mut available: Vec<String> = Vec::new();
                for &f in groups.iter().flatten() {
                    let r = &self.recipes[f];
                    let v = if r.pe.is_empty() {
                        r.pv.clone()
                    } else {
                        format!("{}:{}", r.pe, r.pv)
                    };
                    if !available.contains(&v) {
                        available.push(v);
                    }
                }
                if !available.is_empty() {
                    available.sort();
                    say(
                        log,
                        Level::Warning,
                        format!("versions of {pn} available: {}", available.join(" ")),
                    );
                }
                if required {
                    say(
                        log,
                        Level::Error,
                        format!("required version {pv_str} of {pn} not available{itemstr}"),
                    );
                }
            }
            Some(f) => {
                let kind = if required {
                    "REQUIRED_VERSION"
                } else {
                    "PREFERRED_VERSION"
                };
                say(
                    log,
                    Level::Debug,
                    format!(
                        "selecting {} as {kind} {pv_str} of package {pn}{itemstr}",
                        self.fn_of(f)
                    ),
                );
            }
        }
        Ok((found, required))
    }

    /// `bb.providers.findLatestProvider`: the highest DEFAULT_PREFERENCE, then the
    /// highest version; the first of equals wins.
    fn find_latest(&self, files: &[usize]) -> Result<Option<usize>> {
        let mut latest: Option<usize> = None;
        for &f in files {
            let r = &self.recipes[f];
            let better = match latest {
                None => true,
                Some(l) => {
                    let lr = &self.recipes[l];
                    if r.default_preference > lr.default_preference {
                        true
                    } else if r.default_preference == lr.default_preference {
                        vercmp((&lr.pe, &lr.pv, &lr.pr), (&r.pe, &r.pv, &r.pr))?.is_lt()
                    } else {
                        false
                    }
                }
            };
            if better {
                latest = Some(f);
            }
        }
        Ok(latest)
    }

    fn pn_files(&self, pn: &str) -> &[usize] {
        self.pn_index
            .get(pn)
            .map(|&k| self.pkg_pn[k].1.as_slice())
            .unwrap_or_default()
    }

    /// `bb.providers.findBestProvider` for one PN over all its targets: the latest
    /// version of its highest-priority group and the preferred one. `None` when no
    /// target has this PN.
    pub fn best_for_pn(
        &self,
        pn: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Option<PnChoice>> {
        self.best_for_pn_item(pn, d, None, log)
    }

    fn best_for_pn_item(
        &self,
        pn: &str,
        d: &DataStore,
        item: Option<&str>,
        log: &mut Vec<Message>,
    ) -> Result<Option<PnChoice>> {
        let files = self.pn_files(pn);
        let groups = self.sort_priorities(files);
        let Some(top) = groups.first() else {
            return Ok(None);
        };
        let (mut preferred, required) = self.find_preferred(pn, &groups, d, item, log)?;
        let Some(latest) = self.find_latest(top)? else {
            return Ok(None);
        };
        if !required && preferred.is_none() {
            preferred = Some(latest);
        }
        let others = files
            .iter()
            .copied()
            .filter(|&f| Some(f) != preferred)
            .map(|f| self.fn_of(f).to_string())
            .collect();
        Ok(Some(PnChoice {
            pn: pn.to_string(),
            latest: self.fn_of(latest).to_string(),
            preferred: preferred.map(|f| self.fn_of(f).to_string()),
            required,
            others,
        }))
    }

    /// The REQUIRED_VERSION / PREFERRED_VERSION match for `pn` (first in priority
    /// order) and whether the version is required; `(None, false)` when neither is set.
    pub fn preferred_version(
        &self,
        pn: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<(Option<String>, bool)> {
        let groups = self.sort_priorities(self.pn_files(pn));
        let (f, required) = self.find_preferred(pn, &groups, d, None, log)?;
        Ok((f.map(|f| self.fn_of(f).to_string()), required))
    }

    /// The latest target of `pn` in its highest-priority group, DEFAULT_PREFERENCE
    /// first, then version.
    pub fn latest_version(&self, pn: &str) -> Result<Option<String>> {
        let groups = self.sort_priorities(self.pn_files(pn));
        let Some(top) = groups.first() else {
            return Ok(None);
        };
        Ok(self.find_latest(top)?.map(|f| self.fn_of(f).to_string()))
    }

    /// `bb.providers.findProviders`: the choice for every PN, in first-seen order.
    pub fn preferred_fns(&self, d: &DataStore, log: &mut Vec<Message>) -> Result<Vec<PnChoice>> {
        let mut out = Vec::with_capacity(self.pkg_pn.len());
        for (pn, _) in &self.pkg_pn {
            if let Some(c) = self.best_for_pn_item(pn, d, None, log)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// `bb.providers._filterProviders`: one target per PN (its preferred version, else
    /// its latest), the PN equal to `item` first.
    fn filter_common(
        &self,
        providers: &[usize],
        item: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Vec<usize>> {
        let mut providers = providers.to_vec();
        providers.sort_by(|&a, &b| self.fn_of(a).cmp(self.fn_of(b)));
        let mut pkg_pn: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &p in &providers {
            pkg_pn.entry(self.pn_of(p)).or_default().push(p);
        }
        let names: Vec<&str> = pkg_pn.keys().copied().collect();
        say(
            log,
            Level::Debug,
            format!(
                "providers for {item} are: {}",
                py_list(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            ),
        );
        let mut eligible: Vec<usize> = Vec::new();
        let mut chosen: HashMap<&str, Option<usize>> = HashMap::new();
        let mut groups: HashMap<&str, Vec<Vec<usize>>> = HashMap::new();
        for (&pn, files) in &pkg_pn {
            let g = self.sort_priorities(files);
            let (pf, required) = self.find_preferred(pn, &g, d, Some(item), log)?;
            groups.insert(pn, g);
            if required && pf.is_none() {
                return Ok(eligible);
            }
            chosen.insert(pn, pf);
            if let Some(f) = pf {
                eligible.push(f);
            }
        }
        for &pn in pkg_pn.keys() {
            if chosen.get(pn).copied().flatten().is_some() {
                continue;
            }
            let top = groups
                .get(pn)
                .and_then(|g| g.first())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let latest = self.find_latest(top)?;
            chosen.insert(pn, latest);
            if let Some(f) = latest {
                eligible.push(f);
            }
        }
        if eligible.is_empty() {
            return Ok(eligible);
        }
        for &p in &providers {
            let pn = self.pn_of(p);
            if pn != item {
                continue;
            }
            let Some(Some(f)) = chosen.get(pn).copied() else {
                continue;
            };
            if let Some(pos) = eligible.iter().position(|&e| e == f) {
                eligible.remove(pos);
                eligible.insert(0, f);
            }
        }
        Ok(eligible)
    }

    /// `bb.providers.filterProviders` for the build-time name `item`: the eligible
    /// fns, best first, and whether PREFERRED_PROVIDER_item (or a PREFERRED_PROVIDERS
    /// entry) picked one of them.
    pub fn filter_providers(
        &self,
        providers: &[String],
        item: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<(Vec<String>, bool)> {
        let idx: Vec<usize> = providers
            .iter()
            .filter_map(|f| self.by_fn.get(f).copied())
            .collect();
        let (eligible, found) = self.filter_build(&idx, item, d, log)?;
        Ok((self.fns(&eligible), found))
    }

    fn filter_build(
        &self,
        providers: &[usize],
        item: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<(Vec<usize>, bool)> {
        let mut eligible = self.filter_common(providers, item, d, log)?;
        let preferred = match truthy(d.get_var(&format!("PREFERRED_PROVIDER_{item}"))?) {
            Some(p) => Some(p),
            None => preferred_providers(d, &mut Vec::new())?.remove(item),
        };
        let mut found = false;
        let pos = preferred
            .as_deref()
            .and_then(|pref| eligible.iter().position(|&p| self.pn_of(p) == pref));
        if let (Some(pref), Some(pos)) = (preferred, pos) {
            let p = eligible.remove(pos);
            eligible.insert(0, p);
            found = true;
            say(
                log,
                Level::Verbose,
                format!("selecting {pref} to satisfy {item} due to PREFERRED_PROVIDERS"),
            );
        }
        say(
            log,
            Level::Debug,
            format!(
                "sorted providers for {item} are: {}",
                py_list(&self.fns(&eligible))
            ),
        );
        Ok((eligible, found))
    }

    /// `bb.providers.filterProvidersRunTime` for the runtime name `item`: the eligible
    /// fns, best first, and how many were picked by PREFERRED_RPROVIDER_item or by a
    /// PREFERRED_PROVIDER of something their PN provides (more than one is an error,
    /// logged here with BitBake's text).
    pub fn filter_providers_runtime(
        &self,
        providers: &[String],
        item: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<(Vec<String>, usize)> {
        let idx: Vec<usize> = providers
            .iter()
            .filter_map(|f| self.by_fn.get(f).copied())
            .collect();
        let (eligible, n) = self.filter_runtime(&idx, item, d, log)?;
        Ok((self.fns(&eligible), n))
    }

    fn filter_runtime(
        &self,
        providers: &[usize],
        item: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<(Vec<usize>, usize)> {
        let mut eligible = self.filter_common(providers, item, d, log)?;
        let mut found = false;
        let mut number_preferred = 0;
        let rpref = truthy(d.get_var(&format!("PREFERRED_RPROVIDER_{item}"))?);
        let pos = rpref
            .as_deref()
            .and_then(|pref| eligible.iter().position(|&p| self.pn_of(p) == pref));
        if let (Some(pref), Some(pos)) = (rpref, pos) {
            let p = eligible.remove(pos);
            eligible.insert(0, p);
            found = true;
            number_preferred = 1;
            say(
                log,
                Level::Verbose,
                format!("selecting {pref} to satisfy {item} due to PREFERRED_RPROVIDER"),
            );
        }
        if !found {
            let mut pns: HashMap<&str, usize> = HashMap::new();
            for &p in &eligible {
                pns.insert(self.pn_of(p), p);
            }
            let mut preferred: Vec<usize> = Vec::new();
            let mut preferred_vars: Vec<String> = Vec::new();
            // BitBake walks the list while its first reordering removes an entry from
            // that same list (later ones work on a new list), so the entry after the
            // first preferred one can be passed over. `walked` is the list walked.
            let mut walked = eligible;
            let mut current: Option<Vec<usize>> = None;
            let mut i = 0;
            while i < walked.len() {
                let pn = self.pn_of(walked[i]);
                let provides = self
                    .pn_provides
                    .get(pn)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for provide in provides {
                    let Some(value) = d.get_var(&format!("PREFERRED_PROVIDER_{provide}"))? else {
                        continue;
                    };
                    let Some(&pref) = pns.get(value.as_str()) else {
                        continue;
                    };
                    if preferred.contains(&pref) {
                        continue;
                    }
                    let var = format!("PREFERRED_PROVIDER_{provide} = {value}");
                    say(
                        log,
                        Level::Verbose,
                        format!("selecting {value} to satisfy runtime {item} due to {var}"),
                    );
                    preferred_vars.push(var);
                    match current.as_mut() {
                        None => {
                            walked.retain(|&x| x != pref);
                            let mut next = vec![pref];
                            next.extend(walked.iter().copied());
                            current = Some(next);
                        }
                        Some(list) => {
                            if let Some(pos) = list.iter().position(|&x| x == pref) {
                                list.remove(pos);
                            }
                            list.insert(0, pref);
                        }
                    }
                    preferred.push(pref);
                    break;
                }
                i += 1;
            }
            eligible = current.unwrap_or(walked);
            number_preferred = preferred.len();
            if number_preferred > 1 {
                say(
                    log,
                    Level::Error,
                    format!(
                        "Trying to resolve runtime dependency {item} resulted in conflicting PREFERRED_PROVIDER entries being found.\nThe providers found were: {}\nThe PREFERRED_PROVIDER entries resulting in this conflict were: {}. You could set PREFERRED_RPROVIDER_{item}",
                        py_list(&self.fns(&preferred)),
                        py_list(&preferred_vars)
                    ),
                );
            }
        }
        say(
            log,
            Level::Debug,
            format!(
                "sorted runtime providers for {item} are: {}",
                py_list(&self.fns(&eligible))
            ),
        );
        Ok((eligible, number_preferred))
    }

    /// `bb.providers.getRuntimeProviders`: the targets with `name` in RPROVIDES (or
    /// RPROVIDES:pkg) and in PACKAGES; only when there are none, the targets with a
    /// PACKAGES_DYNAMIC pattern (with `+` taken literally) matching the start of `name`.
    pub fn runtime_providers(&self, name: &str, log: &mut Vec<Message>) -> Result<Vec<String>> {
        Ok(self.fns(&self.runtime_idx(name, log)?))
    }

    fn runtime_idx(&self, name: &str, log: &mut Vec<Message>) -> Result<Vec<usize>> {
        let mut out: Vec<usize> = Vec::new();
        if let Some(list) = self.rproviders.get(name) {
            out.extend(list);
        }
        if let Some(list) = self.packages.get(name) {
            out.extend(list);
        }
        if !out.is_empty() {
            return Ok(out);
        }
        for (pattern, list) in &self.packages_dynamic {
            let pattern = pattern.replace('+', "\\+");
            let re = match PyRegex::new(&pattern) {
                Ok(re) => re,
                Err(e) => {
                    say(
                        log,
                        Level::Error,
                        format!("Error parsing regular expression '{pattern}'"),
                    );
                    return Err(Error::BadPattern {
                        pattern,
                        message: e,
                    });
                }
            };
            if re.is_match_at_start(name) {
                out.extend(list);
                say(
                    log,
                    Level::Debug,
                    format!("Assuming {name} is a dynamic package, but it may not exist"),
                );
            }
        }
        Ok(out)
    }

    /// `TaskData.get_reasons`: one line per skipped target that is, or provides, `item`.
    /// BitBake's reasons why skipped recipes don't provide `item` (`X was skipped: ...`).
    pub fn reasons(&self, item: &str, runtime: bool) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.skipped {
            let reason = s.skipped.as_deref().unwrap_or_default();
            if s.pn == item {
                out.push(format!("{} was skipped: {reason}", s.pn));
            } else if runtime && skipped_rprovides(s).contains(&item) {
                out.push(format!(
                    "{} RPROVIDES {item} but was skipped: {reason}",
                    s.pn
                ));
            } else if !runtime && s.provides.iter().any(|p| p == item) {
                out.push(format!(
                    "{} PROVIDES {item} but was skipped: {reason}",
                    s.pn
                ));
            }
        }
        out
    }

    /// Resolves the build-time dependencies (DEPENDS) of target `root` and of every
    /// provider chosen for them, as BitBake's task data does before `bitbake -e NAME`:
    /// notes such as "Multiple providers" go to `log` once per name, and each name that
    /// nothing provides gives BitBake's NoProvider text, naming who depends on it.
    /// Returns those texts (empty when everything resolved).
    pub fn resolve_depends_tree(
        &self,
        root: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Vec<String>> {
        let mut queue = std::collections::VecDeque::from([root.to_owned()]);
        let mut seen_fns: std::collections::HashSet<String> = std::collections::HashSet::new();
        seen_fns.insert(root.to_owned());
        let mut seen_names: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut missing: Vec<(String, Vec<String>)> = Vec::new();
        while let Some(f) = queue.pop_front() {
            let Some(r) = self.recipe(&f) else {
                continue;
            };
            for dep in &r.depends {
                if let Some((_, who)) = missing.iter_mut().find(|(n, _)| n == dep) {
                    if !who.contains(&f) {
                        who.push(f.clone());
                    }
                    continue;
                }
                if !seen_names.insert(dep.clone()) || Self::is_assumed_provided(dep, d)? {
                    continue;
                }
                if !self.providers.contains_key(dep) {
                    missing.push((dep.clone(), vec![f.clone()]));
                    continue;
                }
                let chosen = self.resolve_build_providers(dep, d, log)?;
                if let Some(best) = chosen.into_iter().next()
                    && seen_fns.insert(best.clone())
                {
                    queue.push_back(best);
                }
            }
        }
        Ok(missing
            .into_iter()
            .map(|(name, who)| {
                nothing_provides_message(&name, false, &who, &self.reasons(&name, false), &[])
            })
            .collect())
    }

    /// Whether `name` is in ASSUME_PROVIDED (a word, or a `^...`/`...$` pattern).
    pub fn is_assumed_provided(name: &str, d: &DataStore) -> Result<bool> {
        let value = d.get_var("ASSUME_PROVIDED")?.unwrap_or_default();
        let words: Vec<&str> = value.split_whitespace().collect();
        Ok(re_match_strings(name, &words))
    }

    /// The targets BitBake adds for the build-time name `name` (`TaskData.add_provider`):
    /// every eligible provider, best first; a note when several PNs remain and no
    /// preference picked one. Errors carry BitBake's "Nothing PROVIDES" text, with
    /// skipped targets as reasons or else close matches.
    pub fn resolve_build_providers(
        &self,
        name: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Vec<String>> {
        self.resolve_build_providers_with(name, &[], &|_| false, d, log)
    }

    /// [`Providers::resolve_build_providers`] as the task data of a build does it:
    /// `dependees` are named in "Nothing PROVIDES" texts, and targets for which
    /// `failed` holds are not eligible.
    pub fn resolve_build_providers_with(
        &self,
        name: &str,
        dependees: &[String],
        failed: &dyn Fn(&str) -> bool,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Vec<String>> {
        let Some(all) = self.providers.get(name) else {
            let mut pool: Vec<String> = self.providers.keys().cloned().collect();
            pool.extend(self.skipped.iter().map(|s| s.pn.clone()));
            let mut close = close_matches(name, &pool, 3, 0.7);
            for f in self.runtime_idx(name, log)? {
                let entry = format!("{} RPROVIDES {name}", self.pn_of(f));
                if !close.contains(&entry) {
                    close.push(entry);
                }
            }
            let reasons = self.reasons(name, false);
            return Err(Error::NoProvider {
                name: name.to_owned(),
                message: nothing_provides_message(name, false, dependees, &reasons, &close),
            });
        };
        let (mut eligible, found) = self.filter_build(all, name, d, log)?;
        eligible.retain(|&f| !failed(self.fn_of(f)));
        if eligible.is_empty() {
            let reason = format!("No eligible PROVIDERs exist for '{name}'");
            return Err(Error::NoProvider {
                name: name.to_owned(),
                message: nothing_provides_message(name, false, dependees, &[reason], &[]),
            });
        }
        if eligible.len() > 1 && !found {
            let pns: Vec<String> = eligible
                .iter()
                .map(|&f| self.pn_of(f).to_string())
                .collect();
            say(
                log,
                Level::Note,
                multiple_providers_message(name, &pns, false),
            );
        }
        Ok(self.fns(&eligible))
    }

    /// The target `bitbake NAME` / `bitbake -e NAME` uses: the first of
    /// [`Providers::resolve_build_providers`]. A name in ASSUME_PROVIDED is an error
    /// with the text `bitbake -e` gives ("X is in ASSUME_PROVIDED"). `mc:` prefixes and
    /// `:do_task` suffixes are the caller's to strip.
    pub fn resolve_build_target(
        &self,
        name: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<String> {
        if Self::is_assumed_provided(name, d)? {
            return Err(Error::AssumeProvided {
                name: name.to_owned(),
            });
        }
        let eligible = self.resolve_build_providers(name, d, log)?;
        eligible
            .into_iter()
            .next()
            .ok_or_else(|| Error::NoProvider {
                name: name.to_owned(),
                message: format!("Nothing PROVIDES '{name}'"),
            })
    }

    /// The target chosen for the runtime name `name` (an RDEPENDS word), as
    /// `TaskData.add_rprovider` chooses it; `None` when ASSUME_PROVIDED covers it.
    /// Errors carry BitBake's "Nothing RPROVIDES" text, or, when PREFERRED_PROVIDER
    /// entries conflict (logged as an error), its "Runtime target ... is unbuildable" text.
    pub fn resolve_runtime(
        &self,
        name: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Option<String>> {
        if Self::is_assumed_provided(name, d)? {
            return Ok(None);
        }
        Ok(self
            .resolve_runtime_providers(name, &[], &|_| false, d, log)?
            .into_iter()
            .next())
    }

    /// Every eligible target for the runtime name `name`, best first, as
    /// `TaskData.add_rprovider` adds them: `dependees` are named in "Nothing
    /// RPROVIDES" texts and targets for which `failed` holds are not eligible.
    pub fn resolve_runtime_providers(
        &self,
        name: &str,
        dependees: &[String],
        failed: &dyn Fn(&str) -> bool,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Vec<String>> {
        let all = self.runtime_idx(name, log)?;
        if all.is_empty() {
            let reasons = self.reasons(name, true);
            return Err(Error::NoProvider {
                name: name.to_owned(),
                message: nothing_provides_message(name, true, dependees, &reasons, &[]),
            });
        }
        let (mut eligible, number_preferred) = self.filter_runtime(&all, name, d, log)?;
        eligible.retain(|&f| !failed(self.fn_of(f)));
        if eligible.is_empty() {
            let reason = format!("No eligible RPROVIDERs exist for '{name}'");
            return Err(Error::NoProvider {
                name: name.to_owned(),
                message: nothing_provides_message(name, true, dependees, &[reason], &[]),
            });
        }
        if (eligible.len() > 1 && number_preferred == 0) || number_preferred > 1 {
            let pns: Vec<String> = eligible
                .iter()
                .map(|&f| self.pn_of(f).to_string())
                .collect();
            say(
                log,
                Level::Note,
                multiple_providers_message(name, &pns, true),
            );
        }
        if number_preferred > 1 {
            return Err(Error::Unbuildable {
                name: name.to_owned(),
                message: format!(
                    "Runtime target '{name}' is unbuildable, removing...\nMissing or unbuildable dependency chain was: {}",
                    py_list(&[name.to_string()])
                ),
            });
        }
        Ok(self.fns(&eligible))
    }

    /// `BBCooker.findBestProvider`: for a PROVIDES name, the first eligible provider
    /// (PREFERRED_PROVIDER applied); otherwise, for a PN, its preferred target. `None`
    /// when nothing fits (BitBake itself fails on an empty eligible list).
    pub fn find_best_provider(
        &self,
        name: &str,
        d: &DataStore,
        log: &mut Vec<Message>,
    ) -> Result<Option<String>> {
        if let Some(all) = self.providers.get(name) {
            let (eligible, _) = self.filter_build(all, name, d, log)?;
            return Ok(eligible.first().map(|&f| self.fn_of(f).to_string()));
        }
        Ok(self
            .best_for_pn_item(name, d, None, log)?
            .and_then(|c| c.preferred))
    }
}

/// RPROVIDES of a skipped target as BitBake's `SkippedPackage` keeps them: PACKAGES,
/// RPROVIDES and RPROVIDES:pkg of each package.
fn skipped_rprovides(s: &RecipeInfo) -> Vec<&str> {
    let packages = packages_of(s);
    let mut out: Vec<&str> = packages.clone();
    out.extend(s.rprovides.iter().map(String::as_str));
    for p in packages {
        if let Some(list) = s.rprovides_pkg.get(p) {
            out.extend(list.iter().map(String::as_str));
        }
    }
    out
}

/// `difflib.get_close_matches(word, possibilities, n, cutoff)`: the `n` best
/// possibilities whose similarity ratio with `word` is at least `cutoff`, best first
/// (ties: the greater string first).
pub fn close_matches(word: &str, possibilities: &[String], n: usize, cutoff: f64) -> Vec<String> {
    let b: Vec<char> = word.chars().collect();
    let b2j = b2j(&b);
    let mut scored: Vec<(f64, &String)> = Vec::new();
    for x in possibilities {
        let a: Vec<char> = x.chars().collect();
        let r = ratio(&a, &b, &b2j);
        if r >= cutoff {
            scored.push((r, x));
        }
    }
    scored.sort_by(|p, q| q.0.total_cmp(&p.0).then_with(|| q.1.cmp(p.1)));
    scored.into_iter().take(n).map(|(_, x)| x.clone()).collect()
}

/// `SequenceMatcher`'s index of `b`: element → positions, without the "popular"
/// elements (more than 1% of a sequence of 200 or more).
fn b2j(b: &[char]) -> HashMap<char, Vec<usize>> {
    let mut map: HashMap<char, Vec<usize>> = HashMap::new();
    for (j, &c) in b.iter().enumerate() {
        map.entry(c).or_default().push(j);
    }
    if b.len() >= 200 {
        let ntest = b.len() / 100 + 1;
        map.retain(|_, v| v.len() <= ntest);
    }
    map
}

/// `SequenceMatcher.find_longest_match` without junk.
fn longest_match(
    a: &[char],
    b: &[char],
    b2j: &HashMap<char, Vec<usize>>,
    (alo, ahi, blo, bhi): (usize, usize, usize, usize),
) -> (usize, usize, usize) {
    let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0usize);
    let mut j2len: HashMap<usize, usize> = HashMap::new();
    for (i, c) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        if let Some(js) = b2j.get(c) {
            for &j in js {
                if j < blo {
                    continue;
                }
                if j >= bhi {
                    break;
                }
                let k = j
                    .checked_sub(1)
                    .and_then(|p| j2len.get(&p))
                    .copied()
                    .unwrap_or(0)
                    + 1;
                next.insert(j, k);
                if k > bestsize {
                    besti = i + 1 - k;
                    bestj = j + 1 - k;
                    bestsize = k;
                }
            }
        }
        j2len = next;
    }
    while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
        besti -= 1;
        bestj -= 1;
        bestsize += 1;
    }
    while besti + bestsize < ahi
        && bestj + bestsize < bhi
        && a[besti + bestsize] == b[bestj + bestsize]
    {
        bestsize += 1;
    }
    (besti, bestj, bestsize)
}

/// `SequenceMatcher.ratio`: twice the matched elements over the total length.
fn ratio(a: &[char], b: &[char], b2j: &HashMap<char, Vec<usize>>) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let mut matched = 0usize;
    let mut queue = vec![(0, a.len(), 0, b.len())];
    while let Some((alo, ahi, blo, bhi)) = queue.pop() {
        let (i, j, k) = longest_match(a, b, b2j, (alo, ahi, blo, bhi));
        if k > 0 {
            matched += k;
            if alo < i && blo < j {
                queue.push((alo, i, blo, j));
            }
            if i + k < ahi && j + k < bhi {
                queue.push((i + k, ahi, j + k, bhi));
            }
        }
    }
    2.0 * matched as f64 / total as f64
}

#[cfg(test)]
mod tests;
