python () {
    d.setVar('FROM_ANON', d.getVar('A') + '-anon')
}
