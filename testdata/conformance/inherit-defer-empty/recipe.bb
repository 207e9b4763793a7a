inherit_defer ${NOTHING}
NOTHING = ""
A = "a"
