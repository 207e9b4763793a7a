//! Toaster's data model as SQLite tables (Django's table names, `orm_*`), with forward
//! migrations numbered by `PRAGMA user_version`. Only SQL lives here: opening and
//! applying the migrations is `db.rs`.
//!
//! A migration is never edited once released: a change of the model is a new entry at
//! the end of [`MIGRATIONS`].

/// The migrations, in order: migration `i` (0-based) brings `user_version` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the model of the reference's section 1.
    r#"
CREATE TABLE orm_toastersetting (
    id INTEGER PRIMARY KEY,
    name VARCHAR(63) NOT NULL,
    helptext TEXT NOT NULL DEFAULT '',
    value VARCHAR(255) NOT NULL DEFAULT ''
);
CREATE TABLE orm_bitbakeversion (
    id INTEGER PRIMARY KEY,
    name VARCHAR(32) NOT NULL UNIQUE,
    giturl VARCHAR(200) NOT NULL DEFAULT '',
    branch VARCHAR(32) NOT NULL DEFAULT '',
    dirpath VARCHAR(255) NOT NULL DEFAULT ''
);
CREATE TABLE orm_release (
    id INTEGER PRIMARY KEY,
    name VARCHAR(32) NOT NULL UNIQUE,
    description VARCHAR(255) NOT NULL DEFAULT '',
    bitbake_version_id INTEGER REFERENCES orm_bitbakeversion(id) ON DELETE SET NULL,
    branch_name VARCHAR(50) NOT NULL DEFAULT '',
    helptext TEXT
);
CREATE TABLE orm_releasedefaultlayer (
    id INTEGER PRIMARY KEY,
    release_id INTEGER NOT NULL REFERENCES orm_release(id) ON DELETE CASCADE,
    layer_name VARCHAR(100) NOT NULL DEFAULT ''
);
CREATE TABLE orm_project (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    short_description VARCHAR(50) NOT NULL DEFAULT '',
    created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    user_id INTEGER,
    bitbake_version_id INTEGER REFERENCES orm_bitbakeversion(id) ON DELETE SET NULL,
    release_id INTEGER REFERENCES orm_release(id) ON DELETE SET NULL,
    merged_attributes TEXT NOT NULL DEFAULT '',
    is_default BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE orm_layer (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    layer_index_url VARCHAR(200) NOT NULL DEFAULT '',
    vcs_url VARCHAR(200),
    local_source_dir TEXT,
    vcs_web_url VARCHAR(200),
    vcs_web_tree_base_url VARCHAR(200),
    vcs_web_file_base_url VARCHAR(200),
    summary TEXT,
    description TEXT
);
CREATE TABLE orm_layer_version (
    id INTEGER PRIMARY KEY,
    layer_id INTEGER NOT NULL REFERENCES orm_layer(id) ON DELETE CASCADE,
    build_id INTEGER REFERENCES orm_build(id) ON DELETE CASCADE,
    release_id INTEGER REFERENCES orm_release(id) ON DELETE SET NULL,
    layer_source INTEGER NOT NULL DEFAULT 0,
    branch VARCHAR(80) NOT NULL DEFAULT '',
    commit_ VARCHAR(100) NOT NULL DEFAULT '',
    dirpath VARCHAR(255),
    priority INTEGER NOT NULL DEFAULT 0,
    local_path VARCHAR(1024) NOT NULL DEFAULT '/'
);
CREATE TABLE orm_build (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE,
    machine VARCHAR(100) NOT NULL DEFAULT '',
    distro VARCHAR(100) NOT NULL DEFAULT '',
    distro_version VARCHAR(100) NOT NULL DEFAULT '',
    started_on DATETIME NOT NULL,
    completed_on DATETIME NOT NULL,
    outcome INTEGER NOT NULL DEFAULT 2,
    cooker_log_path VARCHAR(500) NOT NULL DEFAULT '',
    build_name VARCHAR(100) NOT NULL DEFAULT '',
    bitbake_version VARCHAR(50) NOT NULL DEFAULT '',
    recipes_to_parse INTEGER NOT NULL DEFAULT 1,
    recipes_parsed INTEGER NOT NULL DEFAULT 1,
    repos_to_clone INTEGER NOT NULL DEFAULT 1,
    repos_cloned INTEGER NOT NULL DEFAULT 1,
    progress_item VARCHAR(40) NOT NULL DEFAULT '',
    -- bake: the recording process, for crash recovery (not in Toaster's model).
    recorder_pid INTEGER
);
CREATE INDEX orm_build_project ON orm_build(project_id);
CREATE TABLE orm_target (
    id INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES orm_build(id) ON DELETE CASCADE,
    target VARCHAR(100) NOT NULL,
    task VARCHAR(100),
    is_image BOOLEAN NOT NULL DEFAULT 0,
    image_size INTEGER NOT NULL DEFAULT 0,
    license_manifest_path VARCHAR(500),
    package_manifest_path VARCHAR(500)
);
CREATE INDEX orm_target_build ON orm_target(build_id);
CREATE TABLE orm_recipe (
    id INTEGER PRIMARY KEY,
    search_allowed_fields TEXT NOT NULL DEFAULT '',
    name VARCHAR(100) NOT NULL DEFAULT '',
    version VARCHAR(100) NOT NULL DEFAULT '',
    layer_version_id INTEGER REFERENCES orm_layer_version(id) ON DELETE CASCADE,
    summary VARCHAR(200) NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    section VARCHAR(100) NOT NULL DEFAULT '',
    license VARCHAR(200) NOT NULL DEFAULT '',
    homepage VARCHAR(200),
    bugtracker VARCHAR(200),
    file_path VARCHAR(255) NOT NULL,
    pathflags VARCHAR(200) NOT NULL DEFAULT '',
    is_image BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX orm_recipe_layer_version ON orm_recipe(layer_version_id);
CREATE TABLE orm_recipe_dependency (
    id INTEGER PRIMARY KEY,
    recipe_id INTEGER NOT NULL REFERENCES orm_recipe(id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES orm_recipe(id) ON DELETE CASCADE,
    dep_type INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orm_recipe_dependency_recipe ON orm_recipe_dependency(recipe_id);
CREATE INDEX orm_recipe_dependency_depends ON orm_recipe_dependency(depends_on_id);
CREATE TABLE orm_task (
    id INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES orm_build(id) ON DELETE CASCADE,
    "order" INTEGER,
    task_executed BOOLEAN NOT NULL DEFAULT 0,
    outcome INTEGER NOT NULL DEFAULT -1,
    sstate_checksum VARCHAR(100) NOT NULL DEFAULT '',
    path_to_sstate_obj VARCHAR(500) NOT NULL DEFAULT '',
    recipe_id INTEGER NOT NULL REFERENCES orm_recipe(id) ON DELETE CASCADE,
    task_name VARCHAR(100) NOT NULL,
    source_url VARCHAR(255) NOT NULL DEFAULT '',
    work_directory VARCHAR(255) NOT NULL DEFAULT '',
    script_type INTEGER NOT NULL DEFAULT 0,
    line_number INTEGER NOT NULL DEFAULT 0,
    started DATETIME,
    ended DATETIME,
    elapsed_time DECIMAL(8, 2),
    disk_io INTEGER,
    disk_io_read INTEGER,
    disk_io_write INTEGER,
    cpu_time_user DECIMAL(8, 2),
    cpu_time_system DECIMAL(8, 2),
    sstate_result INTEGER NOT NULL DEFAULT 0,
    message VARCHAR(240) NOT NULL DEFAULT '',
    logfile VARCHAR(255) NOT NULL DEFAULT '',
    UNIQUE (build_id, recipe_id, task_name)
);
CREATE INDEX orm_task_recipe ON orm_task(recipe_id);
CREATE TABLE orm_task_dependency (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES orm_task(id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES orm_task(id) ON DELETE CASCADE
);
CREATE INDEX orm_task_dependency_task ON orm_task_dependency(task_id);
CREATE INDEX orm_task_dependency_depends ON orm_task_dependency(depends_on_id);
CREATE TABLE orm_package (
    id INTEGER PRIMARY KEY,
    build_id INTEGER REFERENCES orm_build(id) ON DELETE CASCADE,
    recipe_id INTEGER REFERENCES orm_recipe(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    installed_name VARCHAR(100) NOT NULL DEFAULT '',
    version VARCHAR(100) NOT NULL DEFAULT '',
    revision VARCHAR(32) NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    installed_size INTEGER NOT NULL DEFAULT 0,
    section VARCHAR(80) NOT NULL DEFAULT '',
    license VARCHAR(80) NOT NULL DEFAULT ''
);
CREATE INDEX orm_package_build ON orm_package(build_id);
CREATE TABLE orm_package_dependency (
    id INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES orm_package(id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES orm_package(id) ON DELETE CASCADE,
    dep_type INTEGER NOT NULL,
    target_id INTEGER REFERENCES orm_target(id) ON DELETE CASCADE
);
CREATE INDEX orm_package_dependency_package ON orm_package_dependency(package_id);
CREATE TABLE orm_package_file (
    id INTEGER PRIMARY KEY,
    package_id INTEGER NOT NULL REFERENCES orm_package(id) ON DELETE CASCADE,
    path VARCHAR(255) NOT NULL,
    size INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orm_package_file_package ON orm_package_file(package_id);
CREATE TABLE orm_variable (
    id INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES orm_build(id) ON DELETE CASCADE,
    variable_name VARCHAR(100) NOT NULL,
    variable_value TEXT NOT NULL DEFAULT '',
    changed BOOLEAN NOT NULL DEFAULT 0,
    human_readable_name VARCHAR(200) NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX orm_variable_build ON orm_variable(build_id);
CREATE TABLE orm_variablehistory (
    id INTEGER PRIMARY KEY,
    variable_id INTEGER NOT NULL REFERENCES orm_variable(id) ON DELETE CASCADE,
    value TEXT NOT NULL DEFAULT '',
    file_name VARCHAR(255) NOT NULL DEFAULT '',
    line_number INTEGER,
    operation VARCHAR(64) NOT NULL DEFAULT ''
);
CREATE INDEX orm_variablehistory_variable ON orm_variablehistory(variable_id);
CREATE TABLE orm_helptext (
    id INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES orm_build(id) ON DELETE CASCADE,
    area INTEGER NOT NULL DEFAULT 0,
    key VARCHAR(100) NOT NULL,
    text TEXT NOT NULL DEFAULT ''
);
CREATE TABLE orm_logmessage (
    id INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES orm_build(id) ON DELETE CASCADE,
    task_id INTEGER REFERENCES orm_task(id) ON DELETE CASCADE,
    level INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    pathname VARCHAR(255) NOT NULL DEFAULT '',
    lineno INTEGER
);
CREATE INDEX orm_logmessage_build ON orm_logmessage(build_id);
CREATE TABLE orm_target_image_file (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES orm_target(id) ON DELETE CASCADE,
    file_name VARCHAR(254) NOT NULL,
    file_size INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE orm_target_file (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES orm_target(id) ON DELETE CASCADE,
    path VARCHAR(100) NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    inodetype INTEGER NOT NULL,
    permission VARCHAR(16) NOT NULL DEFAULT '',
    owner VARCHAR(128) NOT NULL DEFAULT '',
    "group" VARCHAR(128) NOT NULL DEFAULT '',
    directory_id INTEGER REFERENCES orm_target_file(id) ON DELETE CASCADE,
    sym_target_id INTEGER REFERENCES orm_target_file(id) ON DELETE SET NULL
);
CREATE INDEX orm_target_file_target ON orm_target_file(target_id);
"#,
    // 2: the rest of Toaster's build-side model (provides, layer dependencies, machines,
    // distros, image contents, kernel and SDK artifacts, project layers/variables/targets),
    // the `up_date`/`project` columns, Toaster's unique keys, the indexes that deletes
    // and pages need, and the recorder's process start time (pid reuse).
    r#"
ALTER TABLE orm_layer ADD COLUMN up_date DATETIME;
ALTER TABLE orm_layer_version ADD COLUMN up_date DATETIME;
ALTER TABLE orm_layer_version ADD COLUMN project_id INTEGER REFERENCES orm_project(id) ON DELETE CASCADE;
ALTER TABLE orm_recipe ADD COLUMN up_date DATETIME;
-- bake: the recording process's start time (clock ticks after boot), so that a reused
-- pid is not taken for the recorder (not in Toaster's model).
ALTER TABLE orm_build ADD COLUMN recorder_started INTEGER;
CREATE TABLE orm_provides (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    recipe_id INTEGER NOT NULL REFERENCES orm_recipe(id) ON DELETE CASCADE
);
CREATE INDEX orm_provides_recipe ON orm_provides(recipe_id);
ALTER TABLE orm_recipe_dependency ADD COLUMN via_id INTEGER REFERENCES orm_provides(id) ON DELETE CASCADE;
CREATE INDEX orm_recipe_dependency_via ON orm_recipe_dependency(via_id);
CREATE TABLE orm_layerversiondependency (
    id INTEGER PRIMARY KEY,
    layer_version_id INTEGER NOT NULL REFERENCES orm_layer_version(id) ON DELETE CASCADE,
    depends_on_id INTEGER NOT NULL REFERENCES orm_layer_version(id) ON DELETE CASCADE
);
CREATE INDEX orm_layerversiondependency_lv ON orm_layerversiondependency(layer_version_id);
CREATE INDEX orm_layerversiondependency_dep ON orm_layerversiondependency(depends_on_id);
CREATE TABLE orm_machine (
    id INTEGER PRIMARY KEY,
    up_date DATETIME,
    layer_version_id INTEGER NOT NULL REFERENCES orm_layer_version(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT ''
);
CREATE INDEX orm_machine_lv ON orm_machine(layer_version_id);
CREATE TABLE orm_distro (
    id INTEGER PRIMARY KEY,
    up_date DATETIME,
    layer_version_id INTEGER NOT NULL REFERENCES orm_layer_version(id) ON DELETE CASCADE,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT ''
);
CREATE INDEX orm_distro_lv ON orm_distro(layer_version_id);
CREATE TABLE orm_target_installed_package (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES orm_target(id) ON DELETE CASCADE,
    package_id INTEGER NOT NULL REFERENCES orm_package(id) ON DELETE CASCADE
);
CREATE INDEX orm_target_installed_package_target ON orm_target_installed_package(target_id);
CREATE INDEX orm_target_installed_package_package ON orm_target_installed_package(package_id);
CREATE TABLE orm_targetkernelfile (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES orm_target(id) ON DELETE CASCADE,
    file_name VARCHAR(255) NOT NULL,
    file_size INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orm_targetkernelfile_target ON orm_targetkernelfile(target_id);
CREATE TABLE orm_targetsdkfile (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES orm_target(id) ON DELETE CASCADE,
    file_name VARCHAR(255) NOT NULL,
    file_size INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orm_targetsdkfile_target ON orm_targetsdkfile(target_id);
CREATE TABLE orm_projectlayer (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE,
    layercommit_id INTEGER REFERENCES orm_layer_version(id) ON DELETE CASCADE,
    optional BOOLEAN NOT NULL DEFAULT 1,
    UNIQUE (project_id, layercommit_id)
);
CREATE INDEX orm_projectlayer_lv ON orm_projectlayer(layercommit_id);
CREATE TABLE orm_projectvariable (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    value TEXT
);
CREATE INDEX orm_projectvariable_project ON orm_projectvariable(project_id);
CREATE TABLE orm_projecttarget (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE,
    target VARCHAR(100) NOT NULL,
    task VARCHAR(100)
);
CREATE INDEX orm_projecttarget_project ON orm_projecttarget(project_id);
CREATE UNIQUE INDEX orm_recipe_identity ON orm_recipe(layer_version_id, file_path, pathflags);
CREATE INDEX orm_layer_version_build ON orm_layer_version(build_id);
CREATE INDEX orm_layer_version_layer ON orm_layer_version(layer_id);
CREATE INDEX orm_layer_version_project ON orm_layer_version(project_id);
CREATE INDEX orm_layer_version_release ON orm_layer_version(release_id);
CREATE INDEX orm_build_outcome ON orm_build(outcome);
CREATE INDEX orm_task_build_order ON orm_task(build_id, "order");
CREATE INDEX orm_logmessage_task ON orm_logmessage(task_id);
CREATE INDEX orm_package_recipe ON orm_package(recipe_id);
CREATE INDEX orm_package_dependency_depends ON orm_package_dependency(depends_on_id);
CREATE INDEX orm_package_dependency_target ON orm_package_dependency(target_id);
CREATE INDEX orm_target_file_directory ON orm_target_file(directory_id);
CREATE INDEX orm_target_file_sym_target ON orm_target_file(sym_target_id);
CREATE INDEX orm_target_image_file_target ON orm_target_image_file(target_id);
CREATE INDEX orm_helptext_build ON orm_helptext(build_id);
CREATE INDEX orm_project_release ON orm_project(release_id);
CREATE INDEX orm_release_bitbake_version ON orm_release(bitbake_version_id);
CREATE INDEX orm_releasedefaultlayer_release ON orm_releasedefaultlayer(release_id);
"#,
    // 3: the names Django gives (checked against a database made by Toaster's own
    // `manage.py migrate`): `orm_layer_version.commit`, `orm_project.merged_attr` (a
    // boolean) and `builddir`; no `orm_recipe.search_allowed_fields`; and the tables of
    // custom images and of imported event logs.
    r#"
ALTER TABLE orm_layer_version RENAME COLUMN commit_ TO "commit";
ALTER TABLE orm_project DROP COLUMN merged_attributes;
ALTER TABLE orm_project ADD COLUMN merged_attr BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE orm_project ADD COLUMN builddir TEXT NOT NULL DEFAULT '';
ALTER TABLE orm_recipe DROP COLUMN search_allowed_fields;
CREATE TABLE orm_eventlogsimports (
    id INTEGER PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    imported BOOLEAN NOT NULL DEFAULT 0,
    build_id INTEGER
);
CREATE TABLE orm_customimagerecipe (
    recipe_ptr_id INTEGER PRIMARY KEY REFERENCES orm_recipe(id) ON DELETE CASCADE,
    last_updated DATETIME,
    base_recipe_id INTEGER NOT NULL REFERENCES orm_recipe(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE
);
CREATE INDEX orm_customimagerecipe_base ON orm_customimagerecipe(base_recipe_id);
CREATE INDEX orm_customimagerecipe_project ON orm_customimagerecipe(project_id);
CREATE TABLE orm_customimagepackage (
    package_ptr_id INTEGER PRIMARY KEY REFERENCES orm_package(id) ON DELETE CASCADE
);
CREATE TABLE orm_customimagepackage_recipe_includes (
    id INTEGER PRIMARY KEY,
    customimagepackage_id INTEGER NOT NULL REFERENCES orm_customimagepackage(package_ptr_id) ON DELETE CASCADE,
    customimagerecipe_id INTEGER NOT NULL REFERENCES orm_customimagerecipe(recipe_ptr_id) ON DELETE CASCADE,
    UNIQUE (customimagepackage_id, customimagerecipe_id)
);
CREATE INDEX orm_cip_includes_recipe ON orm_customimagepackage_recipe_includes(customimagerecipe_id);
CREATE TABLE orm_customimagepackage_recipe_excludes (
    id INTEGER PRIMARY KEY,
    customimagepackage_id INTEGER NOT NULL REFERENCES orm_customimagepackage(package_ptr_id) ON DELETE CASCADE,
    customimagerecipe_id INTEGER NOT NULL REFERENCES orm_customimagerecipe(recipe_ptr_id) ON DELETE CASCADE,
    UNIQUE (customimagepackage_id, customimagerecipe_id)
);
CREATE INDEX orm_cip_excludes_recipe ON orm_customimagepackage_recipe_excludes(customimagerecipe_id);
CREATE TABLE orm_customimagepackage_recipe_appends (
    id INTEGER PRIMARY KEY,
    customimagepackage_id INTEGER NOT NULL REFERENCES orm_customimagepackage(package_ptr_id) ON DELETE CASCADE,
    customimagerecipe_id INTEGER NOT NULL REFERENCES orm_customimagerecipe(recipe_ptr_id) ON DELETE CASCADE,
    UNIQUE (customimagepackage_id, customimagerecipe_id)
);
CREATE INDEX orm_cip_appends_recipe ON orm_customimagepackage_recipe_appends(customimagerecipe_id);
"#,
    // 4: the indexes the web interface reads by (toaster-web, issue 13): a file's
    // package by its path (the image's directory browser), an image's file by its
    // path, tasks by checksum (a task page's `show_matches`).
    r#"
CREATE INDEX orm_package_file_path ON orm_package_file(path);
CREATE INDEX orm_target_file_target_path ON orm_target_file(target_id, path);
CREATE INDEX orm_task_sstate_checksum ON orm_task(sstate_checksum);
"#,
    // 5: what the web interface sorts and filters a big build by (issue 13, a
    // 10,000-task build under 50 ms a page): the tasks by time, CPU and disk I/O (the
    // `buildtime`, `cputime` and `diskio` views walk an index instead of sorting), by
    // outcome (progress and filter counts), the variables by name (the configuration
    // page walks them in order) and their history by file (the "set in file" filters,
    // without reading the history rows).
    r#"
CREATE INDEX orm_task_build_elapsed ON orm_task(build_id, elapsed_time);
CREATE INDEX orm_task_build_cpu ON orm_task(build_id, cpu_time_system);
CREATE INDEX orm_task_build_disk_io ON orm_task(build_id, disk_io);
CREATE INDEX orm_task_build_outcome ON orm_task(build_id, outcome);
CREATE INDEX orm_variable_build_name ON orm_variable(build_id, variable_name);
CREATE INDEX orm_variablehistory_variable_file ON orm_variablehistory(variable_id, file_name);
"#,
    // 6: Toaster's build queue (its `bldcontrol` app: build environments, build requests
    // with their layers, targets, variables, BitBake and errors), the unique keys the
    // catalog import (`lsupdates`) upserts by, and the indexes of the project pages.
    r#"
CREATE TABLE bldcontrol_buildenvironment (
    id INTEGER PRIMARY KEY,
    address VARCHAR(254) NOT NULL DEFAULT '',
    betype INTEGER NOT NULL DEFAULT 0,
    bbaddress VARCHAR(254) NOT NULL DEFAULT '',
    bbport INTEGER NOT NULL DEFAULT -1,
    bbtoken VARCHAR(126) NOT NULL DEFAULT '',
    bbstate INTEGER NOT NULL DEFAULT 0,
    sourcedir VARCHAR(512) NOT NULL DEFAULT '',
    builddir VARCHAR(512) NOT NULL DEFAULT '',
    lock INTEGER NOT NULL DEFAULT 0,
    created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE bldcontrol_buildrequest (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES orm_project(id) ON DELETE CASCADE,
    build_id INTEGER UNIQUE REFERENCES orm_build(id) ON DELETE CASCADE,
    environment_id INTEGER REFERENCES bldcontrol_buildenvironment(id) ON DELETE CASCADE,
    state INTEGER NOT NULL DEFAULT 0,
    created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- bake: the runbuilds process that claimed the request, and the build process it
    -- runs (cancel and crash recovery; not in Toaster's model).
    runner_pid INTEGER,
    build_pid INTEGER
);
CREATE INDEX bldcontrol_buildrequest_project ON bldcontrol_buildrequest(project_id);
CREATE INDEX bldcontrol_buildrequest_state ON bldcontrol_buildrequest(state);
CREATE INDEX bldcontrol_buildrequest_environment ON bldcontrol_buildrequest(environment_id);
CREATE TABLE bldcontrol_brlayer (
    id INTEGER PRIMARY KEY,
    req_id INTEGER NOT NULL REFERENCES bldcontrol_buildrequest(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    giturl VARCHAR(254),
    local_source_dir VARCHAR(254),
    "commit" VARCHAR(254),
    dirpath VARCHAR(254),
    layer_version_id INTEGER REFERENCES orm_layer_version(id) ON DELETE SET NULL
);
CREATE INDEX bldcontrol_brlayer_req ON bldcontrol_brlayer(req_id);
CREATE TABLE bldcontrol_brbitbake (
    id INTEGER PRIMARY KEY,
    req_id INTEGER NOT NULL UNIQUE REFERENCES bldcontrol_buildrequest(id) ON DELETE CASCADE,
    giturl VARCHAR(254) NOT NULL DEFAULT '',
    "commit" VARCHAR(254) NOT NULL DEFAULT '',
    dirpath VARCHAR(254) NOT NULL DEFAULT ''
);
CREATE TABLE bldcontrol_brvariable (
    id INTEGER PRIMARY KEY,
    req_id INTEGER NOT NULL REFERENCES bldcontrol_buildrequest(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX bldcontrol_brvariable_req ON bldcontrol_brvariable(req_id);
CREATE TABLE bldcontrol_brtarget (
    id INTEGER PRIMARY KEY,
    req_id INTEGER NOT NULL REFERENCES bldcontrol_buildrequest(id) ON DELETE CASCADE,
    target VARCHAR(100) NOT NULL,
    task VARCHAR(100)
);
CREATE INDEX bldcontrol_brtarget_req ON bldcontrol_brtarget(req_id);
CREATE TABLE bldcontrol_brerror (
    id INTEGER PRIMARY KEY,
    req_id INTEGER NOT NULL REFERENCES bldcontrol_buildrequest(id) ON DELETE CASCADE,
    errtype VARCHAR(100) NOT NULL DEFAULT '',
    errmsg TEXT NOT NULL DEFAULT '',
    traceback TEXT NOT NULL DEFAULT ''
);
CREATE INDEX bldcontrol_brerror_req ON bldcontrol_brerror(req_id);
CREATE INDEX orm_machine_name ON orm_machine(layer_version_id, name);
CREATE INDEX orm_distro_name ON orm_distro(layer_version_id, name);
CREATE INDEX orm_recipe_name ON orm_recipe(name);
CREATE INDEX orm_projectvariable_name ON orm_projectvariable(project_id, name);
CREATE INDEX orm_layer_name ON orm_layer(name);
"#,
];
