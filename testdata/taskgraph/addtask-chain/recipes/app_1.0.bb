# after/before chains, several names in one addtask, names without do_,
# a second addtask merging into an existing task, before an undeclared task.
do_lint() {
	:
}
addtask do_lint after do_fetch before do_compile
addtask lint after do_configure

addtask package after do_install before do_build
do_package() {
	:
}

addtask deploy after do_compile do_install before do_build
do_deploy() {
	:
}

addtask docs1 docs2 after do_fetch before do_build
do_docs1() {
	:
}
do_docs2() {
	:
}

# before a task that is never declared: only reachable with -c
addtask signoff after do_package before do_ghost
do_signoff() {
	:
}
