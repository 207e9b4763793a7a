# Tools built for and run on the build host (BBCLASSEXTEND = "native" makes
# a <pn>-native variant).  Their ${bindir} is staged into the sysroot of
# recipes that DEPEND on them, and that directory is first on PATH.

CLASSOVERRIDE = "class-native"
PACKAGES = ""
RDEPENDS = ""

python native_virtclass_handler () {
    pn = d.getVar('PN')
    if not pn.endswith('-native'):
        return
    bpn = pn[:-len('-native')]
    d.setVar('BPN', bpn)

    def to_native(names):
        out = []
        for name in (names or '').split():
            if name.endswith('-native') or name.startswith('virtual/native'):
                out.append(name)
            elif name.startswith('virtual/'):
                out.append(name.replace('virtual/', 'virtual/native-', 1))
            else:
                out.append(name + '-native')
        return ' '.join(out)

    d.setVar('DEPENDS', to_native(d.getVar('DEPENDS')))
    provides = [p for p in to_native(d.getVar('PROVIDES')).split() if p != pn]
    d.setVar('PROVIDES', ' '.join(provides))
}

python () {
    bb.build.exec_func('native_virtclass_handler', d)
}
