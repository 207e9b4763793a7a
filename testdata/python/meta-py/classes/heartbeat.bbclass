# HeartbeatEvent to the configuration's handlers every BB_HEARTBEAT_EVENT seconds while
# the build runs (inherited through INHERIT by the test that wants it).
BB_HEARTBEAT_EVENT = "0.2"
addhandler py_heartbeat
py_heartbeat[eventmask] = "bb.event.HeartbeatEvent"
python py_heartbeat() {
    import time
    with open(d.expand("${TOPDIR}/heartbeat.txt"), "a") as f:
        f.write("%s %s %s\n" % (bb.event.getName(e), isinstance(e.time, float), abs(time.time() - e.time) < 5))
}
