SUMMARY = "one provider"
PROVIDES = "libfoo"
