BB_DEFAULT_TASK ?= "build"
CLASSOVERRIDE ?= "class-target"

def base_conditional(variable, checkvalue, truevalue, falsevalue, d):
    if d.getVar(variable) == checkvalue:
        return truevalue
    else:
        return falsevalue

oe_runmake() {
	${MAKE} ${PARALLEL_MAKE} ${EXTRA_OEMAKE} "$@" || die "oe_runmake failed"
}

die() {
	bbfatal "$*"
}

addtask fetch
do_fetch[dirs] = "${DL_DIR}"
python base_do_fetch() {
    src_uri = (d.getVar('SRC_URI') or "").split()
    if not src_uri:
        return
}

addtask unpack after do_fetch
do_unpack[dirs] = "${WORKDIR}"
do_unpack[cleandirs] = "${S}"
python base_do_unpack() {
    bb.note("unpacking into %s" % d.getVar('WORKDIR'))
}

addtask configure after do_unpack
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

addtask build after do_install
do_build[noexec] = "1"
do_build[nostamp] = "1"
base_do_build () {
	:
}

EXPORT_FUNCTIONS do_fetch do_unpack do_configure do_compile do_install do_build

python () {
    if d.getVar('LICENSE') is None:
        d.setVar('LICENSE', 'CLOSED')
    pn = d.getVar('PN')
    d.setVar('BASE_SAW_PN', pn)
}
