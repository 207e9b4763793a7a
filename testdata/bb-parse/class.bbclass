# A class: exported functions, a handler, a def block ending at end of file.
EXPORT_FUNCTIONS do_compile do_install

example_do_compile() {
	oe_runmake
}

python example_do_install() {
    import os
    os.makedirs(d.getVar('D'), exist_ok=True)
}

addhandler example_eventhandler
example_eventhandler[eventmask] = "bb.event.BuildStarted"
python example_eventhandler() {
    bb.note("started")
}

do_deploy[dirs] = "${DEPLOYDIR}"
def example_version(d):
    # comment lines belong to the block
    v = d.getVar('PV')

    return v
