O = "o"
