HELLO_NINE = "never"
