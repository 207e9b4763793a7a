WHO2 = "l2/classes"
