# Recipes of this class: the library's PysigDropTool handler leaves the other recipes'
# tasks out of their hashes (read from dataCaches' inherits).
QUIET = "1"
