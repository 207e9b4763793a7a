//! The task graph from small hand-made recipe summaries (`RecipeInfo`, as the parse
//! cache keeps them): task edges from `addtask` parents, `[deptask]`,
//! `[recrdeptask]` and `[depends]`; targets with a task, `do_task-`; providers
//! (PREFERRED_PROVIDER, missing ones); cycles; the `-g` files.

use std::collections::BTreeMap;

use bb_cooker::RecipeInfo;
use bb_cooker::providers::Providers;
use bb_data::{DataStore, TaskDeps};
use bb_taskgraph::{Error, GraphOptions, Target, TaskGraph, build_graph};

/// A recipe `pn` of file `/layer/<pn>_1.0.bb` with DEPENDS `depends` and the tasks
/// `tasks`: (name, parents), plus graph flags `flags`: (flag, task, value).
fn recipe(
    pn: &str,
    depends: &[&str],
    tasks: &[(&str, &[&str])],
    flags: &[(&str, &str, &str)],
) -> RecipeInfo {
    let mut td = TaskDeps::default();
    for (t, parents) in tasks {
        td.tasks.push((*t).to_owned());
        td.parents.insert(
            (*t).to_owned(),
            parents.iter().map(|p| (*p).to_owned()).collect(),
        );
    }
    for (flag, task, value) in flags {
        td.flags
            .entry((*flag).to_owned())
            .or_insert_with(BTreeMap::new)
            .insert((*task).to_owned(), (*value).to_owned());
    }
    let file = format!("/layer/{pn}_1.0.bb");
    RecipeInfo {
        fn_name: file.clone(),
        file,
        pn: pn.to_owned(),
        pv: "1.0".to_owned(),
        pr: "r0".to_owned(),
        provides: vec![pn.to_owned()],
        packages: vec![pn.to_owned()],
        depends: depends.iter().map(|d| (*d).to_owned()).collect(),
        task_deps: td,
        ..RecipeInfo::default()
    }
}

/// The usual chain: fetch, compile after fetch, build after compile.
const CHAIN: &[(&str, &[&str])] = &[
    ("do_fetch", &[]),
    ("do_compile", &["do_fetch"]),
    ("do_build", &["do_compile"]),
];

fn graph(recipes: &[RecipeInfo], config: &DataStore, targets: &[&str]) -> Result<TaskGraph, Error> {
    let providers = Providers::new(recipes);
    let opts = GraphOptions {
        targets: targets.iter().map(|t| Target::parse(t, "build")).collect(),
        ..GraphOptions::default()
    };
    build_graph(&providers, config, &opts).0
}

/// The graph's edges as `pn:task -> pn:task` lines (dependant first), sorted.
fn edges(g: &TaskGraph) -> Vec<String> {
    let name = |i: usize| {
        let t = &g.tasks[i];
        let pn = g
            .recipes
            .get(&t.fn_name)
            .map(|(pn, _)| pn.as_str())
            .unwrap_or("?");
        format!("{pn}:{}", t.task)
    };
    let mut out: Vec<String> = g
        .deps
        .iter()
        .enumerate()
        .flat_map(|(i, ds)| ds.iter().map(move |&d| (i, d)))
        .map(|(i, d)| format!("{} -> {}", name(i), name(d)))
        .collect();
    out.sort();
    out
}

