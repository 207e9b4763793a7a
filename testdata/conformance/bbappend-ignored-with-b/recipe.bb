A = "recipe"
B = "recipe"
