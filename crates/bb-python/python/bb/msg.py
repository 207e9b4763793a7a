"""`bb.msg`: the logging helpers metadata calls by domain."""

import bb


def fatal(msgdomain, msg):
    bb.fatal(msg)


def note(level, msgdomain, msg):
    bb.note(msg)


def warn(msgdomain, msg):
    bb.warn(msg)


def error(msgdomain, msg):
    bb.error(msg)
