"""`bb.filter`: marks functions usable as `d.setVarFilter` filters."""


def filter_proc(name=None):
    def decorator(func):
        func.bb_filter = name or func.__name__
        return func

    return decorator
