# Pulled in late through inherit_defer.
GREETING ?= "hello from ${PN}"
GREETING_CLASS_SEEN = "yes"
do_greet() {
	echo "${GREETING}"
}
addtask greet after do_compile before do_install
