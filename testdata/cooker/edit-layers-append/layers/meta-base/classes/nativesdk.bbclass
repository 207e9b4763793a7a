# SDK-host variant of a recipe.
CLASSOVERRIDE = "class-nativesdk"

python () {
    pn = d.getVar('PN')
    if pn.startswith('nativesdk-'):
        return
    if pn.endswith('-nativesdk'):
        bpn = pn[:-len('-nativesdk')]
    else:
        bpn = pn
    d.setVar('BPN', bpn)
    d.setVar('PN', 'nativesdk-' + bpn)
    deps = []
    for dep in (d.getVar('DEPENDS') or '').split():
        if dep.endswith('-native') or dep.startswith('nativesdk-'):
            deps.append(dep)
        else:
            deps.append('nativesdk-' + dep)
    d.setVar('DEPENDS', ' '.join(deps))
}
