# base.bbclass of the default `bake` layer: the task chain every recipe gets.
#
#   do_fetch -> do_unpack -> do_patch ---------------------.
#          `-> do_prepare_recipe_sysroot (after DEPENDS'    +-> do_configure -> do_compile
#              do_populate_sysroot, see [deptask]) --------'     -> do_install -> do_populate_sysroot -> do_build
#
# do_fetch, do_unpack, do_patch, do_prepare_recipe_sysroot and
# do_populate_sysroot are Python tasks with self-contained bodies; `bake`
# runs its own implementation of each of them (see meta/README.md), the
# Python body is what BitBake runs.  do_configure, do_compile and do_install
# are shell tasks that classes (make, autotools, cmake) replace through
# EXPORT_FUNCTIONS.

inherit logging utility-tasks sstate

# Packaging: PACKAGE_CLASSES (package_deb, package_ipk, package_rpm) adds
# do_package, do_packagedata and do_package_write_<format> (see package.bbclass).
PACKAGE_CLASSES ??= ""
inherit_defer ${PACKAGE_CLASSES}

PACKAGECONFIG ??= ""
EXTRA_OEMAKE ??= ""

oe_runmake() {
	${MAKE} ${EXTRA_OEMAKE} "$@" || die "oe_runmake failed"
}

##############################################################################
# do_fetch: download every SRC_URI entry into ${DL_DIR}
##############################################################################
addtask fetch
do_fetch[dirs] = "${DL_DIR}"
do_fetch[vardeps] += "SRCREV"
python do_fetch () {
    src_uri = (d.getVar('SRC_URI') or '').split()
    if not src_uri:
        return
    try:
        fetcher = bb.fetch2.Fetch(src_uri, d)
        fetcher.download()
    except bb.fetch2.BBFetchException as e:
        bb.fatal("Fetcher failure: %s" % e)
}

##############################################################################
# do_unpack: extract/copy every SRC_URI entry into ${UNPACKDIR}
##############################################################################
addtask unpack after do_fetch
do_unpack[dirs] = "${UNPACKDIR}"
do_unpack[cleandirs] = "${UNPACKDIR}"
python do_unpack () {
    src_uri = (d.getVar('SRC_URI') or '').split()
    if not src_uri:
        return
    try:
        fetcher = bb.fetch2.Fetch(src_uri, d)
        fetcher.unpack(d.getVar('UNPACKDIR'))
    except bb.fetch2.BBFetchException as e:
        bb.fatal("Unpack failure: %s" % e)
}

