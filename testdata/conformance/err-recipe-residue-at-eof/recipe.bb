A = "x"
B = "dangling \
