# A shell task whose helper fails: the run script's exit trap reports it in the log.
SHFAIL_EXPORTED = 'quote" tick` dollar$'
export SHFAIL_EXPORTED
SHFAIL_DROPPED = "never seen"
SHFAIL_DROPPED[unexport] = "1"

shfail_helper() {
	echo "helper runs"
	false
	echo "not reached"
}

do_broken() {
	echo "exported: $SHFAIL_EXPORTED"
	shfail_helper
}
do_broken[dirs] = "${B}"
addtask broken
