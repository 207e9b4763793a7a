require hello.inc
HELLO_SERIES = "2.0"
