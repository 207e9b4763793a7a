A = "a"
python () {
    d.setVar('A', 'set-in-anon')
    d.setVarFlag('A', 'doc', 'flag-in-anon')
    d.appendVar('A', '+app')
    d.setVar('NEWV', 'new')
    d.delVar('DELME')
}
DELME = "x"
