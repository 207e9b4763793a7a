require hello.inc
# newer, but not preferred by default
DEFAULT_PREFERENCE = "-1"
