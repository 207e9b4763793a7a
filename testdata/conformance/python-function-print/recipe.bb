python zz_last() {
    pass
}
python aa_first() {
	bb.note("tab indented")
}
def mid(d):
    return 1

do_shell_b() {
	true
}
do_shell_a() {
	true
}
