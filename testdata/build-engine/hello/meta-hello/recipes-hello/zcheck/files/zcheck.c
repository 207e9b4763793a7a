#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Compresses and decompresses a string with zlib and checks the round trip. */
int main(void)
{
	const char *text = "bake bake bake bake bake bake bake bake";
	unsigned char packed[128], unpacked[128];
	uLongf plen = sizeof(packed), ulen = sizeof(unpacked);

	if (compress(packed, &plen, (const Bytef *)text, strlen(text) + 1) != Z_OK)
		return 1;
	if (uncompress(unpacked, &ulen, packed, plen) != Z_OK)
		return 1;
	if (strcmp((const char *)unpacked, text) != 0)
		return 1;
	printf("zlib %s: %lu bytes -> %lu bytes -> ok\n", zlibVersion(),
	       (unsigned long)strlen(text) + 1, (unsigned long)plen);
	return 0;
}
