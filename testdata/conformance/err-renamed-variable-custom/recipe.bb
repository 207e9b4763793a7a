OLD_NAME = "x"
GONE_NAME[flag] = "y"
