BASE = "base-from-classes-global"
