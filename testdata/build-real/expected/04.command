bitbake -g linktest
