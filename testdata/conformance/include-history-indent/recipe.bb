require r.inc
R = "r"
