second_do_x() {
	echo second
}
EXPORT_FUNCTIONS do_x
