python my_handler() {
    pass
}
my_handler[eventmask] = "bb.event.ConfigParsed"
addhandler my_handler
SHOW = "${@d.getVarFlag('my_handler', 'handler')}"
