//! buildslist, builddelete, perf.

use bb_toaster::manage::{builddelete, buildslist};

use super::{record, rows, temp_db};

#[test]
fn buildslist_prints_one_line_per_build() {
    let (_tmp, path) = temp_db();
    let a = record(&path);
    let b = record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    conn.execute(
        "INSERT INTO orm_target (build_id, target, task) VALUES (?1, 'libhello', 'compile')",
        [b],
    )
    .expect("a second target");
    let list = buildslist(&conn).expect("lists");
    let text: Vec<String> = list.iter().map(|b| b.text()).collect();
    assert_eq!(
        text,
        [
            format!("{a}: qemux86-64 bake sayhello"),
            format!("{b}: qemux86-64 bake sayhello,libhello")
        ]
    );
    let json = serde_json::to_value(&list).expect("json");
    assert_eq!(json[1]["targets"][1], "libhello");
    assert_eq!(json[0]["outcome"], "Failed");
}

#[test]
fn builddelete_removes_only_what_belongs_to_the_build() {
    let (_tmp, path) = temp_db();
    let a = record(&path);
    let b = record(&path);
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let count_all = |conn: &rusqlite::Connection| {
        rows(
            conn,
            "SELECT (SELECT count(*) FROM orm_task), (SELECT count(*) FROM orm_recipe), (SELECT count(*) FROM orm_variable), \
             (SELECT count(*) FROM orm_variablehistory), (SELECT count(*) FROM orm_logmessage), (SELECT count(*) FROM orm_layer_version), \
             (SELECT count(*) FROM orm_layer), (SELECT count(*) FROM orm_target), (SELECT count(*) FROM orm_recipe_dependency), \
             (SELECT count(*) FROM orm_task_dependency), (SELECT count(*) FROM orm_helptext), (SELECT count(*) FROM orm_provides)",
            [],
        )
    };
    assert_eq!(count_all(&conn), ["10|4|6|8|2|2|1|2|4|8|6|2"]);
    builddelete(&mut conn, &[a]).expect("deletes");
    // Everything of `a` went; `b` and the layer both used are intact.
    assert_eq!(count_all(&conn), ["5|2|3|4|1|1|1|1|2|4|3|1"]);
    assert_eq!(
        buildslist(&conn)
            .expect("lists")
            .iter()
            .map(|l| l.id)
            .collect::<Vec<_>>(),
        [b]
    );
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
    builddelete(&mut conn, &[b]).expect("deletes");
    assert_eq!(count_all(&conn), ["0|0|0|0|0|0|0|0|0|0|0|0"]);
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
}

#[test]
fn builddelete_of_an_unknown_id_names_it_and_deletes_nothing() {
    let (_tmp, path) = temp_db();
    let a = record(&path);
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let e = builddelete(&mut conn, &[a, 4242]).expect_err("unknown");
    assert_eq!(e.to_string(), "build 4242 does not exist");
    assert!(matches!(e, bb_toaster::Error::UnknownBuild(4242)));
    assert_eq!(
        buildslist(&conn).expect("lists").len(),
        1,
        "one transaction"
    );
}

#[test]
fn builddelete_refuses_a_build_being_recorded() {
    let (_tmp, path) = temp_db();
    let rec = bb_toaster::Recorder::start(&path, super::start()).expect("records");
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    let e = builddelete(&mut conn, &[rec.build_id()]).expect_err("live");
    assert!(e.to_string().contains("being recorded"), "{e}");
    let id = rec.finish().expect("finishes");
    builddelete(&mut conn, &[id]).expect("deletes once finished");
}

#[test]
fn builddelete_gives_the_space_back() {
    let (_tmp, path) = temp_db();
    let mut start = super::start();
    start.variables = (0..3000)
        .map(|i| bb_toaster::VariableRow {
            name: format!("VAR_{i}"),
            value: "x".repeat(200),
            history: vec![bb_toaster::HistoryRow {
                file_name: "/b/conf/local.conf".into(),
                line_number: Some(i),
                operation: "set".into(),
                value: "x".repeat(200),
            }],
            ..bb_toaster::VariableRow::default()
        })
        .collect();
    let keep = record(&path);
    let rec = bb_toaster::Recorder::start(&path, start).expect("records");
    rec.build_started();
    let big = rec.finish().expect("finishes");
    let mut conn = bb_toaster::db::open(&path).expect("opens");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    let before = std::fs::metadata(&path).expect("size").len();
    builddelete(&mut conn, &[big]).expect("deletes");
    let after = std::fs::metadata(&path).expect("size").len();
    assert!(after * 2 < before, "{before} -> {after} bytes");
    let (_, free) = bb_toaster::db::size(&conn).expect("size");
    assert_eq!(free, 0, "no free pages are left in the file");
    assert!(bb_toaster::db::check(&conn).expect("checks").is_empty());
    assert_eq!(buildslist(&conn).expect("lists")[0].id, keep);
}

#[test]
fn perf_times_every_page_query() {
    let (_tmp, path) = temp_db();
    record(&path);
    let conn = bb_toaster::db::open(&path).expect("opens");
    let pages = bb_toaster::manage::perf(&conn).expect("times");
    assert_eq!(pages.len(), 5);
    assert!(
        pages
            .iter()
            .any(|p| p.page.starts_with("tasks") && p.rows == 5),
        "{pages:?}"
    );
    assert!(
        pages
            .iter()
            .any(|p| p.page.starts_with("configuration") && p.rows == 5),
        "{pages:?}"
    );
}
