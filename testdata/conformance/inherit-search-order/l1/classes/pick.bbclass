WHO = "l1/classes"
