addtask a
addtask b after a
addtask c after b
addtask d after c
DEL = "b"
deltask ${DEL}
deltask do_nonexistent
deltask ${EMPTYDEL}
EMPTYDEL = ""
DEPS = "c:[${@d.getVarFlag('do_c','deps')}] d:[${@d.getVarFlag('do_d','deps')}] btask:[${@d.getVarFlag('do_b','task')}]"
