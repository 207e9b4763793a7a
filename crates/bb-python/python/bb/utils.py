"""`bb.utils`: helpers metadata Python calls (written for bake from BitBake's
documented behaviour)."""

import collections
import contextlib
import errno
import fcntl
import glob
import hashlib
import logging
import os
import re
import shutil
import stat

import bb

# The global namespace of metadata Python (set by bake's runtime).
_context = {"os": os, "bb": bb}


def get_context():
    return _context


def set_context(ctx):
    global _context
    _context = ctx


def clean_context():
    import time

    return {"os": os, "bb": bb, "time": time}


class VersionStringException(Exception):
    """A version constraint that cannot be read or compared."""


# ---------------------------------------------------------------- versions

def _order(c):
    """Sort weight of one character outside digit runs: `~` before the end of the
    string, letters before other characters."""
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def vercmp_part(a, b):
    """Compares two upstream versions piece by piece: non-digit runs character by
    character (with `~` sorting first), digit runs as numbers."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ca = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return -1 if ca < cb else 1
            if i < len(a) and not a[i].isdigit():
                i += 1
            if j < len(b) and not b[j].isdigit():
                j += 1
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na = int(a[si:i] or "0")
        nb = int(b[sj:j] or "0")
        if na != nb:
            return -1 if na < nb else 1
    return 0


def vercmp(ta, tb):
    """Compares (epoch, version, revision) triples: -1, 0 or 1."""
    (ea, va, ra) = ta
    (eb, vb, rb) = tb
    r = int(ea or 0) - int(eb or 0)
    if r == 0:
        r = vercmp_part(va, vb)
    if r == 0:
        r = vercmp_part(ra, rb)
    return (r > 0) - (r < 0)


def split_version(s):
    """`[epoch:]version[-revision]` as (epoch, version, revision)."""
    s = s.strip(" <>=")
    e = 0
    if ":" in s:
        head, s = s.split(":", 1)
        e = int(head)
    r = ""
    if "-" in s:
        s, r = s.rsplit("-", 1)
    return (e, s, r)


def vercmp_string(a, b):
    return vercmp(split_version(a), split_version(b))


def vercmp_string_op(a, b, op):
    """Whether `a OP b` holds, OP one of = == != < << <= > >> >=."""
    res = vercmp_string(a, b)
    if op in ("=", "=="):
        return res == 0
    if op == "<=":
        return res <= 0
    if op == ">=":
        return res >= 0
    if op in (">", ">>"):
        return res > 0
    if op in ("<", "<<"):
        return res < 0
    if op == "!=":
        return res != 0
    raise VersionStringException('Unsupported comparison operator "%s"' % op)


def explode_version(s):
    """Splits a version into (kind, value) pieces: numbers, letters, `~`."""
    out = []
    for m in re.finditer(r"(\d+)|([a-zA-Z]+)|(~)", s):
        if m.group(1):
            out.append((0, int(m.group(1))))
        elif m.group(2):
            out.append((1, m.group(2)))
        else:
            out.append((-1, "~"))
    return out


def is_semver(version):
    m = re.match(
        r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
        r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
        r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
        version,
    )
    return m is not None


# ---------------------------------------------------------------- dependency lists

def explode_deps(s):
    """The names of a dependency list, without version constraints."""
    out = []
    depth = 0
    for word in s.split():
        if depth == 0 and word.startswith("("):
            depth = 1
        if depth:
            if word.endswith(")"):
                depth = 0
            continue
        out.append(word)
    return out


_OPERATORS = ("<=", "=<", "<<", ">=", "=>", ">>", "<", ">", "=")


def explode_dep_versions2(s, *, sort=True):
    """A dependency list as {name: [constraints]}: `a (>= 1.0) b` gives
    {"a": [">= 1.0"], "b": []}."""
    out = collections.OrderedDict()
    current = None
    in_paren = False
    op = None
    ver = []
    for word in s.replace(",", "").split():
        if not in_paren:
            if not word.startswith("("):
                current = word
                if not out.get(word):
                    out[word] = []
                continue
            in_paren = True
            op = None
            ver = []
            word = word[1:]
            if not word:
                continue
        if op is None:
            for cand in _OPERATORS:
                if word.startswith(cand):
                    op = cand
                    word = word[len(cand):]
                    break
            else:
                raise VersionStringException(
                    'Invalid version specification in "(%s" - invalid or missing operator' % word
                )
            if not word:
                continue
        closing = word.endswith(")")
        if closing:
            word = word[:-1]
        if word:
            ver.append(word)
        if closing:
            in_paren = False
            if current is not None and ver:
                out.setdefault(current, []).append(op + " " + " ".join(ver))
    if sort:
        out = collections.OrderedDict(sorted(out.items(), key=lambda x: x[0]))
    return out


def explode_dep_versions(s):
    out = explode_dep_versions2(s)
    for name, constraints in out.items():
        if not constraints:
            out[name] = None
        else:
            if len(constraints) > 1:
                bb.warn(
                    "explode_dep_versions(): Item %s appeared in dependency string '%s' multiple times with different values.  explode_dep_versions cannot cope with this."
                    % (name, s)
                )
            out[name] = constraints[0]
    return out


def join_deps(deps, commasep=True):
    out = []
    for name in deps:
        constraints = deps[name]
        if constraints:
            if isinstance(constraints, list):
                for c in constraints:
                    out.append("%s (%s)" % (name, c))
            else:
                out.append("%s (%s)" % (name, constraints))
        else:
            out.append(name)
    return ", ".join(out) if commasep else " ".join(out)


# ---------------------------------------------------------------- values

def to_boolean(string, default=None):
    if not string:
        return default
    if isinstance(string, int):
        return string != 0
    normalized = string.lower()
    if normalized in ("y", "yes", "1", "true"):
        return True
    if normalized in ("n", "no", "0", "false"):
        return False
    raise ValueError("Invalid value for to_boolean: %s" % string)


def _words(v):
    return set(v.split()) if isinstance(v, str) else set(v)


def contains(variable, checkvalues, truevalue, falsevalue, d):
    val = d.getVar(variable)
    if not val:
        return falsevalue
    if _words(checkvalues).issubset(set(val.split())):
        return truevalue
    return falsevalue


def contains_any(variable, checkvalues, truevalue, falsevalue, d):
    val = d.getVar(variable)
    if not val:
        return falsevalue
    if _words(checkvalues) & set(val.split()):
        return truevalue
    return falsevalue


def filter(variable, checkvalues, d):
    val = d.getVar(variable)
    if not val:
        return ""
    return " ".join(sorted(_words(checkvalues) & set(val.split())))


def all_distro_features(d, features, truevalue="1", falsevalue=""):
    return contains("DISTRO_FEATURES", features, truevalue, falsevalue, d)


def any_distro_features(d, features, truevalue="1", falsevalue=""):
    return contains_any("DISTRO_FEATURES", features, truevalue, falsevalue, d)


def to_filemode(value):
    return int(value, 8)


class _EvalLocals(dict):
    """The locals of `better_eval`: a name they lack is looked up in the global
    namespace through its own lookup (the metadata's `def` functions are found there
    on demand; `eval` reads a dict of globals without calling that lookup)."""

    def __init__(self, values, ctx):
        dict.__init__(self, values or {})
        self._ctx = ctx

    def __missing__(self, key):
        return self._ctx[key]


def better_eval(source, locals, extraglobals=None):
    ctx = get_context()
    if extraglobals:
        ctx = type(ctx)(ctx) if isinstance(ctx, dict) else dict(ctx)
        ctx.update(extraglobals)
    return eval(source, ctx, _EvalLocals(locals, ctx))


def better_exec(code, context, text=None, realfile="<code>", pythonexception=False, **kwargs):
    if not hasattr(code, "co_filename"):
        code = compile(code, realfile, "exec")
    exec(code, get_context(), context)


def simple_exec(code, context):
    exec(code, get_context(), context)


# ---------------------------------------------------------------- files

def mkdirhier(directory):
    """Creates `directory` and its parents; an existing directory is fine."""
    if os.path.isdir(directory):
        return
    try:
        os.makedirs(directory)
    except OSError as e:
        if e.errno != errno.EEXIST or not os.path.isdir(directory):
            raise e


def remove(path, recurse=False, ionice=False):
    """Removes the files matching glob `path` (trees too when `recurse`)."""
    if not path:
        return
    for name in glob.glob(path):
        if recurse and os.path.isdir(name) and not os.path.islink(name):
            shutil.rmtree(name)
            continue
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


def prunedir(topdir, ionice=False):
    """Removes the tree `topdir`."""
    if os.path.islink(topdir):
        raise Exception("Refusing to prune %s: it is a symbolic link" % topdir)
    remove(topdir, recurse=True)


def rename(src, dst):
    os.rename(src, dst)


def copyfile(src, dest, newmtime=None, sstat=None):
    """Copies `src` to `dest` (a symbolic link as a link; a file through a temporary
    name, with its mode and times); False, with a warning, when it cannot."""
    try:
        if not sstat:
            sstat = os.lstat(src)
        if os.path.isdir(dest) and not os.path.islink(dest):
            dest = os.path.join(dest, os.path.basename(src))
        if stat.S_ISLNK(sstat.st_mode):
            target = os.readlink(src)
            if os.path.lexists(dest):
                os.unlink(dest)
            os.symlink(target, dest)
            return os.lstat(dest)
        tmp = dest + "#new"
        shutil.copyfile(src, tmp)
        shutil.copystat(src, tmp)
        os.chmod(tmp, stat.S_IMODE(sstat.st_mode))
        os.rename(tmp, dest)
    except OSError as e:
        bb.warn("copyfile: failed to copy %s to %s: %s" % (src, dest, e))
        return False
    if newmtime:
        os.utime(dest, (newmtime, newmtime))
    return os.lstat(dest)


def break_hardlinks(src, sstat=None):
    """Gives `src` its own copy of its data when other names link to it (BitBake's
    break_hardlinks); True when done or not needed."""
    if not sstat:
        sstat = os.lstat(src)
    if sstat.st_nlink == 1:
        return True
    return copyfile(src, src, sstat=sstat)


def movefile(src, dest, newmtime=None, sstat=None):
    try:
        shutil.move(src, dest)
    except OSError as e:
        bb.warn("movefile: failed to move %s to %s: %s" % (src, dest, e))
        return None
    return os.lstat(dest).st_mtime


def which(path, item, direction=0, history=False, executable=False):
    """The first `item` found in the colon-separated `path` ("" if none); with
    `history`, also the candidates looked at."""
    paths = (path or "").split(":")
    if direction != 0:
        paths.reverse()
    seen = []
    for p in paths:
        candidate = os.path.join(p, item)
        seen.append(candidate)
        if os.path.exists(candidate):
            if executable and not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
                continue
            if not os.path.isabs(candidate):
                candidate = os.path.abspath(candidate)
            if history:
                return candidate, seen
            return candidate
    if history:
        return "", seen
    return ""


def is_path_parent(possible_parent, *paths):
    parent = os.path.abspath(possible_parent)
    if not parent.endswith(os.sep):
        parent += os.sep
    for p in paths:
        p = os.path.abspath(p)
        if not p.endswith(os.sep):
            p += os.sep
        if not p.startswith(parent):
            return False
    return True


def _hash_file(algo, filename):
    h = hashlib.new(algo)
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def md5_file(filename):
    return _hash_file("md5", filename)


def sha1_file(filename):
    return _hash_file("sha1", filename)


def sha256_file(filename):
    return _hash_file("sha256", filename)


def sha384_file(filename):
    return _hash_file("sha384", filename)


def sha512_file(filename):
    return _hash_file("sha512", filename)


def lockfile(name, shared=False, retry=True, block=False):
    """Takes an flock lock on file `name`, creating it; returns the open file."""
    dirname = os.path.dirname(name)
    if dirname:
        mkdirhier(dirname)
    op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    if not retry and not block:
        op |= fcntl.LOCK_NB
    while True:
        f = open(name, "a+")
        try:
            fcntl.flock(f.fileno(), op)
        except OSError:
            f.close()
            if not retry:
                return None
            continue
        try:
            if os.path.samestat(os.fstat(f.fileno()), os.stat(name)):
                return f
        except FileNotFoundError:
            pass
        f.close()


def unlockfile(lf):
    if lf is None:
        return
    try:
        fcntl.flock(lf.fileno(), fcntl.LOCK_UN)
    finally:
        lf.close()


@contextlib.contextmanager
def fileslocked(files, *args, **kwargs):
    locks = [lockfile(f, *args, **kwargs) for f in files or []]
    try:
        yield
    finally:
        for lf in reversed(locks):
            unlockfile(lf)


@contextlib.contextmanager
def umask(new_mask):
    old = os.umask(new_mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def environment(**envvars):
    backup = dict(os.environ)
    try:
        os.environ.update(envvars)
        yield
    finally:
        for var in envvars:
            if var in backup:
                os.environ[var] = backup[var]
            elif var in os.environ:
                del os.environ[var]


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_process_name(name):
    pass


def get_file_layer(filename, d, collection_res=None):
    """The BBFILE_COLLECTIONS entry whose BBFILE_PATTERN matches `filename`."""
    collections_ = (d.getVar("BBFILE_COLLECTIONS") or "").split()
    if collection_res is None:
        collection_res = {}
        for c in collections_:
            pattern = d.getVar("BBFILE_PATTERN_%s" % c) or ""
            if pattern:
                collection_res[c] = pattern
    for c, pattern in collection_res.items():
        if re.match(pattern, filename):
            return c
    return None


class LogCatcher(logging.Handler):
    """Keeps the log records it receives."""

    def __init__(self):
        self.messages = []
        logging.Handler.__init__(self, logging.WARNING)

    def emit(self, record):
        self.messages.append(record.getMessage())

    def contains(self, message):
        return message in self.messages
