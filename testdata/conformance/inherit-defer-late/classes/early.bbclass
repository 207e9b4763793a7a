A = "early-class"
