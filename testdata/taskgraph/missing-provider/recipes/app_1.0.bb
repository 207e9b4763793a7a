DEPENDS = "ghost"
