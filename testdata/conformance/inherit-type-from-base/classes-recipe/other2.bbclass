WHO2 = "classes-recipe"
