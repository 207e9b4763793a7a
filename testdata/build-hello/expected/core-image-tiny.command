bitbake -g core-image-tiny
