S1 = "classes/shared"
