bitbake -g cjson
