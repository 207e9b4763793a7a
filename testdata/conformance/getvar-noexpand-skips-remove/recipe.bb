B = "b"
A = "x ${B} y"
A:remove = "y"
A:append = " z"
python () {
    d.setVar('RAW', d.getVar('A', False))
    d.setVar('FULL', d.getVar('A'))
}
