A = "from-class"
