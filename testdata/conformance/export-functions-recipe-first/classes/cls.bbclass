cls_do_a() {
	echo class a
}
cls_do_b() {
	echo class b
}
EXPORT_FUNCTIONS do_a do_b
