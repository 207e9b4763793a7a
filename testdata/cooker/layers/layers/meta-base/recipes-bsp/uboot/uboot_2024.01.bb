SUMMARY = "Boot loader"
COMPATIBLE_MACHINE = "armboard|otherbox"
