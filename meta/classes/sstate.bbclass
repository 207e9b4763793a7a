# sstate.bbclass of the default `bake` layer: shared state.
#
# The output of each task in SSTATETASKS is saved after the task ran as an object
# in ${SSTATE_DIR} named by the task's hash (xx/yy/<SSTATE_PKGSPEC><hash>_<task>.tar.zst,
# a .siginfo beside it), and installed from the task's sstate-inputdirs into its
# sstate-outputdirs with a manifest in ${SSTATE_MANIFESTS}.  A later build whose task
# has the same hash runs the task's setscene variant instead: the object is taken
# from ${SSTATE_DIR} (or SSTATE_MIRRORS) and installed, and the tasks before it are
# not run at all.
#
# The Python bodies below are what BitBake runs; `bake` runs its own implementation
# of each of them (crates/bb-sstate, see meta/README.md) and of the two hooks
# (BB_HASHCHECK_FUNCTION, BB_SETSCENE_DEPVALID).  Objects are tar archives
# compressed with zstd: BitBake's bodies call the host's tar and zstd.

SSTATE_VERSION = "14"
SSTATE_DIR ?= "${TOPDIR}/sstate-cache"
SSTATE_MANIFESTS ?= "${TMPDIR}/sstate-control"
SSTATE_PKGARCH ?= "${BUILD_ARCH}"
SSTATE_PKGSPEC = "sstate:${PN}:${TARGET_SYS}:${PV}:${PR}:${SSTATE_PKGARCH}:${SSTATE_VERSION}:"
SSTATE_SWSPEC = "sstate:${PN}::${PV}:${PR}::${SSTATE_VERSION}:"
SSTATE_EXTRAPATH = ""
SSTATE_MANFILEPREFIX = "${SSTATE_MANIFESTS}/manifest-${SSTATE_PKGARCH}-${PN}"
SSTATE_MIRRORS ??= ""
SSTATE_ALLOW_OVERLAP_FILES ??= ""
# What the hash check needs of each task, handed over by BitBake without a parse.
BB_HASHFILENAME = "False ${SSTATE_PKGSPEC} ${SSTATE_SWSPEC}"

BB_HASHCHECK_FUNCTION = "sstate_checkhashes"
BB_SETSCENE_DEPVALID = "setscene_depvalid"

# Where the names of objects and manifests come from is not what the tasks make.
SSTATE_VARS_EXCLUDED = "SSTATE_DIR SSTATE_MANIFESTS SSTATE_PKGSPEC SSTATE_MANFILEPREFIX \
    SSTATE_MIRRORS SSTATE_ALLOW_OVERLAP_FILES SSTATE_EXTRAPATH SSTATE_PKGARCH \
    SSTATE_VERSION BB_TASKHASH BB_UNIHASH STAMP WORKDIR TMPDIR"
sstate_task_prefunc[vardepsexclude] = "${SSTATE_VARS_EXCLUDED}"
sstate_task_postfunc[vardepsexclude] = "${SSTATE_VARS_EXCLUDED}"

##############################################################################
# do_populate_sysroot: made in ${SYSROOT_DESTDIR} (inside WORKDIR), installed
# into ${COMPONENTS_DIR}/${PN}, where do_prepare_recipe_sysroot finds it.
##############################################################################
SSTATETASKS += "do_populate_sysroot"
SYSROOT_DESTDIR = "${WORKDIR}/sysroot-destdir"
do_populate_sysroot[sstate-inputdirs] = "${SYSROOT_DESTDIR}"
do_populate_sysroot[sstate-outputdirs] = "${COMPONENTS_DIR}/${PN}"
do_populate_sysroot[prefuncs] += "sstate_task_prefunc"
do_populate_sysroot[postfuncs] += "sstate_task_postfunc"
python do_populate_sysroot_setscene () {
    sstate_setscene(d)
}
addtask do_populate_sysroot_setscene

