WHO = "classes-recipe"
