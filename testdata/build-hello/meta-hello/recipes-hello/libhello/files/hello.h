#ifndef HELLO_H
#define HELLO_H

/* Writes a greeting for NAME (or "world" when NAME is NULL) to stdout. */
void say_hello(const char *name);

/* The library's version string. */
const char *hello_version(void);

#endif
