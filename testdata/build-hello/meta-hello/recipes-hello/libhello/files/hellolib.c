#include <stdio.h>
#include "hello.h"

void say_hello(const char *name)
{
	printf("Hello, %s! (from libhello %s)\n", name ? name : "world", hello_version());
}

const char *hello_version(void)
{
	return "1.0";
}
