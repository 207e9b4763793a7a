# Shell helpers for messages from shell tasks.  They write to the task's
# log (stdout); bbfatal also ends the task with a failure.

bbplain() {
	echo "$*"
}

bbnote() {
	echo "NOTE: $*"
}

bbwarn() {
	echo "WARNING: $*"
}

bberror() {
	echo "ERROR: $*"
}

bbfatal() {
	echo "ERROR: $*"
	exit 1
}

bbdebug() {
	echo "DEBUG: $*"
}

die() {
	bbfatal "$*"
}
