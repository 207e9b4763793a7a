HELLO_TWO = "only 2.x"
