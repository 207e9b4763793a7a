# provides a virtual name too
PROVIDES = "virtual/tool"
