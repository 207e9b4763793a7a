"""`bb.build`: task events, the task-table helpers metadata calls at parse time, and
running task functions (`exec_func`) inside a task worker's child.

A task runs wholly here (`_run_task`, called by bake's worker): its prefuncs, the task
and its postfuncs share one datastore. A Python function runs as `def FUNC(d): BODY`;
a shell function becomes `${T}/run.FUNC.PID` (written by bake's Rust side, the
`shell_script` service) and runs with its output in the task's log, its `bbnote` /
`bbwarn` / `bbfatal` messages read from `${T}/fifo.PID` (LOGFIFO)."""

import datetime
import json
import os
import select
import subprocess
import sys
import time

import _bake
import bb
import bb.event
import bb.process
import bb.utils


class FuncFailed(Exception):
    """A task function failed."""


class TaskBase(bb.event.Event):
    def __init__(self, t, fn, logfile, d):
        self._task = t
        self._fn = fn
        self.taskfile = fn
        self.taskname = t
        self.logfile = logfile
        # When the event was made (buildstats times tasks by it), and the recipe's
        # names, as BitBake's task events carry them.
        self.time = time.time()
        self._package = d.getVar("PF") if d is not None else None
        self._mc = d.getVar("BB_CURRENT_MC") if d is not None else None
        self.pn = d.getVar("PN") if d is not None else None
        self.pv = d.getVar("PV") if d is not None else None
        bb.event.Event.__init__(self)

    def getTask(self):
        return self._task

    def setTask(self, task):
        self._task = task

    task = property(getTask, setTask, None, "task property")


class TaskStarted(TaskBase):
    def __init__(self, t, fn, logfile, taskflags, d):
        super().__init__(t, fn, logfile, d)
        self.taskflags = taskflags


class TaskSucceeded(TaskBase):
    pass


class TaskFailed(TaskBase):
    def __init__(self, task, fn, logfile, metadata, errprinted=False):
        self.errprinted = errprinted
        super().__init__(task, fn, logfile, metadata)


class TaskFailedSilent(TaskBase):
    pass


class TaskInvalid(TaskBase):
    pass


class TaskProgress(bb.event.Event):
    """Progress of the running task: `progress` in percent (negative: progress made,
    amount unknown) and an optional `rate` text shown beside it. bake's worker sends
    it on to the console as it is fired."""

    def __init__(self, progress, rate=None):
        self.progress = progress
        self.rate = rate
        bb.event.Event.__init__(self)


class StdoutNoopContextManager:
    """This process's stdout (the task's log) as a file usable in a `with` block that
    leaves it open."""

    def __enter__(self):
        return sys.stdout

    def __exit__(self, *exc):
        sys.stdout.flush()

    def write(self, string):
        sys.stdout.write(string)

    def flush(self):
        sys.stdout.flush()

    @property
    def name(self):
        return getattr(sys.stdout, "name", "<stdout>")


def create_progress_handler(func, progress, logfile, d):
    """The handler a `[progress]` flag names (`percent`, `percent:REGEX`,
    `outof:REGEX`, `custom:CLASS[:ARGS]`), writing on to `logfile`; `logfile` itself,
    with a warning, when the flag is not understood."""
    import bb.progress

    kind, _, arg = progress.partition(":")
    if progress == "percent":
        return bb.progress.BasicProgressHandler(d, outfile=logfile)
    if kind == "percent":
        return bb.progress.BasicProgressHandler(d, regex=arg, outfile=logfile)
    if kind == "outof":
        return bb.progress.OutOfProgressHandler(d, regex=arg, outfile=logfile)
    if kind == "custom":
        name, _, otherargs = arg.partition(":")
        handler = _custom_handler(name) if name else None
        if handler is not None:
            return handler(d, outfile=logfile, otherargs=otherargs or None)
        bb.warn('%s: unknown custom progress handler in task progress varflag value "%s", ignoring'
                % (func, name))
        return logfile
    bb.warn('%s: invalid task progress varflag value "%s", ignoring' % (func, progress))
    return logfile


def _custom_handler(dotted):
    """The object a dotted name reaches from metadata's global namespace (classes
    and `addpylib` modules), else from the builtins."""
    import builtins

    first, *rest = dotted.split(".")
    try:
        obj = bb.utils._context[first]
    except KeyError:
        obj = getattr(builtins, first, None)
    for part in rest:
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _task_deps(d, task):
    deps = d.getVarFlag(task, "deps", False) or []
    if isinstance(deps, str):
        deps = deps.split()
    return deps


