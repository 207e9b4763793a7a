do_a() {
	echo recipe a before inherit
}
inherit cls
do_b() {
	echo recipe b after inherit
}
