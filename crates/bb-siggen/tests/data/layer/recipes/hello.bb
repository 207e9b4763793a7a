PN = "hello"
PV = "1.0"
UNRELATED = "whatever"
export MYEXPORT = "1"

HELPER_VAR = "h"
helper_fn() {
	echo "helping ${HELPER_VAR}"
}

prefix = "/usr"
EXCLUDED = "not a dependency"
do_configure() {
	./configure --prefix=${prefix} --x=${EXCLUDED} $(pkg-config --libs foo)
}
do_configure[vardepsexclude] = "EXCLUDED"

oe_runmake() {
	make "$@"
}
EXTRA_DEP = "e"
do_compile() {
	helper_fn
	oe_runmake CFLAGS="${CFLAGS}" | tee log
}
do_compile[vardeps] += "EXTRA_DEP"

D = "${WORKDIR}/image"
bindir = "/usr/bin"
CONF_CONTENT = "a=b"
DATE = "20240101"
VERSIONISH = "v-${DATE}"
VERSIONISH[vardepvalue] = "v-fixed"
do_install() {
	install -d ${D}${bindir}
	cat > ${D}/conf <<EOF
${CONF_CONTENT} ${VERSIONISH}
EOF
}

X11_OPTS = "--x11"
PY_VAR = "p"
python helper_py() {
    d.getVar('PY_VAR')
}
python do_package() {
    if bb.utils.contains('DISTRO_FEATURES', 'x11', True, False, d):
        d.getVar('X11_OPTS')
    bb.build.exec_func('helper_py', d)
    d.getVarFlag('do_package', 'mytag')
}
do_package[mytag] = "t"

RM_ITEM = "c"
SRC_LIST = "a b c d"
SRC_LIST:remove = "b ${RM_ITEM}"
do_listing() {
	echo ${SRC_LIST} ${@d.getVar('INLINE_VAR')}
}
INLINE_VAR = "i"

addtask configure before do_compile
addtask compile before do_install
addtask install before do_package
addtask package before do_build
addtask listing before do_build
