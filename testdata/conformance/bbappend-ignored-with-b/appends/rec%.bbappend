B:append = " wildcard"
