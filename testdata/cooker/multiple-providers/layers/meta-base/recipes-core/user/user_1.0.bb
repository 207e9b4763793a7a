SUMMARY = "depends on the ambiguous name"
DEPENDS = "libfoo"
