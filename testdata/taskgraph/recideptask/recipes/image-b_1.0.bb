inherit collect
DEPENDS = "lib"
