require hello.inc
HELLO_SERIES = "0.9"
this is not : valid bitbake {
