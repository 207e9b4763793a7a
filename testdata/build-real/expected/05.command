bitbake -g hello zlib cjson
