"""`bb.fetch`: the same module as `bb.fetch2`."""

import sys

import bb.fetch2

sys.modules[__name__] = bb.fetch2
