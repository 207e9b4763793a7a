WHO2 = "top classes"
