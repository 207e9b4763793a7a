addtask fetch
addtask unpack after fetch before build
addtask patch after do_unpack
addtask configure after patch before compile
addtask compile
addtask build after compile
addtask fetch2 patch2 after fetch before build
addtask compile after unpack
addtask extra after fetch after patch before build before install
DEPS = "unpack:[${@d.getVarFlag('do_unpack','deps')}] patch:[${@d.getVarFlag('do_patch','deps')}] compile:[${@d.getVarFlag('do_compile','deps')}] build:[${@d.getVarFlag('do_build','deps')}] install:[${@d.getVarFlag('do_install','deps')}] installtask:[${@d.getVarFlag('do_install','task')}] extra:[${@d.getVarFlag('do_extra','deps')}]"
