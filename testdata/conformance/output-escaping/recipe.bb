Q = "double "quoted" and `backtick` and $dollar and ${@'$'}{x}"
python () {
    d.setVar('MULTI', 'line one\nline "two"\n  line three')
    d.setVar('TRAIL', 'ends with newline\n')
}
