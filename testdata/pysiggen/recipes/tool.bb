PROVIDES = "virtual/tool"
TOOL_OPTS = "-v"
do_install[vardeps] += "TOOL_OPTS"
