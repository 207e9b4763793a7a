bitbake -g hello
