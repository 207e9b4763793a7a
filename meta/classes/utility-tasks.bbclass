# Tasks run by hand with `-c`: not part of the normal chain.

addtask listtasks
do_listtasks[nostamp] = "1"
python do_listtasks () {
    tasks = []
    for name in d.keys():
        if name.startswith('do_') and d.getVarFlag(name, 'task'):
            tasks.append((name, d.getVarFlag(name, 'doc') or ''))
    for name, doc in sorted(tasks):
        bb.plain("%-26s %s" % (name, doc))
}

addtask clean
do_clean[nostamp] = "1"
python do_clean () {
    import glob, os, shutil
    workdir = d.getVar('WORKDIR')
    bb.note("Removing " + workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    sysroot = d.getVar('SYSROOT_DESTDIR')
    shutil.rmtree(sysroot, ignore_errors=True)
    for stamp in glob.glob(d.expand('${STAMP}.*')):
        os.unlink(stamp)
}

do_fetch[doc] = "Downloads the sources (SRC_URI) into DL_DIR"
do_unpack[doc] = "Unpacks the sources into UNPACKDIR"
do_patch[doc] = "Applies the patches of SRC_URI to S"
do_prepare_recipe_sysroot[doc] = "Stages the build dependencies into RECIPE_SYSROOT"
do_configure[doc] = "Configures the source tree"
do_compile[doc] = "Compiles the source tree"
do_install[doc] = "Installs into D"
do_populate_sysroot[doc] = "Copies what dependants build against into SYSROOT_DESTDIR"
do_build[doc] = "Default task: builds the recipe"
do_listtasks[doc] = "Lists the tasks of the recipe"
do_clean[doc] = "Removes the work directory, sysroot output and stamps"
