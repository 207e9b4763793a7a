SUMMARY = "includes itself indirectly"
require loop-a.inc
