//! The project pages and their changes (projects.rs) over a database set up by
//! `checksettings` with a catalog imported from testdata/layerindex: every change needs
//! the CSRF token and is checked (names, forbidden variables, inline Python, layer URLs,
//! revisions, subdirectories, targets); the project tables follow the ToasterTable
//! protocol; the typeaheads' schema.

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt as _;

use super::Resp;

struct Proj {
    _dir: tempfile::TempDir,
    router: axum::Router,
    rt: tokio::runtime::Runtime,
    token: String,
}

impl Proj {
    fn new() -> Proj {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("toaster.sqlite");
        let mut conn = bb_toaster::db::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        bb_toaster::manage::checksettings(&mut conn, &fixtures, false)
            .unwrap_or_else(|e| panic!("{e}"));
        // The test index, its branch renamed to the `bake` release's.
        let mut all = serde_json::Map::new();
        let data =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/layerindex/v1");
        for name in bb_toaster::layerindex::COLLECTIONS {
            let text = fs_err::read_to_string(data.join(format!("{name}.json")))
                .unwrap_or_else(|e| panic!("{e}"))
                .replace("\"name\": \"master\"", "\"name\": \"main\"");
            all.insert(
                (*name).to_owned(),
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let index =
            bb_toaster::layerindex::Index::from_json("test", &serde_json::Value::Object(all))
                .unwrap_or_else(|e| panic!("{e}"));
        bb_toaster::layerindex::import(&mut conn, &index, &mut |_, _, _| {})
            .unwrap_or_else(|e| panic!("{e}"));
        drop(conn);
        let router = toaster_web::router(&db, None).unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut p = Proj {
            _dir: dir,
            router,
            rt,
            token: String::new(),
        };
        let first = p.send("GET", "/toastergui/newproject/", None, false);
        assert_eq!(first.status, 200, "{}", first.body);
        p.token = first
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .and_then(|c| c.strip_prefix("csrftoken="))
            .unwrap_or("")
            .to_owned();
        assert_eq!(p.token.len(), 64);
        p
    }

    fn send(&self, method: &str, uri: &str, form: Option<&[(&str, &str)]>, token: bool) -> Resp {
        let body = form
            .map(|f| {
                f.iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .unwrap_or_default();
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/x-www-form-urlencoded");
        if token {
            req = req
                .header("cookie", format!("csrftoken={}", self.token))
                .header("x-csrftoken", &self.token);
        }
        let req = req.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"));
        self.rt.block_on(async {
            let r = self
                .router
                .clone()
                .oneshot(req)
                .await
                .unwrap_or_else(|e| match e {});
            let status = r.status();
            let headers = r.headers().clone();
            let bytes = axum::body::to_bytes(r.into_body(), 64 << 20)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Resp {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
    }

    fn post(&self, uri: &str, form: &[(&str, &str)]) -> Resp {
        self.send("POST", uri, Some(form), true)
    }

    fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, None, false)
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn error(r: &Resp) -> String {
    r.json()["error"].as_str().unwrap_or("").to_owned()
}

#[test]
fn project_changes_need_the_token_and_are_checked() {
    let p = Proj::new();
    let name = "x <script>alert(1)</script> $(touch /tmp/pwned-it)";
    // Without the token: refused, nothing created.
    for (m, uri) in [
        ("POST", "/toastergui/newproject/"),
        ("POST", "/toastergui/xhr_project/2"),
        ("DELETE", "/toastergui/xhr_project/2"),
        ("POST", "/toastergui/xhr_configvaredit/2"),
        ("POST", "/toastergui/xhr_buildrequest/project/2"),
        ("PUT", "/toastergui/xhr_layer/2"),
    ] {
        let r = p.send(
            m,
            uri,
            Some(&[("projectname", name), ("projectversion", "1")]),
            false,
        );
        assert_eq!(r.status, 403, "{m} {uri}");
    }
    assert_eq!(p.get("/toastergui/project/2/").status, 404);

    let r = p.post(
        "/toastergui/newproject/",
        &[
            ("projectname", name),
            ("projectversion", "1"),
            ("ptype", "new"),
        ],
    );
    assert_eq!(error(&r), "ok", "{}", r.body);
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    let page = p.get(&format!("/toastergui/project/{pid}/"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "the name is escaped");
    assert!(
        page.body
            .contains("x &lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
    // The release's default layer and the DEFCONF_ variables.
    let j = p.get(&format!("/toastergui/xhr_project/{pid}")).json();
    assert_eq!(j["layers"][0]["name"], "bakecore");
    assert_eq!(j["release"]["name"], "bake");

    let x = |form: &[(&str, &str)], uri: &str| -> (u16, String) {
        let r = p.post(uri, form);
        (r.status.as_u16(), error(&r))
    };
    let proj = format!("/toastergui/xhr_project/{pid}");
    let conf = format!("/toastergui/xhr_configvaredit/{pid}");
    let layer = format!("/toastergui/xhr_layer/{pid}");
    let build = format!("/toastergui/xhr_buildrequest/project/{pid}");
    // Refused, each with its reason.
    for (form, uri, want) in [
        (
            vec![("projectname", name), ("projectversion", "1")],
            "/toastergui/newproject/",
            "exists",
        ),
        (
            vec![("projectname", " "), ("projectversion", "1")],
            "/toastergui/newproject/",
            "needs a name",
        ),
        (
            vec![
                ("projectname", "imp"),
                ("ptype", "import"),
                ("importdir", "/nonexistent"),
            ],
            "/toastergui/newproject/",
            "no conf/",
        ),
        (
            vec![("variable", "TMPDIR"), ("value", "/x")],
            conf.as_str(),
            "cannot be set",
        ),
        (
            vec![("variable", "BB_NUMBER_THREADS"), ("value", "99")],
            conf.as_str(),
            "cannot be set",
        ),
        (
            vec![("variable", "X"), ("value", "${@os.system('id')}")],
            conf.as_str(),
            "inline Python",
        ),
        (
            vec![("variable", "X"), ("value", "a\nINHERIT += \"evil\"")],
            conf.as_str(),
            "one line",
        ),
        (
            vec![("variable", "DL_DIR"), ("value", "relative/dir")],
            conf.as_str(),
            "absolute",
        ),
        (
            vec![("variable", "A B"), ("value", "1")],
            conf.as_str(),
            "not a variable name",
        ),
        (
            vec![("machineName", "qemu; rm -rf /")],
            proj.as_str(),
            "not a MACHINE",
        ),
        (vec![("layerAdd", "999")], proj.as_str(), "not compatible"),
        (
            vec![
                ("name", "l1"),
                ("vcs_url", "ext::sh -c touch% /tmp/pwned-it"),
            ],
            layer.as_str(),
            "not a git URL",
        ),
        (
            vec![
                ("name", "l2"),
                ("vcs_url", "--upload-pack=touch /tmp/pwned-it"),
            ],
            layer.as_str(),
            "not a git URL",
        ),
        (
            vec![
                ("name", "l3"),
                ("vcs_url", "https://example.invalid/x"),
                ("git_ref", "--output=/tmp/x"),
            ],
            layer.as_str(),
            "not a git revision",
        ),
        (
            vec![
                ("name", "l4"),
                ("vcs_url", "https://example.invalid/x"),
                ("dir_path", "../../etc"),
            ],
            layer.as_str(),
            "relative path inside",
        ),
        (
            vec![("name", "l5"), ("local_source_dir", "relative")],
            layer.as_str(),
            "absolute directory",
        ),
        (
            vec![("name", "<b>"), ("local_source_dir", "/tmp")],
            layer.as_str(),
            "not a layer name",
        ),
        (vec![("targets", "-e")], build.as_str(), "not a target"),
        (vec![("targets", "a;b")], build.as_str(), "not a target"),
    ] {
        let (status, msg) = x(&form, uri);
        assert_eq!(status, 400, "{form:?}: {msg}");
        assert!(
            msg.contains(want),
            "{form:?}: `{msg}` does not say `{want}`"
        );
    }
    // Accepted.
    assert_eq!(
        x(&[("machineName", "qemux86-64")], &proj),
        (200, "ok".into())
    );
    assert_eq!(
        x(
            &[("variable", "MY_NOTE"), ("value", "<b>\"q\"</b> $(id)")],
            &conf
        ),
        (200, "ok".into())
    );
    let conf_page = p.get(&format!("/toastergui/project/{pid}/configuration"));
    assert!(
        conf_page
            .body
            .contains("&lt;b&gt;&quot;q&quot;&lt;&#x2f;b&gt; $(id)")
    );
    let r = p.post(
        &layer,
        &[
            ("name", "meta-local"),
            ("local_source_dir", "/srv/layers/meta-local"),
        ],
    );
    assert_eq!(error(&r), "ok", "{}", r.body);
    let lv = r.json()["imported_layer"]["id"].as_i64().unwrap_or(0);
    assert_eq!(
        p.get(&format!("/toastergui/project/{pid}/layer/{lv}"))
            .status,
        200
    );
    let j = p.get(&format!("/toastergui/xhr_layer/{pid}/{lv}")).json();
    assert_eq!(j["layer"]["imported"], true);
    assert_eq!(j["layer"]["local_source_dir"], "/srv/layers/meta-local");
    let j = p
        .get(&format!(
            "/toastergui/project/{pid}/layer/{lv}/recipes/?format=json"
        ))
        .json();
    assert_eq!(j["total"], 0);
    // An imported layer can be deleted; a catalog one cannot.
    let r = p.send("DELETE", &format!("{layer}/{lv}"), None, true);
    assert_eq!(error(&r), "ok", "{}", r.body);
    assert_eq!(
        p.get(&format!("/toastergui/xhr_layer/{pid}/{lv}")).status,
        404
    );
    let bakecore =
        p.get(&format!("/toastergui/xhr_project/{pid}")).json()["layers"][0]["id"].to_string();
    let r = p.send("DELETE", &format!("{layer}/{bakecore}"), None, true);
    assert_eq!(r.status, 400);
    assert!(error(&r).contains("was not imported"));
    let r = p.post(&build, &[("targets", "sayhello sayhello:do_compile")]);
    assert_eq!(error(&r), "ok", "{}", r.body);
    let req = r.json()["buildrequest_id"]
        .as_i64()
        .unwrap_or(0)
        .to_string();
    // Queued in the most recent builds box, with its request; cancelled at once.
    let mrb = p
        .get(&format!("/toastergui/mostrecentbuilds?project_id={pid}"))
        .json();
    assert_eq!(mrb[0]["state"], "Queued");
    assert_eq!(mrb[0]["buildrequest_id"].to_string(), req);
    assert_eq!(mrb[0]["targets"], "sayhello sayhello:compile");
    assert_eq!(x(&[("buildCancel", &req)], &build), (200, "ok".into()));
    let mrb = p
        .get(&format!("/toastergui/mostrecentbuilds?project_id={pid}"))
        .json();
    assert_eq!(mrb[0]["state"], "Cancelled");
    // A finished request is deleted with its build.
    assert_eq!(x(&[("buildDelete", &req)], &build), (200, "ok".into()));
    let mrb = p
        .get(&format!("/toastergui/mostrecentbuilds?project_id={pid}"))
        .json();
    assert_eq!(mrb.as_array().map(Vec::len), Some(0));
    // Rename, then delete.
    assert_eq!(x(&[("projectName", "renamed")], &proj), (200, "ok".into()));
    let r = p.send("DELETE", &proj, None, true);
    assert_eq!(error(&r), "ok");
    assert_eq!(p.get(&format!("/toastergui/project/{pid}/")).status, 404);
    // A new project's custom images: none yet.
    let r = p.post(
        "/toastergui/newproject/",
        &[("projectname", "p2"), ("projectversion", "1")],
    );
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    let list = p.get(&format!("/toastergui/project/{pid}/customimages/"));
    assert_eq!(list.status, 200);
    assert!(list.body.contains("id=\"empty-state-customimagestable\""));
}

#[test]
fn project_tables_follow_the_table_protocol_and_typeaheads_their_schema() {
    let p = Proj::new();
    let r = p.post(
        "/toastergui/newproject/",
        &[("projectname", "t"), ("projectversion", "1")],
    );
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    // meta-hello from the index into the project.
    let all = p
        .get(&format!(
            "/toastergui/project/{pid}/layers/?format=json&limit=100"
        ))
        .json();
    let hello = all["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["layer__name"] == "meta-hello"))
        .map(|r| r["add-del-layers"].clone());
    assert_eq!(hello, Some(serde_json::json!(false)));
    let ids: Vec<String> = p
        .get(&format!(
            "/toastergui/xhr_typeahead/{pid}/layers?include_added=false&search=meta-h"
        ))
        .json()["results"]
        .as_array()
        .map(|a| a.iter().map(|x| x["id"].to_string()).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        error(&p.post(
            &format!("/toastergui/xhr_project/{pid}"),
            &[("layerAdd", &ids[0])]
        )),
        "ok"
    );
    for (table, min) in [
        ("layers", 3),
        ("machines", 3),
        ("distros", 1),
        ("images", 1),
        ("softwarerecipes", 4),
    ] {
        let base = format!("/toastergui/project/{pid}/{table}/");
        let page = p.get(&base);
        assert_eq!(page.status, 200, "{table}");
        assert!(page.body.contains("id=\"project-topbar\""));
        let j = p.get(&format!("{base}?format=json&limit=100")).json();
        assert_eq!(j["error"], "ok", "{table}");
        let total = j["total"].as_i64().unwrap_or(0);
        assert!(total >= min, "{table}: {total} rows");
        assert_eq!(j["rows"].as_array().map(Vec::len), Some(total as usize));
        let one = p.get(&format!("{base}?format=json&limit=1")).json();
        assert_eq!(one["rows"].as_array().map(Vec::len), Some(1), "{table}");
        // Each orderable column sorts both ways.
        for c in j["columns"].as_array().into_iter().flatten() {
            if c["orderable"] == true {
                let f = c["field_name"].as_str().unwrap_or("");
                for o in [f.to_owned(), format!("-{f}")] {
                    let r = p.get(&format!("{base}?format=json&orderby={o}"));
                    assert_eq!(r.status, 200, "{table} {o}");
                }
            }
        }
        // The filter's counts are the rows it leaves.
        let info = p
            .get(&format!("{base}?cmd=filterinfo&name=in_current_project"))
            .json();
        for a in info["filter_actions"].as_array().into_iter().flatten() {
            let name = a["action_name"].as_str().unwrap_or("");
            if name == "all" {
                continue;
            }
            let rows = p
                .get(&format!(
                    "{base}?format=json&limit=100&filter=in_current_project:{name}"
                ))
                .json()["total"]
                .as_i64();
            assert_eq!(rows, a["count"].as_i64(), "{table} {name}");
        }
    }
    // The layer page's recipes and machines.
    let lv = &ids[0];
    let j = p
        .get(&format!(
            "/toastergui/project/{pid}/layer/{lv}/recipes/?format=json"
        ))
        .json();
    assert_eq!(j["total"], 2, "sayhello and libhello");
    let j = p
        .get(&format!(
            "/toastergui/project/{pid}/layer/{lv}/machines/?format=json"
        ))
        .json();
    assert_eq!(j["total"], 1, "hello-board");
    // Typeaheads: {error, results: [{id, name, detail}]}, at most 6, prefix matches first.
    for kind in ["layers", "machines", "recipes", "distros"] {
        let j = p
            .get(&format!("/toastergui/xhr_typeahead/{pid}/{kind}?search="))
            .json();
        assert_eq!(j["error"], "ok", "{kind}");
        let results = j["results"].as_array().cloned().unwrap_or_default();
        assert!(results.len() <= 6);
        for r in &results {
            assert!(
                r["id"].is_i64() && r["name"].is_string() && r["detail"].is_string(),
                "{kind}: {r}"
            );
        }
    }
    let j = p
        .get(&format!(
            "/toastergui/xhr_typeahead/{pid}/recipes?search=hello"
        ))
        .json();
    let names: Vec<&str> = j["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["libhello", "sayhello"]);
    let j = p
        .get(&format!(
            "/toastergui/xhr_typeahead/{pid}/machines?search=hello"
        ))
        .json();
    assert_eq!(j["results"][0]["name"], "hello-board");
    let j = p.get("/toastergui/xhr_typeahead/projects?search=t").json();
    assert_eq!(j["results"][0]["name"], "t");
}

#[test]
fn custom_images_are_made_checked_edited_and_downloaded() {
    let p = Proj::new();
    let r = p.post(
        "/toastergui/newproject/",
        &[("projectname", "c"), ("projectversion", "1")],
    );
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    // openembedded-core from the index (it has core-image-minimal) into the project.
    let oe = p
        .get(&format!(
            "/toastergui/xhr_typeahead/{pid}/layers?search=openembedded"
        ))
        .json()["results"][0]["id"]
        .to_string();
    assert_eq!(
        error(&p.post(
            &format!("/toastergui/xhr_project/{pid}"),
            &[("layerAdd", &oe)]
        )),
        "ok"
    );
    let page = p.get(&format!("/toastergui/project/{pid}/newcustomimage/"));
    assert_eq!(page.status, 200);
    let recipes = p
        .get(&format!("/toastergui/project/{pid}/images/?format=json"))
        .json();
    let base = recipes["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "core-image-minimal"))
        .map(|_| ())
        .and_then(|()| page.body.split("data-recipe=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_owned();
    assert!(
        !base.is_empty(),
        "a Customise button for core-image-minimal"
    );
    let busybox = p
        .get(&format!(
            "/toastergui/project/{pid}/softwarerecipes/?format=json&search=busybox"
        ))
        .json()["rows"][0]["name"]
        .clone();
    assert_eq!(busybox, "busybox");
    let pids = pid.to_string();
    let make = |name: &str, base: &str| {
        p.post(
            "/toastergui/xhr_customrecipe",
            &[("name", name), ("project", &pids), ("base", base)],
        )
    };
    let r = make("my-image", &base);
    assert_eq!(error(&r), "ok", "{}", r.body);
    let url = r.json()["url"].as_str().unwrap_or("").to_owned();
    let rid = r.json()["id"].as_i64().unwrap_or(0);
    // Toaster's three duplicate rules, and a bad name.
    for (name, want) in [
        ("my-image", "exists in this project"),
        ("busybox", "a recipe called busybox"),
        ("core-image-minimal", "a recipe called"),
        ("Bad Name<b>", "not a recipe name"),
    ] {
        let r = make(name, &base);
        assert_eq!(r.status, 400, "{name}");
        assert!(error(&r).contains(want), "{name}: {}", error(&r));
    }
    let page = p.get(&url);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"image-created-notification\""));
    // Packages: added (a name with + travels percent-encoded), removed again.
    let pkg = |m: &str, name: &str| {
        p.send(
            m,
            &format!("/toastergui/xhr_customrecipe/{rid}/packages/{name}"),
            Some(&[("project", &pids)]),
            true,
        )
    };
    assert_eq!(error(&pkg("PUT", "sayhello")), "ok");
    assert_eq!(error(&pkg("PUT", "libstdc%2B%2B")), "ok");
    assert_eq!(error(&pkg("PUT", "zlib")), "ok");
    assert_eq!(error(&pkg("DELETE", "zlib")), "ok");
    let r = pkg("PUT", "bad%22name");
    assert_eq!(r.status, 400);
    assert_eq!(pkg("PUT", "x").status, 200, "lower-case names are fine");
    let r = p.send(
        "PUT",
        &format!("/toastergui/xhr_customrecipe/{rid}/packages/y"),
        Some(&[("project", &pids)]),
        false,
    );
    assert_eq!(r.status, 403, "CSRF");
    let dl = p.get(&format!(
        "/toastergui/project/{pid}/customrecipe/{rid}/download"
    ));
    assert_eq!(dl.status, 200);
    let disp = dl
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(disp.contains("my-image_1.0.bb"), "{disp}");
    assert!(
        dl.body
            .contains("require recipes-core/images/core-image-minimal.bb\n"),
        "{}",
        dl.body
    );
    assert!(
        dl.body
            .contains("IMAGE_INSTALL:append = \" libstdc++ sayhello x\"\n"),
        "{}",
        dl.body
    );
    let list = p.get(&format!("/toastergui/project/{pid}/customimages/"));
    assert!(list.body.contains(">my-image</a>"));
    // The generated layer runbuilds writes.
    let db = p._dir.path().join("toaster.sqlite");
    let conn = bb_toaster::db::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let files =
        bb_toaster::customimages::layer_files(&conn, pid, "bake").unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "conf/layer.conf",
            "recipes-toaster/my-image/my-image_1.0.bb"
        ]
    );
    assert!(
        files[0]
            .1
            .contains("LAYERSERIES_COMPAT_toastercustomimages = \"bake\"\n")
    );
}

/// The id of the compatible layer called `name` (the layers typeahead).
fn layer_id(p: &Proj, pid: i64, name: &str) -> i64 {
    let j = p
        .get(&format!(
            "/toastergui/xhr_typeahead/{pid}/layers?search={name}"
        ))
        .json();
    j["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["name"] == name))
        .and_then(|x| x["id"].as_i64())
        .unwrap_or_else(|| panic!("no layer {name}: {j}"))
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn layer_dependencies_release_change_edit_and_deletes() {
    let p = Proj::new();
    let r = p.post(
        "/toastergui/newproject/",
        &[("projectname", "deps"), ("projectversion", "1")],
    );
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    let proj = format!("/toastergui/xhr_project/{pid}");
    let extra = layer_id(&p, pid, "meta-extra");
    let hello = layer_id(&p, pid, "meta-hello");
    let oe = layer_id(&p, pid, "openembedded-core");
    // meta-extra needs meta-hello and openembedded-core (and meta-hello needs
    // openembedded-core too): both offered, by name, once.
    let j = p
        .get(&format!("/toastergui/xhr_layer/{pid}/{extra}"))
        .json();
    assert_eq!(j["error"], "ok");
    assert_eq!(j["name"], "meta-extra");
    assert_eq!(
        names(&j["layerdeps"]["list"]),
        ["meta-hello", "openembedded-core"]
    );
    assert!(
        j["layerdeps"]["list"][0]["layerdetailurl"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/layer/{hello}")))
    );
    // A dependency already in the project is not offered.
    assert_eq!(
        error(&p.post(&proj, &[("layerAdd", &oe.to_string())])),
        "ok"
    );
    let j = p
        .get(&format!("/toastergui/xhr_layer/{pid}/{extra}"))
        .json();
    assert_eq!(names(&j["layerdeps"]["list"]), ["meta-hello"]);
    // The layers typeahead: with the project's layers (dependency pickers), or
    // without (`include_added=false`, the project page's add box).
    let ta = |q: &str| {
        names(
            &p.get(&format!(
                "/toastergui/xhr_typeahead/{pid}/layers?search=openembedded{q}"
            ))
            .json()["results"],
        )
    };
    assert_eq!(ta(""), ["openembedded-core"]);
    assert_eq!(ta("&include_added=false"), Vec::<String>::new());
    assert!(
        j["projectlayers"]
            .as_array()
            .is_some_and(|a| a.contains(&serde_json::json!(oe)))
    );
    // The layer and its dependency added at once (the modal's `layerAdd`).
    assert_eq!(
        error(&p.post(&proj, &[("layerAdd", &format!("{extra},{hello}"))])),
        "ok"
    );
    // Removing openembedded-core: meta-extra and meta-hello depend on it.
    let j = p.get(&format!("/toastergui/xhr_layer/{pid}/{oe}")).json();
    assert_eq!(names(&j["dependents"]), ["meta-extra", "meta-hello"]);
    let j = p
        .get(&format!("/toastergui/xhr_layer/{pid}/{extra}"))
        .json();
    assert_eq!(names(&j["dependents"]), Vec::<String>::new());

    // Release change: `blacksail` has openembedded-core only (oe-core.xml); the
    // test index's layers are the `bake` release's.
    let t = p
        .get(&format!(
            "/toastergui/xhr_testreleasechange/{pid}?new_release_id=2"
        ))
        .json();
    assert_eq!(t["error"], "ok", "{t}");
    let lost = names(&t["rows"]);
    assert!(lost.contains(&"meta-extra".to_owned()), "{t}");
    assert!(lost.contains(&"meta-hello".to_owned()), "{t}");
    assert!(!lost.contains(&"openembedded-core".to_owned()), "{t}");
    // The same release: nothing changes.
    let same = p
        .get(&format!(
            "/toastergui/xhr_testreleasechange/{pid}?new_release_id=1"
        ))
        .json();
    assert_eq!(same["rows"], serde_json::json!([]), "{same}");
    assert_eq!(same["replaced"], 0);
    assert_eq!(
        p.get(&format!(
            "/toastergui/xhr_testreleasechange/{pid}?new_release_id=99"
        ))
        .status,
        404
    );
    assert_eq!(
        p.get(&format!(
            "/toastergui/xhr_testreleasechange/{pid}?new_release_id=x"
        ))
        .status,
        400
    );
    // Without the token: refused.
    assert_eq!(
        p.send("POST", &proj, Some(&[("projectVersion", "2")]), false)
            .status,
        403
    );
    let r = p.post(&proj, &[("projectVersion", "2")]);
    assert_eq!(error(&r), "ok", "{}", r.body);
    let removed = names(
        &r.json()["removed"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|n| serde_json::json!({"name": n}))
                    .collect::<Vec<_>>()
            })
            .into(),
    );
    assert_eq!(removed, lost);
    let j = p.get(&proj).json();
    assert_eq!(j["release"]["name"], "blacksail", "{j}");
    let now: Vec<String> = names(&j["layers"]);
    assert!(now.contains(&"openembedded-core".to_owned()), "{j}");
    assert!(!now.contains(&"meta-extra".to_owned()), "{j}");
    let page = p.get(&format!("/toastergui/project/{pid}/"));
    assert!(page.body.contains("id=\"release-change-toggle\""));
    assert!(page.body.contains("id=\"change-release-modal\""));
    // And back.
    assert_eq!(error(&p.post(&proj, &[("projectVersion", "1")])), "ok");

    // An imported layer is edited (git URL, subdirectory, revision, dependencies),
    // with the import's checks; a catalog layer cannot be.
    let r = p.post(
        &format!("/toastergui/xhr_layer/{pid}"),
        &[
            ("name", "meta-mine"),
            ("vcs_url", "https://git.example.invalid/meta-mine"),
            ("git_ref", "main"),
        ],
    );
    assert_eq!(error(&r), "ok", "{}", r.body);
    let mine = r.json()["imported_layer"]["id"].as_i64().unwrap_or(0);
    let edit = format!("/toastergui/xhr_layer/{pid}/{mine}");
    assert_eq!(
        p.send("POST", &edit, Some(&[("commit", "v2")]), false)
            .status,
        403
    );
    let r = p.post(
        &edit,
        &[
            ("vcs_url", "https://git.example.invalid/other <b>x</b>"),
            ("commit", "v2"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    for (form, want) in [
        (
            vec![("commit", "--upload-pack=touch")],
            "not a git revision",
        ),
        (vec![("dirpath", "../../etc")], "relative path"),
        (vec![("vcs_url", "ext::sh -c touch")], "not a git URL"),
        (vec![("add_dep", "x")], "not an id"),
        (
            vec![("add_dep", &mine.to_string())],
            "not a compatible layer",
        ),
    ] {
        let r = p.post(&edit, &form);
        assert_eq!(r.status, 400, "{form:?}: {}", r.body);
        assert!(error(&r).contains(want), "{form:?}: {}", r.body);
    }
    let r = p.post(
        &edit,
        &[
            ("vcs_url", "https://git.example.invalid/meta-mine2"),
            ("dirpath", "sub/meta-mine"),
            ("commit", "v2.0"),
            ("summary", "<i>mine</i>"),
            ("add_dep", &oe.to_string()),
        ],
    );
    assert_eq!(error(&r), "ok", "{}", r.body);
    let l = p.get(&edit).json();
    assert_eq!(
        l["layer"]["vcs_url"],
        "https://git.example.invalid/meta-mine2"
    );
    assert_eq!(l["layer"]["vcs_subdir"], "sub/meta-mine");
    assert_eq!(l["layer"]["vcs_reference"], "v2.0");
    assert_eq!(l["layer"]["dependencies"], serde_json::json!([oe]));
    let page = p.get(&format!("/toastergui/project/{pid}/layer/{mine}"));
    assert!(
        page.body.contains("&lt;i&gt;mine&lt;&#x2f;i&gt;"),
        "escaped"
    );
    assert!(page.body.contains("id=\"edit-layer-form\""));
    assert!(page.body.contains("id=\"delete-layer-modal\""));
    assert_eq!(error(&p.post(&edit, &[("rm_dep", &oe.to_string())])), "ok");
    assert_eq!(
        p.get(&edit).json()["layer"]["dependencies"],
        serde_json::json!([])
    );
    let r = p.post(
        &format!("/toastergui/xhr_layer/{pid}/{oe}"),
        &[("summary", "x")],
    );
    assert!(error(&r).contains("only imported layers"), "{}", r.body);
    // Deleting the imported layer needs the token.
    assert_eq!(p.send("DELETE", &edit, None, false).status, 403);
    assert_eq!(error(&p.send("DELETE", &edit, None, true)), "ok");
    assert_eq!(p.get(&edit).status, 404);
}

#[test]
fn git_revision_typeahead_lists_a_repository_s_branches_and_tags() {
    let p = Proj::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    git(&["branch", "kirkstone"]);
    git(&["branch", "kirk-next"]);
    git(&["tag", "v1.0"]);
    let url = format!("file://{}", dir.path().display());
    let q = |search: &str, url: &str| {
        p.get(&format!(
            "/toastergui/xhr_typeahead/gitrev?git_url={}&search={search}",
            enc(url)
        ))
    };
    let j = q("kirk", &url).json();
    assert_eq!(names(&j["results"]), ["kirk-next", "kirkstone"], "{j}");
    assert!(
        j["results"][1]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("refs/heads/kirkstone")),
        "{j}"
    );
    let all = names(&q("", &url).json()["results"]);
    assert!(
        all.contains(&"v1.0".to_owned()) && all.contains(&"main".to_owned()),
        "{all:?}"
    );
    assert!(!all.iter().any(|n| n.contains("HEAD")), "{all:?}");
    // No URL: nothing; a URL git would run a program for: refused, git never run.
    assert_eq!(q("", "").json()["results"], serde_json::json!([]));
    let r = q("", "ext::sh -c touch% /tmp/pwned-gitrev");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!std::path::Path::new("/tmp/pwned-gitrev").exists());
    let r = q("", "file:///nonexistent/repo");
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn a_custom_image_is_deleted_with_the_token_only() {
    let p = Proj::new();
    let r = p.post(
        "/toastergui/newproject/",
        &[("projectname", "ci"), ("projectversion", "1")],
    );
    let pid = r.json()["id"].as_i64().unwrap_or(0);
    let oe = layer_id(&p, pid, "openembedded-core");
    assert_eq!(
        error(&p.post(
            &format!("/toastergui/xhr_project/{pid}"),
            &[("layerAdd", &oe.to_string())]
        )),
        "ok"
    );
    let page = p.get(&format!("/toastergui/project/{pid}/newcustomimage/"));
    let base = page
        .body
        .split("data-recipe=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_owned();
    let pids = pid.to_string();
    let r = p.post(
        "/toastergui/xhr_customrecipe",
        &[("name", "my-image"), ("project", &pids), ("base", &base)],
    );
    assert_eq!(error(&r), "ok", "{}", r.body);
    let rid = r.json()["id"].as_i64().unwrap_or(0);
    let page = p.get(&format!("/toastergui/project/{pid}/customrecipe/{rid}"));
    assert!(page.body.contains("id=\"delete-recipe-modal\""));
    let del = format!("/toastergui/xhr_customrecipe/{rid}");
    assert_eq!(
        p.send("DELETE", &del, Some(&[("project", &pids)]), false)
            .status,
        403
    );
    // Another project's id: not found there.
    let r = p.send("DELETE", &del, Some(&[("project", "999")]), true);
    assert_eq!(r.status, 400, "{}", r.body);
    let r = p.send("DELETE", &del, Some(&[("project", &pids)]), true);
    assert_eq!(error(&r), "ok", "{}", r.body);
    assert_eq!(r.json()["name"], "my-image");
    assert!(
        r.json()["gotoUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with("/customimages/"))
    );
    assert_eq!(
        p.get(&format!("/toastergui/project/{pid}/customrecipe/{rid}"))
            .status,
        404
    );
}
