PN = "pylib"
PV = "1.0"
MYFLAGS = "-O2"
MYSUFFIX = " -g"
REPORT_KINDS = "warn-a warn-b"
NOT_USED = "x"

python do_compile() {
    bb.note(mylib.util.cflags(d))
    mylib.util.report("warn-a", "a message", d)
}
addtask compile before do_build
do_build[noexec] = "1"
addtask build

# A flag set to Python's None (as image.bbclass does for unset command variables):
# BitBake's signature reads no dependency from it.
POST_COMMANDS = "true"
python () {
    d.setVarFlag('POST_COMMANDS', 'vardeps', d.getVar('UNSET_COMMANDS'))
}
do_compile[vardeps] += "POST_COMMANDS"
