inherit deferme
A = "from-recipe"
