first_do_x() {
	echo first
}
EXPORT_FUNCTIONS do_x
