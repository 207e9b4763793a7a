A = "value \
# a comment line inside a multi-line value
continues"
# a comment \
B = "swallowed by the comment above"
C = "ok"
addtask do_x:append_y
do_old_append() {
	:
}
def helper_remove():
    pass
D = "ok"
python do_tabs() {
	bb.note("tab")
}
do_unclosed() {
	echo never closed
 }
