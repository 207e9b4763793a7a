WHO = "classes-global"
