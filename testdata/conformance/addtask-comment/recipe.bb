addtask fetch# trailing comment
addtask unpack after do_fetch #another
addtask build after unpack
deltask nothing#comment
SHOW = "${@d.getVarFlag('do_unpack', 'deps')} / ${@d.getVarFlag('do_build', 'deps')}"
