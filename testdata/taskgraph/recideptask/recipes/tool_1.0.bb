DEPENDS = "toollib"
