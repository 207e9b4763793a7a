SUMMARY = "depends on something nobody provides"
DEPENDS = "ghostlib"
