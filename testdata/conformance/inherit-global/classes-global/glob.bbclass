G = "classes-global/glob"
