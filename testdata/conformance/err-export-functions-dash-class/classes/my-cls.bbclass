my-cls_do_x() {
	echo x
}
EXPORT_FUNCTIONS do_x
