WHO = "l2/classes-recipe"
