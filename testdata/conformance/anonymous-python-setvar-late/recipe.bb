python () {
    d.setVar('X', 'late')
    d.appendVar('Y', '+')
    d.prependVar('Y', '^')
    d.setVar('FOO', 'x')
}
X = "early"
Y = "y"
FOO = "foo"
FOO:append = " appended"
FOO:remove = "foo"
OVERRIDES = "o"
BAR = "bar"
BAR:o = "bar-o"
python () {
    d.setVar('BAR', 'set-by-anon')
    d.setVarFlag('BAR', 'doc', 'flagged')
}
python __anonymous () {
    d.setVar('ORDER', (d.getVar('ORDER') or '') + 'second')
}
python () {
    d.appendVar('ORDER', '-third')
    d.setVar('RAWY', d.getVar('Y', False))
}
