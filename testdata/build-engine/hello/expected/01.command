bitbake -g sayhello
