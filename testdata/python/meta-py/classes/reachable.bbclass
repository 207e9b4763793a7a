# bb.event.ReachableStamps (inherited through INHERIT by its test only): what the event
# carries, with the build directory written @TOP@; a process started and finished
# (knotty shows it).
addhandler py_reachable
py_reachable[eventmask] = "bb.event.ReachableStamps"
python py_reachable() {
    import os
    top = e.data.getVar("TOPDIR")
    with open(os.path.join(top, "reachable.txt"), "a") as f:
        f.write("%s %s %d\n" % (bb.event.getName(e), type(e.stamps).__name__, len(e.stamps)))
        for fn in sorted(e.stamps):
            f.write("%s %s\n" % (fn.replace(top, "@TOP@"), e.stamps[fn].replace(top, "@TOP@")))
    msg = "Checking %d stamps" % len(e.stamps)
    bb.event.fire(bb.event.ProcessStarted(msg, len(e.stamps)), e.data)
    bb.event.fire(bb.event.ProcessFinished(msg), e.data)
}

# BitBake fires ReachableStamps on the configuration itself: what its handler stores,
# BuildStarted's handlers see.
python py_reachable_mark() {
    if isinstance(e, bb.event.ReachableStamps):
        e.data.setVar("REACHABLE_SEEN", str(len(e.stamps)))
        return
    with open(os.path.join(e.data.getVar("TOPDIR"), "reachable.txt"), "a") as f:
        f.write("%s REACHABLE_SEEN=%s\n" % (bb.event.getName(e), e.data.getVar("REACHABLE_SEEN")))
}
addhandler py_reachable_mark
py_reachable_mark[eventmask] = "bb.event.ReachableStamps bb.event.BuildStarted"
