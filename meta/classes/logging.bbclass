# Shell helpers for messages from shell tasks.  They write to the task's
# log (stdout); bbfatal also ends the task with a failure.  bbwarn goes through
# the task's message pipe (LOGFIFO) when the runner provides one, so that the
# warning reaches the build's console and Toaster; otherwise to the log, where
# bake picks up WARNING lines itself.

bbplain() {
	echo "$*"
}

bbnote() {
	echo "NOTE: $*"
}

bbwarn() {
	if [ -p "${LOGFIFO}" ]; then
		printf "%b\0" "bbwarn $*" > "${LOGFIFO}"
	else
		echo "WARNING: $*"
	fi
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
