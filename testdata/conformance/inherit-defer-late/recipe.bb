CLS = "early"
inherit_defer ${CLS}
A = "recipe-value"
B = "recipe-b"
CLS = "late"
