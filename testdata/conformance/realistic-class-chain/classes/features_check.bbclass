python () {
    required = (d.getVar('REQUIRED_DISTRO_FEATURES') or '').split()
    missing = [f for f in required if not bb.utils.contains('DISTRO_FEATURES', f, True, False, d)]
    d.setVar('FEATURES_MISSING', ' '.join(missing))
}
