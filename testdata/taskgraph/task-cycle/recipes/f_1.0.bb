# DEPENDS loop without deptask: no task cycle
DEPENDS = "g"
