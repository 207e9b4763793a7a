"""`bb.event`: the event classes handlers receive and test against, and the event
helpers metadata calls at parse time."""

import _bake
import bb


class Event:
    """The base of every event."""

    def __init__(self):
        self.pid = 0


class HeartbeatEvent(Event):
    """Fired about every BB_HEARTBEAT_EVENT seconds while a build runs; `time` is when."""

    _bake_conv = {"time": float}

    def __init__(self, time):
        Event.__init__(self)
        self.time = time


class OperationStarted(Event):
    pass


class OperationCompleted(Event):
    pass


class OperationProgress(Event):
    pass


class ConfigParsed(Event):
    pass


class MultiConfigParsed(Event):
    pass


class RecipeEvent(Event):
    pass


class RecipePreDeferredInherits(RecipeEvent):
    pass


class RecipePreFinalise(RecipeEvent):
    pass


class RecipePostKeyExpansion(RecipeEvent):
    pass


class RecipeTaskPreProcess(RecipeEvent):
    pass


class RecipeParsed(RecipeEvent):
    pass


class BuildBase(Event):
    """A build's start or end: its name (BUILDNAME), its targets and, at the end, the
    number of failed tasks."""

    # Attributes bake hands over as text that are integers in BitBake.
    _bake_ints = ("_failures",)

    def __init__(self, n, p, failures=0):
        self._name = n
        self._pkgs = p
        Event.__init__(self)
        self._failures = failures

    def getPkgs(self):
        return self._pkgs

    def setPkgs(self, pkgs):
        self._pkgs = pkgs

    def getName(self):
        return self._name

    def setName(self, name):
        self._name = name

    def getFailures(self):
        return self._failures

    pkgs = property(getPkgs, setPkgs, None, "the build's targets")
    name = property(getName, setName, None, "the build's name")


class BuildInit(BuildBase):
    pass


class BuildStarted(BuildBase, OperationStarted):
    pass


class BuildCompleted(BuildBase, OperationCompleted):
    """The end of a build: `total` tasks in its run queue, `_failures` of them failed,
    `_interrupted` 1 after Ctrl-C."""

    _bake_ints = ("_failures", "total", "_interrupted")


class DiskFull(Event):
    """The disk space monitor stopped or halted the build: `_dev` (the device),
    `_type` ("disk" or "inode"), `_free` (bytes or inodes left), `_mountpoint` (the
    directory watched)."""

    _bake_ints = ("_free",)

    def __init__(self, dev, type, freespace, mountpoint):
        Event.__init__(self)
        self._dev = dev
        self._type = type
        self._free = freespace
        self._mountpoint = mountpoint


class DiskUsageSample:
    """One device's space when the disk space monitor looked: bytes available to
    non-root processes, to root, and in all."""

    def __init__(self, available_bytes, free_bytes, total_bytes):
        self.available_bytes = available_bytes
        self.free_bytes = free_bytes
        self.total_bytes = total_bytes


def _disk_usage(text):
    import json

    return {dev: DiskUsageSample(*v) for dev, v in json.loads(text).items()}


class MonitorDiskEvent(Event):
    """Fired at each check of the disk space monitor (BB_DISKMON_DIRS set):
    `disk_usage` maps each device watched to its DiskUsageSample."""

    _bake_conv = {"disk_usage": _disk_usage}

    def __init__(self, disk_usage):
        Event.__init__(self)
        self.disk_usage = disk_usage


class NoProvider(Event):
    pass


class MultipleProviders(Event):
    pass


class ParseStarted(OperationStarted):
    pass


class ParseCompleted(OperationCompleted):
    pass


class ParseProgress(OperationProgress):
    pass


class CacheLoadStarted(OperationStarted):
    pass


class CacheLoadProgress(OperationProgress):
    pass


class CacheLoadCompleted(OperationCompleted):
    pass


class TreeDataPreparationStarted(OperationStarted):
    pass


class TreeDataPreparationProgress(OperationProgress):
    pass


class TreeDataPreparationCompleted(OperationCompleted):
    pass


class DepTreeGenerated(Event):
    pass


class TargetsTreeGenerated(Event):
    pass


