# Build-host variant of a recipe.
CLASSOVERRIDE = "class-native"
MACHINE_DIR = "native"

python () {
    pn = d.getVar('PN')
    if not pn.endswith('-native'):
        return
    bpn = pn[:-len('-native')]
    d.setVar('BPN', bpn)
    newdeps = []
    for dep in (d.getVar('DEPENDS') or '').split():
        if dep.endswith('-native'):
            newdeps.append(dep)
        else:
            newdeps.append(dep + '-native')
    d.setVar('DEPENDS', ' '.join(newdeps))
    provides = []
    for p in (d.getVar('PROVIDES') or '').split():
        if p.startswith('virtual/'):
            provides.append('virtual/native-' + p[len('virtual/'):])
        elif not p.endswith('-native'):
            provides.append(p + '-native')
    d.setVar('PROVIDES', ' '.join(provides))
}
