PROVIDES = "libc"