fn names(g: &TaskGraph) -> Vec<String> {
    let mut v: Vec<String> = g
        .tasks
        .iter()
        .map(|t| {
            let pn = &g.recipes[&t.fn_name].0;
            format!("{pn}:{}", t.task)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn parents_and_deptask_make_the_edges() {
    let recipes = [
        recipe("a", &[], CHAIN, &[]),
        recipe("b", &["a"], CHAIN, &[("deptask", "do_compile", "do_build")]),
    ];
    let g = graph(&recipes, &DataStore::new(), &["b"]).expect("graph");
    assert_eq!(
        edges(&g),
        [
            "a:do_build -> a:do_compile",
            "a:do_compile -> a:do_fetch",
            "b:do_build -> b:do_compile",
            "b:do_compile -> a:do_build",
            "b:do_compile -> b:do_fetch",
        ]
    );
    // The target is b:do_build.
    assert_eq!(g.targets.len(), 1);
    let t = &g.tasks[g.targets[0]];
    assert_eq!(
        (t.fn_name.as_str(), t.task.as_str()),
        ("/layer/b_1.0.bb", "do_build")
    );
    assert_eq!(g.rank.len(), g.len(), "every task has a run-queue position");
}

#[test]
fn a_target_task_pulls_in_only_what_it_needs() {
    let recipes = [
        recipe("a", &[], CHAIN, &[]),
        recipe("b", &["a"], CHAIN, &[("deptask", "do_compile", "do_build")]),
    ];
    let config = DataStore::new();
    let g = graph(&recipes, &config, &["b:do_fetch"]).expect("graph");
    assert_eq!(names(&g), ["b:do_fetch"]);
    // `do_task-`: the task's dependencies, not the task itself, as the target.
    let g = graph(&recipes, &config, &["b:do_compile-"]).expect("graph");
    assert!(
        !names(&g).contains(&"b:do_compile".to_owned()),
        "{:?}",
        names(&g)
    );
    assert_eq!(
        names(&g),
        ["a:do_build", "a:do_compile", "a:do_fetch", "b:do_fetch"]
    );
}

#[test]
fn recrdeptask_reaches_every_recursive_dependency() {
    let recipes = [
        recipe("c", &[], CHAIN, &[]),
        // a's tasks reach c's through its own [deptask]: the recursion follows task
        // edges, as BitBake's does.
        recipe("a", &["c"], CHAIN, &[("deptask", "do_compile", "do_build")]),
        recipe(
            "b",
            &["a"],
            CHAIN,
            &[("recrdeptask", "do_build", "do_build")],
        ),
    ];
    let g = graph(&recipes, &DataStore::new(), &["b"]).expect("graph");
    let e = edges(&g);
    for want in ["b:do_build -> a:do_build", "b:do_build -> c:do_build"] {
        assert!(e.contains(&want.to_owned()), "{want} missing from {e:#?}");
    }
}

#[test]
fn depends_flag_names_a_task_of_another_recipe() {
    let recipes = [
        recipe("tool", &[], CHAIN, &[]),
        recipe(
            "app",
            &[],
            CHAIN,
            &[("depends", "do_compile", "tool:do_build")],
        ),
    ];
    let g = graph(&recipes, &DataStore::new(), &["app"]).expect("graph");
    assert!(
        edges(&g).contains(&"app:do_compile -> tool:do_build".to_owned()),
        "{:#?}",
        edges(&g)
    );
    assert!(names(&g).contains(&"tool:do_fetch".to_owned()));
}

#[test]
fn the_preferred_provider_is_the_one_built() {
    let mut p1 = recipe("p1", &[], CHAIN, &[]);
    p1.provides.push("virtual/x".into());
    let mut p2 = recipe("p2", &[], CHAIN, &[]);
    p2.provides.push("virtual/x".into());
    let user = recipe(
        "user",
        &["virtual/x"],
        CHAIN,
        &[("deptask", "do_compile", "do_build")],
    );
    let mut config = DataStore::new();
    config.set_var("PREFERRED_PROVIDER_virtual/x", "p2");
    let g = graph(&[p1, p2, user], &config, &["user"]).expect("graph");
    let n = names(&g);
    assert!(n.contains(&"p2:do_build".to_owned()), "{n:?}");
    assert!(!n.iter().any(|t| t.starts_with("p1:")), "{n:?}");
    assert_eq!(
        g.depends.get("/layer/user_1.0.bb"),
        Some(&vec![(
            "virtual/x".to_owned(),
            "/layer/p2_1.0.bb".to_owned()
        )])
    );
}

#[test]
fn a_missing_provider_is_bitbake_s_error() {
    let recipes = [recipe(
        "b",
        &["nosuch"],
        CHAIN,
        &[("deptask", "do_compile", "do_build")],
    )];
    let err = graph(&recipes, &DataStore::new(), &["b"]).expect_err("no provider");
    assert!(matches!(err, Error::NoProvider(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("nosuch"), "{text}");
    let err = graph(&recipes, &DataStore::new(), &["absent"]).expect_err("no provider");
    assert!(
        err.to_string().contains("Nothing PROVIDES 'absent'"),
        "{err}"
    );
}

#[test]
fn a_dependency_loop_is_reported_with_its_tasks() {
    let recipes = [recipe(
        "loop",
        &[],
        &[
            ("do_a", &["do_b"]),
            ("do_b", &["do_a"]),
            ("do_build", &["do_a"]),
        ],
        &[],
    )];
    let err = graph(&recipes, &DataStore::new(), &["loop"]).expect_err("a cycle");
    let text = err.to_string();
    assert!(text.contains("do_a") && text.contains("do_b"), "{text}");
}

#[test]
fn noexec_and_nostamp_flags_reach_the_graph_and_the_dot_files_list_every_task() {
    let recipes = [recipe(
        "a",
        &[],
        CHAIN,
        &[("noexec", "do_build", "1"), ("nostamp", "do_fetch", "1")],
    )];
    let g = graph(&recipes, &DataStore::new(), &["a"]).expect("graph");
    let flags = &g.flags["/layer/a_1.0.bb"];
    assert!(flags.has("noexec", "do_build"));
    assert!(flags.has("nostamp", "do_fetch"));
    assert!(!flags.has("noexec", "do_compile"));
    assert_eq!(bb_taskgraph::dot::pn_buildlist(&g).trim(), "a");
    let dot = bb_taskgraph::dot::task_depends(&g);
    for t in ["a.do_fetch", "a.do_compile", "a.do_build"] {
        assert!(dot.contains(t), "{t} missing from {dot}");
    }
}

/// FNV-1a, 64 bits: a digest of a graph's whole output that needs no dependency.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Everything a graph gives, as text: the `-g` files, and the task order, edges,
/// run-queue ranks, targets, flags and resolved DEPENDS.
fn whole(g: &TaskGraph) -> String {
    let mut out = bb_taskgraph::dot::task_depends(g);
    out.push_str(&bb_taskgraph::dot::pn_buildlist(g));
    for (i, t) in g.tasks.iter().enumerate() {
        out.push_str(&format!("{t} {:?} {}\n", g.deps[i], g.rank[i]));
    }
    out.push_str(&format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n",
        g.targets, g.recipes, g.flags, g.depends
    ));
    out
}

/// A generated world of 300 recipes (recipe `i` DEPENDS on `i/2` and `i/3` and
/// RDEPENDS on `i/5`; `[deptask]`, `[rdeptask]`, `[depends]`, `[recrdeptask]` and
/// `[recideptask]` edges) and three graphs of it: every recipe, one recursive task, and
/// `--runall`. Their digests were taken with the string-keyed graph code this
/// replaced (commit 9970368): the numbered one must give the same graphs, byte for byte.
#[test]
fn a_generated_world_gives_the_same_graphs_as_before() {
    const TASKS: &[(&str, &[&str])] = &[
        ("do_fetch", &[]),
        ("do_compile", &["do_fetch"]),
        ("do_install", &["do_compile"]),
        ("do_build", &["do_install"]),
        ("do_fetchall", &["do_fetch"]),
    ];
    let n = 300;
    let recipes: Vec<RecipeInfo> = (0..n)
        .map(|i| {
            let deps: Vec<String> = [i / 2, i / 3]
                .into_iter()
                .filter(|&d| d < i)
                .map(|d| format!("r{d}"))
                .collect();
            let mut deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            deps.dedup();
            let mut r = recipe(
                &format!("r{i}"),
                &deps,
                TASKS,
                &[
                    ("deptask", "do_compile", "do_install"),
                    ("rdeptask", "do_build", "do_install"),
                    ("depends", "do_install", "r0:do_fetch"),
                    ("recrdeptask", "do_fetchall", "do_fetchall do_fetch"),
                    ("recideptask", "do_fetchall", "do_build"),
                ],
            );
            if i > 0 {
                r.rundeps
                    .insert(format!("r{i}"), vec![format!("r{}", i / 5)]);
            }
            r
        })
        .collect();
    let config = DataStore::new();
    let all: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let world = graph(&recipes, &config, &all).expect("graph of every recipe");
    assert_eq!(world.len(), n * 4, "do_fetchall is not needed for do_build");
    let last = format!("r{}:do_fetchall", n - 1);
    let fetchall = graph(&recipes, &config, &[last.as_str()]).expect("recursive graph");
    let providers = Providers::new(&recipes);
    let opts = GraphOptions {
        targets: vec![Target::parse(&format!("r{}", n - 1), "build")],
        runall: vec!["fetch".to_owned()],
        ..GraphOptions::default()
    };
    let runall = build_graph(&providers, &config, &opts)
        .0
        .expect("--runall graph");
    let got = [
        (world.len(), fnv(&whole(&world))),
        (fetchall.len(), fnv(&whole(&fetchall))),
        (runall.len(), fnv(&whole(&runall))),
    ];
    assert_eq!(
        got,
        [
            (1200, 6_448_851_761_866_255_253),
            (27, 6_410_619_218_221_716_847),
            (26, 2_505_494_492_363_755_757),
        ]
    );
}