##############################################################################
# Packaging (when PACKAGE_CLASSES adds the tasks): do_package keeps its work
# directories (plain directories); do_packagedata and do_package_write_<format>
# make their output in WORKDIR (bake points PKGDATA_DIR / DEPLOY_DIR_<FORMAT> of
# the task there), installed into the shared PKGDATA_DIR and deploy directories.
##############################################################################
SSTATETASKS += "do_package do_packagedata do_package_write_deb do_package_write_ipk do_package_write_rpm"
do_package[sstate-plaindirs] = "${PKGD} ${PKGDEST} ${PKGDESTWORK}"
do_packagedata[sstate-inputdirs] = "${WORKDIR}/pkgdata-pdata-input"
do_packagedata[sstate-outputdirs] = "${PKGDATA_DIR}"
do_packagedata[cleandirs] += "${WORKDIR}/pkgdata-pdata-input"
do_package_write_deb[sstate-inputdirs] = "${WORKDIR}/deploy-debs"
do_package_write_deb[sstate-outputdirs] = "${DEPLOY_DIR_DEB}"
do_package_write_deb[cleandirs] += "${WORKDIR}/deploy-debs"
do_package_write_ipk[sstate-inputdirs] = "${WORKDIR}/deploy-ipks"
do_package_write_ipk[sstate-outputdirs] = "${DEPLOY_DIR_IPK}"
do_package_write_ipk[cleandirs] += "${WORKDIR}/deploy-ipks"
do_package_write_rpm[sstate-inputdirs] = "${WORKDIR}/deploy-rpms"
do_package_write_rpm[sstate-outputdirs] = "${DEPLOY_DIR_RPM}"
do_package_write_rpm[cleandirs] += "${WORKDIR}/deploy-rpms"
do_package[prefuncs] += "sstate_task_prefunc"
do_package[postfuncs] += "sstate_task_postfunc"
do_packagedata[prefuncs] += "sstate_task_prefunc"
do_packagedata[postfuncs] += "sstate_task_postfunc"
do_package_write_deb[prefuncs] += "sstate_task_prefunc"
do_package_write_deb[postfuncs] += "sstate_task_postfunc"
do_package_write_ipk[prefuncs] += "sstate_task_prefunc"
do_package_write_ipk[postfuncs] += "sstate_task_postfunc"
do_package_write_rpm[prefuncs] += "sstate_task_prefunc"
do_package_write_rpm[postfuncs] += "sstate_task_postfunc"
python do_package_setscene () {
    sstate_setscene(d)
}
python do_packagedata_setscene () {
    sstate_setscene(d)
}
python do_package_write_deb_setscene () {
    sstate_setscene(d)
}
python do_package_write_ipk_setscene () {
    sstate_setscene(d)
}
python do_package_write_rpm_setscene () {
    sstate_setscene(d)
}
addtask do_package_setscene
addtask do_packagedata_setscene
addtask do_package_write_deb_setscene
addtask do_package_write_ipk_setscene
addtask do_package_write_rpm_setscene

# do_clean removes what every sstate task of the recipe installed, by its manifest.
do_clean[prefuncs] += "sstate_clean_all"
sstate_clean_all[vardepsexclude] = "${SSTATE_VARS_EXCLUDED}"
python sstate_clean_all () {
    for task in (d.getVar('SSTATETASKS') or '').split():
        sstate_clean_manifest(sstate_manifest(d, task[3:] if task.startswith('do_') else task))
}

##############################################################################
# The functions BitBake runs.
##############################################################################
def sstate_state(d, task):
    task = task.replace('_setscene', '')
    if not task.startswith('do_'):
        task = 'do_' + task
    flag = lambda f: (d.getVarFlag(task, f) or '').split()
    inputs, outputs = flag('sstate-inputdirs'), flag('sstate-outputdirs')
    if len(inputs) != len(outputs):
        bb.fatal("sstate variables of %s not set up correctly" % task)
    dirs = [(os.path.basename(os.path.normpath(i)), os.path.normpath(i), os.path.normpath(o))
            for i, o in zip(inputs, outputs)]
    return {'task': task[3:], 'dirs': dirs, 'plaindirs': flag('sstate-plaindirs')}

