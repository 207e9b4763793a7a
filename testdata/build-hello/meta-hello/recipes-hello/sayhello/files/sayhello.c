#include <stddef.h>
#include <hello.h>

int main(int argc, char **argv)
{
	say_hello(argc > 1 ? argv[1] : NULL);
	return 0;
}