def tasksbetween(task_start, task_end, d):
    """The tasks on some dependency path from `task_start` to `task_end` (both
    included), in the order the paths are walked."""
    tasks = [t for t in (d.getVar("__BBTASKS", False) or []) if d.getVarFlag(t, "task")]
    dependents = {}
    for t in tasks:
        for dep in _task_deps(d, t):
            dependents.setdefault(dep, []).append(t)
    found = []
    path = []

    def walk(task):
        if task in path:
            bb.fatal("Circular task dependencies as %s depends on itself via the chain %s"
                     % (task, " -> ".join(path)))
        path.append(task)
        if task == task_end:
            found.extend(t for t in path if t not in found)
        else:
            for nxt in dependents.get(task, []):
                walk(nxt)
        path.pop()

    walk(task_start)
    return found


def addtask(task, before, after, d):
    d._addtask(task, before, after)


def deltask(task, d):
    d._deltask(task)


def listtasks(d):
    return [t for t in (d.getVar("__BBTASKS", False) or [])]


def _words(d, text):
    return d.expand(text).split() if text else []


def exec_func(func, d, dirs=None):
    """Runs metadata function `func` (shell or Python) as BitBake does: `[cleandirs]`
    emptied, `[dirs]` created (the last one is the working directory), `[lockfiles]`
    held, a `run.FUNC.PID` script in `${T}` (and a `run.TASK` link for the task)."""
    try:
        oldcwd = os.getcwd()
    except OSError:
        oldcwd = None
    flags = d.getVarFlags(func) or {}
    for cdir in _words(d, flags.get("cleandirs")):
        bb.utils.remove(cdir, True)
        bb.utils.mkdirhier(cdir)
        if cdir == oldcwd:
            os.chdir(cdir)
    if dirs is None:
        dirs = _words(d, flags.get("dirs"))
    for adir in dirs or []:
        bb.utils.mkdirhier(adir)
    adir = dirs[-1] if dirs else None
    body = d.getVar(func, False)
    if not body:
        if body is None:
            bb.warn("Function %s doesn't exist" % func)
        return
    lockfiles = _words(d, flags.get("lockfiles")) or None
    tempdir = d.getVar("T")
    task = d.getVar("BB_RUNTASK") or func
    taskfunc = task if task == func else "%s.%s" % (task, func)
    runfmt = d.getVar("BB_RUNFMT") or "run.{func}.{pid}"
    runfn = runfmt.format(taskfunc=taskfunc, task=task, func=func, pid=os.getpid())
    runfile = os.path.join(tempdir, runfn)
    bb.utils.mkdirhier(os.path.dirname(runfile))
    if task == func:
        runlink = os.path.join(tempdir, "run.%s" % task)
        bb.utils.remove(runlink)
        try:
            os.symlink(runfn, runlink)
        except OSError:
            pass
    with bb.utils.fileslocked(lockfiles):
        if flags.get("python"):
            exec_func_python(func, d, runfile, cwd=adir)
        else:
            exec_func_shell(func, d, runfile, cwd=adir)
    try:
        curcwd = os.getcwd()
    except OSError:
        curcwd = None
    if oldcwd and curcwd != oldcwd:
        try:
            bb.warn("Task %s changed cwd to %s" % (func, curcwd))
            os.chdir(oldcwd)
        except OSError:
            pass


def _python_source(func, d):
    body = d.getVar(func, False) or ""
    if body.startswith("def "):
        return body
    return "def %s(d):\n%s" % (func, body)


def exec_func_python(func, d, runfile, cwd=None):
    """Runs Python function `func` as `func(d)`; its source is kept in `runfile`. A
    function bake implements natively (its own default layer) runs natively."""
    import _bake_runtime

    source = _python_source(func, d)
    with open(runfile, "w") as script:
        script.write(source)
        script.write("\n\n%s(d)\n" % func)
    olddir = None
    if cwd:
        try:
            olddir = os.getcwd()
        except OSError as e:
            bb.warn("%s: Cannot get cwd: %s" % (func, e))
        os.chdir(cwd)
    bb.debug(2, "Executing python function %s" % func)
    try:
        if _bake.service("has_native", d, [func]) == "1":
            _bake.service("native", d, [func, cwd or ""])
        else:
            fn = d.getVarFlag(func, "filename", False) or func
            try:
                lineno = int(d.getVarFlag(func, "lineno", False) or 1)
            except ValueError:
                lineno = 1
            _bake_runtime.call_function(d, func, source, fn, lineno)
    finally:
        bb.debug(2, "Python function %s finished" % func)
        if cwd and olddir:
            try:
                os.chdir(olddir)
            except OSError as e:
                bb.warn("%s: Cannot restore cwd %s: %s" % (func, olddir, e))


def _fifo_message(data):
    """One LOGFIFO message (`bbnote text`, ...) as the matching bb call."""
    cmd, _, value = data.decode("utf-8", errors="replace").partition(" ")
    if cmd == "bbplain":
        bb.plain(value)
    elif cmd in ("bbnote", "bbverbnote"):
        bb.note(value)
    elif cmd == "bbwarn":
        bb.warn(value)
    elif cmd in ("bberror", "bbfatal", "bbfatal_log"):
        bb.error(value)
    elif cmd == "bbdebug":
        level, _, text = value.partition(" ")
        bb.debug(int(level) if level.isdigit() else 1, text)
    else:
        bb.warn("Unrecognised command '%s' on FIFO" % cmd)


