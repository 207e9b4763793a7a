LOCAL = "recipe dir"
