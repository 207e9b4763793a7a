# Built with tool: its do_install needs tool's.
do_install[depends] += "tool:do_install"
