# Task priorities: BB_TASK_NICE_LEVEL and BB_TASK_IONICE_LEVEL, with a task override.
BB_TASK_NICE_LEVEL = "15"
BB_TASK_NICE_LEVEL:task-pyprio = "19"
BB_TASK_IONICE_LEVEL = "2.6"

do_shprio() {
	# The 19th field of stat is the nice value; ionice names class and priority.
	echo "nice $(cut -d' ' -f19 /proc/$$/stat) io $(ionice -p $$)" > ${TOPDIR}/shprio.out
}
addtask shprio
do_shprio[nostamp] = "1"

python do_pyprio() {
    import os, subprocess
    io = subprocess.run(["ionice", "-p", str(os.getpid())], capture_output=True, text=True).stdout.strip()
    with open(d.expand("${TOPDIR}/pyprio.out"), "w") as f:
        f.write("nice %d io %s\n" % (os.nice(0), io))
}
addtask pyprio
do_pyprio[nostamp] = "1"
