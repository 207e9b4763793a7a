# the missing name is two levels down
DEPENDS = "app"
