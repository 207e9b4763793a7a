//! Synthetic recorded builds for the web interface's tests and benchmark: recorded by
//! bake's own recorder (`bb_toaster::Recorder`: recipes, tasks and their dependencies,
//! variables with history, task outcomes and usage, log messages), plus the rows that
//! packaging will write once it lands (targets' image files, packages, their files and
//! dependencies, installed packages, the image's files), inserted directly.
//! Shared with `benches/benches/toaster_web.rs` through `#[path]`.

use std::path::Path;

use bb_events::{BuildEvent, Outcome, SkipReason, TaskRef, Usage};
use bb_toaster::model::LogLevel;
use bb_toaster::{
    BuildStart, DepTree, HistoryRow, LayerInfo, RecipeRow, Recorder, TaskRow, VariableRow,
};

/// What to record.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub(crate) recipes: usize,
    pub(crate) tasks_per_recipe: usize,
    pub(crate) variables: usize,
    pub(crate) packages: usize,
    pub(crate) files_per_package: usize,
    /// The recipe whose `do_compile` fails (the build fails), if any.
    pub(crate) fail: Option<usize>,
    /// Names and values that try to break out of HTML and inline JSON.
    pub(crate) hostile: bool,
    pub(crate) machine: String,
    /// The project (default: "Command line builds").
    pub(crate) project: Option<String>,
    /// A file recorded as the cooker log (downloadable).
    pub(crate) cooker_log: String,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            recipes: 12,
            tasks_per_recipe: 4,
            variables: 30,
            packages: 8,
            files_per_package: 5,
            fail: None,
            hostile: false,
            machine: "qemux86-64".into(),
            project: None,
            cooker_log: String::new(),
        }
    }
}

/// The name hostile builds give recipe 1.
pub(crate) const HOSTILE: &str = "<script>alert('x')</script>\"q\u{2028}";

fn recipe_name(spec: &Spec, i: usize) -> String {
    if spec.hostile && i == 1 {
        HOSTILE.to_owned()
    } else {
        format!("recipe{i:04}")
    }
}

