SUMMARY = "includes a file that does not exist (allowed)"
include also-missing.inc
SOFT = "still here"
