def with_blank(d):
    return "blank"

def immediate(d):
    return "imm"
A = "${@with_blank(d)} ${@immediate(d)}"
def with_comment(d):
# a column-0 comment stays inside
    x = 1

    return "c%d" % x
B = "${@with_comment(d)}"
def at_eof(d):
    return "eof"
