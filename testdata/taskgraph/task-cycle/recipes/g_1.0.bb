DEPENDS = "f"
