-- What tests/toaster.rs compares between bake's database and real Toaster's, one query
-- per section; ?1 is the build's id. Each row is printed with its columns joined by `|`
-- (NULL as `NULL`), the build directory replaced by <B> and run-script PIDs by <PID>.
-- Left out: what depends on the machine or the moment (times, PIDs, git commits, the
-- number of CPUs),
-- variables set by the oracle's own toaster/buildstats classes (oe-core's toaster.bbclass
-- also adds a postfunc to do_package, which sstate.bbclass gives flags), and the execution order
-- of tasks that ran in parallel.
-- name: build
SELECT machine, distro, distro_version, outcome, length(build_name) FROM orm_build WHERE id = ?1;
-- name: targets
SELECT target, coalesce(task, 'NULL'), is_image FROM orm_target WHERE build_id = ?1 ORDER BY target;
-- name: layers
SELECT l.name, l.layer_index_url, lv.priority, lv.local_path, lv.layer_source, coalesce(lv.dirpath, 'NULL') FROM orm_layer_version lv JOIN orm_layer l ON lv.layer_id = l.id WHERE lv.build_id = ?1 ORDER BY l.name;
-- name: recipes
SELECT r.name, r.version, r.file_path, r.pathflags, r.is_image, r.summary, r.description, r.section, r.license, coalesce(r.homepage, ''), coalesce(r.bugtracker, '') FROM orm_recipe r JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1 ORDER BY r.name;
-- name: recipe dependencies
SELECT r.name, d.name, x.dep_type, coalesce(p.name, '') FROM orm_recipe_dependency x JOIN orm_recipe r ON x.recipe_id = r.id JOIN orm_recipe d ON x.depends_on_id = d.id LEFT JOIN orm_provides p ON x.via_id = p.id JOIN orm_layer_version lv ON r.layer_version_id = lv.id WHERE lv.build_id = ?1 ORDER BY 1, 2, 4;
-- name: tasks
SELECT r.name, t.task_name, t.outcome, t.task_executed, t.script_type, t.sstate_result, length(t.sstate_checksum) > 0, t.message, t.logfile != '', t."order" IS NOT NULL, t.started IS NOT NULL, t.ended IS NOT NULL, t.elapsed_time IS NOT NULL, t.cpu_time_user IS NOT NULL, t.cpu_time_system IS NOT NULL, t.disk_io IS NOT NULL, t.disk_io_read IS NOT NULL, t.disk_io_write IS NOT NULL, t.path_to_sstate_obj, t.source_url, t.work_directory, t.line_number FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 ORDER BY r.name, t.task_name;
-- name: task order when nothing ran at the same time
SELECT t."order", r.name, t.task_name FROM orm_task t JOIN orm_recipe r ON t.recipe_id = r.id WHERE t.build_id = ?1 AND t.task_executed = 0 AND t."order" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM orm_task u WHERE u.build_id = ?1 AND u.task_executed = 1) ORDER BY t."order";
-- name: task dependencies
SELECT r.name || ':' || a.task_name, s.name || ':' || b.task_name FROM orm_task_dependency d JOIN orm_task a ON d.task_id = a.id JOIN orm_task b ON d.depends_on_id = b.id JOIN orm_recipe r ON a.recipe_id = r.id JOIN orm_recipe s ON b.recipe_id = s.id WHERE a.build_id = ?1 ORDER BY 1, 2;
-- name: variables
SELECT v.variable_name, v.variable_value, v.description FROM orm_variable v WHERE v.build_id = ?1 AND v.variable_name NOT IN ('DATE', 'TIME', 'DATETIME', 'BUILDNAME', 'BUILDSTART', 'BB_CMDLINE', 'BBINCLUDED', 'LOGFIFO', 'INHERIT', '_buildstats_system_stats', 'BB_NUMBER_PARSE_THREADS', 'do_package') AND NOT EXISTS (SELECT 1 FROM orm_variablehistory h WHERE h.variable_id = v.id AND (h.file_name LIKE '%/toaster.bbclass' OR h.file_name LIKE '%/buildstats.bbclass')) ORDER BY 1;
-- name: variable history
SELECT v.variable_name, h.file_name, coalesce(h.line_number, 'NULL'), h.operation FROM orm_variablehistory h JOIN orm_variable v ON h.variable_id = v.id WHERE v.build_id = ?1 AND h.file_name NOT LIKE '%.py' AND v.variable_name NOT IN ('INHERIT', 'do_package') AND NOT EXISTS (SELECT 1 FROM orm_variablehistory g WHERE g.variable_id = v.id AND (g.file_name LIKE '%/toaster.bbclass' OR g.file_name LIKE '%/buildstats.bbclass')) ORDER BY 1, 2, 3, 4;
-- name: help texts
SELECT area, key, text FROM orm_helptext WHERE build_id = ?1 ORDER BY key;
-- name: log messages
SELECT level, message FROM orm_logmessage WHERE build_id = ?1 ORDER BY id;
