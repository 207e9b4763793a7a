# Valid Python that bake's native evaluator does not parse: CPython compiles it, no error.
def with_match(d):
    match d.getVar('A'):
        case '1':
            return 'one'
        case _:
            return 'other'

def with_walrus(d):
    if (n := len(d.getVar('A') or '')) > 0:
        return n
    return 0

MATCHED = "${@with_match(d)}"
