bitbake -g zcheck
