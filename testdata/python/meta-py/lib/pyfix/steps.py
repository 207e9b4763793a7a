# A custom progress handler (`[progress] = "custom:pyfix.steps.StepHandler:ARGS"`):
# counts the lines that start with its argument, out of 4, and keeps them out of the log.
import bb.progress


class StepHandler(bb.progress.LineFilterProgressHandler):
    def __init__(self, d, outfile=None, otherargs=None):
        self._prefix = otherargs or "step"
        self._steps = 0
        super().__init__(d, outfile)

    def writeline(self, line):
        if line.startswith(self._prefix):
            self._steps += 1
            self.update(self._steps * 25, "%d steps" % self._steps)
            return False
        return True
