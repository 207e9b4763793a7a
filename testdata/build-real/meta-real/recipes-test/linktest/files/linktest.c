/* linktest: a program built against the zlib and cJSON of the recipe sysroot. It
 * compresses a JSON document with zlib, inflates it again, parses it with cJSON and
 * prints what it found. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <cjson/cJSON.h>

int main(void)
{
	const char *doc = "{\"tool\": \"bake\", \"recipes\": 3}";
	unsigned char packed[256], unpacked[256];
	uLongf plen = sizeof(packed), ulen = sizeof(unpacked);
	cJSON *root, *tool, *n;

	if (compress(packed, &plen, (const Bytef *)doc, strlen(doc) + 1) != Z_OK)
		return 1;
	if (uncompress(unpacked, &ulen, packed, plen) != Z_OK)
		return 1;
	root = cJSON_Parse((const char *)unpacked);
	if (root == NULL)
		return 1;
	tool = cJSON_GetObjectItem(root, "tool");
	n = cJSON_GetObjectItem(root, "recipes");
	if (!cJSON_IsString(tool) || !cJSON_IsNumber(n))
		return 1;
	printf("zlib %s, cJSON %s: %s builds %d recipes\n", zlibVersion(), cJSON_Version(),
	       tool->valuestring, n->valueint);
	cJSON_Delete(root);
	return 0;
}