##############################################################################
# do_patch: apply the SRC_URI entries named *.patch or *.diff (or with
# apply=yes), in SRC_URI order, inside ${S}; striplevel=N (default 1) and
# patchdir=DIR (relative to ${S}) are honoured, apply=no skips an entry.
##############################################################################
addtask patch after do_unpack
do_patch[dirs] = "${S}"
python do_patch () {
    import os, subprocess
    src_uri = (d.getVar('SRC_URI') or '').split()
    if not src_uri:
        return
    fetcher = bb.fetch2.Fetch(src_uri, d)
    s = d.getVar('S')
    unpackdir = d.getVar('UNPACKDIR')
    for url in src_uri:
        scheme, host, path, user, pswd, parm = bb.fetch2.decodeurl(url)
        name = os.path.basename(path.rstrip('/'))
        apply = parm.get('apply')
        if apply is None:
            apply = 'yes' if (name.endswith('.patch') or name.endswith('.diff')) else 'no'
        if apply != 'yes':
            continue
        local = fetcher.localpath(url)
        if scheme == 'file':
            # do_unpack copied it into UNPACKDIR; use that copy
            copied = os.path.join(unpackdir, path.lstrip('/'))
            if os.path.exists(copied):
                local = copied
        where = os.path.join(s, parm.get('patchdir', '.'))
        strip = parm.get('striplevel', '1')
        bb.note("Applying patch %s" % name)
        r = subprocess.run(['patch', '--batch', '--forward', '-p' + strip, '-d', where, '-i', local],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        if r.returncode != 0:
            bb.fatal("Applying patch %s failed:\n%s" % (name, r.stdout))
}

##############################################################################
# do_prepare_recipe_sysroot: merge the ${SYSROOT_DESTDIR} of every recipe this
# one builds against (DEPENDS, recursively) into ${RECIPE_SYSROOT}.
##############################################################################
addtask prepare_recipe_sysroot before do_configure after do_fetch
do_prepare_recipe_sysroot[deptask] = "do_populate_sysroot"
do_prepare_recipe_sysroot[cleandirs] = "${RECIPE_SYSROOT}"
do_prepare_recipe_sysroot[dirs] = "${RECIPE_SYSROOT}"
# BB_TASKDEPDATA differs from run to run: not part of the signature
do_prepare_recipe_sysroot[vardepsexclude] += "BB_TASKDEPDATA"
python do_prepare_recipe_sysroot () {
    import os, shutil
    sysroot = d.getVar('RECIPE_SYSROOT')
    components = d.getVar('COMPONENTS_DIR')
    mypn = d.getVar('PN')
    # The run queue gives every task the whole set of tasks it depends on,
    # directly or not: the do_populate_sysroot tasks among them are exactly
    # the build dependencies, recursively.
    taskdepdata = d.getVar('BB_TASKDEPDATA', False) or {}
    pns = sorted(set(dep[0] for dep in taskdepdata.values()
                     if dep[1] == 'do_populate_sysroot' and dep[0] != mypn))
    for pn in pns:
        src = os.path.join(components, pn)
        if not os.path.isdir(src):
            continue
        bb.note("Staging %s into the recipe sysroot" % pn)
        for root, dirs, files in os.walk(src):
            rel = os.path.relpath(root, src)
            dest = os.path.normpath(os.path.join(sysroot, rel))
            os.makedirs(dest, exist_ok=True)
            for name in dirs:
                path = os.path.join(root, name)
                if os.path.islink(path):
                    target = os.path.join(dest, name)
                    if not os.path.lexists(target):
                        os.symlink(os.readlink(path), target)
            for name in files:
                path = os.path.join(root, name)
                target = os.path.join(dest, name)
                if os.path.lexists(target):
                    os.unlink(target)
                if os.path.islink(path):
                    os.symlink(os.readlink(path), target)
                    continue
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
}

##############################################################################
# do_configure, do_compile, do_install: shell, replaced by the build classes
##############################################################################
addtask configure after do_patch
do_configure[dirs] = "${B}"
base_do_configure() {
	:
}

addtask compile after do_configure
do_compile[dirs] = "${B}"
base_do_compile() {
	if [ -e Makefile -o -e makefile -o -e GNUmakefile ]; then
		oe_runmake || die "make failed"
	else
		bbnote "nothing to compile"
	fi
}

addtask install after do_compile
do_install[dirs] = "${B}"
do_install[cleandirs] = "${D}"
base_do_install() {
	:
}

##############################################################################
# do_populate_sysroot: copy what other recipes build against (SYSROOT_DIRS of
# ${D}) to ${SYSROOT_DESTDIR}
##############################################################################
addtask populate_sysroot after do_install
do_populate_sysroot[dirs] = "${SYSROOT_DESTDIR}"
do_populate_sysroot[cleandirs] = "${SYSROOT_DESTDIR}"
python do_populate_sysroot () {
    import os, shutil
    image = d.getVar('D')
    dest = d.getVar('SYSROOT_DESTDIR')
    for sub in sorted(set((d.getVar('SYSROOT_DIRS') or '').split())):
        src = image + sub
        if not os.path.isdir(src):
            continue
        target = dest + sub
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
}

##############################################################################
# do_build: the default target task, runs nothing itself.  Its [rdeptask]
# brings in what the packages of this recipe need at run time (RDEPENDS).
##############################################################################
addtask build after do_populate_sysroot
do_build[noexec] = "1"
do_build[rdeptask] = "do_populate_sysroot"

EXPORT_FUNCTIONS do_configure do_compile do_install
