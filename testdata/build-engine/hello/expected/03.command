bitbake -g sayhello hello
