V = "value"
do_shell() {
	# a comment kept verbatim
	echo "${V}" \
	    continued
	if true; then { echo braces; }; fi
	}
 }
}
python do_py() {
    # comment
    bb.note("${V} is not expanded")
    x = {'a': 1}
}
