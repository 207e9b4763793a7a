bitbake -g zlib
