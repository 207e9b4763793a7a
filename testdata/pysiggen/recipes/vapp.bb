# Depends on a virtual/ name (tool provides it): PysigVirtual's tasks_resolved drops it.
DEPENDS = "virtual/tool libfoo"