def exec_func_shell(func, d, runfile, cwd=None):
    """Runs shell function `func` through `runfile`; its output goes to the task's log,
    its LOGFIFO messages to the matching bb calls. Raises bb.process.ExecutionError
    when the script fails."""
    d.delVarFlag("PWD", "export")
    script = _bake.service("shell_script", d, [func, cwd or ""])
    with open(runfile, "w") as f:
        f.write(script)
    os.chmod(runfile, 0o775)
    cmd = [runfile]
    if d.getVarFlag(func, "fakeroot", False):
        fakerootcmd = d.getVar("FAKEROOT")
        if fakerootcmd:
            cmd = [fakerootcmd, runfile]
    # `[progress]`: the script's output goes through the flag's handler on its way to
    # the log, and the handler fires TaskProgress as it finds progress in it.
    handler = None
    progress = d.getVarFlag(func, "progress")
    if progress:
        handler = create_progress_handler(func, progress, StdoutNoopContextManager(), d)
        if isinstance(handler, StdoutNoopContextManager):
            handler = None
    fifopath = os.path.join(d.getVar("T"), "fifo.%s" % os.getpid())
    if os.path.exists(fifopath):
        os.unlink(fifopath)
    os.mkfifo(fifopath)
    fifo = os.open(fifopath, os.O_RDWR | os.O_NONBLOCK)
    buffer = bytearray()

    def drain():
        nonlocal buffer
        while True:
            try:
                chunk = os.read(fifo, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            buffer.extend(chunk)
        while True:
            message, token, rest = buffer.partition(b"\0")
            if not token:
                break
            _fifo_message(bytes(message))
            buffer = rest

    try:
        bb.debug(2, "Executing shell function %s" % func)
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        piped = subprocess.PIPE if handler is not None else None
        try:
            with open(os.devnull, "rb") as stdin:
                proc = subprocess.Popen(cmd, stdin=stdin, close_fds=True, stdout=piped,
                                        stderr=subprocess.STDOUT if piped else None)
        except OSError as e:
            raise bb.process.CmdError(runfile, e)
        output = None
        if handler is not None:
            import codecs

            output = proc.stdout.fileno()
            os.set_blocking(output, False)
            decoder = codecs.getincrementaldecoder("utf-8")("replace")

        def pump():
            """Passes what the script printed to the handler; False at its end."""
            while True:
                try:
                    chunk = os.read(output, 65536)
                except BlockingIOError:
                    return True
                if not chunk:
                    handler.write(decoder.decode(b"", True))
                    handler.flush()
                    return False
                handler.write(decoder.decode(chunk))
                handler.flush()

        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None
        try:
            while proc.poll() is None:
                waiton = [fifo] + ([pidfd] if pidfd is not None else [])
                if output is not None:
                    waiton.append(output)
                ready, _, _ = select.select(waiton, [], [], 1.0 if pidfd is not None else 0.05)
                if fifo in ready:
                    drain()
                if output is not None and output in ready and not pump():
                    output = None
            if output is not None:
                pump()
        finally:
            if pidfd is not None:
                os.close(pidfd)
            if handler is not None:
                proc.stdout.close()
        drain()
        if proc.returncode != 0:
            raise bb.process.ExecutionError(runfile, proc.returncode, None, None)
    finally:
        os.close(fifo)
        try:
            os.unlink(fifopath)
        except OSError:
            pass
    bb.debug(2, "Shell function %s finished" % func)


def _task_depdata(text):
    out = {}
    for entry in json.loads(text or "[]"):
        tid = entry[0]
        out[tid] = bb.TaskData(
            pn=entry[1],
            taskname=entry[2],
            fn=entry[3],
            deps=set(entry[4]),
            provides=list(entry[5]),
            taskhash=entry[6],
            unihash=entry[7],
            hashfn=entry[8],
            taskhash_deps=entry[9],
        )
    return out


def _describe(exc):
    """A failure of metadata Python as BitBake reports it: each frame in metadata
    (file, line, function) with the lines around it, then the exception."""
    import linecache
    import traceback

    lines = ["", "The stack trace of python calls that resulted in this exception/failure was:"]
    for fr in traceback.extract_tb(exc.__traceback__):
        if fr.filename.startswith("<bake>/bb/build.py") or fr.filename.startswith("<bake>/_bake_runtime"):
            continue
        lines.append("File: '%s', lineno: %s, function: %s" % (fr.filename, fr.lineno, fr.name))
        for n in range(max(1, fr.lineno - 4), fr.lineno + 5):
            text = linecache.getline(fr.filename, n)
            if not text and n > fr.lineno:
                break
            lines.append("%s%04d:%s" % (" *** " if n == fr.lineno else "     ", n, text.rstrip("\n")))
    lines.append("Exception: %s: %s" % (type(exc).__name__, exc))
    return "\n".join(lines)


def _run_task(d, fn, task, logfile, taskdepdata):
    """A task as BitBake's worker child and `exec_task` run it, on `d` (the recipe's
    datastore, shared by every function of the task). Raises BBHandledException with
    the reason when it fails (the reason is already in the log)."""
    tempdir = d.getVar("T")
    try:
        with open(os.path.join(tempdir, "log.task_order"), "a") as order:
            order.write("%s %s (%d): %s\n" % (datetime.datetime.now().strftime("%Y%m%d-%H%M%S.%f"),
                                                task, os.getpid(), os.path.basename(logfile)))
    except OSError as e:
        bb.warn("Cannot write %s/log.task_order: %s" % (tempdir, e))
    d.setVar("BB_WORKERCONTEXT", "1")
    d.setVar("BB_TASKDEPDATA", _task_depdata(taskdepdata))
    d.setVar("BB_CURRENTTASK", task.replace("do_", "", 1))
    d.setVar("OVERRIDES", "task-%s:%s" % (task[3:].replace("_", "-"), d.getVar("OVERRIDES", False)))
    d.setVar("BB_FILENAME", fn)
    d.setVar("BB_LOGFILE", logfile)
    d.setVar("BB_RUNTASK", task)
    d.setVar("LOGFIFO", os.path.join(d.getVar("T") or "", "fifo.%s" % os.getpid()))
    umask = d.getVarFlag(task, "umask") or d.getVar("BB_DEFAULT_UMASK")
    if umask:
        os.umask(bb.utils.to_filemode(umask))
    # As bitbake-worker: the task's environment is the recipe's exported variables.
    exports = _bake.service("exports", d, [])
    os.environ.clear()
    if exports:
        items = exports.split("\0")
        for k, v in zip(items[0::2], items[1::2]):
            os.environ[k] = v
    for e in (d.getVarFlag(task, "exports") or "").split():
        d.setVarFlag(e, "export", "1")
        v = d.getVar(e)
        if v is not None:
            os.environ[e] = v
    from bb import parse as bbparse, siggen as bbsiggen

    # The signature generator as a task sees it (bake computes signatures in Rust).
    bbparse.siggen = bbsiggen._worker_siggen(d, fn, task)
    prefuncs = (d.getVarFlag(task, "prefuncs") or "").split()
    postfuncs = (d.getVarFlag(task, "postfuncs") or "").split()
    func = task
    try:
        bb.event.fire(TaskStarted(task, fn, logfile, d.getVarFlags(task), d), d)
        for func in prefuncs + [task] + postfuncs:
            exec_func(func, d)
        func = "the handlers of bb.build.TaskSucceeded"
        bb.event.fire(TaskSucceeded(task, fn, logfile, d), d)
    except bb.BBHandledException:
        _fire_failed(task, fn, logfile, d)
        raise
    except bb.process.ExecutionError as exc:
        bb.error(str(exc))
        _fire_failed(task, fn, logfile, d)
        raise bb.BBHandledException(str(exc))
    except (Exception, SystemExit) as exc:
        text = "Error executing a python function in %s:\n%s" % (func, _describe(exc))
        bb.error(text)
        _fire_failed(task, fn, logfile, d)
        raise bb.BBHandledException(text)
    finally:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()


def clean_stamp(task, d, file_name=None):
    """Removes the stamp files of `task` (every hash), as BitBake's clean_stamp."""
    import glob

    stamp = d.getVar("STAMP")
    if not stamp:
        return
    for f in glob.glob("%s.%s.*" % (stamp, task)) + glob.glob("%s.%s_setscene.*" % (stamp, task)):
        if ".sigdata." in f or ".siginfo." in f:
            continue
        bb.utils.remove(f)


def _fire_failed(task, fn, logfile, d):
    try:
        bb.event.fire(TaskFailed(task, fn, logfile, d, True), d)
    except Exception as exc:
        bb.error("Execution of the handlers of bb.build.TaskFailed failed:\n%s" % _describe(exc))


def exec_task(fn, task, d, profile=False):
    raise FuncFailed("bake runs tasks through its run queue, not exec_task (%s)" % task)


def preceedtask(task, with_recrdeptasks, d):
    preceed = set()
    if d.getVarFlag(task, "deps", False) is not None:
        preceed.update(_task_deps(d, task))
    if with_recrdeptasks:
        recrdeptask = d.getVarFlag(task, "recrdeptask")
        if recrdeptask:
            preceed.update(recrdeptask.split())
    return preceed
