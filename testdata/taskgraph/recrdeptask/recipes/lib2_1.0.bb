DEPENDS = "lib3"
