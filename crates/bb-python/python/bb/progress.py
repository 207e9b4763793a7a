"""`bb.progress`: progress reporters (no-ops outside tasks)."""


class ProgressHandler:
    def __init__(self, d, outfile=None):
        self._data = d
        self._outfile = outfile

    def write(self, string):
        if self._outfile:
            self._outfile.write(string)

    def flush(self):
        if self._outfile:
            self._outfile.flush()

    def update(self, progress, rate=None):
        pass


class BasicProgressHandler(ProgressHandler):
    pass


class OutOfProgressHandler(ProgressHandler):
    pass


class LineFilterProgressHandler(ProgressHandler):
    pass


class MultiStageProgressReporter:
    def __init__(self, d, stage_weights, debug=False):
        self._data = d

    def next_stage(self, stage_total=None):
        pass

    def update(self, stage_progress):
        pass

    def finish(self):
        pass
