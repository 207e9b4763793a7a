require hello.inc
HELLO_SERIES = "1.0"
