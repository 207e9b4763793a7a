inherit native
