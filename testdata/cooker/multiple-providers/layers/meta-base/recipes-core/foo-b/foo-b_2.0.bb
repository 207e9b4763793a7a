SUMMARY = "another provider"
PROVIDES = "libfoo"
