# Global class: a handful of tasks and the COMPATIBLE_MACHINE check.
inherit utility-tasks

base_do_fetch() {
	mkdir -p ${S}
}

base_do_compile() {
	echo "compiling ${PN}"
}

do_install() {
	:
}

do_build() {
	:
}
do_build[noexec] = "1"

EXPORT_FUNCTIONS do_fetch do_compile

addtask fetch
addtask compile after do_fetch
addtask install after do_compile
addtask build after do_install

python () {
    cm = d.getVar('COMPATIBLE_MACHINE')
    if cm:
        machine = d.getVar('MACHINE')
        if machine not in cm.split('|'):
            raise bb.parse.SkipRecipe("incompatible with machine %s (not in COMPATIBLE_MACHINE)" % machine)
    needed = d.getVar('REQUIRED_DISTRO_FEATURES') or ''
    for f in needed.split():
        if not bb.utils.contains('DISTRO_FEATURES', f, True, False, d):
            raise bb.parse.SkipRecipe("missing required distro feature '%s'" % f)
}
