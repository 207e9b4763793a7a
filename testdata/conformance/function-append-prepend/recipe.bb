OVERRIDES = "o"
do_foo() {
	echo main
}
do_foo:append() {
	echo appended
}
do_foo:prepend() {
	echo prepended
}
do_bar() {
	echo bar
}
do_bar:o() {
	echo bar-o
}
python do_pyfn() {
    bb.note("main")
}
python do_pyfn:append() {
    bb.note("appended")
}
