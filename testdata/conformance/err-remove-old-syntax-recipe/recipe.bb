do_remove_stuff() {
	rm -rf x
}
