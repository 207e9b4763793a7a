# Shared state written in the metadata's own Python, as oe-core's sstate.bbclass does it:
# the hash check and dependency hooks, an object per do_install in SSTATE_DIR named by
# the task's unihash, the output hash reported with bb.parse.siggen.report_unihash,
# the siginfo written with bb.siggen.dump_this_task. Each hook call is logged as a
# line of JSON in ${TOPDIR}/hooks.log.

BB_HASHCHECK_FUNCTION = "hooks_checkhashes"
BB_SETSCENE_DEPVALID = "hooks_depvalid"

def hooks_object(d, pn, unihash):
    return os.path.join(d.getVar('SSTATE_DIR'), 'hooks-%s-%s.txt' % (pn, unihash))

def hooks_log(d, record):
    import json
    with open(os.path.join(d.getVar('TOPDIR'), 'hooks.log'), 'a') as f:
        f.write(json.dumps(record, sort_keys=True) + '\n')

def hooks_tid(tid):
    return os.path.basename(tid)

def hooks_checkhashes(sq_data, d, siginfo=False, currentcount=0, summary=True, **kwargs):
    found = set()
    for tid in sq_data['hash']:
        pn = sq_data['hashfn'][tid].split()[1].split(':')[1]
        if os.path.exists(hooks_object(d, pn, sq_data['unihash'][tid])):
            found.add(tid)
    hooks_log(d, {'call': 'checkhashes',
                  'tids': sorted(hooks_tid(t) for t in sq_data['hash']),
                  'hashfn': sorted(set(sq_data['hashfn'].values())),
                  'hashes': sorted(set(len(h) for h in sq_data['hash'].values())),
                  'currentcount': currentcount, 'summary': summary, 'siginfo': siginfo,
                  'found': sorted(hooks_tid(t) for t in found)})
    if summary:
        bb.plain("Hooks summary: wanted %d found %d current %d"
                 % (len(sq_data['hash']), len(found), currentcount))
    return found

def hooks_depvalid(task, taskdependees, notneeded, d, log=None):
    hooks_log(d, {'call': 'depvalid', 'task': hooks_tid(task),
                  'taskdependees': sorted([v[0], v[1], os.path.basename(v[2])]
                                          for v in taskdependees.values())})
    # The tool is needed only to build app: a restored app does without it.
    return taskdependees[task][0] == 'tool'

def hooks_outhash(path, sigfile, task, d):
    import hashlib
    h = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), 'rb') as f:
            line = '%s %s\n' % (name, hashlib.sha256(f.read()).hexdigest())
        h.update(line.encode())
        sigfile.write(line.encode())
    return h.hexdigest()

HOOKS_CONTENT ?= "${PN}"

do_install[cleandirs] = "${WORKDIR}/image"
do_install[dirs] = "${WORKDIR}/image"
python do_install() {
    bb.note("hooks note: %s" % d.getVar('HOOKS_NOTE'))
    with open(os.path.join(d.getVar('WORKDIR'), 'image', d.getVar('PN') + '.txt'), 'w') as f:
        f.write(d.getVar('HOOKS_CONTENT') + '\n')
}
do_install[postfuncs] += "hooks_save"
do_install[vardepsexclude] += "hooks_save"
python hooks_save() {
    import shutil
    image = os.path.join(d.getVar('WORKDIR'), 'image')
    before = d.getVar('BB_UNIHASH')
    bb.parse.siggen.report_unihash(image, 'install', d)
    unihash = d.getVar('BB_UNIHASH')
    hooks_log(d, {'call': 'report', 'pn': d.getVar('PN'),
                  'taskhash': d.getVar('BB_TASKHASH'), 'before': before, 'after': unihash})
    src = os.path.join(image, d.getVar('PN') + '.txt')
    bb.utils.mkdirhier(d.getVar('SSTATE_DIR'))
    obj = hooks_object(d, d.getVar('PN'), unihash)
    shutil.copy(src, obj)
    bb.siggen.dump_this_task(obj + '.siginfo', d)
    bb.utils.mkdirhier(d.getVar('HOOKS_OUT'))
    shutil.copy(src, d.getVar('HOOKS_OUT'))
}
addtask install

python do_install_setscene() {
    import shutil
    obj = hooks_object(d, d.getVar('PN'), d.getVar('BB_UNIHASH'))
    bb.utils.mkdirhier(d.getVar('HOOKS_OUT'))
    shutil.copy(obj, os.path.join(d.getVar('HOOKS_OUT'), d.getVar('PN') + '.txt'))
}
addtask install_setscene

do_build[noexec] = "1"
addtask build after do_install
