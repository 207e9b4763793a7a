OVERRIDES = "o"
OLD = "old"
OLD:append = "+"
OLD:o = "old-o"
OLD[doc] = "moved flag"
GONE = "gone"
python () {
    d.renameVar('OLD', 'NEW')
    d.delVar('GONE')
    d.setVar('EXPANDED', d.expand('${NEW}/${@1+1}'))
    d.appendVarFlag('NEW', 'doc', ' more')
}
SHOW = "${@d.getVarFlag('NEW', 'doc')}"
