# The disk space monitor's events (inherited through INHERIT by its test only):
# DiskFull's attributes and MonitorDiskEvent's samples, without what depends on the
# machine (the device, the sizes: only their types and whether they add up); a
# MonitorDiskEvent line only when it differs from the last line.
addhandler py_disk_events
py_disk_events[eventmask] = "bb.event.DiskFull bb.event.MonitorDiskEvent"
python py_disk_events() {
    import os
    top = e.data.getVar("TOPDIR")
    path = os.path.join(top, "disk-events.txt")
    if isinstance(e, bb.event.DiskFull):
        line = "%s type=%s free=%s mountpoint=%s dev=%s\n" % (bb.event.getName(e), e._type, type(e._free).__name__, e._mountpoint.replace(top, "@TOP@"), type(e._dev).__name__)
    else:
        samples = []
        for dev, s in sorted(e.disk_usage.items()):
            samples.append("%s:%s,%s,%s,%s" % (type(dev).__name__, type(s).__name__, type(s.available_bytes).__name__,
                           s.available_bytes <= s.free_bytes <= s.total_bytes, s.total_bytes > 0))
        line = "%s %s %s\n" % (bb.event.getName(e), type(e.disk_usage).__name__, " ".join(samples))
    last = open(path).readlines()[-1:] if os.path.exists(path) else []
    if last != [line]:
        with open(path, "a") as f:
            f.write(line)
}
