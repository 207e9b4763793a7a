SUMMARY = "the next line is not BitBake syntax"
this line is not valid at all
LICENSE = "MIT"
