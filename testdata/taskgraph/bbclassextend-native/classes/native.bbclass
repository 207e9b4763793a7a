# BBCLASSEXTEND = "native": DEPENDS of the variant are mapped to -native names
CLASSOVERRIDE = "class-native"
python () {
    pn = d.getVar('PN')
    deps = []
    for dep in (d.getVar('DEPENDS') or '').split():
        deps.append(dep if dep.endswith('-native') else dep + '-native')
    d.setVar('DEPENDS', ' '.join(deps))
}
