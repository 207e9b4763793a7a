SUMMARY = "requires a file that does not exist"
require does-not-exist.inc
