WHO2 = "classes-global"