class ReachableStamps(Event):
    """Fired once the recipes are parsed, before a build: `stamps` maps each recipe
    target (not skipped) to its STAMP, for metadata that cleans up what no recipe
    reaches any more (openembedded-core's sstate manifests)."""

    _bake_conv = {"stamps": lambda text: __import__("json").loads(text)}

    def __init__(self, stamps):
        Event.__init__(self)
        self.stamps = stamps


class StaleSetSceneTasks(Event):
    pass


class FilesMatchingFound(Event):
    pass


class ConfigFilesFound(Event):
    pass


class ConfigFilePathFound(Event):
    pass


class MetadataEvent(Event):
    pass


class ProcessStarted(Event):
    """A long operation outside tasks starts: its name and its total."""

    def __init__(self, processname, total):
        Event.__init__(self)
        self.processname = processname
        self.total = total


class ProcessProgress(Event):
    """A long operation outside tasks made progress."""

    def __init__(self, processname, progress):
        Event.__init__(self)
        self.processname = processname
        self.progress = progress


class ProcessFinished(Event):
    """A long operation outside tasks ended."""

    def __init__(self, processname):
        Event.__init__(self)
        self.processname = processname


class SanityCheck(Event):
    pass


class SanityCheckPassed(Event):
    pass


class SanityCheckFailed(Event):
    pass


class NetworkTest(Event):
    pass


class NetworkTestPassed(Event):
    pass


class NetworkTestFailed(Event):
    pass


class ParseError(Event):
    pass




def getName(e):
    """The class name of an event (or event class)."""
    if not isinstance(e, type):
        e = e.__class__
    return e.__name__


def make_event(classname, attrs):
    """An event of the class named `classname` (`bb.event.RecipeParsed`) with the
    given (name, value) attributes, made without running its constructor."""
    import importlib

    module, _, short = classname.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), short)
    except (ImportError, AttributeError):
        cls = type(short, (Event,), {})
    e = cls.__new__(cls)
    e.pid = 0
    ints = getattr(cls, "_bake_ints", ())
    # Attributes bake hands over as text that are other objects in BitBake.
    conv = getattr(cls, "_bake_conv", {})
    for name, value in attrs:
        if name in ints:
            value = int(value)
        elif name in conv:
            value = conv[name](value)
        setattr(e, name, value)
    return e


def fire(event, d):
    """Runs the handlers registered in `d` (`addhandler`) that listen to the class of
    `event`, in registration order, with `e.data` = `d` (in a task: TaskStarted,
    TaskSucceeded, TaskFailed and what metadata fires itself). In a task, a
    TaskProgress also goes on to bake's console, as BitBake's worker sends it to the
    UI."""
    if d is None or not hasattr(d, "_handlers"):
        return
    import _bake_runtime

    cls = "%s.%s" % (type(event).__module__, type(event).__name__)
    if cls == "bb.build.TaskProgress" and d.getVar("BB_WORKERCONTEXT", False) == "1":
        args = [str(event.progress)]
        if event.rate is not None:
            args.append(str(event.rate))
        _bake.service("task_progress", d, args)
    elif cls in ("bb.event.ProcessStarted", "bb.event.ProcessFinished") \
            and d.getVar("BB_WORKERCONTEXT", False) != "1":
        # knotty shows these (`Removing 1 recipes from the x86_64 sysroot...done.`):
        # to bake's console when it listens (a build), else only to the handlers.
        try:
            _bake.service("process_event", d, [type(event).__name__, event.processname])
        except RuntimeError:
            pass
    # In a task, only the configuration's handlers (bake's worker lists them).
    allowed = d.getVar("__BAKE_TASK_HANDLERS", False)
    allowed = set(allowed.split()) if allowed is not None else None
    for name, source, mask in d._handlers():
        if mask is not None and cls not in mask:
            continue
        if allowed is not None and name not in allowed:
            continue
        fn = d.getVarFlag(name, "filename", False) or name
        try:
            line = int(d.getVarFlag(name, "lineno", False) or 1)
        except ValueError:
            line = 1
        _bake_runtime.call_handler(d, name, source, fn, line, event)


def fire_class_handlers(event, d):
    pass


def check_for_interrupts(d=None):
    """Ctrl-C reaches a task's process directly in bake: nothing to check."""


def enable_threadlock():
    pass


def disable_threadlock():
    pass


def register(name, handler, mask=None, filename=None, lineno=None, data=None):
    return None


def remove(name, handler, data=None):
    pass
