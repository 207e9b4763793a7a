import ast


def cflags(d):
    """Reads a variable, and calls a function of its own module."""
    return (d.getVar("MYFLAGS") or "") + suffix(d)


def suffix(d):
    with open("/dev/null") as f:
        f.read()
        return d.getVar("MYSUFFIX") or ""


def report_visitorcode(name, args):
    contains = {}
    execs = set()
    if isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        contains["REPORT_KINDS"] = {args[0].value}
    else:
        execs.add(name)
    return contains, execs, None


def report(kind, msg, d):
    if kind in (d.getVar("REPORT_KINDS") or "").split():
        print(msg)


report.visitorcode = report_visitorcode


def unused(d):
    return d.getVar("NOT_USED")
