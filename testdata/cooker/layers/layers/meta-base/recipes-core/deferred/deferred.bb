SUMMARY = "Recipe without a version in its file name"
inherit_defer ${DEFERRED_CLASS}
GREETING = "deferred says hi"
