#!/usr/bin/env python3
# Prints what BitBake's own parser makes of metadata files, in the canonical dump form of
# `bb_parse::dump` (one line per statement, `error` where BitBake stops, then
# `warnings N`). It is the oracle for the committed `*.bitbake` files in this directory:
#
#   BITBAKE=/path/to/bitbake python3 bitbake-oracle.py --write testdata/bb-parse/*.{bb,bbclass,conf,inc}
#
# writes FILE.bitbake next to each input; without --write it prints "== FILE" and the
# dump for each file ("-" reads the file names from standard input). It only parses: the
# statement groups are recorded instead of evaluated, and the checks BitBake makes at
# evaluation time (the old override syntax, operator combinations) are applied here.
import sys, os, logging
sys.path.insert(0, os.path.join(os.environ.get('BITBAKE', '/work/ext/bitbake'), 'lib'))
import bb, bb.parse, bb.data, bb.data_smart
from bb.parse import ast
from bb.parse.parse_py import ConfHandler, BBHandler

class Cap(logging.Handler):
    def __init__(self):
        super().__init__()
        self.msgs = []
    def emit(self, rec):
        self.msgs.append((rec.levelno, rec.getMessage()))

cap = Cap()
for name in ['BitBake', 'BitBake.Parsing']:
    lg = logging.getLogger(name)
    lg.addHandler(cap)
    lg.propagate = False
    lg.setLevel(logging.DEBUG)

def esc(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\r': out.append('\\r')
        elif ch == '\t': out.append('\\t')
        elif o < 0x20 or o == 0x7f: out.append('\\x%02x' % o)
        else: out.append(ch)
    return '"' + ''.join(out) + '"'

def lst(xs):
    return '[' + ','.join(esc(x) for x in xs) + ']'

def dump_node(n, out):
    """Returns an error message if evaluating this node would be fatal at parse/eval time."""
    t = type(n).__name__
    err = None
    if t == 'DataNode':
        g = n.groupd
        op = None
        for k, sym in [('colon', ':='), ('lazyques', '??='), ('ques', '?='), ('append', '+='),
                       ('prepend', '=+'), ('predot', '=.'), ('postdot', '.=')]:
            if g.get(k) is not None:
                op = sym
                break
        if op is None: op = '='
        flag = g.get('flag')
        out.append('assign export=%d name=%s flag=%s op=%s value=%s' % (
            1 if g.get('exp') is not None else 0, esc(g['var']), esc(flag) if flag is not None else '-', op, esc(g['value'])))
        key = g['var']
        if (":append" in key or ":remove" in key or ":prepend" in key) and op in ['+=', '=+', '.=', '=.']:
            cap.msgs.append((logging.WARNING, 'opcombo'))
        if flag is None and op != '??=':
            if not key.startswith('__anon_') and ('_append' in key or '_prepend' in key or '_remove' in key):
                err = 'old override syntax'
    elif t == 'ExportNode':
        out.append('export name=%s' % esc(n.var))
    elif t == 'UnsetNode':
        out.append('unset name=%s flag=-' % esc(n.var))
    elif t == 'UnsetFlagNode':
        out.append('unset name=%s flag=%s' % (esc(n.var), esc(n.flag)))
    elif t == 'IncludeNode':
        out.append('include kind=%s args=%s' % ('require' if n.force else 'include', esc(n.what_file)))
    elif t == 'IncludeAllNode':
        out.append('include kind=include_all args=%s' % esc(n.what_file))
    elif t == 'InheritNode':
        out.append('inherit defer=0 args=%s' % esc(n.classes))
    elif t == 'InheritDeferredNode':
        out.append('inherit defer=1 args=%s' % esc(n.inherit[0]))
    elif t == 'AddTaskNode':
        out.append('addtask names=%s after=%s before=%s' % (lst(n.tasks.split()), lst(n.after.split()), lst(n.before.split())))
    elif t == 'DelTaskNode':
        out.append('deltask args=%s' % esc(n.tasks))
    elif t == 'BBHandlerNode':
        out.append('addhandler names=%s' % lst(n.hs))
    elif t == 'ExportFuncsNode':
        out.append('exportfuncs names=%s' % lst(n.n))
    elif t == 'MethodNode':
        name = n.func_name
        anon = name == '__anonymous'
        body = '\n'.join(n.body)
        out.append('func name=%s python=%d fakeroot=%d body=%s' % (
            '-' if anon else esc(name), 1 if (n.python or anon) else 0, 1 if n.fakeroot else 0, esc(body)))
        if not anon and ('_append' in name or '_prepend' in name or '_remove' in name) and not name.startswith('__anon_'):
            err = 'old override syntax'
    elif t == 'PythonMethodNode':
        out.append('def name=%s body=%s' % (esc(n.function), esc('\n'.join(n.body))))
        name = n.function
        if ('_append' in name or '_prepend' in name or '_remove' in name) and not name.startswith('__anon_'):
            err = 'old override syntax'
    elif t == 'PyLibNode':
        out.append('addpylib dir=%s ns=%s' % (esc(n.libdir), esc(n.namespace)))
    elif t == 'AddFragmentsNode':
        out.append('addfragments %s %s %s %s' % (esc(n.fragments_path_prefix), esc(n.fragments_variable),
                                                  esc(n.flagged_variables_list_variable), esc(n.builtin_fragments_variable)))
    else:
        out.append('unknown ' + t)
    return err

captured = []
class RecGroup(list):
    def append(self, x):
        captured.append(x)
        list.append(self, x)
    def eval(self, data):
        pass
ast.StatementGroup = RecGroup

def parse_conf(path):
    captured.clear()
    d = bb.data.init()
    ConfHandler.handle(path, d, 0, baseconfig=True)
    return captured

def parse_recipe(path):
    BBHandler.__residue__ = []
    BBHandler.__body__ = []
    BBHandler.__infunc__ = []
    BBHandler.__inpython__ = False
    BBHandler.__classname__ = ''
    BBHandler.cached_statements.clear()
    captured.clear()
    st = BBHandler.get_statements(path, path, os.path.basename(path))
    if BBHandler.__infunc__:
        raise bb.parse.ParseError('never closed', path)
    return st

def dump_file(path):
    cap.msgs.clear()
    out = []
    try:
        if path.endswith('.conf'):
            nodes = parse_conf(path)
        else:
            nodes = parse_recipe(path)
        for n in nodes:
            if dump_node(n, out):
                out.append('error')
                break
    except Exception:
        if os.environ.get('ORACLE_DEBUG'):
            import traceback
            traceback.print_exc()
        for n in captured:
            if dump_node(n, out):
                break
        out.append('error')
    if 'error' not in out:
        warns = sum(1 for lv, m in cap.msgs if lv == logging.WARNING)
        out.append('warnings %d' % warns)
    return ''.join(l + '\n' for l in out)


def main():
    args = sys.argv[1:]
    write = '--write' in args
    paths = [a for a in args if a != '--write']
    if paths == ['-']:
        paths = [l.rstrip('\n') for l in sys.stdin]
    for path in paths:
        text = dump_file(os.path.abspath(path))
        if write:
            with open(path + '.bitbake', 'w') as f:
                f.write(text)
        else:
            sys.stdout.write('== ' + path + '\n' + text)


main()
