SUMMARY = "depends on a skipped recipe"
DEPENDS = "legacy"
