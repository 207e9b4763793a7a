"""`bb.filter`: the functions `d.setVarFilter` expressions may call, and applying
such expressions to a value (written for bake from BitBake's documented behaviour)."""

import builtins


class Namespace:
    """A read-only attribute namespace for dotted filter names (`oe.foo`)."""

    def __getitem__(self, name):
        return self.__dict__[name]

    def __setitem__(self, name, value):
        self.__dict__[name] = value

    def __contains__(self, name):
        return name in self.__dict__

    def __setattr__(self, name, value):
        raise AttributeError("Attribute %r cannot be changed" % name)

    def __delattr__(self, name):
        raise AttributeError("Attribute %r cannot be deleted" % name)


# The globals of filter expressions: no builtins except those registered below.
FILTERS = {"__builtins__": {}}

# (value, expression) -> result; filters are pure functions.
CACHE = {}


def _register(name, func):
    parts = name.split(".")
    scope = FILTERS
    for part in parts[:-1]:
        if part not in scope:
            scope[part] = Namespace()
        scope = scope[part]
    scope[parts[-1]] = func


def filter_proc(*, name=None):
    """Registers the decorated function for filter expressions, under its own name or
    `name` (which may be dotted)."""

    def decorator(func):
        _register(name or func.__name__, func)
        return func

    return decorator


for _b in ("all", "any", "bin", "bool", "chr", "enumerate", "float", "format", "hex", "int",
           "len", "map", "max", "min", "oct", "ord", "pow", "str", "sum"):
    _register(_b, getattr(builtins, _b))


@filter_proc()
def suffix(val, suffix):
    return " ".join(word + suffix for word in val.split())


@filter_proc()
def prefix(val, prefix):
    return " ".join(prefix + word for word in val.split())


@filter_proc()
def sort(val):
    return " ".join(sorted(val.split()))


@filter_proc()
def remove(val, remove, sep=None):
    drop = remove.split(sep) if isinstance(remove, str) else remove
    kept = [w for w in val.split(sep) if w not in drop]
    return (sep or " ").join(kept)


def apply_filters(val, expressions):
    """Applies each expression in turn, with `val` the value so far."""
    for expr in expressions:
        expr = expr.strip()
        if not expr:
            continue
        key = (val, expr)
        if key not in CACHE:
            CACHE[key] = eval(expr, dict(FILTERS), {"val": val})
        val = CACHE[key]
    return val
