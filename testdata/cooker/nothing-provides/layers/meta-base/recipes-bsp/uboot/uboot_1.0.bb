SUMMARY = "only for some boards"
COMPATIBLE_MACHINE = "armboard"