/// Records a build as `spec` says; returns its id.
pub(crate) fn record(db: &Path, spec: &Spec) -> i64 {
    let variables = (0..spec.variables)
        .map(|i| VariableRow {
            name: if i == 0 {
                "MACHINE".into()
            } else if i == 1 {
                "DISTRO".into()
            } else {
                format!("VAR_{i}")
            },
            value: if i == 0 {
                spec.machine.clone()
            } else if spec.hostile && i == 2 {
                "</script><script>alert(1)</script>\u{2028}'\"".into()
            } else {
                format!("value of {i}")
            },
            doc: (i % 3 == 0).then(|| format!("The documentation of variable {i}")),
            history: vec![
                HistoryRow {
                    file_name: "/src/meta/conf/bitbake.conf".into(),
                    line_number: Some(i as i64 + 1),
                    operation: "set".into(),
                    value: format!("v{i}"),
                },
                HistoryRow {
                    file_name: if i % 2 == 0 {
                        "/build/conf/local.conf".into()
                    } else {
                        "/src/meta/conf/machine/qemu.conf".into()
                    },
                    line_number: Some(3),
                    operation: "append".into(),
                    value: format!("more {i}"),
                },
            ],
            ..VariableRow::default()
        })
        .collect();
    let rec = Recorder::start(
        db,
        BuildStart {
            machine: spec.machine.clone(),
            distro: "bake".into(),
            targets: vec![
                ("image0".into(), String::new()),
                ("recipe0002".into(), "do_compile".into()),
            ],
            layers: vec![LayerInfo {
                name: "openembedded-core".into(),
                path: "/src/meta".into(),
                branch: "master".into(),
                commit: "0123abc".into(),
                priority: 5,
            }],
            variables,
            cooker_log_path: spec.cooker_log.clone(),
            project: spec.project.clone(),
            ..BuildStart::default()
        },
    )
    .unwrap_or_else(|e| panic!("start recording into {}: {e}", db.display()));
    let fn_name = |i: usize| format!("/src/meta/recipes/r{i}/r{i}_1.0.bb");
    let recipes = (0..spec.recipes)
        .map(|i| RecipeRow {
            fn_name: fn_name(i),
            name: recipe_name(spec, i),
            version: ":1.0-r0".into(),
            pf: format!("r{i}-1.0-r0"),
            license: if i % 2 == 0 {
                "MIT".into()
            } else {
                "GPL-2.0-only".into()
            },
            section: "base".into(),
            summary: format!("Recipe number {i}"),
            depends: if i > 0 {
                vec![(recipe_name(spec, i / 2), fn_name(i / 2))]
            } else {
                vec![]
            },
            ..RecipeRow::default()
        })
        .collect();
    let names = [
        "do_fetch",
        "do_configure",
        "do_compile",
        "do_install",
        "do_package",
        "do_build",
        "do_t6",
        "do_t7",
        "do_t8",
        "do_t9",
    ];
    let tpr = spec.tasks_per_recipe.clamp(1, names.len());
    let mut tasks = Vec::new();
    let mut deps = Vec::new();
    for i in 0..spec.recipes {
        for (t, name) in names.iter().enumerate().take(tpr) {
            tasks.push(TaskRow {
                fn_name: fn_name(i),
                task: (*name).into(),
                python: t == 0,
                hash: format!("{:064x}", i * tpr + t),
            });
            deps.push(if t > 0 {
                vec![i * tpr + t - 1]
            } else if i > 0 {
                vec![(i / 2) * tpr + tpr - 1]
            } else {
                vec![]
            });
        }
    }
    let total = tasks.len();
    rec.dep_tree(DepTree {
        recipes,
        tasks,
        deps,
    });
    rec.event(&BuildEvent::BuildStarted {
        targets: vec!["image0".into()],
        total,
    });
    let mut n = 0;
    let mut failed = false;
    for i in 0..spec.recipes {
        for (t, name) in names.iter().enumerate().take(tpr) {
            n += 1;
            let task = TaskRef {
                index: i * tpr + t,
                pn: recipe_name(spec, i),
                fn_name: fn_name(i),
                task: (*name).into(),
            };
            if failed {
                continue;
            }
            if t == 1 && i % 5 == 4 {
                rec.event(&BuildEvent::TaskSkipped {
                    task,
                    reason: SkipReason::UpToDate,
                });
                continue;
            }
            rec.event(&BuildEvent::TaskStarted {
                task: task.clone(),
                number: n,
                total,
                log: format!("/tmp/work/r{i}/temp/log.{name}.{n}"),
                noexec: false,
            });
            let usage = Usage {
                elapsed: 0.1 + (n % 7) as f64,
                cpu_user: (n % 5) as f64 * 0.5,
                cpu_system: (n % 3) as f64 * 0.25,
                disk_read: (n as u64 % 4) * 4096,
                disk_write: (n as u64 % 6) * 8192,
            };
            if spec.fail == Some(i) && *name == "do_compile" {
                rec.event(&BuildEvent::TaskFailed {
                    task,
                    usage,
                    log: format!("/tmp/work/r{i}/temp/log.do_compile"),
                    message: "oe_runmake failed".into(),
                    tail: vec!["make: *** [all] Error 2".into()],
                    exitcode: 1,
                });
                rec.log(
                    LogLevel::Error,
                    &format!(
                        "{}: do_compile failed: <b>make</b> exited 2",
                        recipe_name(spec, i)
                    ),
                    "",
                    None,
                );
                failed = true;
            } else {
                rec.event(&BuildEvent::TaskSucceeded { task, usage });
            }
        }
    }
    rec.log(
        LogLevel::Warn,
        "a warning about </script> and \"quotes\"",
        "",
        None,
    );
    if spec.fail.is_some() {
        rec.log(LogLevel::Critical, "a critical message", "", None);
        rec.log(LogLevel::Exception, "an exception message", "", None);
    }
    rec.event(&BuildEvent::BuildFinished {
        outcome: if failed {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        },
        ran: n,
        skipped: 0,
        failed: usize::from(failed),
        not_run: 0,
    });
    let id = rec
        .finish()
        .unwrap_or_else(|e| panic!("finish recording: {e}"));
    packaging(db, id, spec);
    id
}

