"""`bb.progress`: progress handlers and reporters for tasks.

A handler stands in for the file a task's output goes to: it passes the text on
(to `outfile`, else this process's stdout, which is the task's log) and fires
`bb.build.TaskProgress` when the text shows progress. bake's worker sends each
TaskProgress on to the console as it is fired. Written for bake from the behaviour
of BitBake's handlers (a `[progress]` flag of `percent`, `percent:REGEX`,
`outof:REGEX` or `custom:CLASS[:ARGS]`), not from their code."""

import re
import sys
import time

import bb.event

# Terminal colour and cursor sequences, dropped before a line is matched.
_ANSI = re.compile(r"\x1B\[[0-?]*[ -/]*[@-~]")


def filter_color(string):
    """`string` without its ANSI escape sequences."""
    return _ANSI.sub("", string)


def filter_color_n(string):
    """`string` without its ANSI escape sequences, and how many there were."""
    return _ANSI.subn("", string)


class _Stdout:
    """This process's stdout as a file that may be used in a `with` block."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.flush()

    def write(self, string):
        sys.stdout.write(string)

    def flush(self):
        sys.stdout.flush()


def _fire(d, progress, rate=None):
    import bb.build

    bb.event.fire(bb.build.TaskProgress(progress, rate), d)


class ProgressHandler:
    """A file-like object a task's output is written to; subclasses find progress in
    it. Progress is fired when it changes, or at least once a second when it does
    not (never above 100)."""

    def __init__(self, d, outfile=None):
        self._data = d
        self._outfile = outfile if outfile is not None else _Stdout()
        self._progress = 0
        self._last_fired = 0

    def __enter__(self):
        self._outfile.__enter__()
        return self

    def __exit__(self, *exc):
        self._outfile.__exit__(*exc)

    def _fire_progress(self, taskprogress, rate=None):
        _fire(self._data, taskprogress, rate)

    def write(self, string):
        self._outfile.write(string)

    def flush(self):
        self._outfile.flush()

    def update(self, progress, rate=None):
        now = time.time()
        progress = min(progress, 100)
        if progress != self._progress or now > self._last_fired + 1:
            self._fire_progress(progress, rate)
            self._last_fired = now
            self._progress = progress


class LineFilterProgressHandler(ProgressHandler):
    """Hands the output to `writeline` a line at a time (a carriage return ends a
    line too, and only what follows the last one on a line is kept); a line is
    passed on to the file only when `writeline` returns true."""

    def __init__(self, d, outfile=None):
        self._pending = ""
        super().__init__(d, outfile)

    def write(self, string):
        self._pending += string
        while True:
            end = self._pending.find("\n") + 1
            if not end:
                end = self._pending.find("\r") + 1
                if not end:
                    return
            line, self._pending = self._pending[:end], self._pending[end:]
            cr = line.rfind("\r") + 1
            if cr and cr != end:
                line = line[cr:]
            if self.writeline(filter_color(line)):
                super().write(line)

    def writeline(self, line):
        return True


class _RegexProgressHandler(ProgressHandler):
    """Progress from the last match of `regex` in the output (`_percent` of it)."""

    def __init__(self, d, regex, outfile=None):
        super().__init__(d, outfile)
        self._regex = re.compile(regex)
        self._fire_progress(0)

    def write(self, string):
        found = self._regex.findall(filter_color(string))
        if found:
            self.update(self._percent(found[-1]))
        super().write(string)


class BasicProgressHandler(_RegexProgressHandler):
    """Progress is the last `N%` (the `regex`'s group) in the output."""

    def __init__(self, d, regex=r"(\d+)%", outfile=None):
        super().__init__(d, regex, outfile)

    def _percent(self, match):
        return int(match)


class OutOfProgressHandler(_RegexProgressHandler):
    """Progress is the last `N ... M` (the `regex`'s two groups) in the output, as a
    percentage."""

    def _percent(self, match):
        return float(match[0]) / float(match[1]) * 100


class MultiStageProgressReporter:
    """Progress over stages of given relative weights: `next_stage()` before each
    stage, `update()` within one (a percentage, or a count out of the stage's
    total), `finish()` at the end. With `debug`, the stages are timed and the
    weights they suggest are printed as warnings."""

    def __init__(self, d, stage_weights, debug=False):
        self._data = d
        total = sum(stage_weights)
        self._stage_weights = [float(w) / total for w in stage_weights] if total else []
        self._stage = -1
        self._stage_total = None
        self._base_progress = 0
        self._debug = debug
        self._finished = False
        self._fire_progress(0)
        if debug:
            self._last_time = time.time()
            self._stage_times = []
            self._callers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def _fire_progress(self, taskprogress):
        _fire(self._data, taskprogress)

    def next_stage(self, stage_total=None):
        self._stage += 1
        self._stage_total = stage_total
        if self._stage == 0:
            if self._debug:
                self._last_time = time.time()
            return
        if self._stage < len(self._stage_weights):
            self._base_progress = sum(self._stage_weights[: self._stage]) * 100
            if self._debug:
                import inspect

                now = time.time()
                self._stage_times.append(now - self._last_time)
                self._last_time = now
                self._callers.append(inspect.getouterframes(inspect.currentframe())[1])
        elif not self._debug:
            bb.warn("ProgressReporter: current stage beyond declared number of stages")
            self._base_progress = 100
        self._fire_progress(self._base_progress)

    def update(self, stage_progress):
        if self._stage_total:
            stage_progress = float(stage_progress) / self._stage_total * 100
        if self._stage < 0:
            bb.warn("ProgressReporter: update called before first call to next_stage()")
            return
        if self._stage < len(self._stage_weights):
            progress = self._base_progress + stage_progress * self._stage_weights[self._stage]
        else:
            progress = self._base_progress
        if progress:
            self._fire_progress(min(progress, 100))

    def finish(self):
        if self._finished:
            return
        self._finished = True
        if not self._debug:
            return
        import math

        self._stage_times.append(time.time() - self._last_time)
        shortest = max(min(self._stage_times), 0.01)
        self._callers.append(None)
        weights = [int(math.ceil(t / shortest)) for t in self._stage_times]
        bb.warn("Stage weights: %s" % weights)
        lines = []
        for weight, caller in zip(weights, self._callers):
            if caller:
                lines.append("Up to %s:%d: %d" % (caller[1], caller[2], weight))
            else:
                lines.append("Up to finish: %d" % weight)
        bb.warn("Stage times:\n  %s" % "\n  ".join(lines))


class MultiStageProcessProgressReporter(MultiStageProgressReporter):
    """A MultiStageProgressReporter for a process outside tasks: fires
    ProcessStarted, ProcessProgress and ProcessFinished named `processname`."""

    def __init__(self, d, processname, stage_weights, debug=False):
        self._processname = processname
        self._started = False
        super().__init__(d, stage_weights, debug)

    def start(self):
        if not self._started:
            bb.event.fire(bb.event.ProcessStarted(self._processname, 100), self._data)
            self._started = True

    def _fire_progress(self, taskprogress):
        if taskprogress == 0:
            self.start()
            return
        bb.event.fire(bb.event.ProcessProgress(self._processname, taskprogress), self._data)

    def finish(self):
        MultiStageProgressReporter.finish(self)
        bb.event.fire(bb.event.ProcessFinished(self._processname), self._data)


class DummyMultiStageProcessProgressReporter(MultiStageProgressReporter):
    """Takes every call and does nothing."""

    def __init__(self):
        super().__init__(None, [])

    def _fire_progress(self, taskprogress, rate=None):
        pass

    def start(self):
        pass

    def next_stage(self, stage_total=None):
        pass

    def update(self, stage_progress):
        pass

    def finish(self):
        pass
