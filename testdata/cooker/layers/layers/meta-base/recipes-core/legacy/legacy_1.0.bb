SUMMARY = "Skips itself unless legacy support is enabled"
python () {
    if d.getVar('ENABLE_LEGACY') != '1':
        raise bb.parse.SkipRecipe('legacy support is disabled (set ENABLE_LEGACY = "1")')
}
