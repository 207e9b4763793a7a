# Functions the fixture's metadata calls as pyfix.helpers.NAME.
import collections
import re


def shout(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).upper()


def count_words(d, var):
    counts = collections.Counter((d.getVar(var) or "").split())
    return sum(counts.values())
