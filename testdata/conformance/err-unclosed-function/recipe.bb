do_open() {
	echo never closed
	}