def sstate_object_name(spec, hash, task):
    name = '%s%s_%s.tar.zst' % (spec, hash or 'INVALID', task)
    if len(name) > 246:
        bb.fatal("sstate name %s is too long" % name)
    return '%s/%s/%s' % (hash[:2], hash[2:4], name)

def sstate_object(d, task):
    name = sstate_object_name(d.getVar('SSTATE_PKGSPEC'), d.getVar('BB_TASKHASH'), task)
    return name, os.path.join(d.getVar('SSTATE_DIR'), d.getVar('SSTATE_EXTRAPATH') + name)

def sstate_manifest(d, task):
    return d.getVar('SSTATE_MANFILEPREFIX') + '.' + task

def sstate_clean_manifest(manifest):
    if not os.path.exists(manifest):
        return
    with open(manifest) as f:
        entries = f.read().splitlines()
    for entry in entries:
        if not entry:
            continue
        if entry.endswith('/'):
            try:
                os.rmdir(entry)
            except OSError:
                pass
        elif os.path.lexists(entry):
            os.remove(entry)
    os.remove(manifest)

def sstate_install(ss, d):
    import shutil
    files, dirs = [], []
    for name, src, dest in ss['dirs']:
        for root, subdirs, names in os.walk(src):
            for n in names:
                files.append(os.path.join(root, n).replace(src, dest, 1))
            for n in subdirs:
                p = os.path.join(root, n).replace(src, dest, 1)
                if os.path.islink(os.path.join(root, n)):
                    files.append(p)
                else:
                    dirs.append(p + '/')
    allowed = [os.path.normpath(w) for w in (d.getVar('SSTATE_ALLOW_OVERLAP_FILES') or '').split()]
    clash = [f for f in files if os.path.lexists(f) and not any(f.startswith(w) for w in allowed)]
    if clash:
        bb.fatal("Recipe %s is trying to install files into a shared area when those files already exist:\n  %s"
                 % (d.getVar('PN'), "\n  ".join(clash)))
    manifests = d.getVar('SSTATE_MANIFESTS')
    bb.utils.mkdirhier(manifests)
    with open(sstate_manifest(d, ss['task']), 'w') as f:
        for p in files + sorted(dirs, key=len, reverse=True):
            f.write(p + '\n')
    for name, src, dest in ss['dirs']:
        if os.path.isdir(src):
            shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)

python sstate_task_prefunc () {
    ss = sstate_state(d, d.getVar('BB_CURRENTTASK'))
    sstate_clean_manifest(sstate_manifest(d, ss['task']))
}

python sstate_task_postfunc () {
    import subprocess, tempfile
    ss = sstate_state(d, d.getVar('BB_CURRENTTASK'))
    name, path = sstate_object(d, ss['task'])
    if not os.path.exists(path):
        # Each input directory is moved under its name for tar, then moved back.
        members = []
        staging = tempfile.mkdtemp(dir=d.getVar('WORKDIR'), prefix='sstate-build-')
        for dirname, src, dest in ss['dirs']:
            if os.path.isdir(src):
                os.rename(src, os.path.join(staging, dirname))
                members.append((dirname, src))
        bb.utils.mkdirhier(os.path.dirname(path))
        tmp = path + '.' + str(os.getpid()) + '.tmp'
        try:
            subprocess.check_call(['tar', '-I', 'zstd', '-cf', tmp, '-C', staging, '--']
                                  + [m[0] for m in members] if members else
                                  ['tar', '-I', 'zstd', '-cf', tmp, '--files-from', '/dev/null'])
        finally:
            for dirname, src in members:
                os.rename(os.path.join(staging, dirname), src)
        os.rename(tmp, path)
        bb.utils.remove(staging, recurse=True)
    sstate_install(ss, d)
}

