G = "classes/glob"
