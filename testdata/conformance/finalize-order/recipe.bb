TRACE = "recipe"
inherit_defer deferred
KEY_${KEYNAME} = "expanded with class value"
python () {
    d.setVar('SEEN_KEYS', ' '.join(sorted(k for k in d.keys() if k.startswith('KEY_'))))
    d.appendVar('TRACE', ' anon')
}