def sstate_setscene(d):
    import shutil, subprocess
    ss = sstate_state(d, d.getVar('BB_CURRENTTASK'))
    name, path = sstate_object(d, ss['task'])
    if not os.path.exists(path):
        for mirror in (d.getVar('SSTATE_MIRRORS') or '').replace('\\n', ' ').split()[1::2]:
            src = mirror.replace('file://', '', 1).replace('PATH', name)
            if mirror.startswith('file://') and os.path.exists(src):
                bb.utils.mkdirhier(os.path.dirname(path))
                shutil.copyfile(src, path + '.tmp')
                os.rename(path + '.tmp', path)
                break
        else:
            bb.fatal("no sstate object %s" % name)
    inst = os.path.join(d.getVar('WORKDIR'), 'sstate-install-' + ss['task'])
    bb.utils.remove(inst, recurse=True)
    bb.utils.mkdirhier(inst)
    subprocess.check_call(['tar', '-I', 'zstd', '-xpf', path, '-C', inst])
    sstate_clean_manifest(sstate_manifest(d, ss['task']))
    for dirname, src, dest in ss['dirs']:
        bb.utils.remove(src, recurse=True)
        bb.utils.mkdirhier(os.path.dirname(src))
        if os.path.isdir(os.path.join(inst, dirname)):
            os.rename(os.path.join(inst, dirname), src)
        else:
            bb.utils.mkdirhier(src)
    sstate_install(ss, d)
    bb.utils.remove(inst, recurse=True)

def sstate_checkhashes(sq_data, d, siginfo=False, currentcount=0, summary=True, **kwargs):
    found, local, names = set(), 0, {}
    sstate_dir = d.getVar('SSTATE_DIR')
    mirrors = [m for m in (d.getVar('SSTATE_MIRRORS') or '').replace('\\n', ' ').split()[1::2]
               if m.startswith('file://')]
    for tid in sq_data['hash']:
        spec = sq_data['hashfn'][tid].split(' ')[1]
        task = tid.rsplit(':', 1)[1][3:]
        name = sstate_object_name(spec, sq_data['unihash'][tid], task)
        names[tid] = name
        if os.path.exists(os.path.join(sstate_dir, name)):
            found.add(tid)
            local += 1
        elif any(os.path.exists(m.replace('file://', '', 1).replace('PATH', name)) for m in mirrors):
            found.add(tid)
    if 'toaster' in (d.getVar('INHERIT') or '').split():
        # What Toaster records as each task's sstate result and object (its name
        # relative to SSTATE_DIR), as openembedded-core tells it.
        entry = lambda tid: (bb.runqueue.fn_from_tid(tid), bb.runqueue.taskname_from_tid(tid),
                             sq_data['unihash'][tid], names[tid])
        bb.event.fire(bb.event.MetadataEvent("MissedSstate", {
            'missed': [entry(t) for t in sq_data['hash'] if t not in found],
            'found': [entry(t) for t in sq_data['hash'] if t in found]}), d)
    if summary:
        total = len(sq_data['hash'])
        match = len(found) * 100 // total if total else 0
        complete = (len(found) + currentcount) * 100 // (total + currentcount) if currentcount else 0
        bb.plain("Sstate summary: Wanted %d Local %d Mirrors %d Missed %d Current %d (%d%% match, %d%% complete)"
                 % (total, local, len(found) - local, total - len(found), currentcount, match, complete))
    return found

def setscene_depvalid(task, taskdependees, notneeded, d, log=None):
    # True: the dependees can do without this setscene task.
    native = lambda pn: pn.endswith('-native')
    write = ['do_package_write_deb', 'do_package_write_ipk', 'do_package_write_rpm']
    pn, name = taskdependees[task][0], taskdependees[task][1]
    if name == 'do_populate_lic':
        return True
    if name == 'do_packagedata' and any(taskdependees[t][1] != 'do_packagedata' for t in taskdependees):
        return True
    for dep in taskdependees:
        if dep == task or dep in notneeded:
            continue
        dpn, dname = taskdependees[dep][0], taskdependees[dep][1]
        if name == 'do_package' and (dname in ['do_package', 'do_packagedata'] or dname in write):
            continue
        if name == 'do_populate_sysroot':
            if dname in write:
                return False
            if dname in ['do_package', 'do_packagedata', 'do_deploy']:
                continue
            if dname == 'do_populate_sysroot':
                if native(pn) and not native(dpn):
                    continue
                return False
        if native(dpn) and (dname in ['do_package', 'do_packagedata'] or dname in write):
            continue
        return False
    return True
