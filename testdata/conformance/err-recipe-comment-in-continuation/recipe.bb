A = "one \
# not a comment here
two"