/// What packaging will record: the image target's files, packages with files and
/// dependencies, installed packages, the image's directory tree.
fn packaging(db: &Path, build: i64, spec: &Spec) {
    let mut conn =
        bb_toaster::db::open(db).unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    let tx = conn.transaction().unwrap_or_else(|e| panic!("begin: {e}"));
    let q = |sql: &str, p: &[&dyn rusqlite::ToSql]| {
        tx.execute(sql, p).unwrap_or_else(|e| panic!("{sql}: {e}"));
        tx.last_insert_rowid()
    };
    let target: i64 = tx
        .query_row(
            "SELECT id FROM orm_target WHERE build_id = ?1 ORDER BY id LIMIT 1",
            [build],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("target: {e}"));
    q(
        "UPDATE orm_target SET is_image = 1 WHERE id = ?1",
        &[&target],
    );
    q(
        "INSERT INTO orm_target_image_file (target_id, file_name, file_size) VALUES (?1, ?2, 123456)",
        &[&target, &"/tmp/deploy/images/image0.ext4"],
    );
    q(
        "INSERT INTO orm_targetkernelfile (target_id, file_name, file_size) VALUES (?1, ?2, 4321)",
        &[&target, &"/tmp/deploy/images/bzImage"],
    );
    let recipes: Vec<i64> = {
        let mut st = tx
            .prepare("SELECT r.id FROM orm_recipe r JOIN orm_layer_version lv ON lv.id = r.layer_version_id WHERE lv.build_id = ?1 ORDER BY r.id")
            .unwrap_or_else(|e| panic!("{e}"));
        st.query_map([build], |r| r.get(0))
            .and_then(|x| x.collect::<Result<Vec<i64>, _>>())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let root = q(
        "INSERT INTO orm_target_file (target_id, path, size, inodetype, permission, owner, \"group\") VALUES (?1, '/', 4096, 2, 'rwxr-xr-x', 'root', 'root')",
        &[&target],
    );
    let usr = q(
        "INSERT INTO orm_target_file (target_id, path, size, inodetype, permission, owner, \"group\", directory_id) VALUES (?1, '/usr', 4096, 2, 'rwxr-xr-x', 'root', 'root', ?2)",
        &[&target, &root],
    );
    let mut prev: Option<i64> = None;
    for p in 0..spec.packages {
        let recipe = recipes.get(p % recipes.len().max(1)).copied();
        let name = if spec.hostile && p == 1 {
            HOSTILE.to_owned()
        } else {
            format!("pkg{p:04}")
        };
        let pid = q(
            "INSERT INTO orm_package (build_id, recipe_id, name, installed_name, version, revision, size, installed_size, license, summary) VALUES (?1, ?2, ?3, ?4, '1.0', 'r0', ?5, ?5, 'MIT', 'a package')",
            &[
                &build,
                &recipe,
                &name,
                &if p % 3 == 0 {
                    format!("lib{name}")
                } else {
                    name.clone()
                },
                &((p as i64 + 1) * 1000),
            ],
        );
        q(
            "INSERT INTO orm_target_installed_package (target_id, package_id) VALUES (?1, ?2)",
            &[&target, &pid],
        );
        if let Some(prev) = prev {
            q(
                "INSERT INTO orm_package_dependency (package_id, depends_on_id, dep_type) VALUES (?1, ?2, 0)",
                &[&pid, &prev],
            );
            q(
                "INSERT INTO orm_package_dependency (package_id, depends_on_id, dep_type) VALUES (?1, ?2, 2)",
                &[&pid, &prev],
            );
            q(
                "INSERT INTO orm_package_dependency (package_id, depends_on_id, dep_type, target_id) VALUES (?1, ?2, 1, ?3)",
                &[&pid, &prev, &target],
            );
        }
        prev = Some(pid);
        let dir = q(
            "INSERT INTO orm_target_file (target_id, path, size, inodetype, permission, owner, \"group\", directory_id) VALUES (?1, ?2, 4096, 2, 'rwxr-xr-x', 'root', 'root', ?3)",
            &[&target, &format!("/usr/p{p}"), &usr],
        );
        for f in 0..spec.files_per_package {
            let path = format!("/usr/p{p}/file{f}");
            q(
                "INSERT INTO orm_package_file (package_id, path, size) VALUES (?1, ?2, ?3)",
                &[&pid, &path, &((f as i64 + 1) * 100)],
            );
            q(
                "INSERT INTO orm_target_file (target_id, path, size, inodetype, permission, owner, \"group\", directory_id) VALUES (?1, ?2, ?3, 1, 'rw-r--r--', 'root', 'root', ?4)",
                &[&target, &path, &((f as i64 + 1) * 100), &dir],
            );
        }
    }
    tx.commit().unwrap_or_else(|e| panic!("commit: {e}"));
}
