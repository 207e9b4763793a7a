unset A
A = "after-unset"
